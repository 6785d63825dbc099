import { Router } from 'express';
import Joi from 'joi';
import { toPublicJson } from '../models/json.ts';
import { notificationKinds, type NotificationKind } from '../models/notification.ts';
import {
  DeliveryModel, WebhookModel, deliverySecretPaths, deliveryStates, newSecret, webhookSecretPaths, type DeliveryState,
} from '../models/webhook.ts';
import { authenticate, authorize, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError, invalidFields } from '../server/errors.ts';
import { refusedUrl } from '../server/outbound.ts';
import { idsBefore, newestPage, pageKeys } from '../server/paging.ts';
import { idParam, parse } from '../server/validate.ts';

// A receiver URL: http or https, no user name or password in it (they would be stored and shown in clear).
const url = Joi.string().trim().max(2000).uri({ scheme: ['http', 'https'] }).custom((value: string, helpers) => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return value; // the uri rule has already refused it
  }
  return parsed.username || parsed.password ? helpers.error('url.credentials') : value;
}).messages({
  'string.uriCustomScheme': '{#label} must be an http or https URL',
  'string.uri': '{#label} must be an http or https URL',
  'url.credentials': '{#label} must not carry credentials; authenticate the sender by the X-KA-Signature header',
});

type CreateInput = { url: string; kinds?: NotificationKind[]; description?: string };
const createSchema = Joi.object<CreateInput>({
  url: url.required(),
  kinds: Joi.array().items(Joi.string().valid(...notificationKinds)).min(1).unique(),
  description: Joi.string().trim().allow('').max(500),
});
const listSchema = Joi.object<{ limit: number; cursor?: string; active?: boolean }>({ ...pageKeys, active: Joi.boolean() });
const deliveriesSchema = Joi.object<{ limit: number; cursor?: string; state?: DeliveryState }>({
  ...pageKeys, state: Joi.string().valid(...deliveryStates),
});

const webhookJson = (row: Record<string, unknown>) => toPublicJson(row, webhookSecretPaths);
const deliveryJson = (row: Record<string, unknown>) => toPublicJson(row, deliverySecretPaths);

async function webhookFor(id: string | undefined) {
  const webhook = await WebhookModel.findById(idParam(id, 'webhook')).lean();
  if (!webhook) throw new HttpError(404, 'Not found', 'No webhook with this id.');
  return webhook;
}

// Integrations are the administrators' business: every route is admin only.
export function webhooksRouter(config: Config): Router {
  const router = Router();
  const admin = [authenticate(config), authorize('admin')];

  router.get('/', ...admin, async (req, res) => {
    const input = parse(listSchema, req.query);
    const filter = { ...(input.active === undefined ? {} : { active: input.active }), ...idsBefore(input.cursor) };
    const rows = await WebhookModel.find(filter).sort({ _id: -1 }).limit(input.limit + 1).lean();
    res.json(newestPage(rows, input.limit, webhookJson));
  });

  // The signing secret is answered here once and never again: it is stored to sign, but no read returns it.
  router.post('/', ...admin, async (req, res) => {
    const user = currentUser(req);
    const input = parse(createSchema, req.body);
    // Never a door into the service's own network (server/outbound.ts); checked again at every delivery.
    const refused = await refusedUrl(input.url, config.webhookAllowedNetworks);
    if (refused) {
      throw invalidFields([{ field: 'url', message: `url must reach a public address: ${refused} (an operator can allow internal receivers with WEBHOOK_ALLOWED_NETWORKS)` }]);
    }
    const secret = newSecret();
    const webhook = await WebhookModel.create({
      url: input.url, kinds: input.kinds ?? [], description: input.description ?? '', secret,
      active: true, createdById: user.id, createdAt: new Date(),
    });
    res.location(`${req.baseUrl}/${webhook.id}`);
    res.status(201).json({ ...webhook.toJSON(), secret });
  });

  router.get('/:id', ...admin, async (req, res) => {
    res.json(webhookJson(await webhookFor(String(req.params.id))));
  });

  // Deactivates; the deliveries stay for the record, and those still pending end failed rather than wait forever.
  router.delete('/:id', ...admin, async (req, res) => {
    const webhook = await webhookFor(String(req.params.id));
    const now = new Date();
    if (webhook.active) await WebhookModel.updateOne({ _id: webhook._id }, { $set: { active: false, deactivatedAt: now } });
    await DeliveryModel.updateMany(
      { webhookId: webhook._id, state: 'pending' },
      { $set: { state: 'failed', lastError: 'webhook deleted', nextAttemptAt: null } },
    );
    res.status(204).end();
  });

  router.get('/:id/deliveries', ...admin, async (req, res) => {
    const webhook = await webhookFor(String(req.params.id));
    const input = parse(deliveriesSchema, req.query);
    const filter = { webhookId: webhook._id, ...(input.state ? { state: input.state } : {}), ...idsBefore(input.cursor) };
    const rows = await DeliveryModel.find(filter).sort({ _id: -1 }).limit(input.limit + 1).lean();
    res.json(newestPage(rows, input.limit, deliveryJson));
  });

  return router;
}

import Joi from 'joi';
import { toPublicJson } from '../models/json.ts';
import { notificationKinds } from '../models/notification.ts';
import {
  DELIVERY_TIMEOUT_MS, DeliveryModel, MAX_ATTEMPTS, WebhookModel, deliverySecretPaths, deliveryStates, newSecret, webhookSecretPaths,
} from '../models/webhook.ts';
import { answer, moment, objectId, page } from '../schemas/common.ts';
import { currentUser } from '../server/auth.ts';
import { HttpError, invalidFields } from '../server/errors.ts';
import type { GetWebhooksIdDeliveriesQuery, GetWebhooksQuery, WebhookCreate } from '../schemas/inputs.gen.ts';
import { operation } from '../server/operation.ts';
import { refusedUrl } from '../server/outbound.ts';
import { idsBefore, newestPage, pageKeys } from '../server/paging.ts';
import { idParam } from '../server/validate.ts';

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

const kind = Joi.string().valid(...notificationKinds);

const createSchema = Joi.object<WebhookCreate>({
  url: url.required().description('http or https; no user name or password in it'),
  kinds: Joi.array().items(kind).min(1).unique().description('default: every kind'),
  description: Joi.string().trim().allow('').max(500),
}).id('WebhookCreate');
const listSchema = Joi.object<GetWebhooksQuery>({ ...pageKeys, active: Joi.boolean() });
const deliveriesSchema = Joi.object<GetWebhooksIdDeliveriesQuery>({
  ...pageKeys, state: Joi.string().valid(...deliveryStates),
});

const webhookFields = {
  id: objectId(),
  url: Joi.string().uri().max(2000),
  kinds: Joi.array().items(kind).description('the kinds this webhook takes; empty takes every kind, including kinds added later'),
  description: Joi.string().allow('').max(500),
  active: Joi.boolean().description('false once deleted'),
  createdById: objectId(),
  createdAt: moment(),
  deactivatedAt: moment().allow(null),
};
const webhookSchema = answer(webhookFields).id('Webhook');
const webhookCreatedSchema = answer({
  ...webhookFields,
  secret: Joi.string().description('HMAC-SHA256 signing key (32 random bytes, base64url); shown only in this answer'),
}).id('WebhookCreated');

const deliverySchema = answer({
  id: objectId().description('also the X-KA-Delivery header'),
  key: Joi.string().description('`<notificationId>:<webhookId>`, unique'),
  webhookId: objectId(),
  notificationId: objectId(),
  kind,
  state: Joi.string().valid(...deliveryStates),
  attempts: Joi.number().integer().min(0).max(MAX_ATTEMPTS),
  lastStatus: Joi.number().integer().allow(null).description("the receiver's HTTP status at the last attempt"),
  lastError: Joi.string().allow(null),
  lastAttemptAt: moment().allow(null),
  nextAttemptAt: moment().allow(null).description('when a pending delivery is tried next'),
  deliveredAt: moment().allow(null),
  createdAt: moment(),
}).id('WebhookDelivery');

const deliveryNote = `Each notification created at or after a webhook's creation, of a kind it takes, is POSTed to its URL once as
JSON \`{deliveryId, notification: {id, kind, title, body, data, userId, createdAt}}\` with the headers
\`X-KA-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the secret>\` and
\`X-KA-Delivery: <deliveryId>\`. Verify it by computing the HMAC over \`t\`, a dot and the raw body, comparing in
constant time, and refusing a \`t\` more than 5 minutes from your clock (a captured request cannot be replayed later).
Any 2xx answer within ${DELIVERY_TIMEOUT_MS / 1000} s accepts it; anything else (another status, a redirect, no answer, a
refused connection) is retried with exponential backoff (30 s, 1 min, 2 min ... at most 2 h apart) up to ${MAX_ATTEMPTS}
attempts, after which the delivery ends \`failed\`. Delivery is at least once: an attempt whose outcome was lost (a
crash) is sent again with the same X-KA-Delivery, so receivers de-duplicate by it. The URL must reach a public address:
loopback, private, link-local (cloud metadata), multicast and reserved addresses are refused in every spelling, at
registration and again at each delivery (the address connected to), unless an operator allowed the network
(WEBHOOK_ALLOWED_NETWORKS).`;

const notFound = 'No such webhook';

const webhookJson = (row: Record<string, unknown>) => toPublicJson(row, webhookSecretPaths);
const deliveryJson = (row: Record<string, unknown>) => toPublicJson(row, deliverySecretPaths);

async function webhookFor(id: string | undefined) {
  const webhook = await WebhookModel.findById(idParam(id, 'webhook')).lean();
  if (!webhook) throw new HttpError(404, 'Not found', 'No webhook with this id.');
  return webhook;
}

// Integrations are the administrators' business: every operation is admin only.
export const webhookOperations = [
  operation({
    method: 'get', path: '/api/v1/webhooks', tag: 'webhooks', access: ['admin'],
    summary: 'Webhooks, newest first (admin)',
    query: listSchema,
    responses: { 200: { description: 'A page of webhooks (never with their secret)', body: page(webhookSchema) } },
    handler: async (_req, res, { query }) => {
      const filter = { ...(query.active === undefined ? {} : { active: query.active }), ...idsBefore(query.cursor) };
      const rows = await WebhookModel.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean();
      res.json(newestPage(rows, query.limit, webhookJson));
    },
  }),

  // The signing secret is answered here once and never again: it is stored to sign, but no read returns it.
  operation({
    method: 'post', path: '/api/v1/webhooks', tag: 'webhooks', access: ['admin'],
    summary: 'Register a webhook (admin); the signing secret is answered once, here', description: deliveryNote,
    body: createSchema,
    responses: {
      201: {
        description: 'Created, with its secret', body: webhookCreatedSchema,
        headers: { Location: { description: 'the new webhook', schema: { type: 'string' } } },
      },
    },
    handler: async (req, res, { body: input, config }) => {
      const user = currentUser(req);
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
      res.location(`/api/v1/webhooks/${webhook.id}`);
      res.status(201).json({ ...webhook.toJSON(), secret });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/webhooks/:id', tag: 'webhooks', access: ['admin'],
    summary: 'Read a webhook (admin), without its secret',
    responses: { 200: { description: 'Webhook', body: webhookSchema }, 404: notFound },
    handler: async (req, res) => {
      res.json(webhookJson(await webhookFor(String(req.params.id))));
    },
  }),

  // Deactivates; the deliveries stay for the record, and those still pending end failed rather than wait forever.
  operation({
    method: 'delete', path: '/api/v1/webhooks/:id', tag: 'webhooks', access: ['admin'],
    summary: 'Deactivate a webhook (admin)',
    description: 'It receives nothing more; its deliveries stay for the record, and those still pending end `failed`. Idempotent.',
    responses: { 204: { description: 'Deactivated' }, 404: notFound },
    handler: async (req, res) => {
      const webhook = await webhookFor(String(req.params.id));
      const now = new Date();
      if (webhook.active) await WebhookModel.updateOne({ _id: webhook._id }, { $set: { active: false, deactivatedAt: now } });
      await DeliveryModel.updateMany(
        { webhookId: webhook._id, state: 'pending' },
        { $set: { state: 'failed', lastError: 'webhook deleted', nextAttemptAt: null } },
      );
      res.status(204).end();
    },
  }),

  operation({
    method: 'get', path: '/api/v1/webhooks/:id/deliveries', tag: 'webhooks', access: ['admin'],
    summary: "A webhook's deliveries and their state, newest first (admin)",
    query: deliveriesSchema,
    responses: { 200: { description: 'A page of deliveries', body: page(deliverySchema) }, 404: notFound },
    handler: async (req, res, { query }) => {
      const webhook = await webhookFor(String(req.params.id));
      const filter = { webhookId: webhook._id, ...(query.state ? { state: query.state } : {}), ...idsBefore(query.cursor) };
      const rows = await DeliveryModel.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean();
      res.json(newestPage(rows, query.limit, deliveryJson));
    },
  }),
];

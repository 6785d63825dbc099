import { Router, type Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { CustomerModel, tiers, type CustomerDocument, type Tier } from '../models/customer.ts';
import { toPublicJson } from '../models/json.ts';
import { TierApprovalModel, TierChangeModel, approvalStatuses, type ApprovalStatus } from '../models/tier-change.ts';
import { TierConflict, clearOverride, decideApproval, requestOverride } from '../models/tier-decisions.ts';
import { authenticate, authorize, currentUser, customerFor, type AuthUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam, objectId, parse } from '../server/validate.ts';

type OverrideBody = { tier: Tier; reason: string; expiresAt?: Date };
const overrideSchema = Joi.object<OverrideBody>({
  tier: Joi.string().valid(...tiers).required(),
  reason: Joi.string().trim().min(3).max(500).required(),
  expiresAt: Joi.date().iso().greater('now').messages({ 'date.greater': '{#label} must be in the future' }),
});
const approveSchema = Joi.object<{ comment?: string }>({ comment: Joi.string().trim().max(1000).allow('') });
// The owner learns why from the comment, so a rejection must give one.
const rejectSchema = Joi.object<{ comment: string }>({ comment: Joi.string().trim().min(3).max(1000).required() });
const listSchema = Joi.object<{ limit: number; cursor?: string; status: ApprovalStatus; customerId?: string }>({
  ...pageKeys,
  status: Joi.string().valid(...approvalStatuses).default('pending'),
  customerId: objectId(),
});

type Row = Record<string, unknown>;
const str = (id: unknown) => (id ? String(id) : null);

/** An approval with string ids (toPublicJson keeps nested ObjectIds as they are). */
function approvalJson(row: Row): Record<string, unknown> {
  // `key` is the uniqueness bookkeeping of models/tier-change.ts, not something a reader needs.
  return { ...toPublicJson(row, ['key']), customerId: str(row.customerId), requestedById: str(row.requestedById), decidedById: str(row.decidedById) };
}

/** Approvals with `customer: {id, code, name, tier}` joined from one `$in` over their customers. */
async function withCustomers(rows: Row[]) {
  const ids = [...new Set(rows.map((r) => String(r.customerId)))].map((id) => new Types.ObjectId(id));
  const customers = ids.length ? await CustomerModel.find({ _id: { $in: ids } }, { code: 1, name: 1, tier: 1 }).lean() : [];
  const byId = new Map(customers.map((c) => [String(c._id), { id: String(c._id), code: c.code, name: c.name, tier: c.tier ?? null }]));
  return rows.map((r) => ({ ...approvalJson(r), customer: byId.get(String(r.customerId)) ?? null }));
}

/**
 * The customer's tier, how it was scored, its override, the request waiting and the last 100 changes. `read` is the
 * customer as its access check reads it, so a GET reads it once, beside the other two reads; after a change it is
 * read again.
 */
async function tierView(customerId: Types.ObjectId, read?: Promise<Row>, now = new Date()) {
  const [c, pending, history] = await Promise.all([
    read ?? CustomerModel.findById(customerId).lean(),
    TierApprovalModel.findOne({ key: String(customerId), status: 'pending' }).lean(),
    TierChangeModel.find({ customerId }).sort({ at: -1, _id: -1 }).limit(100).lean(),
  ]);
  if (!c) throw new HttpError(404, 'Not found', 'No customer with this id.');
  const o = c.tierOverride as { tier: string; reason: string; byId: unknown; byName: string; at: Date; expiresAt?: Date | null } | null | undefined;
  return {
    customerId: String(c._id), tier: c.tier ?? null, tierSource: c.tierSource ?? null, score: c.tierScore ?? null,
    computedTier: c.tierComputed ?? null, policyVersion: c.tierPolicyVersion ?? null, scoredAt: c.tierScoredAt ?? null,
    updatedAt: c.tierUpdatedAt ?? null, breakdown: c.tierBreakdown ?? [],
    override: o ? {
      tier: o.tier, reason: o.reason, byId: String(o.byId), byName: o.byName, at: o.at, expiresAt: o.expiresAt ?? null,
      active: !o.expiresAt || o.expiresAt > now,
    } : null,
    pendingApproval: pending ? approvalJson(pending) : null,
    history: history.map((h) => ({
      id: String(h._id), from: h.from ?? null, to: h.to, score: h.score ?? null, policyVersion: h.policyVersion ?? null, source: h.source,
      reason: h.reason, by: { id: str(h.byId), name: h.byName }, at: h.at, approvalId: str(h.approvalId),
    })),
  };
}

/** The customer's owner, executives and admins set or remove overrides; another team's manager gets the 404 of a missing customer. */
async function overridableCustomer(user: AuthUser, id: string | undefined): Promise<CustomerDocument> {
  const customer = await customerFor(user, id, 'read');
  if (user.role === 'manager' && String(customer.ownerId) !== user.id) {
    throw new HttpError(403, 'Forbidden', "Only the customer's owner, executives and admins set its tier override.");
  }
  return customer;
}

const conflict = (err: unknown): never => {
  throw err instanceof TierConflict ? new HttpError(409, 'Conflict', err.message) : err;
};

// Pending requests are worked oldest first; decided ones are read as history, newest first.
const isPosition = (p: Row) => typeof p.t === 'number' && Number.isFinite(p.t) && typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id);
function afterPosition(cursor: string | undefined, direction: 1 | -1): Row {
  const after = decodeCursor(cursor, isPosition);
  if (!after) return {};
  const op = direction === 1 ? '$gt' : '$lt';
  const at = new Date(after.t as number);
  return { $or: [{ requestedAt: { [op]: at } }, { requestedAt: at, _id: { [op]: new Types.ObjectId(after.id as string) } }] };
}

async function sendApproval(res: Response, id: Types.ObjectId | string) {
  const row = await TierApprovalModel.findById(id).lean();
  if (!row) throw new HttpError(404, 'Not found', 'No tier approval with this id.');
  res.json((await withCustomers([row]))[0]);
}

// Shares its mount point with other routers, so authentication is attached per route, not with router.use:
// a request for a path no router has must still reach the 404 handler.
export function tiersRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);
  const leadership = authorize('executive', 'admin');

  router.get('/customers/:id/tier', auth, async (req, res) => {
    const id = new Types.ObjectId(idParam(String(req.params.id), 'customer'));
    res.json(await tierView(id, customerFor(currentUser(req), String(id), 'read').then((c) => c.toObject())));
  });

  router.post('/customers/:id/tier/override', auth, async (req, res) => {
    const user = currentUser(req);
    const customer = await overridableCustomer(user, String(req.params.id));
    const input = parse(overrideSchema, req.body);
    const outcome = await requestOverride(customer._id, input, { id: user.id, name: user.name, role: user.role }).catch(conflict);
    if (outcome.status === 'applied') {
      res.json(await tierView(customer._id));
      return;
    }
    res.status(202).location(`/api/v1/tier-approvals/${String(outcome.approval._id)}`)
      .json({ status: 'pending', approval: approvalJson(outcome.approval) });
  });

  router.delete('/customers/:id/tier/override', auth, async (req, res) => {
    const user = currentUser(req);
    const customer = await overridableCustomer(user, String(req.params.id));
    if (!customer.tierOverride) throw new HttpError(409, 'No override', 'The customer has no tier override to remove.');
    await clearOverride(customer._id, { id: user.id, name: user.name });
    res.json(await tierView(customer._id));
  });

  router.get('/tier-approvals', auth, leadership, async (req, res) => {
    const input = parse(listSchema, req.query);
    const direction = input.status === 'pending' ? 1 : -1;
    const and: Row[] = [{ status: input.status }];
    if (input.customerId) and.push({ customerId: new Types.ObjectId(input.customerId) });
    const after = afterPosition(input.cursor, direction);
    if (Object.keys(after).length) and.push(after);
    const rows = await TierApprovalModel.find({ $and: and }).sort({ requestedAt: direction, _id: direction }).limit(input.limit + 1).lean();
    const page = toPage(rows, input.limit, (r) => ({ t: r.requestedAt.getTime(), id: String(r._id) }), (r) => r);
    res.json({ items: await withCustomers(page.items), nextCursor: page.nextCursor });
  });

  router.get('/tier-approvals/:id', auth, leadership, async (req, res) => {
    await sendApproval(res, idParam(String(req.params.id), 'tier approval'));
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/tier-approvals/:id/${decision}`, auth, leadership, async (req, res) => {
      const user = currentUser(req);
      const id = new Types.ObjectId(idParam(String(req.params.id), 'tier approval'));
      const { comment } = parse<{ comment?: string }>(decision === 'approve' ? approveSchema : rejectSchema, req.body);
      const decided = await decideApproval(id, decision, { id: user.id, name: user.name }, comment ?? '').catch(conflict);
      if (!decided) throw new HttpError(404, 'Not found', 'No tier approval with this id.');
      await sendApproval(res, id);
    });
  }

  return router;
}

import type { Request, Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { CustomerModel, tierSources, tiers, type CustomerDocument } from '../models/customer.ts';
import { toPublicJson } from '../models/json.ts';
import { TierApprovalModel, TierChangeModel, approvalStatuses } from '../models/tier-change.ts';
import { TierConflict, clearOverride, decideApproval, requestOverride } from '../models/tier-decisions.ts';
import { criterionKeys } from '../models/tier-policy.ts';
import { answer, moment, page } from '../schemas/common.ts';
import { currentUser, customerFor, type AuthUser } from '../server/auth.ts';
import { HttpError } from '../server/errors.ts';
import { operation } from '../server/operation.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam, objectId } from '../server/validate.ts';
import type { GetTierApprovalsQuery, TierDecision, TierOverrideInput, TierRejection } from '../schemas/inputs.gen.ts';

const overrideSchema = Joi.object<TierOverrideInput>({
  tier: Joi.string().valid(...tiers).required(),
  reason: Joi.string().trim().min(3).max(500).required(),
  expiresAt: Joi.date().iso().greater('now').messages({ 'date.greater': '{#label} must be in the future' })
    .description('in the future; the tier then falls back to the score'),
}).id('TierOverrideInput');
const approveSchema = Joi.object<TierDecision>({
  comment: Joi.string().trim().max(1000).allow('').description('optional to approve'),
}).id('TierDecision');
// The owner learns why from the comment, so a rejection must give one.
const rejectSchema = Joi.object<TierRejection>({
  comment: Joi.string().trim().min(3).max(1000).required().description('why, for the owner: required, 3 or more characters'),
}).id('TierRejection');
const listSchema = Joi.object<GetTierApprovalsQuery>({
  ...pageKeys,
  status: Joi.string().valid(...approvalStatuses).default('pending'),
  customerId: objectId(),
});

// The answers, as the handlers below build them.
const tier = () => Joi.string().valid(...tiers);
const nullable = (schema: Joi.Schema) => schema.allow(null);
const source = () => Joi.string().valid(...tierSources);

const approvalSchema = answer({
  id: objectId(), customerId: objectId(), from: nullable(tier()), to: tier(), source: source(),
  score: nullable(Joi.number()), policyVersion: nullable(Joi.number().integer()), reason: Joi.string(),
  override: nullable(answer({ tier: tier(), reason: Joi.string(), expiresAt: nullable(moment()) }))
    .description('the override asked for, set on the customer when approved'),
  requestedById: nullable(objectId()).description('null when the classification asked'), requestedByName: Joi.string(), requestedAt: moment(),
  status: Joi.string().valid(...approvalStatuses), decidedById: nullable(objectId()), decidedByName: nullable(Joi.string()),
  decidedAt: nullable(moment()), comment: Joi.string().allow(''),
  appliedAt: nullable(moment()).description('when an approved move reached the customer'),
  customer: nullable(answer({ id: objectId(), code: Joi.string(), name: Joi.string(), tier: nullable(tier()) }))
    .optional().description('in lists and reads of the queue'),
}).id('TierApproval').description('A tier move waiting for, or decided by, an executive or admin');

const breakdownLineSchema = answer({
  criterion: Joi.string().valid(...criterionKeys), input: nullable(Joi.number()),
  points: Joi.number().min(0).max(100), weight: Joi.number(),
  contribution: Joi.number().description('points x weight / 100, one decimal'),
  missing: Joi.string().optional().description('why the input is missing; the criterion then scores 0'),
}).id('TierBreakdownLine');

const changeSchema = answer({
  id: objectId(), from: nullable(tier()), to: tier(), score: nullable(Joi.number()), policyVersion: nullable(Joi.number().integer()),
  source: source(), reason: Joi.string(),
  by: answer({ id: nullable(objectId()).description('null for the classification job'), name: Joi.string() }),
  at: moment(), approvalId: nullable(objectId()),
}).id('TierChange');

const tierViewSchema = answer({
  customerId: objectId(), tier: nullable(tier()), tierSource: nullable(source()),
  score: nullable(Joi.number()).description('0-100, one decimal, under policyVersion'),
  computedTier: nullable(tier()).description('the tier the score gives; tier differs while an override holds or an approval waits'),
  policyVersion: nullable(Joi.number().integer()), scoredAt: nullable(moment()),
  updatedAt: nullable(moment()).description('when the tier last changed'),
  breakdown: Joi.array().items(breakdownLineSchema),
  override: nullable(answer({
    tier: tier(), reason: Joi.string(), byId: objectId(), byName: Joi.string(), at: moment(), expiresAt: nullable(moment()),
    active: Joi.boolean().description('false once expiresAt has passed; the next scoring then drops it'),
  })),
  pendingApproval: Joi.alternatives().try(approvalSchema, Joi.valid(null)),
  history: Joi.array().items(changeSchema).max(100).description('newest first'),
}).id('TierView');

const tierViewAnswer = { description: "The customer's tier", body: tierViewSchema };
const decided = { description: 'The decided approval', body: approvalSchema };
const customerNotFound = 'No such customer, or one of another team';
const approvalNotFound = 'No such tier approval';
const leadershipOnly = 'Only executives and admins see and decide tier approvals';
const notOwner = "A manager who is not the customer's owner (a member of its account team): only the owner, executives and admins set its override";
const approvalRule = 'Moves into or out of S or A wait for an executive or admin; B <-> C moves apply at once.';

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

/** Approves or rejects the pending request named by the path, then answers it as decided. */
const decide = (decision: 'approve' | 'reject') => async (req: Request, res: Response, { body }: { body: { comment?: string } }) => {
  const user = currentUser(req);
  const id = new Types.ObjectId(idParam(String(req.params.id), 'tier approval'));
  const done = await decideApproval(id, decision, { id: user.id, name: user.name }, body.comment ?? '').catch(conflict);
  if (!done) throw new HttpError(404, 'Not found', 'No tier approval with this id.');
  await sendApproval(res, id);
};

const leadership = ['executive', 'admin'] as const;

/** A customer's tier (/customers/:id/tier...) and the approvals queue (/tier-approvals...). */
export const tierOperations = [
  operation({
    method: 'get', path: '/api/v1/customers/:id/tier', tag: 'tiers', access: 'signed-in',
    summary: "A customer's tier, its score breakdown, override, pending approval and history",
    description: 'Reading never scores: customers are scored when they or their projects and contacts change, and nightly. '
      + 'A customer never scored yet answers the same shape with nulls.',
    responses: { 200: tierViewAnswer, 404: customerNotFound },
    handler: async (req, res) => {
      const id = new Types.ObjectId(idParam(String(req.params.id), 'customer'));
      res.json(await tierView(id, customerFor(currentUser(req), String(id), 'read').then((c) => c.toObject())));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/customers/:id/tier/override', tag: 'tiers', access: 'signed-in',
    summary: 'Set a tier override (the owner, executives, admins)',
    description: `${approvalRule} An owner's override into or out of S or A waits for approval (202); an executive's or admin's own `
      + 'override applies at once (200). A team member who is not the owner gets 403.',
    body: overrideSchema,
    responses: {
      200: tierViewAnswer,
      202: {
        description: 'The override waits for an executive or admin',
        headers: { Location: { description: 'the approval', schema: { type: 'string' } } },
        body: answer({ status: Joi.string().valid('pending'), approval: approvalSchema }),
      },
      403: notOwner, 404: customerNotFound, 409: 'The customer changed while the override was applied; try again',
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const customer = await overridableCustomer(user, String(req.params.id));
      const outcome = await requestOverride(customer._id, input, { id: user.id, name: user.name, role: user.role }).catch(conflict);
      if (outcome.status === 'applied') {
        res.json(await tierView(customer._id));
        return;
      }
      res.status(202).location(`/api/v1/tier-approvals/${String(outcome.approval._id)}`)
        .json({ status: 'pending', approval: approvalJson(outcome.approval) });
    },
  }),

  operation({
    method: 'delete', path: '/api/v1/customers/:id/tier/override', tag: 'tiers', access: 'signed-in',
    summary: 'Remove the tier override; the tier follows the score through the usual rules',
    description: approvalRule,
    responses: { 200: tierViewAnswer, 403: notOwner, 404: customerNotFound, 409: 'The customer has no override' },
    handler: async (req, res) => {
      const user = currentUser(req);
      const customer = await overridableCustomer(user, String(req.params.id));
      if (!customer.tierOverride) throw new HttpError(409, 'No override', 'The customer has no tier override to remove.');
      await clearOverride(customer._id, { id: user.id, name: user.name });
      res.json(await tierView(customer._id));
    },
  }),

  operation({
    method: 'get', path: '/api/v1/tier-approvals', tag: 'tiers', access: leadership,
    summary: 'Tier approvals (executives, admins): pending ones oldest first, decided ones newest first',
    query: listSchema,
    responses: { 200: { description: 'A page of approvals', body: page(approvalSchema) }, 403: leadershipOnly },
    handler: async (_req, res, { query: input }) => {
      const direction = input.status === 'pending' ? 1 : -1;
      const and: Row[] = [{ status: input.status }];
      if (input.customerId) and.push({ customerId: new Types.ObjectId(input.customerId) });
      const after = afterPosition(input.cursor, direction);
      if (Object.keys(after).length) and.push(after);
      const rows = await TierApprovalModel.find({ $and: and }).sort({ requestedAt: direction, _id: direction }).limit(input.limit + 1).lean();
      const found = toPage(rows, input.limit, (r) => ({ t: r.requestedAt.getTime(), id: String(r._id) }), (r) => r);
      res.json({ items: await withCustomers(found.items), nextCursor: found.nextCursor });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/tier-approvals/:id', tag: 'tiers', access: leadership,
    summary: 'Read a tier approval (executives, admins)',
    responses: { 200: { description: 'Approval', body: approvalSchema }, 403: leadershipOnly, 404: approvalNotFound },
    handler: async (req, res) => {
      await sendApproval(res, idParam(String(req.params.id), 'tier approval'));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/tier-approvals/:id/approve', tag: 'tiers', access: leadership,
    summary: 'Approve a pending request; the tier changes at once (executives, admins)',
    body: approveSchema, bodyOptional: true,
    responses: {
      200: decided, 403: leadershipOnly, 404: approvalNotFound,
      409: 'Already decided, or the customer’s tier changed since the request (it is then superseded)',
    },
    handler: decide('approve'),
  }),

  operation({
    method: 'post', path: '/api/v1/tier-approvals/:id/reject', tag: 'tiers', access: leadership,
    summary: 'Reject a pending request with a comment for the owner (executives, admins)',
    description: 'The same computed move is not asked again under the same policy version.',
    body: rejectSchema,
    responses: { 200: decided, 403: leadershipOnly, 404: approvalNotFound, 409: 'Already decided' },
    handler: decide('reject'),
  }),
];

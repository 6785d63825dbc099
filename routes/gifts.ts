import type { Response } from 'express';
import { Types } from 'mongoose';
import { CustomerModel, canRead, visibleTo } from '../models/customer.ts';
import { GiftModel, type GiftRecord } from '../models/gift.ts';
import { page } from '../schemas/common.ts';
import {
  approveSchema, giftAnswer, giftCreateSchema, giftListSchema, rejectSchema, reverseSchema, type GiftListQuery,
} from '../schemas/gift-input.ts';
import { currentUser, type AuthUser } from '../server/auth.ts';
import { HttpError, refusalError } from '../server/errors.ts';
import { operation } from '../server/operation.ts';
import { idsBefore, newestPage } from '../server/paging.ts';
import { idParam } from '../server/validate.ts';
import { canSeeGift, decideGift, giveGift, reverseGift, type GiftOutcome } from '../usecases/gift-ledger.ts';

/** Entries as answered: the customer's code and name, and on a gift the id of its reversal. */
async function giftsJson(rows: GiftRecord[]) {
  const customers = await CustomerModel.find({ _id: { $in: [...new Set(rows.map((r) => String(r.customerId)))] } }, { code: 1, name: 1 }).lean();
  const cards = new Map(customers.map((c) => [String(c._id), { id: String(c._id), code: c.code, name: c.name }]));
  const gifts = rows.filter((r) => r.kind === 'gift').map((r) => r._id);
  const reversals = gifts.length ? await GiftModel.find({ reversesId: { $in: gifts } }, { reversesId: 1 }).lean() : [];
  const reversedBy = new Map(reversals.map((r) => [String(r.reversesId), String(r._id)]));
  const id = (v: unknown) => (v ? String(v) : null);
  return rows.map((r) => ({
    id: String(r._id), kind: r.kind, customerId: String(r.customerId), customer: cards.get(String(r.customerId)) ?? null,
    contactId: id(r.contactId), caseId: id(r.caseId), item: r.item, cost: r.cost, currency: r.currency,
    reasonCategory: r.reasonCategory, reason: r.reason, month: r.month, status: r.status,
    giver: { id: String(r.giverId), name: r.giverName, team: r.giverTeam ?? '' }, by: { id: String(r.byId), name: r.byName },
    reversesId: id(r.reversesId), reversedById: reversedBy.get(String(r._id)) ?? null,
    decision: r.decidedAt ? { id: String(r.decidedById), name: r.decidedByName ?? '', at: r.decidedAt, comment: r.decisionComment ?? '' } : null,
    createdAt: r.createdAt,
  }));
}

async function sendGift(res: Response, gift: GiftRecord, status = 200) {
  const [body] = await giftsJson([gift]);
  res.status(status).json(body);
}

const noGift = () => new HttpError(404, 'Not found', 'No gift with this id.');

/** The entry if the user may see it (leadership, its giver, whoever may read its customer); otherwise 404 as for a missing one. */
async function giftFor(user: AuthUser, id: string | undefined): Promise<GiftRecord> {
  const gift = await GiftModel.findById(idParam(id, 'gift')).lean<GiftRecord>();
  if (!gift) throw noGift();
  const customer = user.role === 'manager' ? await CustomerModel.findById(gift.customerId, { ownerId: 1, accountTeam: 1 }).lean() : null;
  if (!canSeeGift(user, gift, customer)) throw noGift();
  return gift;
}

/** The entry a use case wrote, or its refusal thrown as the HTTP answer. */
function written(outcome: GiftOutcome): GiftRecord {
  if ('refused' in outcome) throw refusalError(outcome.refused);
  return outcome.gift;
}

type Filter = Record<string, unknown>;
const newest = (filter: Filter, limit: number) => GiftModel.find(filter).sort({ _id: -1 }).limit(limit).lean<GiftRecord[]>();

/**
 * Up to limit + 1 entries of the list, newest first. A manager sees the entries of the customers they may read and
 * their own gifts: two queries, each served by an index, merged (one query with `$or` across the two would read the
 * whole ledger on the embedded engine), unless the filters already name the giver or the customer.
 */
async function listGifts(user: AuthUser, q: GiftListQuery): Promise<GiftRecord[]> {
  const filter: Filter = { ...idsBefore(q.cursor) };
  if (q.customerId) filter.customerId = new Types.ObjectId(q.customerId);
  if (q.giverId) filter.giverId = new Types.ObjectId(q.giverId === 'me' ? user.id : q.giverId);
  for (const key of ['status', 'month', 'kind'] as const) if (q[key]) filter[key] = q[key];
  if (q.caseId) filter.caseId = new Types.ObjectId(q.caseId);
  const n = q.limit + 1;
  if (user.role !== 'manager' || q.giverId === 'me' || q.giverId === user.id) return newest(filter, n);
  const me = new Types.ObjectId(user.id);
  if (q.customerId) {
    const customer = await CustomerModel.findById(q.customerId, { ownerId: 1, accountTeam: 1 }).lean();
    return newest(customer && canRead(user, customer) ? filter : { ...filter, giverId: me }, n);
  }
  const readable = (await CustomerModel.find(visibleTo(user), { _id: 1 }).lean()).map((c) => c._id);
  if (q.giverId) return newest({ ...filter, customerId: { $in: readable } }, n);
  const [own, ofCustomers] = await Promise.all([newest({ ...filter, giverId: me }, n), newest({ ...filter, customerId: { $in: readable } }, n)]);
  const merged = new Map([...own, ...ofCustomers].map((g) => [String(g._id), g]));
  return [...merged.values()].sort((a, b) => (String(a._id) < String(b._id) ? 1 : -1)).slice(0, n);
}

const leadership = ['executive', 'admin'] as const;
const notFound = 'No such gift, or one you may not see (of a customer you may not read, given by someone else)';
const ledgerNote = 'The ledger is append-only: a gift is never edited or deleted; a correction is a reversal, a new entry with the '
  + 'negative cost, linked to the gift (`reversesId`), with its reason. Managers see the entries of the customers they may read '
  + 'and the gifts they gave; executives and admins see all.';
const allowanceNote = "A gift within what is left of the giver's monthly allowance in its currency (GET /api/v1/me/allowance) is "
  + '`applied` at once; one beyond it is `pending_approval` and notifies the executives and admins (`gift.approval`). Two gifts '
  + 'given at the same moment never both fit into an allowance that holds one.';

/** The gift ledger (/gifts): giving, reading, the decision on a gift beyond the allowance, and the reversal. */
export const giftOperations = [
  operation({
    method: 'post', path: '/api/v1/gifts', tag: 'gifts', access: 'signed-in',
    summary: 'Record a goodwill gift or compensation given to a customer',
    description: `${allowanceNote} Anyone who may read the customer records a gift for it; so does the owner or a helper of a `
      + 'case of that customer (`caseId`), who may not read the rest of its file.',
    body: giftCreateSchema,
    responses: {
      201: { description: 'Recorded: `status` is `applied` or `pending_approval`', body: giftAnswer, headers: { Location: { description: 'the entry', schema: { type: 'string' } } } },
      404: 'No such customer, or one you may not read and have no case of',
    },
    handler: async (req, res, { body, config }) => {
      const gift = written(await giveGift(currentUser(req), body, config.timezone));
      res.location(`/api/v1/gifts/${String(gift._id)}`);
      await sendGift(res, gift, 201);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/gifts', tag: 'gifts', access: 'signed-in',
    summary: 'The ledger: gifts and reversals you may see, newest first', description: ledgerNote,
    query: giftListSchema,
    responses: { 200: { description: 'A page of entries', body: page(giftAnswer) } },
    handler: async (req, res, { query }) => {
      const rows = await listGifts(currentUser(req), query);
      const { items, nextCursor } = newestPage(rows, query.limit, (r) => r);
      res.json({ items: await giftsJson(items), nextCursor });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/gifts/:id', tag: 'gifts', access: 'signed-in',
    summary: 'Read a gift or a reversal', description: ledgerNote,
    responses: { 200: { description: 'The entry', body: giftAnswer }, 404: notFound },
    handler: async (req, res) => {
      await sendGift(res, await giftFor(currentUser(req), String(req.params.id)));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/gifts/:id/approve', tag: 'gifts', access: leadership,
    summary: 'Approve a gift waiting for approval (executives, admins)',
    description: "An approved gift is approved spend of its month: it does not use the giver's allowance. The giver is notified (`gift.decided`).",
    body: approveSchema, bodyOptional: true,
    responses: {
      200: { description: 'Approved', body: giftAnswer }, 403: 'Executives and admins only, and never on their own gift', 404: notFound,
      409: 'The entry is not waiting for approval (already decided, also a moment ago by someone else, or a reversal)',
    },
    handler: async (req, res, { body }) => {
      const user = currentUser(req);
      await sendGift(res, written(await decideGift(user, await giftFor(user, String(req.params.id)), 'approved', body?.comment ?? '')));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/gifts/:id/reject', tag: 'gifts', access: leadership,
    summary: 'Reject a gift waiting for approval, with a comment for the giver (executives, admins)',
    description: 'A rejected gift is no spend. The giver is notified (`gift.decided`).',
    body: rejectSchema,
    responses: {
      200: { description: 'Rejected', body: giftAnswer }, 403: 'Executives and admins only, and never on their own gift', 404: notFound,
      409: 'The entry is not waiting for approval (already decided, also a moment ago by someone else, or a reversal)',
    },
    handler: async (req, res, { body }) => {
      const user = currentUser(req);
      await sendGift(res, written(await decideGift(user, await giftFor(user, String(req.params.id)), 'rejected', body.comment)));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/gifts/:id/reverse', tag: 'gifts', access: 'signed-in',
    summary: 'Reverse a gift by a new, negative entry (its giver, executives, admins)',
    description: "An applied gift's cost returns to the giver's allowance of the gift's month; an approved gift's leaves the "
      + 'approved spend. A gift waiting for approval is rejected instead; a gift is reversed at most once.',
    body: reverseSchema,
    responses: {
      201: { description: 'The reversal', body: giftAnswer, headers: { Location: { description: 'the reversal', schema: { type: 'string' } } } },
      403: 'Only the giver, an executive or an admin reverses a gift', 404: notFound,
      409: 'Already reversed (also a moment ago), waiting for approval, rejected, or itself a reversal',
    },
    handler: async (req, res, { body }) => {
      const user = currentUser(req);
      const reversal = written(await reverseGift(user, await giftFor(user, String(req.params.id)), body.reason));
      res.location(`/api/v1/gifts/${String(reversal._id)}`);
      await sendGift(res, reversal, 201);
    },
  }),
];

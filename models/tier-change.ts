import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { tierSources, tiers, type Tier, type TierSource } from './customer.ts';
import { bulkWriteInChunks, insertUnlessTaken, isDuplicateKeyError } from './db-compat.ts';

// The history of applied tier changes, and the approvals that moves into or out of S and A wait for.

const changeSchema = new Schema(
  {
    // `${customerId}:${revision}`: the customer's tierRevision after the change. Recording twice (a re-run, a repair
    // after a crash) hits this unique index instead of doubling the history.
    key: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    from: { type: String, enum: tiers, default: null },
    to: { type: String, enum: tiers, required: true },
    score: { type: Number, default: null },
    policyVersion: { type: Number, default: null },
    source: { type: String, enum: tierSources, required: true },
    reason: { type: String, required: true },
    byId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    byName: { type: String, required: true },
    at: { type: Date, required: true },
    approvalId: { type: Schema.Types.ObjectId, ref: 'TierApproval', default: null },
  },
  { versionKey: false },
);

changeSchema.index({ key: 1 }, { unique: true });
// A customer's tier history, newest first (GET /customers/:id/tier sorts by at, then _id).
changeSchema.index({ customerId: 1, at: -1, _id: -1 });
// The movements report: changes applied in a period.
changeSchema.index({ at: 1 });

export type TierChange = InferSchemaType<typeof changeSchema>;
export const TierChangeModel = model('TierChange', changeSchema, 'tier_changes');

export type ChangeRecord = {
  key: string; customerId: Types.ObjectId; from: Tier | null; to: Tier; score: number | null; policyVersion: number | null;
  source: TierSource; reason: string; byId: Types.ObjectId | null; byName: string; at: Date; approvalId: Types.ObjectId | null;
};

/**
 * Inserts change records; answers the keys that were already taken. A taken key means another writer (a concurrent
 * rescoring, an earlier run that crashed halfway) already made that change of that customer: the unique index, which
 * both engines enforce atomically, is what lets exactly one of them record it.
 */
export function insertChangeRecords(records: ChangeRecord[]): Promise<Set<string>> {
  return insertUnlessTaken(TierChangeModel, records);
}

/** The customer's tier revision a record's key names (`${customerId}:${revision}`). */
export const revisionOf = (key: string) => Number(key.slice(key.lastIndexOf(':') + 1));

export const approvalStatuses = ['pending', 'approved', 'rejected', 'superseded'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];

const approvalSchema = new Schema(
  {
    // The customer's id while pending, `${customerId}:${approvalId}` once decided: at most one pending request per
    // customer, enforced by the unique index rather than by reading first.
    key: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    from: { type: String, enum: tiers, default: null },
    to: { type: String, enum: tiers, required: true },
    source: { type: String, enum: tierSources, required: true },
    score: { type: Number, default: null },
    policyVersion: { type: Number, default: null },
    reason: { type: String, required: true },
    // A requested override, applied as the customer's tierOverride on approval.
    override: {
      type: new Schema({ tier: { type: String, enum: tiers }, reason: String, expiresAt: { type: Date, default: null } }, { _id: false }),
      default: null,
    },
    requestedById: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    requestedByName: { type: String, required: true },
    requestedAt: { type: Date, required: true },
    status: { type: String, enum: approvalStatuses, required: true, default: 'pending' },
    decidedById: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    decidedByName: { type: String, default: null },
    decidedAt: { type: Date, default: null },
    comment: { type: String, default: '' },
    // Set once an approved change is on the customer; an approval without it is applied by the next reclassification.
    appliedAt: { type: Date, default: null },
  },
  { versionKey: false },
);

approvalSchema.index({ key: 1 }, { unique: true });
// GET /tier-approvals?status=pending, oldest request first.
approvalSchema.index({ status: 1, requestedAt: 1, _id: 1 });
// A customer's approvals (its tier view; the check for an earlier rejection of the same move).
approvalSchema.index({ customerId: 1, requestedAt: -1 });

export type TierApproval = InferSchemaType<typeof approvalSchema>;
export const TierApprovalModel = model('TierApproval', approvalSchema, 'tier_approvals');

export type WaitingApproval = { _id: Types.ObjectId; customerId: Types.ObjectId; to: string; source: string; status?: string };

export type ApprovalRequest = {
  customerId: Types.ObjectId; from: Tier | null; to: Tier; source: TierSource; score: number | null; policyVersion: number | null;
  reason: string; override?: { tier: Tier; reason: string; expiresAt: Date | null } | null;
  by: { id: string | null; name: string }; at: Date;
};

/**
 * Closes pending approvals without a decision, because what they asked for no longer applies. Two steps, so that the
 * embedded engine (which scans the collection for any filter but a lone _id) reads the collection once for the whole
 * set: one guarded updateMany marks them superseded (one already decided is left alone), then each gives up the
 * customer's pending key by _id. A crash between the steps leaves a closed approval holding the key; the next request
 * for that customer frees it (requestApproval).
 */
export async function supersede(approvals: ReadonlyArray<{ _id: Types.ObjectId; customerId: Types.ObjectId }>, why: string, at = new Date()): Promise<void> {
  for (let i = 0; i < approvals.length; i += 500) {
    const chunk = approvals.slice(i, i + 500);
    await TierApprovalModel.updateMany(
      { _id: { $in: chunk.map((a) => a._id) }, status: 'pending' },
      { $set: { status: 'superseded', decidedAt: at, comment: why } },
    );
    await bulkWriteInChunks(TierApprovalModel, chunk.map((a) => ({ updateOne: { filter: { _id: a._id }, update: { $set: { key: closedKey(a) } } } })));
  }
}

/** The key of an approval once it is no longer pending: unique, and no longer the customer's pending slot. */
export const closedKey = (a: { _id: Types.ObjectId; customerId: Types.ObjectId }) => `${a.customerId}:${a._id}`;

/** What a customer's new request does with the one waiting: keep it (nothing to file), or replace it. */
export function replaces(waiting: WaitingApproval | null, request: Pick<ApprovalRequest, 'to' | 'source'>): 'keep' | 'replace' | 'none' {
  if (!waiting) return 'none';
  if (request.source === 'computed' && (waiting.source === 'override' || waiting.to === request.to)) return 'keep';
  return 'replace';
}

/**
 * The customer's pending approval for this move: the one already waiting if it asks the same, else a new one that
 * replaces what was waiting. A computed move never replaces a pending override request (a person asked for that).
 * `created` tells whether a new request was filed. `known` is the pending request when the caller has already read it
 * (a batch reads them all at once: the embedded engine scans the collection for every query not by _id).
 */
export async function requestApproval(request: ApprovalRequest, known?: WaitingApproval | null) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const waiting = attempt === 0 && known !== undefined ? known : await TierApprovalModel.findOne({ key: String(request.customerId) }).lean();
    if (waiting && 'status' in waiting && waiting.status !== 'pending') {
      // Closed, but still holding the pending key (a crash between supersede's two steps): free it and look again.
      await TierApprovalModel.updateOne({ _id: waiting._id }, { $set: { key: closedKey(waiting) } });
      continue;
    }
    const decision = replaces(waiting, request);
    if (decision === 'keep') return { approval: waiting!, created: false };
    if (decision === 'replace') await supersede([waiting!], `replaced by a request for ${request.to} (${request.source})`, request.at);
    try {
      const created = await TierApprovalModel.create(approvalDocument(request));
      return { approval: created.toObject(), created: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // another request landed first: look again
    }
  }
  throw new Error(`could not file a tier approval for customer ${request.customerId}`);
}

const approvalDocument = (request: ApprovalRequest) => ({
  key: String(request.customerId), customerId: request.customerId, from: request.from, to: request.to, source: request.source,
  score: request.score, policyVersion: request.policyVersion, reason: request.reason, override: request.override ?? null,
  requestedById: request.by.id, requestedByName: request.by.name, requestedAt: request.at,
});

/**
 * Files requests for customers that have none pending (customers just created) in batches; a customer whose pending
 * slot turns out to be taken goes through requestApproval. Answers how many requests were filed.
 */
export async function fileNewRequests(requests: ApprovalRequest[]): Promise<number> {
  const taken = await insertUnlessTaken(TierApprovalModel, requests.map(approvalDocument));
  let filed = requests.length - taken.size;
  for (const request of requests.filter((r) => taken.has(String(r.customerId)))) {
    if ((await requestApproval(request)).created) filed++;
  }
  return filed;
}

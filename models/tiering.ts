import { Types, type AnyBulkWriteOperation } from 'mongoose';
import { CustomerModel, type Tier, type TierSource } from './customer.ts';
import { IN_LIMIT, bulkWriteInChunks } from './db-compat.ts';
import {
  TierApprovalModel, TierChangeModel, insertChangeRecords, replaces, requestApproval, revisionOf, supersede, type ApprovalRequest,
  type ChangeRecord, type WaitingApproval,
} from './tier-change.ts';
import { inputsOf, tierInputsFor } from './tier-inputs.ts';
import { currentPolicy, type Policy } from './tier-policy.ts';
import { keepCadenceVisits } from './visit.ts';
import { needsApproval, scoreTier, type TierScore } from './tier-scoring.ts';

// How a customer's tier follows its score: B <-> C moves apply at once, moves into or out of S and A wait for an
// executive, overrides hold until they expire. Every route and job that (re)scores customers comes through here.

export type Actor = { id: string | null; name: string };
export const systemActor: Actor = { id: null, name: 'tier classification' };

type Override = { tier: Tier; reason: string; byId: Types.ObjectId | string; byName: string; at: Date; expiresAt?: Date | null };

/** The customer fields the tier rules read. */
export type TierState = {
  _id: Types.ObjectId;
  tier?: Tier | null;
  tierScore?: number | null;
  tierComputed?: Tier | null;
  tierBreakdown?: unknown[] | null;
  tierPolicyVersion?: number | null;
  tierOverride?: Override | null;
  tierSource?: TierSource | null;
  tierRevision?: number;
  revenue12m?: number | null;
  tierInputs?: { potential?: number | null; strategicValue?: number | null } | null;
};

export const tierStateFields = {
  tier: 1, tierScore: 1, tierComputed: 1, tierBreakdown: 1, tierPolicyVersion: 1, tierOverride: 1, tierSource: 1, tierRevision: 1, revenue12m: 1, tierInputs: 1,
} as const;

/** The override that holds at `now`, or null when there is none or it has expired. */
export const activeOverride = (state: Pick<TierState, 'tierOverride'>, now: Date) =>
  state.tierOverride && (!state.tierOverride.expiresAt || state.tierOverride.expiresAt > now) ? state.tierOverride : null;

export type Plan = {
  /** Score fields to store (only those that differ), plus `tierOverride: null` when an override expired. */
  set: Record<string, unknown>;
  change?: { to: Tier; source: TierSource; reason: string };
  request?: { to: Tier; source: TierSource; reason: string };
  /** A pending computed request that no longer applies. */
  supersedePending?: boolean;
};

/** What to do with a customer after scoring it: pure, so the rules are tested without a database. */
export function planTier(state: TierState, scored: TierScore, policyVersion: number, now: Date, trigger = ''): Plan {
  const set: Record<string, unknown> = {};
  const stored = { tierScore: state.tierScore ?? null, tierComputed: state.tierComputed ?? null, tierPolicyVersion: state.tierPolicyVersion ?? null, tierBreakdown: state.tierBreakdown ?? null };
  const fresh = { tierScore: scored.score, tierComputed: scored.tier, tierPolicyVersion: policyVersion, tierBreakdown: scored.breakdown };
  if (JSON.stringify(stored) !== JSON.stringify(fresh)) Object.assign(set, fresh, { tierScoredAt: now });

  const override = activeOverride(state, now);
  const expired = Boolean(state.tierOverride && !override);
  if (expired) set.tierOverride = null;
  const to = override ? override.tier : scored.tier;
  const source: TierSource = override ? 'override' : 'computed';
  const from = state.tier ?? null;
  const because = [trigger, expired ? 'the override expired' : '', override ? `override: ${override.reason}` : `score ${scored.score} under policy v${policyVersion}`]
    .filter(Boolean).join('; ');

  if (to === from) {
    // Same tier, but an override that ended (or began) changes why the customer has it.
    if (from !== null && state.tierSource !== source) set.tierSource = source;
    return { set, supersedePending: true };
  }
  if (!needsApproval(from, to)) return { set, change: { to, source, reason: because }, supersedePending: true };
  if (from === null) {
    // A first classification into S or A starts at B, the highest tier that needs nobody's approval.
    return { set, change: { to: 'B', source, reason: `initial classification; ${to} awaits approval (${because})` }, request: { to, source, reason: because } };
  }
  return { set, request: { to, source, reason: because } };
}

type ApplyContext = {
  source: TierSource; reason: string; score: number | null; policyVersion: number | null; by: Actor; at: Date;
  approvalId?: Types.ObjectId | null; override?: Override | null;
};

function changeFor(state: TierState, to: Tier, ctx: ApplyContext) {
  const revision = (state.tierRevision ?? 0) + 1;
  const record: ChangeRecord = {
    key: `${state._id}:${revision}`, customerId: state._id, from: state.tier ?? null, to, score: ctx.score, policyVersion: ctx.policyVersion,
    source: ctx.source, reason: ctx.reason, byId: ctx.by.id ? new Types.ObjectId(ctx.by.id) : null, byName: ctx.by.name, at: ctx.at,
    approvalId: ctx.approvalId ?? null,
  };
  return { record, set: { ...customerSetFor(record), ...(ctx.override !== undefined ? { tierOverride: ctx.override } : {}) } };
}

/** The customer's tier fields once a recorded change is on it. */
const customerSetFor = (record: ChangeRecord): Record<string, unknown> => ({
  tier: record.to, tierSource: record.source, tierUpdatedAt: record.at, tierRevision: revisionOf(record.key), tierLastChange: record,
});

/**
 * The filter that writes a recorded change onto its customer: only while the customer is behind it, so a writer
 * slower than a later change (its record went in first, its customer write comes last) never puts an older tier back.
 */
const behind = (record: ChangeRecord) => ({ _id: record.customerId, tierRevision: { $lt: revisionOf(record.key) } });

/**
 * Brings customers up to the recorded changes whose keys were taken: a change recorded by someone else, or by a run
 * that stopped before it updated the customer. The record is the truth; a customer already past it is left alone.
 */
async function catchUp(keys: Iterable<string>): Promise<void> {
  const records = await TierChangeModel.find({ key: { $in: [...keys] } }).lean();
  for (const record of records as ChangeRecord[]) {
    await CustomerModel.updateOne(behind(record), { $set: customerSetFor(record) }, { timestamps: false });
  }
}

/**
 * Moves one customer to `to` and records it. The record goes first: its unique key (customer and next revision) is
 * the guard, so of two writers who read the same revision exactly one changes the tier. Answers false when the key was
 * taken (the customer is brought up to that change; read again and decide again).
 */
export async function applyTier(state: TierState, to: Tier, ctx: ApplyContext, extraSet: Record<string, unknown> = {}): Promise<boolean> {
  const { record, set } = changeFor(state, to, ctx);
  const taken = await insertChangeRecords([record]);
  if (taken.size) {
    await catchUp(taken);
    return false;
  }
  await CustomerModel.updateOne(behind(record), { $set: { ...extraSet, ...set } }, { timestamps: false });
  await keepCadenceVisits([state._id]);
  return true;
}

export type NewCustomer = { _id: Types.ObjectId; revenue12m?: number | null; tierInputs?: TierState['tierInputs'] };

/**
 * The tiers of customers about to be created, under the same rules as reclassify: a batch of new customers (an
 * import) is stored classified in the write that creates it rather than written twice more, as nobody can change a
 * customer before it exists. A new customer has no contacts or projects yet. Answers, per customer id, the tier fields
 * to create it with, and the change records and approval requests to file once it exists.
 */
export function classifyNew(customers: NewCustomer[], policy: Policy, now: Date, trigger: string) {
  const fields = new Map<string, Record<string, unknown>>();
  const records: ChangeRecord[] = [];
  const requests: ApprovalRequest[] = [];
  for (const customer of customers) {
    const state: TierState = { _id: customer._id, revenue12m: customer.revenue12m ?? 0, tierInputs: customer.tierInputs ?? null };
    const scored = scoreTier(policy, inputsOf(state, undefined, undefined, now));
    const plan = planTier(state, scored, policy.version, now, trigger);
    // Every first classification is a change (into B at most; S and A then wait for approval).
    const { record, set } = changeFor(state, plan.change!.to, {
      source: plan.change!.source, reason: plan.change!.reason, score: scored.score, policyVersion: policy.version, by: systemActor, at: now,
    });
    fields.set(String(customer._id), { ...plan.set, ...set });
    records.push(record);
    if (plan.request) {
      requests.push({
        customerId: customer._id, from: record.to, to: plan.request.to, source: plan.request.source, score: scored.score,
        policyVersion: policy.version, reason: plan.request.reason, by: systemActor, at: now,
      });
    }
  }
  return { fields, records, requests };
}

export type ReclassifyResult = { scanned: number; rescored: number; changed: number; requested: number; policyVersion: number };

/**
 * Scores customers under the current policy and settles their tiers: every non-archived customer, or those named.
 * Writes go out in chunked bulkWrites; only customers whose score or tier moved are written, so a re-run writes nothing.
 */
export async function reclassify(opts: { customerIds?: Array<Types.ObjectId | string>; now?: Date; trigger?: string; policy?: Policy } = {}): Promise<ReclassifyResult> {
  const now = opts.now ?? new Date();
  const policy = opts.policy ?? (await currentPolicy());
  const filter = opts.customerIds ? { _id: { $in: opts.customerIds.map((id) => new Types.ObjectId(String(id))) }, archived: false } : { archived: false };
  const customers = (await CustomerModel.find(filter, tierStateFields).lean()) as unknown as TierState[];
  const inputs = await tierInputsFor(customers, now);
  const result: ReclassifyResult = { scanned: customers.length, rescored: 0, changed: 0, requested: 0, policyVersion: policy.version };

  const writes: Array<{ id: Types.ObjectId; set: Record<string, unknown>; change?: { record: ChangeRecord; set: Record<string, unknown> } }> = [];
  const requests: ApprovalRequest[] = [];
  const settled: Types.ObjectId[] = [];
  for (const state of customers) {
    const scored = scoreTier(policy, inputs.get(String(state._id))!);
    const plan = planTier(state, scored, policy.version, now, opts.trigger);
    if (Object.keys(plan.set).length) result.rescored++;
    if (plan.change) {
      const change = changeFor(state, plan.change.to, {
        source: plan.change.source, reason: plan.change.reason, score: scored.score, policyVersion: policy.version, by: systemActor, at: now,
      });
      writes.push({ id: state._id, set: plan.set, change });
    } else if (Object.keys(plan.set).length) {
      writes.push({ id: state._id, set: plan.set });
    }
    if (plan.request) {
      requests.push({
        customerId: state._id, from: plan.change?.to ?? state.tier ?? null, to: plan.request.to, source: plan.request.source, score: scored.score,
        policyVersion: policy.version, reason: plan.request.reason, by: systemActor, at: now,
      });
    } else if (plan.supersedePending) {
      settled.push(state._id);
    }
  }

  result.changed = await landWrites(writes);
  // A new tier may bring the next cadence visit forward.
  const moved = writes.filter((w) => w.change).map((w) => w.id);
  if (moved.length) await keepCadenceVisits(moved.length <= IN_LIMIT ? moved : undefined);
  // Approvals in three passes, each one read or write of the collection for the whole batch: what to keep, replace and
  // settle; the closing of what no longer applies; then the new requests.
  const book = requests.length || settled.length ? await approvalBook(requests.length + settled.length <= 20 ? [...requests.map((r) => r.customerId), ...settled] : undefined) : undefined;
  const closing: WaitingApproval[] = [];
  const filing: ApprovalRequest[] = [];
  for (const request of requests) {
    const id = String(request.customerId);
    const waiting = book!.pending.get(id) ?? null;
    if (rejectedBefore(request, book!.lastDecided.get(id))) continue;
    const decision = replaces(waiting, request);
    if (decision === 'keep') continue;
    if (decision === 'replace') closing.push(waiting!);
    filing.push(request);
  }
  for (const id of settled) {
    const waiting = book!.pending.get(String(id));
    if (waiting?.source === 'computed') closing.push(waiting);
  }
  await supersede(closing, 'the score no longer asks for this move', now);
  for (const request of filing) {
    if ((await requestApproval(request, null)).created) result.requested++;
  }
  return result;
}

/**
 * Records the tier changes first (a taken key means someone else made that change: the customer is brought up to it
 * and keeps only its new score), then writes the customers by _id (a change also by the revision it follows) in
 * chunked bulkWrites; the embedded engine looks both filters up by the _id index. Answers how many tier changes were
 * applied.
 */
async function landWrites(writes: Array<{ id: Types.ObjectId; set: Record<string, unknown>; change?: { record: ChangeRecord; set: Record<string, unknown> } }>): Promise<number> {
  const records = writes.flatMap((w) => (w.change ? [w.change.record] : []));
  const taken = await insertChangeRecords(records);
  const operations: AnyBulkWriteOperation[] = writes
    .map((w) => {
      const change = w.change && !taken.has(w.change.record.key) ? w.change : undefined;
      return { set: { ...w.set, ...change?.set }, filter: change ? behind(change.record) : { _id: w.id } };
    })
    .filter((w) => Object.keys(w.set).length)
    .map((w) => ({ updateOne: { filter: w.filter, update: { $set: w.set }, timestamps: false } }));
  await bulkWriteInChunks(CustomerModel, operations);
  if (taken.size) await catchUp(taken);
  return records.length - taken.size;
}

type Decided = { status: string; from?: string | null; to: string; policyVersion?: number | null; requestedAt: Date };

/**
 * The pending request and the last decision of each customer, in one read: the embedded engine scans the collection
 * for any query not by _id, so one query per request made a batch quadratic in the number of approvals.
 */
async function approvalBook(customerIds: Types.ObjectId[] | undefined) {
  const filter = customerIds ? { customerId: { $in: customerIds } } : { status: { $ne: 'superseded' as const } };
  const rows = await TierApprovalModel.find(filter, { customerId: 1, status: 1, from: 1, to: 1, source: 1, policyVersion: 1, requestedAt: 1 }).lean();
  const pending = new Map<string, WaitingApproval>();
  const lastDecided = new Map<string, Decided>();
  for (const row of rows) {
    const id = String(row.customerId);
    if (row.status === 'pending') pending.set(id, row);
    else if ((row.status === 'approved' || row.status === 'rejected') && !(row.requestedAt < (lastDecided.get(id)?.requestedAt ?? new Date(0)))) lastDecided.set(id, row);
  }
  return { pending, lastDecided };
}

/** A computed move that an executive already rejected is not asked again while the score still points the same way under the same policy. */
function rejectedBefore(request: ApprovalRequest, last: Decided | undefined): boolean {
  return request.source === 'computed' && last?.status === 'rejected'
    && last.from === request.from && last.to === request.to && last.policyVersion === request.policyVersion;
}


/** Customers rescored after one of their inputs changed (a project, a contact, tierInputs); answers the result. */
export function rescore(customerId: Types.ObjectId | string, trigger: string): Promise<ReclassifyResult> {
  return reclassify({ customerIds: [customerId], trigger });
}

/**
 * Finishes changes recorded in the last week whose customer was never updated (a crash between the record and the
 * customer write): the customer is brought up to the record. Answers how many customers it had to bring up.
 */
export async function catchUpTiers(now = new Date()): Promise<number> {
  const since = new Date(now.getTime() - 7 * 24 * 60 * 60 * 1000);
  const latest = new Map<string, string>();
  for (const r of await TierChangeModel.find({ at: { $gte: since } }, { key: 1, customerId: 1 }).lean()) {
    const id = String(r.customerId);
    if (revisionOf(r.key) > revisionOf(latest.get(id) ?? ':0')) latest.set(id, r.key);
  }
  if (!latest.size) return 0;
  // One read of every customer's revision beats an $in over thousands of ids on the embedded engine.
  const revisions = new Map((await CustomerModel.find({}, { tierRevision: 1 }).lean()).map((c) => [String(c._id), c.tierRevision ?? 0]));
  const lagging = [...latest].filter(([id, key]) => revisions.has(id) && revisions.get(id)! < revisionOf(key)).map(([, key]) => key);
  if (lagging.length) await catchUp(lagging);
  return lagging.length;
}

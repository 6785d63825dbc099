import { Types, type AnyBulkWriteOperation } from 'mongoose';
import { CustomerModel, type Tier, type TierSource } from './customer.ts';
import {
  TierApprovalModel, TierChangeModel, recordTierChanges, requestApproval, supersede, type ApprovalRequest, type ChangeRecord,
} from './tier-change.ts';
import { tierInputsFor } from './tier-inputs.ts';
import { currentPolicy, type Policy } from './tier-policy.ts';
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
  tierRevision?: number;
  revenue12m?: number | null;
  tierInputs?: { potential?: number | null; strategicValue?: number | null } | null;
};

export const tierStateFields = {
  tier: 1, tierScore: 1, tierComputed: 1, tierBreakdown: 1, tierPolicyVersion: 1, tierOverride: 1, tierRevision: 1, revenue12m: 1, tierInputs: 1,
} as const;

const activeOverride = (state: TierState, now: Date) =>
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

  if (to === from) return { set, supersedePending: true };
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
  const set: Record<string, unknown> = { tier: to, tierSource: ctx.source, tierUpdatedAt: ctx.at, tierRevision: revision, tierLastChange: record };
  if (ctx.override !== undefined) set.tierOverride = ctx.override;
  return { record, set, filter: { _id: state._id, tierRevision: state.tierRevision ?? 0 } };
}

/**
 * Moves one customer to `to` and records it, unless another change landed since `state` was read (answers false;
 * read again and decide again).
 */
export async function applyTier(state: TierState, to: Tier, ctx: ApplyContext, extraSet: Record<string, unknown> = {}): Promise<boolean> {
  const { record, set, filter } = changeFor(state, to, ctx);
  const result = await CustomerModel.updateOne(filter, { $set: { ...extraSet, ...set } }, { timestamps: false });
  if (!result.modifiedCount) return false;
  await recordTierChanges([record]);
  return true;
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

  const writes: Array<{ op: AnyBulkWriteOperation; record?: ChangeRecord }> = [];
  const requests: ApprovalRequest[] = [];
  const settled: Types.ObjectId[] = [];
  for (const state of customers) {
    const scored = scoreTier(policy, inputs.get(String(state._id))!);
    const plan = planTier(state, scored, policy.version, now, opts.trigger);
    if (Object.keys(plan.set).length) result.rescored++;
    if (plan.change) {
      const { record, set, filter: guard } = changeFor(state, plan.change.to, {
        source: plan.change.source, reason: plan.change.reason, score: scored.score, policyVersion: policy.version, by: systemActor, at: now,
      });
      writes.push({ op: { updateOne: { filter: guard, update: { $set: { ...plan.set, ...set } }, timestamps: false } }, record });
    } else if (Object.keys(plan.set).length) {
      writes.push({ op: { updateOne: { filter: { _id: state._id }, update: { $set: plan.set }, timestamps: false } } });
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

  result.changed = await writeInChunks(writes);
  for (const request of requests) {
    if (await rejectedBefore(request)) continue;
    if ((await requestApproval(request)).created) result.requested++;
  }
  await supersedeComputedRequests(settled, now);
  return result;
}

// FerretDB 1.24 never answers a bulkWrite of 100 or more updates (models/engine.ts), so chunks of 50.
const CHUNK = 50;

/** Runs the writes; records the tier changes whose guarded write landed; answers how many changes were applied. */
async function writeInChunks(writes: Array<{ op: AnyBulkWriteOperation; record?: ChangeRecord }>): Promise<number> {
  let applied = 0;
  for (let i = 0; i < writes.length; i += CHUNK) {
    const chunk = writes.slice(i, i + CHUNK);
    const { modifiedCount } = await CustomerModel.bulkWrite(chunk.map((w) => w.op), { ordered: false, timestamps: false });
    let records = chunk.flatMap((w) => (w.record ? [w.record] : []));
    if (modifiedCount < chunk.length && records.length) {
      // Some write found the customer changed meanwhile (or already as wanted): keep the changes that did land.
      const landed = await CustomerModel.find({ _id: { $in: records.map((r) => r.customerId) } }, { tierLastChange: 1 }).lean();
      const keys = new Set(landed.map((c) => (c.tierLastChange as { key?: string } | null)?.key));
      records = records.filter((r) => keys.has(r.key));
    }
    await recordTierChanges(records);
    applied += records.length;
  }
  return applied;
}

/** A computed move that an executive already rejected is not asked again while the score still points the same way under the same policy. */
async function rejectedBefore(request: ApprovalRequest): Promise<boolean> {
  if (request.source !== 'computed') return false;
  const last = await TierApprovalModel.findOne({ customerId: request.customerId, status: { $in: ['approved', 'rejected'] } }, { status: 1, from: 1, to: 1, policyVersion: 1 })
    .sort({ requestedAt: -1 }).lean();
  return Boolean(last && last.status === 'rejected' && last.from === request.from && last.to === request.to && last.policyVersion === request.policyVersion);
}

async function supersedeComputedRequests(customerIds: Types.ObjectId[], now: Date): Promise<void> {
  if (!customerIds.length) return;
  const ids = new Set(customerIds.map(String));
  // Pending requests are few; reading them all beats an $in over every customer of the book.
  const pending = await TierApprovalModel.find({ status: 'pending', source: 'computed' }, { customerId: 1 }).lean();
  for (const approval of pending) {
    if (ids.has(String(approval.customerId))) await supersede(approval, 'the score no longer asks for this move', now);
  }
}

/** Customers rescored after one of their inputs changed (a project, a contact, tierInputs); answers the result. */
export function rescore(customerId: Types.ObjectId | string, trigger: string): Promise<ReclassifyResult> {
  return reclassify({ customerIds: [customerId], trigger });
}

/**
 * Re-creates change records lost to a crash between a customer's tier write and its record: each customer keeps its
 * last change beside the tier (written in the same update), and a record with the same key is inserted if missing.
 * Looks at customers whose tier changed in the last week; answers how many records it had to write.
 */
export async function repairTierHistory(now = new Date()): Promise<number> {
  const since = new Date(now.getTime() - 7 * 24 * 60 * 60 * 1000);
  const recent = await CustomerModel.find({ tierUpdatedAt: { $gte: since } }, { tierLastChange: 1 }).lean();
  const records = recent.map((c) => c.tierLastChange as ChangeRecord | null).filter((r): r is ChangeRecord => Boolean(r?.key));
  if (!records.length) return 0;
  const present = new Set((await TierChangeModel.find({ at: { $gte: since } }, { key: 1 }).lean()).map((r) => r.key));
  const missing = records.filter((r) => !present.has(r.key));
  await recordTierChanges(missing);
  return missing.length;
}

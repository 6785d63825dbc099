import { Types } from 'mongoose';
import type { Role } from './user.ts';
import { CustomerModel, type Tier } from './customer.ts';
import { TierApprovalModel, closedKey, requestApproval, supersede, type TierApproval } from './tier-change.ts';
import { needsApproval } from './tier-scoring.ts';
import { applyTier, reclassify, tierStateFields, type Actor, type TierState } from './tiering.ts';

// People's decisions about tiers: overrides requested by an owner or set by leadership, and approvals decided.

export class TierConflict extends Error {}

type Person = Actor & { id: string; role: Role };
export type OverrideInput = { tier: Tier; reason: string; expiresAt?: Date | null };
export type OverrideOutcome = { status: 'applied' } | { status: 'pending'; approval: TierApproval & { _id: Types.ObjectId } };

const loadState = async (id: Types.ObjectId) => (await CustomerModel.findById(id, tierStateFields).lean()) as unknown as TierState | null;

/** Re-reads and retries when another tier change lands between the read and the write. */
async function withFreshState<T>(id: Types.ObjectId, attempt: (state: TierState) => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 5; i++) {
    const state = await loadState(id);
    if (!state) throw new TierConflict('the customer no longer exists');
    const done = await attempt(state);
    if (done !== undefined) return done;
  }
  throw new TierConflict('the customer tier kept changing; try again');
}

/**
 * An override asked by `by`. Executives and admins decide it themselves; an owner's override into or out of S or A
 * waits for their approval, and any other applies at once. Either way it replaces the request that was waiting.
 */
export async function requestOverride(customerId: Types.ObjectId, input: OverrideInput, by: Person, now = new Date()): Promise<OverrideOutcome> {
  const override = { tier: input.tier, reason: input.reason, byId: new Types.ObjectId(by.id), byName: by.name, at: now, expiresAt: input.expiresAt ?? null };
  const decidesItself = by.role === 'executive' || by.role === 'admin';
  const state = await loadState(customerId);
  if (!state) throw new TierConflict('the customer no longer exists');
  if (!decidesItself && needsApproval(state.tier ?? null, input.tier)) {
    const { approval } = await requestApproval({
      customerId, from: state.tier ?? null, to: input.tier, source: 'override', score: state.tierScore ?? null,
      policyVersion: state.tierPolicyVersion ?? null, reason: input.reason, override: { tier: input.tier, reason: input.reason, expiresAt: input.expiresAt ?? null },
      by, at: now,
    });
    return { status: 'pending', approval: approval as TierApproval & { _id: Types.ObjectId } };
  }
  await withFreshState(customerId, async (fresh) => {
    if (fresh.tier === input.tier) {
      // Same tier: the override pins it against later scores; no tier change to record.
      await CustomerModel.updateOne({ _id: customerId }, { $set: { tierOverride: override, tierSource: 'override' } }, { timestamps: false });
      return true;
    }
    const applied = await applyTier(fresh, input.tier, {
      source: 'override', reason: input.reason, score: fresh.tierScore ?? null, policyVersion: fresh.tierPolicyVersion ?? null, by, at: now, override,
    });
    return applied ? true : undefined;
  });
  const waiting = await TierApprovalModel.findOne({ key: String(customerId) }).lean();
  if (waiting) await supersede([waiting], `${by.name} set an override to ${input.tier}`, now);
  return { status: 'applied' };
}

/** Removes the override; the tier then follows the score through the usual rules (which may ask for approval). */
export async function clearOverride(customerId: Types.ObjectId, by: Actor): Promise<void> {
  await CustomerModel.updateOne({ _id: customerId }, { $set: { tierOverride: null } }, { timestamps: false });
  await reclassify({ customerIds: [customerId], trigger: `override removed by ${by.name}` });
}

/**
 * Approves or rejects a pending request. An approved computed move whose starting tier has changed meanwhile no longer
 * describes the customer: it is superseded and answers a TierConflict.
 */
export async function decideApproval(approvalId: Types.ObjectId, decision: 'approve' | 'reject', by: Actor, comment: string, now = new Date()) {
  const approval = await TierApprovalModel.findById(approvalId).lean();
  if (!approval) return null;
  if (approval.status !== 'pending') throw new TierConflict(`the request is already ${approval.status}`);
  const state = await loadState(approval.customerId);
  if (decision === 'approve' && approval.source === 'computed' && (state?.tier ?? null) !== approval.from) {
    await supersede([approval], `the customer's tier changed to ${state?.tier ?? 'none'} before the decision`, now);
    throw new TierConflict(`the customer's tier changed from ${approval.from} to ${state?.tier ?? 'none'} since the request; it is superseded`);
  }
  const closed = await TierApprovalModel.findOneAndUpdate(
    { _id: approval._id, status: 'pending' },
    { $set: { status: decision === 'approve' ? 'approved' : 'rejected', key: closedKey(approval), decidedById: by.id, decidedByName: by.name, decidedAt: now, comment } },
    { returnDocument: 'after' },
  ).lean();
  if (!closed) throw new TierConflict('the request was decided by someone else a moment ago');
  if (decision === 'approve') await applyApproved(closed, now);
  return TierApprovalModel.findById(approval._id).lean();
}

/** Puts an approved move on the customer and marks it applied; safe to repeat (the nightly job finishes any left halfway). */
export async function applyApproved(approval: TierApproval & { _id: Types.ObjectId }, now = new Date()): Promise<void> {
  if (approval.appliedAt) return;
  const by = { id: approval.decidedById ? String(approval.decidedById) : null, name: approval.decidedByName ?? 'approver' };
  const reason = [approval.reason, `approved by ${by.name}`, approval.comment].filter(Boolean).join('; ');
  const override = approval.source === 'override' && approval.override
    ? { tier: approval.override.tier as Tier, reason: approval.override.reason ?? approval.reason, byId: approval.requestedById!, byName: approval.requestedByName, at: approval.requestedAt, expiresAt: approval.override.expiresAt ?? null }
    : undefined;
  await withFreshState(approval.customerId, async (state) => {
    const last = (await CustomerModel.findById(state._id, { tierLastChange: 1 }).lean())?.tierLastChange as { approvalId?: unknown } | null;
    if (String(last?.approvalId) === String(approval._id) || state.tier === approval.to) {
      if (override) await CustomerModel.updateOne({ _id: state._id }, { $set: { tierOverride: override, tierSource: 'override' } }, { timestamps: false });
      return true;
    }
    const applied = await applyTier(state, approval.to as Tier, {
      source: approval.source, reason, score: approval.score ?? null, policyVersion: approval.policyVersion ?? null, by, at: now, approvalId: approval._id,
      ...(override ? { override } : {}),
    });
    return applied ? true : undefined;
  });
  await TierApprovalModel.updateOne({ _id: approval._id }, { $set: { appliedAt: now } });
}

/** Approvals decided but not yet on their customer (a crash between the two writes); answers how many it finished. */
export async function applyLeftoverApprovals(now = new Date()): Promise<number> {
  const leftovers = await TierApprovalModel.find({ status: 'approved', appliedAt: null }).lean();
  for (const approval of leftovers) await applyApproved(approval, now);
  return leftovers.length;
}

import { CustomerModel } from './customer.ts';
import { notify } from './notification.ts';
import { TierApprovalModel } from './tier-change.ts';
import { UserModel } from './user.ts';

// Tier changes waiting for a decision reach those who decide them (executives and admins) in their feed, once each.

const DAY = 86_400_000;
/** Requests older than this when first seen (a new decider, a long pause) are left to the approvals queue. */
const LOOK_BACK_DAYS = 30;

/** Notifies every active executive and admin, once per request, of the pending tier approvals; answers how many are new. */
export async function notifyWaitingApprovals(now = new Date()): Promise<number> {
  const waiting = await TierApprovalModel.find({ status: 'pending', requestedAt: { $gte: new Date(now.getTime() - LOOK_BACK_DAYS * DAY) } }).lean();
  if (!waiting.length) return 0;
  const deciders = await UserModel.find({ role: { $in: ['executive', 'admin'] }, active: true }, { _id: 1 }).lean();
  const customers = await CustomerModel.find({ _id: { $in: waiting.map((a) => a.customerId) } }, { name: 1 }).lean();
  const names = new Map(customers.map((c) => [String(c._id), c.name]));
  return notify(waiting.flatMap((a) => deciders.map((u) => ({
    userId: u._id, kind: 'tier.approval' as const, key: `tier.approval:${String(a._id)}:${String(u._id)}`,
    title: `Tier change waiting for approval: ${names.get(String(a.customerId)) ?? 'a customer'} ${a.from ?? 'none'} -> ${a.to}`,
    body: `${a.reason} (asked by ${a.requestedByName})`,
    data: { approvalId: String(a._id), customerId: String(a.customerId), from: a.from ?? null, to: a.to, reason: a.reason },
  }))), now);
}

import type { Types } from 'mongoose';
import { CaseModel, activeCaseStatuses } from './case.ts';
import { CustomerModel } from './customer.ts';
import { executiveIds, notify, type NotificationInput } from './notification.ts';
import { currentServicePolicy, warnAt } from './service-policy.ts';
import { localTimeIn } from './time-zone.ts';
import { UserModel } from './user.ts';

// The service targets watched: the owner is warned while a target can still be met, and a missed one is escalated to
// the case's owner, the customer's owner and the executives. Each warning and escalation happens once per case and
// target: the notices first, under unique keys, then the case marked (conditional on the mark being unset) with the
// step in its history. A crash between the two leaves the case unmarked; the next run finds the notices' keys taken
// and marks it. Two runs at once notify once (the keys) and mark once (the condition).

type Target = 'respond' | 'resolve';
const targets: Target[] = ['respond', 'resolve'];

type Watched = {
  _id: Types.ObjectId; customerId: Types.ObjectId; ownerId: Types.ObjectId; subject: string; severity: string; createdAt: Date;
  respondBy: Date; resolveBy: Date; respondedAt: Date | null;
  warnedRespondAt: Date | null; warnedResolveAt: Date | null; escalatedRespondAt: Date | null; escalatedResolveAt: Date | null;
};

const fieldsOf = (target: Target) => target === 'respond'
  ? { due: 'respondBy', warned: 'warnedRespondAt', escalated: 'escalatedRespondAt', met: 'respondMet' } as const
  : { due: 'resolveBy', warned: 'warnedResolveAt', escalated: 'escalatedResolveAt', met: 'resolveMet' } as const;

const goal = (target: Target) => (target === 'respond' ? 'answer the customer' : 'resolve it');

/** Marks a warning or an escalation on the case, once: the step in its history, a missed target as not met. */
async function mark(kase: Watched, target: Target, kind: 'warned' | 'escalated', now: Date, note: string): Promise<boolean> {
  const f = fieldsOf(target);
  const flag = kind === 'warned' ? f.warned : f.escalated;
  const set: Record<string, unknown> = { [flag]: now, ...(kind === 'escalated' ? { [f.met]: false } : {}) };
  const entry = { at: now, by: { id: null, name: 'system' }, step: kind, note, userId: null };
  const { modifiedCount } = await CaseModel.updateOne({ _id: kase._id, [flag]: null }, { $set: set, $push: { history: entry }, $inc: { __v: 1 } });
  return modifiedCount > 0;
}

/**
 * Warns and escalates what is due at `now` (the organisation's clock names the times in the notices). Answers the
 * notices new in this run and the warnings and escalations marked.
 */
export async function watchCaseTargets(opts: { now: Date; timezone: string }): Promise<{ sent: number; warned: number; escalated: number }> {
  const { now, timezone } = opts;
  const policy = await currentServicePolicy();
  // A case escalated for its resolution has nothing left to watch: its respond target falls due first.
  const cases = await CaseModel.find({ status: { $in: activeCaseStatuses }, escalatedResolveAt: null }, {
    customerId: 1, ownerId: 1, subject: 1, severity: 1, createdAt: 1, respondBy: 1, resolveBy: 1, respondedAt: 1,
    warnedRespondAt: 1, warnedResolveAt: 1, escalatedRespondAt: 1, escalatedResolveAt: 1,
  }).lean<Watched[]>();
  const due: Array<{ kase: Watched; target: Target; kind: 'warned' | 'escalated' }> = [];
  for (const kase of cases) {
    for (const target of targets) {
      const f = fieldsOf(target);
      if (target === 'respond' && kase.respondedAt) continue;
      if (now.getTime() >= kase[f.due].getTime()) {
        if (!kase[f.escalated]) due.push({ kase, target, kind: 'escalated' });
      } else if (policy.warnPercent > 0 && !kase[f.warned] && now.getTime() >= warnAt(kase.createdAt, kase[f.due], policy.warnPercent).getTime()) {
        due.push({ kase, target, kind: 'warned' });
      }
    }
  }
  if (!due.length) return { sent: 0, warned: 0, escalated: 0 };
  const customers = new Map((await CustomerModel.find({ _id: { $in: [...new Set(due.map((d) => String(d.kase.customerId)))] } }, { name: 1, ownerId: 1 }).lean())
    .map((c) => [String(c._id), c]));
  const owners = new Map((await UserModel.find({ _id: { $in: [...new Set(due.map((d) => String(d.kase.ownerId)))] } }, { name: 1 }).lean())
    .map((u) => [String(u._id), u.name]));
  const executives = due.some((d) => d.kind === 'escalated') ? await executiveIds() : [];
  const notices: NotificationInput[] = [];
  for (const { kase, target, kind } of due) {
    const customer = customers.get(String(kase.customerId));
    const name = customer?.name ?? 'a customer';
    const dueAt = kase[fieldsOf(target).due];
    const dueLocal = localTimeIn(timezone, dueAt);
    const data = {
      caseId: String(kase._id), customerId: String(kase.customerId), subject: kase.subject, severity: kase.severity, target,
      due: dueAt.toISOString(), dueLocal, ownerId: String(kase.ownerId),
    };
    if (kind === 'warned') {
      notices.push({
        userId: kase.ownerId, kind: 'case.warning', key: `case.warning:${target}:${String(kase._id)}`, data,
        title: `Case for ${name}: ${goal(target)} by ${dueLocal}`, body: `${kase.subject} (${kase.severity})`,
      });
      continue;
    }
    for (const userId of new Set([String(kase.ownerId), ...(customer ? [String(customer.ownerId)] : []), ...executives.map(String)])) {
      notices.push({
        userId, kind: 'case.escalated', key: `case.escalated:${target}:${String(kase._id)}:${userId}`, data,
        title: `Case for ${name} missed its ${target} target`,
        body: `${kase.subject} (${kase.severity}): due ${dueLocal}, owned by ${owners.get(String(kase.ownerId)) ?? 'someone no longer here'}.`,
      });
    }
  }
  const sent = await notify(notices, now);
  let warned = 0;
  let escalated = 0;
  for (const { kase, target, kind } of due) {
    const marked = await mark(kase, target, kind, now, `${target} target ${kind === 'warned' ? 'nearly due' : 'missed'}: due ${localTimeIn(timezone, kase[fieldsOf(target).due])}`);
    if (marked && kind === 'warned') warned++;
    if (marked && kind === 'escalated') escalated++;
  }
  return { sent, warned, escalated };
}

import type { Types } from 'mongoose';
import { CaseModel, type CaseRecord } from '../models/case.ts';
import { recordChangeOnce } from '../models/change.ts';
import { CustomerModel } from '../models/customer.ts';
import { notify, type NotificationInput, type NotificationKind } from '../models/notification.ts';
import { refreshSatisfaction } from '../models/satisfaction.ts';

// What a case's steps set off: the customer's timeline (opened, handed over, resolved, reopened, closed), the notices
// to the people concerned, and the customer's satisfaction summary once a CSAT is given. A step's write marks its
// effects due (`effectsSince`); the route then runs them and clears the mark. A crash in between leaves the mark, and
// the worker (jobs/cases-escalate.ts) runs the effects of every step not counted in `effectsDone` again. Each effect
// happens once: notices by their key (kind, case, step number, person), timeline entries by an id made of the case and
// step number.

type Entry = CaseRecord['history'][number];
type CaseCustomer = { _id: Types.ObjectId; ownerId: Types.ObjectId; accountTeam?: Types.ObjectId[] | null; name: string };

const ids = (...lists: Array<Array<Types.ObjectId | string | null | undefined>>) => [...new Set(lists.flat().filter(Boolean).map(String))];
const short = (s: string) => (s.length > 200 ? `${s.slice(0, 199)}…` : s);

/** The notices of one step: who hears of it, and what they read. */
function noticesOf(kase: CaseRecord, customer: CaseCustomer, entry: Entry, index: number): NotificationInput[] {
  const by = entry.by?.name ?? 'system';
  const followers = ids([customer.ownerId], customer.accountTeam ?? []);
  const data = { caseId: String(kase._id), customerId: String(kase.customerId), subject: kase.subject, by };
  const about = `${customer.name}: ${kase.subject}`;
  const to = (kind: NotificationKind, userIds: string[], title: string, body = '', extra: Record<string, unknown> = {}) =>
    userIds.filter((id) => id !== String(entry.by?.id ?? '')).map((userId) => ({
      userId, kind, key: `${kind}:${String(kase._id)}:${index}:${userId}`, title, body, data: { ...data, ...extra },
    }));
  const other = ids([entry.userId]);
  switch (entry.step) {
    case 'opened':
      return to('case.opened', followers, `New case for ${about}`, `${by} took it (${kase.severity}, by ${kase.channel}) and owns it until it is closed.`);
    case 'helper_added':
      return to('case.helper', other, `${by} asks your help with a case of ${about}`);
    case 'handover_offered':
      return to('case.handover', other, `${by} offers you a case of ${about}`,
        `Accept or decline it; until you accept, ${by} stays accountable.${entry.note ? ` Note: ${entry.note}` : ''}`, { note: entry.note });
    case 'handover_accepted':
      return to('case.handover', other, `${by} took over the case ${about}`, '', { answer: 'accepted' });
    case 'handover_declined':
      return to('case.handover', other, `${by} declined the case ${about}`, `You still own it.${entry.note ? ` Note: ${entry.note}` : ''}`,
        { answer: 'declined', note: entry.note });
    case 'commented':
      return to('case.comment', ids([kase.ownerId], kase.helperIds), `${by} commented on the case ${about}`, entry.note, { note: entry.note });
    case 'resolved':
      return to('case.resolved', ids(followers, [kase.openedById], kase.helperIds), `Case resolved for ${about}`, `Solution: ${short(kase.solution)}`,
        { note: short(kase.solution) });
    case 'reopened':
      return to('case.reopened', ids([kase.ownerId], kase.helperIds), `Case reopened for ${about}`, `Reason: ${entry.note}`, { note: entry.note });
    case 'closed':
    case 'auto_closed':
      return to('case.closed', ids(followers, [kase.ownerId, kase.openedById]), `Case closed for ${about}`,
        entry.step === 'auto_closed' ? 'The customer did not answer after it was resolved, so it closed by itself.' : entry.note,
        { automatic: entry.step === 'auto_closed' });
    default:
      return []; // started; warnings and escalations are sent by the job itself, before it records them
  }
}

const timelineActions = {
  opened: 'created', handover_accepted: 'handed_over', resolved: 'resolved', reopened: 'reopened', closed: 'closed', auto_closed: 'closed',
} as const;

/** The timeline entry of one step, if the step is one the customer's history keeps. */
async function tellTimeline(kase: CaseRecord, entry: Entry, index: number): Promise<void> {
  const action = timelineActions[entry.step as keyof typeof timelineActions];
  if (!action) return;
  const fields = entry.step === 'handover_accepted' ? [{ field: 'ownerId', old: String(entry.userId), new: String(entry.by?.id) }] : [];
  await recordChangeOnce({
    customerId: kase.customerId, entity: 'case', entityId: kase._id, entityName: kase.subject, action,
    actor: { id: entry.by?.id ? String(entry.by.id) : null, name: entry.by?.name ?? 'system' }, fields,
  }, entry.at, `case:${String(kase._id)}:${index}`);
}

/** Runs the effects of every step of the case not done yet, then counts them done and clears the mark. */
export async function applyCaseEffects(kase: CaseRecord): Promise<void> {
  const steps = kase.history.length;
  const customer = await CustomerModel.findById(kase.customerId, { ownerId: 1, accountTeam: 1, name: 1 }).lean<CaseCustomer>();
  if (customer) {
    for (let i = kase.effectsDone ?? 0; i < steps; i++) {
      const entry = kase.history[i]!;
      await tellTimeline(kase, entry, i);
      await notify(noticesOf(kase, customer, entry, i)); // dated now: the webhook pass reads what was created since its last run
      if (entry.step === 'closed') await refreshSatisfaction(kase.customerId);
    }
  }
  // bookkeeping, not an edit: no new version (a client's If-Match stays valid) and no updatedAt
  await CaseModel.updateOne({ _id: kase._id, effectsDone: { $lt: steps } }, { $set: { effectsDone: steps } }, { timestamps: false });
  // a step that landed meanwhile keeps the mark until its own effects are done
  await CaseModel.updateOne({ _id: kase._id, __v: kase.__v }, { $set: { effectsSince: null } }, { timestamps: false });
}

/**
 * The worker's part: runs the effects a crash left undone for every case marked before `before`; answers how many.
 * Each case is claimed first by moving its mark to now (conditional on the mark read), so of two workers one runs it.
 */
export async function finishCaseEffects(before: Date, now = new Date()): Promise<number> {
  let done = 0;
  for (;;) {
    const marked = await CaseModel.find({ effectsSince: { $lt: before } }, { _id: 1, effectsSince: 1 }).sort({ effectsSince: 1 }).limit(100).lean();
    for (const { _id, effectsSince } of marked) {
      const claimed = await CaseModel.findOneAndUpdate({ _id, effectsSince }, { $set: { effectsSince: now } }, { returnDocument: 'after', timestamps: false })
        .lean<CaseRecord>();
      if (!claimed) continue;
      await applyCaseEffects(claimed);
      done++;
    }
    if (marked.length < 100) return done;
  }
}

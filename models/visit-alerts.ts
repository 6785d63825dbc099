import type { Types } from 'mongoose';
import { CustomerModel, type Tier } from './customer.ts';
import { bulkWriteInChunks, inOrAll, insertUnlessTaken } from './db-compat.ts';
import { executiveIds, notify, type NotificationInput } from './notification.ts';
import { currentPolicy } from './tier-policy.ts';
import { dayIn } from './time-zone.ts';
import { VisitModel, closedKey, openCadenceKey, keepCadenceVisits } from './visit.ts';

// Reminders before a visit is due and escalations after, each effect once per natural key (models/notification.ts).

const DAY = 24 * 60 * 60 * 1000;

export { dayIn };

/** Whole calendar days from `now` to `due` on the organisation's clock (negative once overdue). */
export function daysUntil(timezone: string, now: Date, due: Date): number {
  return Math.round((Date.parse(dayIn(timezone, due)) - Date.parse(dayIn(timezone, now))) / DAY);
}

/**
 * The next cadence visit after a missed one: a cadence after the missed due date, and never in the past (a customer
 * left unvisited is due again at once, not already overdue). Created through the unique open-cadence key, once.
 */
async function planAfterMissed(missed: OpenVisit[], now: Date): Promise<void> {
  if (!missed.length) return;
  const { cadenceDays } = await currentPolicy();
  const customers = await CustomerModel.find({ _id: { $in: missed.map((v) => v.customerId) }, archived: false }, { tier: 1, ownerId: 1 }).lean();
  const byId = new Map(customers.map((c) => [String(c._id), c]));
  const next = missed.flatMap((v) => {
    const customer = byId.get(String(v.customerId));
    if (!customer) return [];
    const due = new Date(Math.max(v.dueAt.getTime() + cadenceDays[(customer.tier ?? 'C') as Tier] * DAY, now.getTime()));
    return [{
      key: openCadenceKey(v.customerId), cadenceKey: openCadenceKey(v.customerId), customerId: v.customerId, ownerId: customer.ownerId,
      kind: 'cadence', status: 'scheduled', dueAt: due, scheduledFor: due,
    }];
  });
  await insertUnlessTaken(VisitModel, next);
  await keepCadenceVisits(missed.map((v) => v.customerId)); // keeps satisfaction.nextVisitDue in step
}

type OpenVisit = { _id: Types.ObjectId; customerId: Types.ObjectId; ownerId: Types.ObjectId; kind: string; dueAt: Date };

async function openVisitsDueBy(limit: Date): Promise<OpenVisit[]> {
  return VisitModel.find({ status: 'scheduled', dueAt: { $lte: limit } }, { customerId: 1, ownerId: 1, kind: 1, dueAt: 1 }).lean();
}

async function customerNames(visits: OpenVisit[]): Promise<Map<string, string>> {
  if (!visits.length) return new Map();
  const rows = await CustomerModel.find(inOrAll('_id', visits.map((v) => v.customerId)), { name: 1 }).lean();
  return new Map(rows.map((c) => [String(c._id), c.name]));
}

/**
 * Reminds each visit's owner `leadDays` (e.g. [7, 1]) calendar days before it is due, on the organisation's clock.
 * A visit planned inside a window gets only the nearest reminder (a visit due in two days is not reminded "in a
 * week"). Answers how many reminders are new; a re-run, a crash or a second worker finds them taken.
 */
export async function remindDueVisits(opts: { now: Date; timezone: string; leadDays: number[] }): Promise<{ due: number; sent: number }> {
  const lead = [...opts.leadDays].sort((a, b) => a - b);
  const visits = await openVisitsDueBy(new Date(opts.now.getTime() + (lead.at(-1)! + 1) * DAY));
  const names = await customerNames(visits);
  const items: NotificationInput[] = [];
  for (const visit of visits) {
    const days = daysUntil(opts.timezone, opts.now, visit.dueAt);
    const reached = lead.find((n) => days <= n);
    if (reached === undefined || days < 0) continue;
    const name = names.get(String(visit.customerId)) ?? 'a customer';
    items.push({
      userId: visit.ownerId, kind: 'visit.reminder', key: `visit.reminder:${reached}d:${visit._id}:${visit.ownerId}`,
      title: `Visit to ${name} due ${days === 0 ? 'today' : days === 1 ? 'tomorrow' : `in ${days} days`}`,
      body: `Due ${dayIn(opts.timezone, visit.dueAt)}. Plan it, or reschedule it with a reason.`,
      data: { visitId: String(visit._id), customerId: String(visit.customerId), dueAt: visit.dueAt.toISOString(), leadDays: reached },
    });
  }
  return { due: items.length, sent: await notify(items, opts.now) };
}

/**
 * Overdue visits: past `escalateAfterDays` the owner and the executives are told; past `missAfterDays` the visit is
 * marked missed (they are told again) and, for a cadence visit, the next one is planned.
 */
export async function escalateOverdueVisits(opts: { now: Date; timezone: string; escalateAfterDays: number; missAfterDays: number }) {
  const visits = await openVisitsDueBy(new Date(opts.now.getTime() - opts.escalateAfterDays * DAY));
  const names = await customerNames(visits);
  const executives = await executiveIds();
  const items: NotificationInput[] = [];
  const missed: OpenVisit[] = [];
  for (const visit of visits) {
    const late = -daysUntil(opts.timezone, opts.now, visit.dueAt);
    if (late < opts.escalateAfterDays) continue;
    const kind = late >= opts.missAfterDays ? 'visit.missed' : 'visit.overdue';
    if (kind === 'visit.missed') missed.push(visit);
    const name = names.get(String(visit.customerId)) ?? 'a customer';
    for (const userId of [visit.ownerId, ...executives]) {
      items.push({
        userId, kind, key: `${kind}:${visit._id}:${userId}`,
        title: kind === 'visit.missed' ? `Visit to ${name} missed` : `Visit to ${name} is ${late} days overdue`,
        body: kind === 'visit.missed' ? `It was due ${dayIn(opts.timezone, visit.dueAt)}; the next one is planned.` : `It was due ${dayIn(opts.timezone, visit.dueAt)}.`,
        data: { visitId: String(visit._id), customerId: String(visit.customerId), ownerId: String(visit.ownerId), daysOverdue: late },
      });
    }
  }
  // Told first, then marked missed: a crash in between leaves the visit open, and the next run marks it (the notices
  // are already taken by key). The other order could leave a missed visit nobody was told of.
  const sent = await notify(items, opts.now);
  await bulkWriteInChunks(VisitModel, missed.map((v) => ({
    updateOne: { filter: { _id: v._id }, update: { $set: { status: 'missed', cadenceKey: closedKey(v), reason: `not done within ${opts.missAfterDays} days of its due date` } } },
  })));
  await planAfterMissed(missed.filter((v) => v.kind === 'cadence'), opts.now);
  return { overdue: visits.length, sent, missed: missed.length };
}

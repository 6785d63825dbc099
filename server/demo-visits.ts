import { Types } from 'mongoose';
import { actionsFromFeedback } from '../models/action.ts';
import { CustomerModel } from '../models/customer.ts';
import { refreshSatisfaction } from '../models/satisfaction.ts';
import { VisitModel, closedKey, keepCadenceVisits } from '../models/visit.ts';

// Satisfaction history for the demo book: completed visits with scores and feedback (some turned into open actions),
// one missed and one cancelled, and a few open visits overdue or due this week, so reminders and escalations have
// something to act on. Deterministic, like the rest of the demo book.

const DAY = 86_400_000;
const feedbacks = [
  { category: 'delivery', text: 'Spare parts for the remote sites take too long.', severity: 'high' },
  { category: 'support', text: 'The hotline should answer in Mandarin as well.', severity: 'medium' },
  { category: 'billing', text: 'Invoices should quote the framework agreement number.', severity: 'low' },
  { category: 'product', text: 'The dashboard export is missing the site codes.', severity: 'medium' },
] as const;

/** Loads the demo visits when there are no completed visits yet; answers how many visits it wrote. */
export async function loadDemoVisits(now = Date.now()): Promise<number> {
  if (await VisitModel.exists({ status: { $ne: 'scheduled' } })) return 0;
  const customers = await CustomerModel.find({ archived: false, tier: { $in: ['S', 'A', 'B'] } }, { ownerId: 1, tier: 1, code: 1 }).sort({ code: 1 }).lean();
  const visited = customers.filter((_, i) => i % 2 === 0).slice(0, 80);
  let written = 0;
  for (const [i, customer] of visited.entries()) {
    const history = customer.tier === 'B' ? 2 : 4;
    for (let n = history; n >= 1; n--) {
      const at = new Date(now - ((n - 1) * 75 + 5 + (i % 25)) * DAY);
      // Most customers are content; every seventh is slipping, every eleventh is a detractor on the last visit.
      const satisfaction = n === 1 && i % 11 === 0 ? 2 : i % 7 === 0 ? 5 - Math.min(3, history - n) : 4 + ((i + n) % 2);
      const recommend = n === 1 && i % 11 === 0 ? 4 : Math.min(10, satisfaction * 2);
      const feedback = n === 1 && i % 3 === 0 ? [feedbacks[i % feedbacks.length]!, feedbacks[(i + 1) % feedbacks.length]!] : [];
      const _id = new Types.ObjectId();
      const visit = {
        _id, customerId: customer._id, ownerId: customer.ownerId, kind: 'cadence' as const, status: 'completed' as const, dueAt: at, scheduledFor: at,
        completedAt: at, satisfaction, recommend, summary: 'Quarterly review with the operations team.', feedback: [...feedback],
        channel: n % 2 ? 'onsite' as const : 'video' as const, cadenceKey: closedKey({ _id, customerId: customer._id, kind: 'cadence' }),
      };
      await VisitModel.create(visit);
      if (feedback.length) await actionsFromFeedback(visit as never);
      written++;
    }
    await refreshSatisfaction(customer._id);
  }
  // The open cadence visits follow the new history; then a few are made overdue or due soon, one missed, one cancelled.
  await keepCadenceVisits(visited.map((c) => c._id));
  const open = await VisitModel.find({ status: 'scheduled', kind: 'cadence' }).sort({ _id: 1 }).limit(12).lean();
  const offsets = [-20, -9, -5, -4, -2, 1, 1, 3, 6, 6];
  for (const [i, visit] of open.slice(0, offsets.length).entries()) {
    const due = new Date(now + offsets[i]! * DAY);
    await VisitModel.updateOne({ _id: visit._id }, { $set: { dueAt: due, scheduledFor: due } });
  }
  for (const [visit, status, reason] of [[open[10], 'missed', 'not done within 14 days of its due date'], [open[11], 'cancelled', 'customer asked to postpone to next quarter']] as const) {
    if (!visit) continue;
    await VisitModel.updateOne({ _id: visit._id }, { $set: { status, reason, cadenceKey: closedKey(visit) } });
  }
  await keepCadenceVisits(open.slice(10).map((v) => v.customerId));
  return written;
}

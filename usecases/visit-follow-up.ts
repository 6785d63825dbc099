import type { Types } from 'mongoose';
import { actionsFromFeedback, type Feedback } from '../models/action.ts';
import { CustomerModel } from '../models/customer.ts';
import { executiveIds, notify } from '../models/notification.ts';
import { needsAlert, refreshSatisfaction } from '../models/satisfaction.ts';
import { VisitModel, keepCadenceVisits } from '../models/visit.ts';
import { failpoint } from './failpoint.ts';

// What completing a visit sets off: an improvement action per feedback item, the customer's satisfaction summary,
// its next cadence visit, and an alert to the owner and the executives when the customer is unhappy. The write that
// completes the visit also stamps it `followUpSince`; the route then runs these steps and clears the stamp. A crash
// in between leaves the stamp, and the worker (jobs/visits-follow-up.ts) runs the steps again for every visit stamped
// longer ago than VISIT_FOLLOW_UP_AFTER_SECONDS. Each step is idempotent by a natural key (an action per visit and
// feedback item, one open cadence visit per customer, an alert per visit and recipient; the summary is recomputed),
// so running them twice, or the route and the worker at once, does each thing once.

export type CompletedVisit = {
  _id: Types.ObjectId; customerId: Types.ObjectId; ownerId: Types.ObjectId; feedback: Feedback[];
  satisfaction?: number | null; recommend?: number | null;
};

/** Runs every step for a completed visit, then clears its stamp. `customer` saves a read when the caller has it. */
export async function followUpVisit(visit: CompletedVisit, customer?: { ownerId: Types.ObjectId; name: string }): Promise<void> {
  await actionsFromFeedback(visit);
  failpoint('visit-follow-up:actions');
  await refreshSatisfaction(visit.customerId);
  failpoint('visit-follow-up:satisfaction');
  await keepCadenceVisits([visit.customerId]);
  failpoint('visit-follow-up:next-visit');
  await alertIfUnhappy(visit, customer ?? await CustomerModel.findById(visit.customerId, { ownerId: 1, name: 1 }).lean());
  // bookkeeping, not an edit: no new version (a client's If-Match stays valid) and no updatedAt
  await VisitModel.updateOne({ _id: visit._id }, { $set: { followUpSince: null } }, { timestamps: false });
}

/** The worker's part: finishes the follow-up of every visit stamped before `before`; answers how many. */
export async function finishFollowUps(before: Date): Promise<number> {
  let done = 0;
  for (;;) {
    const visits = await VisitModel.find({ followUpSince: { $lt: before } }).sort({ followUpSince: 1 }).limit(100).lean();
    for (const visit of visits) await followUpVisit(visit);
    done += visits.length;
    if (visits.length < 100) return done;
  }
}

/** A score of 1-2 or a detractor alerts the customer's owner, the visit's owner and the executives, once each. */
async function alertIfUnhappy(visit: CompletedVisit, customer: { ownerId: Types.ObjectId; name: string } | null): Promise<void> {
  const { satisfaction, recommend } = visit;
  if (!customer || satisfaction == null || recommend == null || !needsAlert({ satisfaction, recommend })) return;
  const ids = new Set([String(customer.ownerId), String(visit.ownerId), ...(await executiveIds()).map(String)]);
  await notify([...ids].map((userId) => ({
    userId, kind: 'satisfaction.alert' as const, key: `satisfaction.alert:${String(visit._id)}:${userId}`,
    title: `Unhappy customer: ${customer.name}`,
    body: `Satisfaction ${satisfaction}/5, likelihood to recommend ${recommend}/10.`,
    data: { customerId: String(visit.customerId), visitId: String(visit._id), satisfaction, recommend },
  })));
}

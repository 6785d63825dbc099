import { Types } from 'mongoose';
import { CustomerModel } from './customer.ts';
import { VisitModel } from './visit.ts';

// The customer's satisfaction summary, derived from its completed visits.

export type NpsCategory = 'promoter' | 'passive' | 'detractor';
export type Trend = 'up' | 'flat' | 'down';
export type SatisfactionSummary = {
  lastScore: number | null; average: number | null; lastRecommend: number | null; npsCategory: NpsCategory | null;
  trend: Trend | null; lastVisitAt: Date | null;
};
export type CompletedVisit = { completedAt: Date; satisfaction: number; recommend: number };

/** NPS buckets of a 0-10 likelihood to recommend: 9-10 promoter, 7-8 passive, 0-6 detractor. */
export function npsCategory(recommend: number): NpsCategory {
  return recommend >= 9 ? 'promoter' : recommend >= 7 ? 'passive' : 'detractor';
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The summary of these completed visits (any order): the last visit's scores, the mean score of the last four, and
 * the trend of the last score against the mean of up to three before it (null with nothing to compare).
 */
export function satisfactionSummary(visits: CompletedVisit[]): SatisfactionSummary {
  const ordered = [...visits].sort((a, b) => b.completedAt.getTime() - a.completedAt.getTime());
  const last = ordered[0];
  if (!last) return { lastScore: null, average: null, lastRecommend: null, npsCategory: null, trend: null, lastVisitAt: null };
  const recent = ordered.slice(0, 4);
  const previous = ordered.slice(1, 4);
  const mean = (xs: CompletedVisit[]) => xs.reduce((sum, v) => sum + v.satisfaction, 0) / xs.length;
  let trend: Trend | null = null;
  if (previous.length) {
    const before = mean(previous);
    trend = last.satisfaction > before ? 'up' : last.satisfaction < before ? 'down' : 'flat';
  }
  return {
    lastScore: last.satisfaction, average: round2(mean(recent)), lastRecommend: last.recommend, npsCategory: npsCategory(last.recommend),
    trend, lastVisitAt: last.completedAt,
  };
}

/** A score of 1-2 or a detractor alerts the owner and the executives. */
export const needsAlert = (visit: { satisfaction: number; recommend: number }) => visit.satisfaction <= 2 || npsCategory(visit.recommend) === 'detractor';

/**
 * Recomputes and stores the customer's summary from its completed visits; `nextVisitDue` is kept by keepCadenceVisits
 * (models/visit.ts). Derived data: no __v bump (a client's If-Match stays valid) and no updatedAt (nobody edited the file).
 */
export async function refreshSatisfaction(customerId: Types.ObjectId | string): Promise<SatisfactionSummary> {
  const id = new Types.ObjectId(String(customerId));
  const rows = await VisitModel.find({ customerId: id, status: 'completed' }, { completedAt: 1, satisfaction: 1, recommend: 1 }).lean();
  const visits = rows.filter((v) => v.completedAt && v.satisfaction !== null && v.recommend !== null) as CompletedVisit[];
  const summary = satisfactionSummary(visits);
  const set = Object.fromEntries(Object.entries(summary).map(([k, v]) => [`satisfaction.${k}`, v]));
  await CustomerModel.updateOne({ _id: id }, { $set: set }, { timestamps: false });
  return summary;
}

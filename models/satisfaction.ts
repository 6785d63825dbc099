import { Types } from 'mongoose';
import { CaseModel } from './case.ts';
import { CustomerModel } from './customer.ts';
import { VisitModel } from './visit.ts';

// The customer's satisfaction summary, derived from its completed visits and the CSAT (1-5, the same scale as a
// visit's score) the customer gave when it confirmed a service case closed.

export type NpsCategory = 'promoter' | 'passive' | 'detractor';
export type Trend = 'up' | 'flat' | 'down';
export type SatisfactionSummary = {
  lastScore: number | null; average: number | null; lastRecommend: number | null; npsCategory: NpsCategory | null;
  trend: Trend | null; lastVisitAt: Date | null;
};
export type CompletedVisit = { completedAt: Date; satisfaction: number; recommend: number };
/** A closed case's CSAT: a score without a likelihood to recommend. */
export type CaseScore = { closedAt: Date; csat: number };

/** NPS buckets of a 0-10 likelihood to recommend: 9-10 promoter, 7-8 passive, 0-6 detractor. */
export function npsCategory(recommend: number): NpsCategory {
  return recommend >= 9 ? 'promoter' : recommend >= 7 ? 'passive' : 'detractor';
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The summary of these completed visits and closed cases' CSATs (any order): the last score, the mean of the last four
 * and the trend of the last against the mean of up to three before it (null with nothing to compare), over visits and
 * cases alike; the likelihood to recommend and the last visit from the visits alone.
 */
export function satisfactionSummary(visits: CompletedVisit[], cases: CaseScore[] = []): SatisfactionSummary {
  const scores = [
    ...visits.map((v) => ({ at: v.completedAt, score: v.satisfaction })),
    ...cases.map((c) => ({ at: c.closedAt, score: c.csat })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime());
  const lastVisit = [...visits].sort((a, b) => b.completedAt.getTime() - a.completedAt.getTime())[0];
  const last = scores[0];
  if (!last) return { lastScore: null, average: null, lastRecommend: null, npsCategory: null, trend: null, lastVisitAt: null };
  const recent = scores.slice(0, 4);
  const previous = scores.slice(1, 4);
  const mean = (xs: typeof scores) => xs.reduce((sum, s) => sum + s.score, 0) / xs.length;
  let trend: Trend | null = null;
  if (previous.length) {
    const before = mean(previous);
    trend = last.score > before ? 'up' : last.score < before ? 'down' : 'flat';
  }
  return {
    lastScore: last.score, average: round2(mean(recent)), lastRecommend: lastVisit?.recommend ?? null,
    npsCategory: lastVisit ? npsCategory(lastVisit.recommend) : null, trend, lastVisitAt: lastVisit?.completedAt ?? null,
  };
}

/** A score of 1-2 or a detractor alerts the owner and the executives. */
export const needsAlert = (visit: { satisfaction: number; recommend: number }) => visit.satisfaction <= 2 || npsCategory(visit.recommend) === 'detractor';

/**
 * Recomputes and stores the customer's summary from its completed visits and closed cases; `nextVisitDue` is kept by
 * keepCadenceVisits (models/visit.ts). Derived data: no __v bump (a client's If-Match stays valid) and no updatedAt
 * (nobody edited the file).
 */
export async function refreshSatisfaction(customerId: Types.ObjectId | string): Promise<SatisfactionSummary> {
  const id = new Types.ObjectId(String(customerId));
  const [rows, closed] = await Promise.all([
    VisitModel.find({ customerId: id, status: 'completed' }, { completedAt: 1, satisfaction: 1, recommend: 1 }).lean(),
    CaseModel.find({ customerId: id, status: 'closed' }, { closedAt: 1, closure: 1 }).lean(),
  ]);
  const visits = rows.filter((v) => v.completedAt && v.satisfaction !== null && v.recommend !== null) as CompletedVisit[];
  const cases = closed.flatMap((c) => (c.closedAt && typeof c.closure?.csat === 'number' ? [{ closedAt: c.closedAt, csat: c.closure.csat }] : []));
  const summary = satisfactionSummary(visits, cases);
  const set = Object.fromEntries(Object.entries(summary).map(([k, v]) => [`satisfaction.${k}`, v]));
  await CustomerModel.updateOne({ _id: id }, { $set: set }, { timestamps: false });
  return summary;
}

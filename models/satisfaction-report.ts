import type { Types } from 'mongoose';
import { reportTiers, type ReportTier } from './tier-report.ts';
import { monthLabel, type Period, type ScopedCustomer } from './report-scope.ts';
import { npsCategory } from './satisfaction.ts';
import { VisitModel } from './visit.ts';

// Satisfaction per tier and month from the completed visits (scores 1-5, likelihood to recommend 0-10, the NPS buckets
// of models/satisfaction.ts), the change against the previous period, and the customers whose mean score fell most.
// A visit counts in the tier its customer has now: the report answers "how do our S accounts feel", not history.

export type Scored = { customerId: Types.ObjectId | string; completedAt: Date; satisfaction: number; recommend: number };
export type SatisfactionNumbers = {
  visits: number; meanSatisfaction: number | null; promoters: number; passives: number; detractors: number; nps: number | null;
};

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

/** Visits, mean score (2 decimals), NPS buckets and NPS = (promoters - detractors) / visits * 100 (1 decimal). */
export function satisfactionNumbers(visits: Array<Pick<Scored, 'satisfaction' | 'recommend'>>): SatisfactionNumbers {
  const count = (c: string) => visits.filter((v) => npsCategory(v.recommend) === c).length;
  const [promoters, passives, detractors] = [count('promoter'), count('passive'), count('detractor')];
  const n = visits.length;
  return {
    visits: n, meanSatisfaction: n ? round(visits.reduce((s, v) => s + v.satisfaction, 0) / n, 2) : null,
    promoters, passives, detractors, nps: n ? round(((promoters - detractors) / n) * 100, 1) : null,
  };
}

const delta = (now: number | null, before: number | null) => (now === null || before === null ? null : round(now - before, 2));
const MAX_FALLERS = 10;

/** The report of these customers' completed visits of the period and the one before (visits of other customers ignored). */
export function satisfactionReport(customers: ScopedCustomer[], visits: Scored[], period: Period) {
  const byId = new Map(customers.map((c) => [String(c._id), c]));
  const tierOf = (v: Scored): ReportTier => byId.get(String(v.customerId))?.tier ?? 'none';
  const mine = visits.filter((v) => byId.has(String(v.customerId)));
  const within = (v: Scored, from: Date, to: Date) => v.completedAt >= from && v.completedAt < to;
  const current = mine.filter((v) => within(v, period.from, period.to));
  const previous = mine.filter((v) => within(v, period.previous.from, period.previous.to));
  const compared = (now: Scored[], before: Scored[]) => {
    const [a, b] = [satisfactionNumbers(now), satisfactionNumbers(before)];
    return {
      ...a, previous: { visits: b.visits, meanSatisfaction: b.meanSatisfaction, nps: b.nps },
      change: { meanSatisfaction: delta(a.meanSatisfaction, b.meanSatisfaction), nps: delta(a.nps, b.nps) },
    };
  };
  const months = period.months.flatMap((month) => reportTiers.map((tier) => ({
    month, tier, ...satisfactionNumbers(current.filter((v) => tierOf(v) === tier && monthLabel(v.completedAt) === month)),
  })));
  const tiers = reportTiers.map((tier) => ({
    tier, ...compared(current.filter((v) => tierOf(v) === tier), previous.filter((v) => tierOf(v) === tier)),
  }));
  // A faller: a customer scored in both periods whose mean fell; largest fall first, then by code.
  const fallers = customers.flatMap((c) => {
    const of = (list: Scored[]) => satisfactionNumbers(list.filter((v) => String(v.customerId) === String(c._id))).meanSatisfaction;
    const [after, before] = [of(current), of(previous)];
    if (after === null || before === null || after >= before) return [];
    return [{ customerId: String(c._id), code: c.code, name: c.name, tier: c.tier ?? 'none', before, after, change: round(after - before, 2) }];
  }).sort((a, b) => a.change - b.change || a.code.localeCompare(b.code)).slice(0, MAX_FALLERS);
  return { months, tiers, totals: compared(current, previous), fallers };
}

/** The completed, scored visits of these customers from the previous period's start to the period's end. */
export async function scoredVisits(customers: ScopedCustomer[], period: Period): Promise<Scored[]> {
  if (!customers.length) return [];
  const rows = await VisitModel.find({
    status: 'completed', completedAt: { $gte: period.previous.from, $lt: period.to }, customerId: { $in: customers.map((c) => c._id) },
  }, { customerId: 1, completedAt: 1, satisfaction: 1, recommend: 1 }).lean();
  return rows.filter((v) => v.completedAt && v.satisfaction !== null && v.recommend !== null) as Scored[];
}

export const satisfactionCsvColumns = ['month', 'tier', 'visits', 'meanSatisfaction', 'promoters', 'passives', 'detractors', 'nps'] as const;
export const satisfactionCsvRows = (report: ReturnType<typeof satisfactionReport>) =>
  report.months.map((r) => [r.month, r.tier, r.visits, r.meanSatisfaction, r.promoters, r.passives, r.detractors, r.nps]);

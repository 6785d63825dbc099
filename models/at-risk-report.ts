import { CaseModel } from './case.ts';
import { PlanModel } from './plan.ts';
import type { ScopedCustomer } from './report-scope.ts';
import { UserModel } from './user.ts';
import { VisitModel } from './visit.ts';

// Key accounts (S and A) at risk, each with every reason that applies: a low or falling satisfaction (the summary
// models/satisfaction.ts keeps), a cadence visit open past its due date or a missed visit not made up by a completed
// one since, an open high or critical service case, or no approved plan for the current year or quarter.

export const riskReasons = ['low_satisfaction', 'falling_satisfaction', 'overdue_visit', 'missed_visit', 'open_high_case', 'no_approved_plan'] as const;
export type RiskReason = (typeof riskReasons)[number];

/** A last score of 1-2 or a mean below 3 is low (the scores are 1-5). */
export const LOW_SCORE = 2;
export const LOW_MEAN = 3;

export type RiskFacts = {
  overdueSince: Date | null; missedAt: Date | null; openHighCases: number; planStatus: string | null;
};

/** The reasons one key account is at risk, in the order of `riskReasons`. */
export function riskReasonsOf(c: ScopedCustomer, f: RiskFacts): Array<{ code: RiskReason; detail: string }> {
  const s = c.satisfaction ?? {};
  const reasons: Array<{ code: RiskReason; detail: string }> = [];
  const low = (s.lastScore != null && s.lastScore <= LOW_SCORE) || (s.average != null && s.average < LOW_MEAN);
  if (low) reasons.push({ code: 'low_satisfaction', detail: `last score ${s.lastScore ?? '-'}, mean ${s.average ?? '-'}` });
  if (s.trend === 'down') reasons.push({ code: 'falling_satisfaction', detail: 'the last score is below the mean of the ones before' });
  if (f.overdueSince) reasons.push({ code: 'overdue_visit', detail: `visit due ${f.overdueSince.toISOString().slice(0, 10)}` });
  if (f.missedAt) reasons.push({ code: 'missed_visit', detail: `visit due ${f.missedAt.toISOString().slice(0, 10)} missed` });
  if (f.openHighCases) reasons.push({ code: 'open_high_case', detail: `${f.openHighCases} open high or critical case(s)` });
  if (f.planStatus !== 'approved' && f.planStatus !== 'closed') {
    reasons.push({ code: 'no_approved_plan', detail: f.planStatus ? `plan ${f.planStatus}` : 'no plan' });
  }
  return reasons;
}

/** The current year ("2027") and quarter ("2027-Q2"), whose plans count. */
export function currentPlanPeriods(now: Date): [string, string] {
  const year = String(now.getUTCFullYear());
  return [year, `${year}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`];
}

const planRank = (status: string | null) => ['approved', 'closed', 'submitted', 'draft'].indexOf(status ?? '') + 1 || 9;

/** The S and A customers among these with at least one reason; S first, then most reasons, then by code. */
export async function keyAccountsAtRisk(customers: ScopedCustomer[], now: Date) {
  const keys = customers.filter((c) => c.tier === 'S' || c.tier === 'A');
  if (!keys.length) return [];
  const ids = keys.map((c) => c._id);
  const [visits, cases, plans, owners] = await Promise.all([
    VisitModel.find({ customerId: { $in: ids }, status: { $in: ['scheduled', 'missed'] } }, { customerId: 1, status: 1, dueAt: 1, kind: 1 }).lean(),
    CaseModel.find({ customerId: { $in: ids }, severity: { $in: ['high', 'critical'] }, status: { $nin: ['resolved', 'closed'] } }, { customerId: 1 }).lean(),
    PlanModel.find({ customerId: { $in: ids }, period: { $in: currentPlanPeriods(now) } }, { customerId: 1, status: 1 }).lean(),
    UserModel.find({ _id: { $in: [...new Set(keys.map((c) => String(c.ownerId)))] } }, { name: 1 }).lean(),
  ]);
  const ownerName = new Map(owners.map((u) => [String(u._id), u.name]));
  const items = keys.map((c) => {
    const id = String(c._id);
    const lastVisit = c.satisfaction?.lastVisitAt ?? null;
    const mine = visits.filter((v) => String(v.customerId) === id);
    const overdue = mine.filter((v) => v.status === 'scheduled' && v.kind === 'cadence' && v.dueAt < now).map((v) => v.dueAt).sort((a, b) => +a - +b)[0] ?? null;
    const missed = mine.filter((v) => v.status === 'missed' && (!lastVisit || v.dueAt > lastVisit)).map((v) => v.dueAt).sort((a, b) => +b - +a)[0] ?? null;
    // The best plan status of the current year's and quarter's plans.
    const planStatus = plans.filter((p) => String(p.customerId) === id).map((p) => p.status as string).sort((a, b) => planRank(a) - planRank(b))[0] ?? null;
    const reasons = riskReasonsOf(c, { overdueSince: overdue, missedAt: missed, openHighCases: cases.filter((k) => String(k.customerId) === id).length, planStatus });
    return {
      customerId: id, code: c.code, name: c.name, tier: c.tier as 'S' | 'A', ownerId: String(c.ownerId), ownerName: ownerName.get(String(c.ownerId)) ?? '',
      satisfaction: { lastScore: c.satisfaction?.lastScore ?? null, average: c.satisfaction?.average ?? null, trend: c.satisfaction?.trend ?? null },
      nextVisitDue: c.satisfaction?.nextVisitDue ?? null, planStatus, reasons,
    };
  });
  return items.filter((i) => i.reasons.length)
    .sort((a, b) => a.tier.localeCompare(b.tier) * -1 || b.reasons.length - a.reasons.length || a.code.localeCompare(b.code));
}

export const atRiskCsvColumns = ['code', 'name', 'tier', 'owner', 'reasons', 'details'] as const;
export const atRiskCsvRows = (items: Awaited<ReturnType<typeof keyAccountsAtRisk>>) =>
  items.map((i) => [i.code, i.name, i.tier, i.ownerName, i.reasons.map((r) => r.code).join(' '), i.reasons.map((r) => r.detail).join('; ')]);

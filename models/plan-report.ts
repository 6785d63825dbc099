import type { Types } from 'mongoose';
import { tiers, type Tier } from './customer.ts';
import { PlanModel, planAttainment, resourceKinds, withRevenueActuals, type PlanStatus } from './plan.ts';
import { ratio, reportTiers, type ReportTier } from './tier-report.ts';
import { isKeyTier } from './tier-scoring.ts';

// The plans report for leadership: per tier, how many customers have an approved plan for a period, what those plans
// commit and how far they got; and the key accounts still without one. The customers are their report rows
// (models/report-rows.ts); plans are read separately and joined here: a filtered book can hold thousands of
// customers, too many for one `$in`.

/** A plan counts as approved once leadership approved it, and stays so when it is closed. */
export const approvedStatuses: readonly PlanStatus[] = ['approved', 'closed'];

export type ReportCustomer = { _id: Types.ObjectId; code: string; name: string; tier?: string | null; ownerId: Types.ObjectId };
export type ReportPlan = {
  customerId: Types.ObjectId; status: PlanStatus;
  objectives: ReadonlyArray<{ target: number; actual?: number | null }>;
  resources: ReadonlyArray<{ kind: string; unit?: string | null; amount: number }>;
};

/** Amounts are added only within one kind and unit: FTE, days and each currency stay apart. */
export type ResourceSum = { kind: string; unit: string; amount: number };
export type PlanTierRow = {
  tier: ReportTier; keyAccount: boolean; customers: number; withApprovedPlan: number; coverage: number;
  resources: ResourceSum[]; meanAttainment: number | null;
};
export type PlanReportTotals = Omit<PlanTierRow, 'tier' | 'keyAccount'>;
export type KeyAccountGap = { customerId: string; code: string; name: string; tier: Tier; ownerId: string; planStatus: PlanStatus | null };
export type PlanReport = { tiers: PlanTierRow[]; totals: PlanReportTotals; keyAccountsWithoutApprovedPlan: KeyAccountGap[] };

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
const asReportTier = (tier: unknown): ReportTier => ((tiers as readonly unknown[]).includes(tier) ? tier as Tier : 'none');
const isApproved = (plan: ReportPlan | undefined) => plan !== undefined && approvedStatuses.includes(plan.status);
const resourceLabel = (r: { kind: string; unit: string }) => (r.unit ? `${r.kind} ${r.unit}` : r.kind);

/** The sums per kind and unit, in the order of `resourceKinds`, then by unit. */
function sumResources(plans: readonly ReportPlan[]): ResourceSum[] {
  return resourceSums(plans.flatMap((p) => p.resources));
}

/** Resources summed per kind and unit (amounts rounded to 4 decimals), in the order of `resourceKinds`, then by unit. */
export function resourceSums(resources: ReadonlyArray<{ kind: string; unit?: string | null; amount: number }>): ResourceSum[] {
  const sums = new Map<string, ResourceSum>();
  for (const r of resources) {
    const unit = r.unit ?? '';
    const key = JSON.stringify([r.kind, unit]);
    if (!sums.has(key)) sums.set(key, { kind: r.kind, unit, amount: 0 });
    sums.get(key)!.amount += r.amount;
  }
  const rank = (kind: string) => (resourceKinds as readonly string[]).indexOf(kind);
  return [...sums.values()]
    .map((s) => ({ ...s, amount: round4(s.amount) }))
    .sort((a, b) => rank(a.kind) - rank(b.kind) || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
}

/** The mean of the plans' attainments, plans without one left out, or null when none has one. */
function meanAttainment(plans: readonly ReportPlan[]): number | null {
  const values = plans.map((p) => planAttainment(p.objectives)).filter((v): v is number => v !== null);
  return values.length ? round4(values.reduce((a, b) => a + b, 0) / values.length) : null;
}

function summary(customers: readonly ReportCustomer[], planOf: (c: ReportCustomer) => ReportPlan | undefined): PlanReportTotals {
  const approved = customers.map(planOf).filter(isApproved) as ReportPlan[];
  return {
    customers: customers.length, withApprovedPlan: approved.length, coverage: ratio(approved.length, customers.length),
    resources: sumResources(approved), meanAttainment: meanAttainment(approved),
  };
}

/**
 * The report over the given customers and the plans of one period (revenue actuals already filled in). Plans of other
 * customers are ignored; a customer has at most one plan per period. Totals' mean is over all plans, not of the tiers' means.
 */
export function planReport(customers: readonly ReportCustomer[], plans: readonly ReportPlan[]): PlanReport {
  const plansByCustomer = new Map(plans.map((p) => [String(p.customerId), p]));
  const planOf = (c: ReportCustomer) => plansByCustomer.get(String(c._id));
  const byTier = Map.groupBy(customers, (c) => asReportTier(c.tier));
  const keyAccountsWithoutApprovedPlan = customers
    .filter((c) => isKeyTier(c.tier as Tier) && !isApproved(planOf(c)))
    .map((c) => ({
      customerId: String(c._id), code: c.code, name: c.name, tier: c.tier as Tier, ownerId: String(c.ownerId),
      planStatus: planOf(c)?.status ?? null,
    }))
    .sort((a, b) => tiers.indexOf(a.tier) - tiers.indexOf(b.tier) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return {
    tiers: reportTiers.map((tier) => ({ tier, keyAccount: tier !== 'none' && isKeyTier(tier), ...summary(byTier.get(tier) ?? [], planOf) })),
    totals: summary(customers, planOf),
    keyAccountsWithoutApprovedPlan,
  };
}

/** Reads the period's plans of the given customers, fills the revenue actuals of the approved ones, and reports. */
export async function readPlanReport(customers: readonly ReportCustomer[], period: string): Promise<PlanReport> {
  const plans = await PlanModel.find({ period }, { customerId: 1, status: 1, periodStart: 1, periodEnd: 1, objectives: 1, resources: 1 }).lean();
  const covered = new Set(customers.map((c) => String(c._id)));
  // Only approved plans are measured, so only theirs need the won revenue.
  const mine = plans.filter((p) => covered.has(String(p.customerId)));
  const measured = await withRevenueActuals(mine.filter((p) => approvedStatuses.includes(p.status)));
  return planReport(customers, [...mine.filter((p) => !approvedStatuses.includes(p.status)), ...measured]);
}

export const planCsvColumns = ['tier', 'keyAccount', 'customers', 'withApprovedPlan', 'coverage', 'meanAttainment'] as const;

/**
 * The CSV: a column per resource kind and unit present anywhere in the report ("people FTE", "budget EUR"), then a
 * row per tier and a `total` row. The key accounts without a plan are left to the JSON answer.
 */
export function planCsv(report: PlanReport): { columns: string[]; rows: Array<Array<string | number | null>> } {
  // The totals hold every kind and unit any tier has, in report order.
  const resourceColumns = report.totals.resources;
  const row = (tier: string, keyAccount: string, s: PlanReportTotals) => [
    tier, keyAccount, s.customers, s.withApprovedPlan, s.coverage, s.meanAttainment,
    ...resourceColumns.map((c) => s.resources.find((r) => r.kind === c.kind && r.unit === c.unit)?.amount ?? 0),
  ];
  return {
    columns: [...planCsvColumns, ...resourceColumns.map(resourceLabel)],
    rows: [...report.tiers.map((t) => row(t.tier, String(t.keyAccount), t)), row('total', '', report.totals)],
  };
}

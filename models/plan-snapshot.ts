import type { Types } from 'mongoose';
import { tiers, type Tier } from './customer.ts';
import { isDuplicateKeyError } from './db-compat.ts';
import { PlanModel, planAttainment, withRevenueActuals, type PlanStatus } from './plan.ts';
import { approvedStatuses, resourceSums, type KeyAccountGap, type PlanReport, type PlanReportTotals } from './plan-report.ts';
import { ReportRowModel, type ReportRow } from './report-rows.ts';
import { ReportSnapshotModel } from './tier-snapshot.ts';
import { asReportTier, ratio, reportTiers, type ReportFilters } from './tier-report.ts';
import { isKeyTier } from './tier-scoring.ts';
import { UserModel } from './user.ts';

// The plans report of the periods leadership reads most (this year and the next, this quarter and the next), added up
// by the worker with the tier snapshot: per (tier, region, industry, owner's team) the customers, those with an
// approved plan, the resources committed and the attainments; and the key accounts without an approved plan. Other
// periods are reported from the plans themselves (models/plan-report.ts), as before.

type Cell = {
  tier: string | null; reg: string | null; ind: string | null; team: string | null;
  n: number; approved: number; res: Array<{ kind: string; unit: string; amount: number }>; attSum: number; attN: number;
};
type Gap = KeyAccountGap & { reg: string | null; ind: string | null; team: string | null };
export type PlanSnapshot = { asOf: Date; cells: Cell[]; gaps: Gap[] };

/** The periods kept: this year and the next, this quarter and the next (UTC). */
export function snapshotPeriods(now: Date): string[] {
  const year = now.getUTCFullYear();
  const quarter = Math.floor(now.getUTCMonth() / 3) + 1;
  const next = quarter === 4 ? `${year + 1}-Q1` : `${year}-Q${quarter + 1}`;
  return [String(year), String(year + 1), `${year}-Q${quarter}`, next];
}

const idOf = (period: string) => `plans:${period}`;

export type Book = { rows: ReportRow[]; teamOf: Map<string, string | null> };

/** Every live customer's report row and the team of each user: what the snapshots of several periods share. */
export async function readBook(): Promise<Book> {
  const [rows, users] = await Promise.all([
    ReportRowModel.find({ archived: false, pending: false }).lean<ReportRow[]>(),
    UserModel.find({}, { team: 1 }).lean(),
  ]);
  return { rows, teamOf: new Map(users.map((u) => [String(u._id), u.team ?? null])) };
}

/** Adds up the period's plans over every live customer's report row and stores it, unless a later one is stored. */
export async function buildPlanSnapshot(period: string, asOf = new Date(), book?: Book): Promise<PlanSnapshot> {
  const [{ rows, teamOf }, plans] = await Promise.all([
    book ?? readBook(),
    PlanModel.find({ period }, { customerId: 1, status: 1, periodStart: 1, periodEnd: 1, objectives: 1, resources: 1 }).lean(),
  ]);
  const live = new Set(rows.map((r) => String(r._id)));
  const mine = plans.filter((p) => live.has(String(p.customerId)));
  const measured = await withRevenueActuals(mine.filter((p) => approvedStatuses.includes(p.status)));
  const planOf = new Map([...mine, ...measured].map((p) => [String(p.customerId), p]));
  const cells = new Map<string, Cell>();
  const gaps: Gap[] = [];
  for (const row of rows) {
    const team = teamOf.get(String(row.ownerId)) ?? null;
    const key = JSON.stringify([row.tier, row.region, row.industry, team]);
    if (!cells.has(key)) cells.set(key, { tier: row.tier, reg: row.region, ind: row.industry, team, n: 0, approved: 0, res: [], attSum: 0, attN: 0 });
    const cell = cells.get(key)!;
    cell.n += 1;
    const plan = planOf.get(String(row._id));
    const approved = plan !== undefined && approvedStatuses.includes(plan.status);
    if (approved) {
      cell.approved += 1;
      for (const r of plan.resources) {
        const unit = r.unit ?? '';
        const sum = cell.res.find((s) => s.kind === r.kind && s.unit === unit);
        if (sum) sum.amount += r.amount;
        else cell.res.push({ kind: r.kind, unit, amount: r.amount });
      }
      const attainment = planAttainment(plan.objectives);
      if (attainment !== null) { cell.attSum += attainment; cell.attN += 1; }
    }
    if (row.tier && isKeyTier(row.tier as Tier) && !approved) {
      gaps.push({
        customerId: String(row._id), code: row.code, name: row.name, tier: row.tier as Tier, ownerId: String(row.ownerId as Types.ObjectId),
        planStatus: (plan?.status ?? null) as PlanStatus | null, reg: row.region, ind: row.industry, team,
      });
    }
  }
  const snapshot = { asOf, cells: [...cells.values()], gaps };
  try {
    await ReportSnapshotModel.collection.updateOne({ _id: idOf(period) as never, asOf: { $lt: asOf } }, { $set: snapshot }, { upsert: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err; // a later snapshot is stored
  }
  return snapshot;
}

/** The stored snapshot of a kept period (made now when there is none yet); undefined for other periods. */
export async function planSnapshotFor(period: string, now = new Date()): Promise<PlanSnapshot | undefined> {
  if (!snapshotPeriods(now).includes(period)) return undefined;
  const stored = await ReportSnapshotModel.findById(idOf(period)).lean<PlanSnapshot>();
  return stored ?? buildPlanSnapshot(period, now);
}

/** The report within the filters, as models/plan-report.ts computes it from the plans. */
export function planReportFrom(snapshot: PlanSnapshot, filters: ReportFilters): PlanReport {
  const within = <T extends { reg: string | null; ind: string | null; team: string | null }>(x: T) =>
    (filters.region === undefined || x.reg === filters.region) && (filters.industry === undefined || x.ind === filters.industry)
    && (filters.team === undefined || x.team === filters.team);
  const cells = snapshot.cells.filter(within);
  const summary = (subset: Cell[]): PlanReportTotals => {
    const customers = subset.reduce((s, c) => s + c.n, 0);
    const withApprovedPlan = subset.reduce((s, c) => s + c.approved, 0);
    const attN = subset.reduce((s, c) => s + c.attN, 0);
    const attSum = subset.reduce((s, c) => s + c.attSum, 0);
    return {
      customers, withApprovedPlan, coverage: ratio(withApprovedPlan, customers), resources: resourceSums(subset.flatMap((c) => c.res)),
      meanAttainment: attN ? Math.round((attSum / attN) * 10_000) / 10_000 : null,
    };
  };
  return {
    tiers: reportTiers.map((tier) => ({
      tier, keyAccount: tier !== 'none' && isKeyTier(tier), ...summary(cells.filter((c) => asReportTier(c.tier) === tier)),
    })),
    totals: summary(cells),
    keyAccountsWithoutApprovedPlan: snapshot.gaps.filter(within)
      .map(({ reg, ind, team, ...gap }) => gap)
      .sort((a, b) => tiers.indexOf(a.tier) - tiers.indexOf(b.tier) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
  };
}

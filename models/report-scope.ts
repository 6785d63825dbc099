import { Types } from 'mongoose';
import { CustomerModel, tiers, visibleTo, type Tier } from './customer.ts';
import { asReportTier, type ReportFilters, type TierCell } from './tier-report.ts';
import type { AuthUser } from './user.ts';
import { UserModel } from './user.ts';

// What the service-level reports (satisfaction, visit discipline, key accounts at risk) cover: the live customers the
// user sees (a manager: the ones they own or are on the team of, models/customer.ts `visibleTo`), narrowed by the
// filters, and the calendar months of a period.

export type ScopeFilters = ReportFilters & { tier?: string | undefined };

export type ScopedCustomer = {
  _id: Types.ObjectId; code: string; name: string; tier: Tier | null; ownerId: Types.ObjectId;
  satisfaction?: { lastScore?: number | null; average?: number | null; trend?: string | null; lastVisitAt?: Date | null; nextVisitDue?: Date | null } | null;
};

/** The live customers of the report, read from the customers themselves so a manager's team membership counts. */
export async function scopedCustomers(user: AuthUser, filters: ScopeFilters): Promise<ScopedCustomer[]> {
  const match: Record<string, unknown> = { archived: false, ...visibleTo(user) };
  if (filters.region !== undefined) match.companyRegion = filters.region;
  if (filters.industry !== undefined) match.companyIndustry = filters.industry;
  if (filters.tier !== undefined) match.tier = filters.tier === 'none' ? null : filters.tier;
  if (filters.team !== undefined) {
    const members = await UserModel.find({ team: filters.team }, { _id: 1 }).lean();
    match.ownerId = { $in: members.map((u) => u._id) };
  }
  return CustomerModel.find(match, { code: 1, name: 1, tier: 1, ownerId: 1, satisfaction: 1 }).lean<ScopedCustomer[]>();
}

export const isTier = (t: unknown): t is Tier => (tiers as readonly unknown[]).includes(t);

/** A month ("2027-03"), a quarter ("2027-Q1") or a year ("2027"). */
export const monthPeriodPattern = /^(20\d\d|2100)(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$/;

export type Period = { label: string; from: Date; to: Date; months: string[]; previous: { from: Date; to: Date } };

const monthStart = (y: number, m: number) => new Date(Date.UTC(y, m, 1));
const monthLabel = (d: Date) => d.toISOString().slice(0, 7);

/**
 * The period [from, to) in whole UTC months, and the previous period of the same length. Without one: the 12 months
 * ending with the current month.
 */
export function periodOf(period: string | undefined, now: Date): Period {
  let from: Date;
  let length: number;
  const match = period === undefined ? null : monthPeriodPattern.exec(period);
  if (period === undefined || !match) {
    from = monthStart(now.getUTCFullYear(), now.getUTCMonth() - 11);
    length = 12;
  } else if (match[2]) {
    from = monthStart(Number(match[1]), (Number(match[2]) - 1) * 3);
    length = 3;
  } else if (match[3]) {
    from = monthStart(Number(match[1]), Number(match[3]) - 1);
    length = 1;
  } else {
    from = monthStart(Number(match[1]), 0);
    length = 12;
  }
  const to = monthStart(from.getUTCFullYear(), from.getUTCMonth() + length);
  const months = Array.from({ length }, (_, i) => monthLabel(monthStart(from.getUTCFullYear(), from.getUTCMonth() + i)));
  const previous = { from: monthStart(from.getUTCFullYear(), from.getUTCMonth() - length), to: from };
  return { label: period ?? `${months[0]}..${months.at(-1)}`, from, to, months, previous };
}

export { monthLabel };

/** The ids of the customers a manager sees (owned or on the team of); null for executives and admins, who see all. */
export async function visibleIds(user: AuthUser): Promise<Set<string> | null> {
  if (user.role !== 'manager') return null;
  const rows = await CustomerModel.find(visibleTo(user), { _id: 1 }).lean();
  return new Set(rows.map((r) => String(r._id)));
}

/** Report rows (models/report-rows.ts) grouped as the tier report's (tier, currency) cells. */
export function cellsOfRows(rows: Array<{ tier: string | null; currency: string; revenue12m: number }>): TierCell[] {
  const cells = new Map<string, TierCell>();
  for (const r of rows) {
    const tier = asReportTier(r.tier);
    const key = `${tier}:${r.currency}`;
    const cell = cells.get(key) ?? { tier, currency: r.currency, count: 0, revenue12m: 0 };
    cell.count += 1;
    cell.revenue12m += r.revenue12m;
    cells.set(key, cell);
  }
  return [...cells.values()];
}

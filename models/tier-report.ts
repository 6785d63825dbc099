import { Types } from 'mongoose';
import { CustomerModel, tiers, type Tier } from './customer.ts';
import { ReportRowModel, syncMarkedRows, type ReportRow } from './report-rows.ts';
import { TierChangeModel } from './tier-change.ts';
import { isKeyTier } from './tier-scoring.ts';
import { UserModel } from './user.ts';

// The tier reports for leadership: how the book splits over the tiers (count and revenue), and how customers moved
// between tiers in a period. Revenue is in minor units of each customer's own currency and is never added across
// currencies, so every amount is an object keyed by currency.

export const reportTiers = [...tiers, 'none'] as const;
export type ReportTier = (typeof reportTiers)[number];
export type ReportFilters = { region?: string | undefined; industry?: string | undefined; team?: string | undefined };
export type ByCurrency = Record<string, number>;

/** One (tier, currency) group of the filtered book. */
export type TierCell = { tier: ReportTier; currency: string; count: number; revenue12m: number };

export const ratio = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : 0);
export const asReportTier = (tier: unknown): ReportTier => ((tiers as readonly unknown[]).includes(tier) ? tier as Tier : 'none');
const rank = (tier: Tier) => tiers.indexOf(tier); // S = 0 is the best
const isKey = (tier: ReportTier) => tier !== 'none' && isKeyTier(tier);

/**
 * The report rows (models/report-rows.ts) of the customers a report covers: not archived, and matching the filters,
 * each an equality on a top-level field that the embedded engine pushes down. `team` is the owner's team, so it
 * becomes the ids of that team's users (a team is a handful of people, a short `$in`). The rows of customers marked
 * by a write are brought up to date first, so the answer holds every customer write committed before `asOf`.
 */
export async function reportRows(filters: ReportFilters): Promise<{ asOf: Date; rows: ReportRow[] }> {
  const asOf = new Date();
  await syncMarkedRows(CustomerModel);
  return { asOf, rows: await ReportRowModel.find(await rowMatch(filters)).lean<ReportRow[]>() };
}

/** The report rows' condition for the customers a report covers. */
async function rowMatch(filters: ReportFilters): Promise<Record<string, unknown>> {
  const match: Record<string, unknown> = { archived: false, pending: false };
  if (filters.region !== undefined) match.region = filters.region;
  if (filters.industry !== undefined) match.industry = filters.industry;
  if (filters.team !== undefined) {
    const members = await UserModel.find({ team: filters.team }, { _id: 1 }).lean();
    match.ownerId = { $in: members.map((u) => u._id) };
  }
  return match;
}

/**
 * Whether a customer is covered, from the fewest rows: without filters, the few customers that are not (archived, or
 * a new one whose insert is not confirmed); with filters, the ids of those that are.
 */
async function coverage(filters: ReportFilters): Promise<(customerId: string) => boolean> {
  await syncMarkedRows(CustomerModel);
  const ids = (rows: Array<{ _id: unknown }>) => new Set(rows.map((r) => String(r._id)));
  if (filters.region === undefined && filters.industry === undefined && filters.team === undefined) {
    const [archived, pending] = await Promise.all([
      ReportRowModel.collection.find({ archived: true }, { projection: { _id: 1 } }).toArray(),
      ReportRowModel.collection.find({ pending: true }, { projection: { _id: 1 } }).toArray(),
    ]);
    const excluded = ids([...archived, ...pending]);
    return (id) => !excluded.has(id);
  }
  const included = ids(await ReportRowModel.collection.find(await rowMatch(filters), { projection: { _id: 1 } }).toArray());
  return (id) => included.has(id);
}

export type TierSummary = {
  tier: ReportTier; count: number; share: number; revenue12m: ByCurrency; revenueShare: ByCurrency; keyAccount: boolean;
};
export type TierDistribution = {
  tiers: TierSummary[];
  totals: { count: number; revenue12m: ByCurrency; keyAccounts: Omit<TierSummary, 'tier' | 'keyAccount'> };
};

/** Each of the currencies with the revenue of the cells in it. */
function sumByCurrency(cells: TierCell[], currencies: string[]): ByCurrency {
  return Object.fromEntries(currencies.map((c) => [c, cells.filter((x) => x.currency === c).reduce((s, x) => s + x.revenue12m, 0)]));
}

/**
 * Every tier (S, A, B, C, none) with its count and revenue per currency; every currency of the book appears in every
 * tier (0 where the tier has none), and each share is of that currency's total.
 */
export function tierDistribution(cells: TierCell[]): TierDistribution {
  const currencies = [...new Set(cells.map((c) => c.currency))].sort();
  const total = { count: cells.reduce((s, c) => s + c.count, 0), revenue12m: sumByCurrency(cells, currencies) };
  const summary = (subset: TierCell[]) => {
    const count = subset.reduce((s, c) => s + c.count, 0);
    const revenue12m = sumByCurrency(subset, currencies);
    const revenueShare = Object.fromEntries(currencies.map((c) => [c, ratio(revenue12m[c]!, total.revenue12m[c]!)]));
    return { count, share: ratio(count, total.count), revenue12m, revenueShare };
  };
  return {
    tiers: reportTiers.map((tier) => ({
      tier, ...summary(cells.filter((c) => c.tier === tier)), keyAccount: isKey(tier),
    })),
    totals: { ...total, keyAccounts: summary(cells.filter((c) => isKey(c.tier))) },
  };
}

export const tierCsvColumns = ['tier', 'keyAccount', 'count', 'share', 'currency', 'revenue12m', 'revenueShare'] as const;

/**
 * CSV rows: per tier and currency (count and share are that currency's customers of the tier), then a `total` row
 * per currency. A book with no customer still lists each tier, with no currency.
 */
export function tierCsvRows(cells: TierCell[]): Array<Array<string | number>> {
  const currencies = [...new Set(cells.map((c) => c.currency))].sort();
  const totalCount = cells.reduce((s, c) => s + c.count, 0);
  const byCurrency = (c: string) => cells.filter((x) => x.currency === c);
  const sum = (subset: TierCell[], field: 'count' | 'revenue12m') => subset.reduce((s, x) => s + x[field], 0);
  const rows: Array<Array<string | number>> = [];
  for (const tier of reportTiers) {
    const keyAccount = String(isKey(tier));
    if (!currencies.length) rows.push([tier, keyAccount, 0, 0, '', 0, 0]);
    for (const currency of currencies) {
      const cell = cells.filter((x) => x.tier === tier && x.currency === currency);
      const [count, revenue] = [sum(cell, 'count'), sum(cell, 'revenue12m')];
      rows.push([tier, keyAccount, count, ratio(count, totalCount), currency, revenue, ratio(revenue, sum(byCurrency(currency), 'revenue12m'))]);
    }
  }
  for (const currency of currencies) {
    const [count, revenue] = [sum(byCurrency(currency), 'count'), sum(byCurrency(currency), 'revenue12m')];
    rows.push(['total', '', count, ratio(count, totalCount), currency, revenue, revenue > 0 ? 1 : 0]);
  }
  return rows;
}

// --- movements ----------------------------------------------------------------------------------------------------

export type Movement = {
  id: string; customerId: string; code: string; name: string; from: ReportTier; to: Tier; score: number | null;
  policyVersion: number | null; source: string; reason: string; by: { id: string | null; name: string }; at: Date;
};
export type MovementMatrixRow = { from: ReportTier; counts: Record<Tier, number> };
export type MovementTotals = { changes: number; up: number; down: number; intoKeyAccounts: number; outOfKeyAccounts: number };

/** A change of the movements report, before its customer's code and name are added. */
export type Move = Omit<Movement, 'code' | 'name'>;

/**
 * The tier changes applied in [from, to) to the customers the filters cover, newest first (by the changes' date index).
 * Its cost grows with the changes in the period: it reads those and, of the customers, only the few ids that decide
 * coverage; `named` adds the code and name to those a page shows.
 */
export async function movesIn(filters: ReportFilters, from: Date, to: Date): Promise<{ asOf: Date; moves: Move[] }> {
  const asOf = new Date();
  const [changes, covered] = await Promise.all([
    TierChangeModel.collection.find({ at: { $gte: from, $lt: to } }, { projection: { key: 0, approvalId: 0 } }).sort({ at: -1, _id: -1 }).toArray(),
    coverage(filters),
  ]);
  const moves = changes.filter((c) => covered(String(c.customerId))).map((change): Move => ({
    id: String(change._id), customerId: String(change.customerId), from: asReportTier(change.from), to: change.to as Tier,
    score: change.score ?? null, policyVersion: change.policyVersion ?? null, source: change.source, reason: change.reason,
    by: { id: change.byId ? String(change.byId) : null, name: change.byName }, at: change.at,
  }));
  return { asOf, moves };
}

/** The moves with their customers' code and name (one read of those customers' report rows per 1,000). */
export async function named(moves: Move[]): Promise<Movement[]> {
  const ids = [...new Set(moves.map((m) => m.customerId))];
  const names = new Map<string, { code: string; name: string }>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000).map((id) => new Types.ObjectId(id));
    const rows = await ReportRowModel.collection.find({ _id: { $in: chunk } }, { projection: { code: 1, name: 1 } }).toArray();
    for (const r of rows) names.set(String(r._id), { code: r.code, name: r.name });
  }
  return moves.map((m) => ({ ...m, code: names.get(m.customerId)?.code ?? '', name: names.get(m.customerId)?.name ?? '' }));
}

/**
 * The from-tier x to-tier grid (every cell, zeros included) and the counts of moves. Up is towards S; a first
 * classification (from none) is neither up nor down, but one into S or A enters the key accounts.
 */
export function movementSummary(movements: Array<Pick<Move, 'from' | 'to'>>): { matrix: MovementMatrixRow[]; totals: MovementTotals } {
  const matrix = reportTiers.map((from) => ({ from, counts: Object.fromEntries(tiers.map((t) => [t, 0])) as Record<Tier, number> }));
  const totals: MovementTotals = { changes: movements.length, up: 0, down: 0, intoKeyAccounts: 0, outOfKeyAccounts: 0 };
  for (const m of movements) {
    matrix.find((row) => row.from === m.from)!.counts[m.to] += 1;
    const wasKey = isKey(m.from);
    if (m.from !== 'none' && rank(m.to) < rank(m.from)) totals.up += 1;
    if (m.from !== 'none' && rank(m.to) > rank(m.from)) totals.down += 1;
    if (!wasKey && isKeyTier(m.to)) totals.intoKeyAccounts += 1;
    if (wasKey && !isKeyTier(m.to)) totals.outOfKeyAccounts += 1;
  }
  return { matrix, totals };
}

export const movementCsvColumns = [
  'at', 'id', 'customerId', 'code', 'name', 'from', 'to', 'score', 'policyVersion', 'source', 'reason', 'byId', 'byName',
] as const;

export function movementCsvRow(m: Movement): Array<string | number | null> {
  return [m.at.toISOString(), m.id, m.customerId, m.code, m.name, m.from, m.to, m.score, m.policyVersion, m.source, m.reason, m.by.id, m.by.name];
}

import type { Types } from 'mongoose';
import { CustomerModel, customerStatuses } from './customer.ts';
import { reportTiers } from './tier-report.ts';
import { GiftModel, reasonCategories, spendStatuses } from './gift.ts';

// Gift spend for leadership: applied and approved gifts with their reversals netted, per currency (amounts are never
// added across currencies), by reason, tier, giver, team and month, and against the satisfaction and the retention of
// the customers the gifts went to. Tier and region are the customer's when the gift was given, the team the giver's;
// satisfaction and status are the customer's now. Grouped in code: a period holds a few thousand entries at most.

export type GiftReportFilters = { team?: string; tier?: string; region?: string };
export const satisfactionBands = ['high', 'medium', 'low', 'none'] as const;

/** `2031-05` is that month; `2031-Q2` its three months. */
export function monthsOf(period: string): string[] {
  const quarter = /^(\d{4})-Q([1-4])$/.exec(period);
  if (!quarter) return [period];
  const first = (Number(quarter[2]) - 1) * 3 + 1;
  return [0, 1, 2].map((i) => `${quarter[1]}-${String(first + i).padStart(2, '0')}`);
}

/** The satisfaction band of an average visit score (1-5): high from 4, medium from 3, low below, none without one. */
export const bandOf = (average: number | null | undefined) => (average == null ? 'none' : average >= 4 ? 'high' : average >= 3 ? 'medium' : 'low');

type Entry = {
  kind: string; cost: number; currency: string; reasonCategory: string; month: string; customerId: Types.ObjectId;
  customerTier?: string | null; giverId: Types.ObjectId; giverName: string; giverTeam?: string | null;
};
type CustomerFacts = {
  code: string; name: string; status: string;
  satisfaction: { average: number | null; npsCategory: string | null; trend: string | null };
};
type Sums = { currency: string; spend: number; gifts: number; reversals: number; customers: Set<string> };

/** Adds up entries into groups by a key and currency, keeping the first entry's labels for each group. */
class Groups<L extends Record<string, unknown>> {
  private readonly groups = new Map<string, L & Sums>();
  add(key: string, labels: L, e: Entry) {
    const id = `${key}\u0000${e.currency}`;
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, g = { ...labels, currency: e.currency, spend: 0, gifts: 0, reversals: 0, customers: new Set<string>() });
    g.spend += e.cost;
    if (e.kind === 'gift') g.gifts++;
    else g.reversals++;
    g.customers.add(String(e.customerId));
  }
  /** The groups in the order of `rank` (then currency), with or without the count of customers. */
  rows(rank: (g: L) => string | number, withCustomers = false) {
    return [...this.groups.values()]
      .sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : a.currency.localeCompare(b.currency)))
      .map(({ customers, ...g }) => (withCustomers ? { ...g, customers: customers.size } : g));
  }
}

/** The condition on entries of the filters (each on what the entry recorded). */
function entryFilter(filters: GiftReportFilters): Record<string, unknown> {
  return {
    ...(filters.team !== undefined ? { giverTeam: filters.team } : {}),
    ...(filters.tier !== undefined ? { customerTier: filters.tier === 'none' ? null : filters.tier } : {}),
    ...(filters.region !== undefined ? { customerRegion: filters.region } : {}),
  };
}

const projection = { kind: 1, cost: 1, currency: 1, reasonCategory: 1, month: 1, customerId: 1, customerTier: 1, giverId: 1, giverName: 1, giverTeam: 1 };

/** The report of a period (a month or a quarter) under the filters. */
export async function giftReport(period: string, filters: GiftReportFilters) {
  const months = monthsOf(period);
  const match = { month: { $in: months }, ...entryFilter(filters) };
  const entries = await GiftModel.find({ ...match, status: { $in: spendStatuses } }, projection).lean<Entry[]>();
  const waiting = await GiftModel.find({ ...match, status: 'pending_approval' }, projection).lean<Entry[]>();
  const customers = new Map((await CustomerModel.find({ _id: { $in: [...new Set(entries.map((e) => String(e.customerId)))] } }, { code: 1, name: 1, status: 1, satisfaction: 1 })
    .lean()).map((c) => [String(c._id), c as unknown as CustomerFacts]));

  const totals = new Groups<Record<never, never>>();
  const byReason = new Groups<{ reasonCategory: string }>();
  const byTier = new Groups<{ tier: string }>();
  const byGiver = new Groups<{ giverId: string; name: string; team: string }>();
  const byTeam = new Groups<{ team: string }>();
  const byMonth = new Groups<{ month: string }>();
  const bySatisfaction = new Groups<{ band: string }>();
  const byRetention = new Groups<{ status: string | null; retained: boolean }>();
  const byCustomer = new Groups<{ customerId: string; code: string; name: string; status: string | null; satisfaction: CustomerFacts['satisfaction'] }>();
  for (const e of entries) {
    const c = customers.get(String(e.customerId));
    const tier = e.customerTier ?? 'none';
    const team = e.giverTeam ?? '';
    totals.add('', {}, e);
    byReason.add(e.reasonCategory, { reasonCategory: e.reasonCategory }, e);
    byTier.add(tier, { tier }, e);
    byGiver.add(String(e.giverId), { giverId: String(e.giverId), name: e.giverName, team }, e);
    byTeam.add(team, { team }, e);
    byMonth.add(e.month, { month: e.month }, e);
    const band = bandOf(c?.satisfaction?.average);
    bySatisfaction.add(band, { band }, e);
    const status = c?.status ?? null;
    byRetention.add(String(status), { status, retained: status === 'active' }, e);
    const satisfaction = { average: c?.satisfaction?.average ?? null, npsCategory: c?.satisfaction?.npsCategory ?? null, trend: c?.satisfaction?.trend ?? null };
    byCustomer.add(String(e.customerId), { customerId: String(e.customerId), code: c?.code ?? '', name: c?.name ?? '', status, satisfaction }, e);
  }
  const pending = new Groups<Record<never, never>>();
  for (const e of waiting) pending.add('', {}, e);

  return {
    months,
    totals: totals.rows(() => 0, true),
    pending: pending.rows(() => 0).map(({ currency, spend, gifts }) => ({ currency, amount: spend, gifts })),
    byReason: byReason.rows((g) => reasonCategories.indexOf(g.reasonCategory as never)),
    byTier: byTier.rows((g) => (reportTiers as readonly string[]).indexOf(g.tier)),
    byGiver: byGiver.rows((g) => `${g.name}\u0000${g.giverId}`),
    byTeam: byTeam.rows((g) => g.team),
    byMonth: byMonth.rows((g) => g.month),
    bySatisfaction: bySatisfaction.rows((g) => satisfactionBands.indexOf(g.band as never), true),
    byRetention: byRetention.rows((g) => (g.status === null ? 99 : customerStatuses.indexOf(g.status as never)), true),
    byCustomer: byCustomer.rows((g) => `${g.code}\u0000${g.customerId}`),
  };
}

export type GiftReport = Awaited<ReturnType<typeof giftReport>>;

export const giftCsvColumns = ['dimension', 'key', 'label', 'currency', 'spend', 'gifts', 'reversals', 'customers'] as const;

/** The report as one table: a row per dimension, group and currency. */
export function giftCsvRows(r: GiftReport): Array<Array<string | number | null>> {
  type Row = { currency: string; spend: number; gifts: number; reversals: number; customers?: number };
  const rows = <G extends Row>(dimension: string, groups: G[], key: (g: G) => string, label: (g: G) => string = key) =>
    groups.map((g) => [dimension, key(g), label(g), g.currency, g.spend, g.gifts, g.reversals, g.customers ?? null]);
  return [
    ...rows('total', r.totals, () => ''),
    ...rows('reason', r.byReason, (g) => g.reasonCategory),
    ...rows('tier', r.byTier, (g) => g.tier),
    ...rows('giver', r.byGiver, (g) => g.giverId, (g) => g.name),
    ...rows('team', r.byTeam, (g) => g.team),
    ...rows('month', r.byMonth, (g) => g.month),
    ...rows('satisfaction', r.bySatisfaction, (g) => g.band),
    ...rows('retention', r.byRetention, (g) => g.status ?? '', (g) => (g.retained ? 'retained' : 'not retained')),
    ...rows('customer', r.byCustomer, (g) => g.code, (g) => g.name),
  ];
}

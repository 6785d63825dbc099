import { Types } from 'mongoose';
import { CaseModel } from './case.ts';
import { CustomerModel } from './customer.ts';
import { giftReport, monthsOf } from './gift-report.ts';
import { KnowledgeModel } from './knowledge.ts';
import { KnowledgeUseModel } from './knowledge-uses.ts';
import { ratio, reportTiers } from './tier-report.ts';
import { startOfDay } from './time-zone.ts';
import { UserModel } from './user.ts';

// The service report for leadership: the cases opened in a month or quarter (the cohort), how they were answered —
// first-contact resolution, targets met, time to resolve, CSAT — by the customer's tier when the case was opened and
// by the owner's team; the gift spend of the period by reason; and the knowledge entries used most in it.

export type ServiceReportFilters = { tier?: string; region?: string; team?: string };

type CohortCase = {
  tier: string | null; ownerId: Types.ObjectId; status: string; createdAt: Date; resolvedAt: Date | null;
  respondMet: boolean | null; resolveMet: boolean | null; firstContactResolution: boolean | null; closure: { csat: number | null } | null;
};

/** The first moment of the period and of the one after it, on the organisation's clock. */
export function periodBounds(timezone: string, period: string): { from: Date; to: Date } {
  const months = monthsOf(period);
  const [year, month] = months[months.length - 1]!.split('-').map(Number) as [number, number];
  const next = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
  return { from: startOfDay(timezone, `${months[0]}-01`), to: startOfDay(timezone, `${next}-01`) };
}

/** A share rounded like the other reports' (tier-report's ratio), null when there is nothing to share. */
const share = (part: number, whole: number) => (whole ? ratio(part, whole) : null);

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The figures of a group of cases; each rate is over the cases it can be said of (null when there are none). */
export function serviceFigures(cases: CohortCase[]) {
  const closed = cases.filter((c) => c.status === 'closed');
  const responded = cases.filter((c) => c.respondMet !== null);
  const resolvedOnes = cases.filter((c) => c.resolveMet !== null);
  const csat = closed.map((c) => c.closure?.csat).filter((v): v is number => typeof v === 'number');
  const hours = cases.filter((c) => c.resolvedAt).map((c) => (c.resolvedAt!.getTime() - c.createdAt.getTime()) / 3_600_000);
  const medianHours = median(hours);
  return {
    opened: cases.length,
    open: cases.length - closed.length - cases.filter((c) => c.status === 'resolved').length,
    resolved: hours.length,
    closed: closed.length,
    firstContactResolutions: closed.filter((c) => c.firstContactResolution).length,
    firstContactResolutionRate: share(closed.filter((c) => c.firstContactResolution).length, closed.length),
    respondMetRate: share(responded.filter((c) => c.respondMet).length, responded.length),
    resolveMetRate: share(resolvedOnes.filter((c) => c.resolveMet).length, resolvedOnes.length),
    medianHoursToResolve: medianHours === null ? null : Math.round(medianHours * 10) / 10,
    csat: csat.length ? Math.round((csat.reduce((a, b) => a + b, 0) / csat.length) * 100) / 100 : null,
    csatAnswers: csat.length,
  };
}

/** The report of the cases opened in the period (a month `2031-05` or a quarter `2031-Q2`) that pass the filters. */
export async function serviceReport(timezone: string, period: string, filters: ServiceReportFilters) {
  const { from, to } = periodBounds(timezone, period);
  const [teamOwners, regionCustomers] = await Promise.all([
    filters.team === undefined ? null : UserModel.find({ team: filters.team }, { _id: 1 }).lean().then((rows) => rows.map((r) => r._id)),
    filters.region === undefined ? null : CustomerModel.find({ companyRegion: filters.region }, { _id: 1 }).lean().then((rows) => rows.map((r) => r._id)),
  ]);
  const cases = await CaseModel.find({
    createdAt: { $gte: from, $lt: to },
    ...(filters.tier === undefined ? {} : { tier: filters.tier === 'none' ? null : filters.tier }),
    ...(teamOwners ? { ownerId: { $in: teamOwners } } : {}),
    ...(regionCustomers ? { customerId: { $in: regionCustomers } } : {}),
  }, {
    tier: 1, ownerId: 1, status: 1, createdAt: 1, resolvedAt: 1, respondMet: 1, resolveMet: 1, firstContactResolution: 1, closure: 1,
  }).lean<CohortCase[]>();
  const owners = await UserModel.find({ _id: { $in: [...new Set(cases.map((c) => String(c.ownerId)))] } }, { team: 1 }).lean();
  const teamOf = new Map(owners.map((u) => [String(u._id), u.team ?? '']));
  const teams = [...new Set(cases.map((c) => teamOf.get(String(c.ownerId)) ?? ''))].sort();
  const gifts = await giftReport(period, filters);
  return {
    from, to,
    totals: serviceFigures(cases),
    byTier: reportTiers.map((tier) => ({ tier, ...serviceFigures(cases.filter((c) => (c.tier ?? 'none') === tier)) })),
    byTeam: teams.map((team) => ({ team, ...serviceFigures(cases.filter((c) => (teamOf.get(String(c.ownerId)) ?? '') === team)) })),
    giftSpendByReason: gifts.byReason,
    knowledgeUsedMost: await knowledgeUsedMost(from, to),
  };
}

/** The ten entries counted as used in most cases in the period, with their problem and category. */
async function knowledgeUsedMost(from: Date, to: Date) {
  const uses = await KnowledgeUseModel.find({ at: { $gte: from, $lt: to } }, { knowledgeId: 1 }).lean();
  const counts = new Map<string, number>();
  for (const use of uses) counts.set(String(use.knowledgeId), (counts.get(String(use.knowledgeId)) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10);
  const entries = await KnowledgeModel.find({ _id: { $in: top.map(([id]) => new Types.ObjectId(id)) } }, { problem: 1, category: 1 }).lean();
  const byId = new Map(entries.map((e) => [String(e._id), e]));
  return top.filter(([id]) => byId.has(id)).map(([id, cases]) => ({ knowledgeId: id, problem: byId.get(id)!.problem, category: byId.get(id)!.category, cases }));
}

export type ServiceReport = Awaited<ReturnType<typeof serviceReport>>;

export const serviceCsvColumns = [
  'dimension', 'key', 'opened', 'open', 'resolved', 'closed', 'firstContactResolutionRate', 'respondMetRate', 'resolveMetRate',
  'medianHoursToResolve', 'csat', 'csatAnswers',
] as const;

/** One row per group of cases: the totals, each tier, each team. */
export function serviceCsvRows(r: ServiceReport): Array<Array<string | number | null>> {
  const row = (dimension: string, key: string, f: ReturnType<typeof serviceFigures>) => [
    dimension, key, f.opened, f.open, f.resolved, f.closed, f.firstContactResolutionRate, f.respondMetRate, f.resolveMetRate,
    f.medianHoursToResolve, f.csat, f.csatAnswers,
  ];
  return [row('total', '', r.totals), ...r.byTier.map((t) => row('tier', t.tier, t)), ...r.byTeam.map((t) => row('team', t.team, t))];
}

import type { Types } from 'mongoose';
import { ratio, reportTiers, type ReportTier } from './tier-report.ts';
import type { Period, ScopedCustomer } from './report-scope.ts';
import { UserModel } from './user.ts';
import { VisitModel } from './visit.ts';

// Revisit discipline: of the cadence visits due in the period (cancelled ones left out), how many were completed on
// or before their due date, late, marked missed, are still open past due ("overdue now"), or are still ahead. The share
// on cadence is on time / the visits whose due date has come (upcoming ones cannot be judged yet).

export type DueVisit = {
  customerId: Types.ObjectId | string; ownerId: Types.ObjectId | string; status: string; dueAt: Date; completedAt: Date | null;
};
export type Discipline = { due: number; onTime: number; late: number; missed: number; overdue: number; upcoming: number; onCadence: number | null };

export function discipline(visits: DueVisit[], now: Date): Discipline {
  const d = { due: visits.length, onTime: 0, late: 0, missed: 0, overdue: 0, upcoming: 0 };
  for (const v of visits) {
    if (v.status === 'completed') d[v.completedAt && v.completedAt <= v.dueAt ? 'onTime' : 'late']++;
    else if (v.status === 'missed') d.missed++;
    else if (v.dueAt < now) d.overdue++;
    else d.upcoming++;
  }
  const judged = d.due - d.upcoming;
  return { ...d, onCadence: judged ? ratio(d.onTime, judged) : null };
}

export type Owner = { id: string; name: string; team: string };

/** Discipline per tier (every tier, in order), per owner and per team (by name), and in total. */
export function visitReport(customers: ScopedCustomer[], visits: DueVisit[], owners: Map<string, Owner>, now: Date) {
  const tierById = new Map(customers.map((c) => [String(c._id), (c.tier ?? 'none') as ReportTier]));
  const mine = visits.filter((v) => tierById.has(String(v.customerId)));
  const ownerOf = (v: DueVisit) => owners.get(String(v.ownerId)) ?? { id: String(v.ownerId), name: '', team: '' };
  const ownerIds = [...new Set(mine.map((v) => String(v.ownerId)))];
  const teams = [...new Set(mine.map((v) => ownerOf(v).team))].sort();
  return {
    tiers: reportTiers.map((tier) => ({ tier, ...discipline(mine.filter((v) => tierById.get(String(v.customerId)) === tier), now) })),
    owners: ownerIds.map((id) => {
      const o = ownerOf(mine.find((v) => String(v.ownerId) === id)!);
      return { ownerId: id, name: o.name, team: o.team, ...discipline(mine.filter((v) => String(v.ownerId) === id), now) };
    }).sort((a, b) => a.name.localeCompare(b.name) || a.ownerId.localeCompare(b.ownerId)),
    teams: teams.map((team) => ({ team, ...discipline(mine.filter((v) => ownerOf(v).team === team), now) })),
    totals: discipline(mine, now),
  };
}

/** The cadence visits of these customers due in the period, and their owners. */
export async function dueVisits(customers: ScopedCustomer[], period: Period): Promise<{ visits: DueVisit[]; owners: Map<string, Owner> }> {
  if (!customers.length) return { visits: [], owners: new Map() };
  const visits = await VisitModel.find({
    kind: 'cadence', status: { $ne: 'cancelled' }, dueAt: { $gte: period.from, $lt: period.to }, customerId: { $in: customers.map((c) => c._id) },
  }, { customerId: 1, ownerId: 1, status: 1, dueAt: 1, completedAt: 1 }).lean<DueVisit[]>();
  const users = await UserModel.find({ _id: { $in: [...new Set(visits.map((v) => String(v.ownerId)))] } }, { name: 1, team: 1 }).lean();
  return { visits, owners: new Map(users.map((u) => [String(u._id), { id: String(u._id), name: u.name, team: u.team ?? '' }])) };
}

export const visitCsvColumns = ['group', 'key', 'name', 'due', 'onTime', 'late', 'missed', 'overdue', 'upcoming', 'onCadence'] as const;
export function visitCsvRows(report: ReturnType<typeof visitReport>): Array<Array<string | number | null>> {
  const nums = (d: Discipline) => [d.due, d.onTime, d.late, d.missed, d.overdue, d.upcoming, d.onCadence];
  return [
    ...report.tiers.map((t) => ['tier', t.tier, '', ...nums(t)]),
    ...report.teams.map((t) => ['team', t.team, '', ...nums(t)]),
    ...report.owners.map((o) => ['owner', o.ownerId, o.name, ...nums(o)]),
    ['total', '', '', ...nums(report.totals)],
  ];
}

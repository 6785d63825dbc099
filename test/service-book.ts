import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { currentPlanPeriods } from '../models/at-risk-report.ts';
import { CaseModel } from '../models/case.ts';
import { CustomerModel, nameKeyOf, type Tier } from '../models/customer.ts';
import { PlanModel, periodBounds } from '../models/plan.ts';
import { VisitModel } from '../models/visit.ts';
import { createUser, type TestUser } from './factories.ts';

// A hand-built book for the service-level reports (test/routes/reports-service-level.test.ts, the browser test), in a
// region of its own. Manager M (team T) owns S and A1 and is on B's account team; O (team U) owns A2, A3, B and C.
// Period 2026-Q3 (previous: 2026-Q2). The numbers each report must answer are worked out in the tests.

const d = (iso: string) => new Date(iso);

export async function serviceBook() {
  const t = randomUUID().slice(0, 8);
  const region = `Svc-${t}`;
  const [teamT, teamU] = [`T-${t}`, `U-${t}`];
  const m = await createUser({ team: teamT });
  const o = await createUser({ team: teamU });
  const customer = async (label: string, tier: Tier, owner: TestUser, satisfaction: Record<string, unknown>, team: TestUser[] = []) => {
    const name = `Svc ${label} ${t}`;
    const c = await CustomerModel.create({
      code: `SV-${label}-${t}`, name, nameKey: nameKeyOf(name), ownerId: owner.id, accountTeam: team.map((u) => u.id), tier, currency: 'EUR',
      revenue12m: 100, company: { region, industry: label === 'C' ? 'Retail' : 'Steel' }, satisfaction,
    });
    return { id: c.id as string, code: c.code, name: c.name, owner };
  };
  const S = await customer('S', 'S', m, { lastScore: 2, average: 3.33, trend: 'down', lastVisitAt: d('2026-08-20') });
  const A1 = await customer('A1', 'A', m, { lastScore: 4, average: 4, trend: 'flat', lastVisitAt: d('2026-08-05') });
  const A2 = await customer('A2', 'A', o, { lastScore: 5, average: 4, trend: 'up', lastVisitAt: d('2026-09-30T23:00:00Z') });
  const A3 = await customer('A3', 'A', o, { lastScore: 5, average: 5, trend: 'flat', lastVisitAt: d('2026-09-01') });
  const B = await customer('B', 'B', o, { lastScore: 3, average: 3.5, trend: 'down' }, [m]);
  const C = await customer('C', 'C', o, {});

  const visit = (c: { id: string; owner: TestUser }, kind: 'adhoc' | 'cadence', status: 'scheduled' | 'completed' | 'missed' | 'cancelled', dueAt: string, more: Record<string, unknown> = {}) => {
    const _id = new Types.ObjectId();
    return VisitModel.create({
      _id, customerId: c.id, ownerId: c.owner.id, kind, status, dueAt: d(dueAt), scheduledFor: d(dueAt),
      cadenceKey: status === 'scheduled' && kind === 'cadence' ? c.id : `${kind}:${String(_id)}`, ...more,
    });
  };
  const scored = (c: { id: string; owner: TestUser }, at: string, satisfaction: number, recommend: number) =>
    visit(c, 'adhoc', 'completed', at, { completedAt: d(at), satisfaction, recommend });
  // Satisfaction: previous quarter, then this one.
  await scored(S, '2026-04-10', 5, 10);
  await scored(S, '2026-07-15', 3, 8);
  await scored(S, '2026-08-20', 2, 5);
  await scored(A1, '2026-05-01', 4, 9);
  await scored(A1, '2026-07-05', 4, 9);
  await scored(A2, '2026-06-01', 3, 6);
  await scored(A2, '2026-09-30T23:00:00Z', 5, 10);
  await scored(B, '2026-05-20', 4, 7);
  await scored(B, '2026-08-01', 3, 7);
  await scored(C, '2026-10-01', 1, 0); // after the period
  // Revisit discipline (cadence visits due in 2026-Q3).
  await visit(S, 'cadence', 'completed', '2026-07-10', { completedAt: d('2026-07-08') });
  await visit(S, 'cadence', 'scheduled', '2026-09-01');
  await visit(A1, 'cadence', 'completed', '2026-08-01', { completedAt: d('2026-08-05') });
  await visit(A1, 'cadence', 'missed', '2026-09-15');
  await visit(A2, 'cadence', 'completed', '2026-07-20', { completedAt: d('2026-07-20') });
  await visit(A2, 'cadence', 'cancelled', '2026-09-10');
  await visit(B, 'cadence', 'missed', '2026-08-15');
  await visit(C, 'cadence', 'scheduled', '2026-10-05');
  // Cases: only S's critical open case counts.
  const kase = (c: { id: string; owner: TestUser }, severity: 'high' | 'critical' | 'normal', status: 'open' | 'in_progress' | 'resolved') => CaseModel.create({
    customerId: c.id, channel: 'phone', category: 'quality', severity, status, subject: 'x', openedById: c.owner.id, ownerId: c.owner.id,
    respondBy: d('2026-11-01'), resolveBy: d('2026-11-10'),
  });
  await kase(S, 'critical', 'in_progress');
  await kase(A1, 'high', 'resolved');
  await kase(A2, 'normal', 'open');
  // Plans of the current year and quarter: S approved (year), A2 submitted (quarter), A3 closed (year); A1 none.
  const [year, quarter] = currentPlanPeriods(new Date());
  const plan = (c: { id: string; owner: TestUser }, period: string, status: 'approved' | 'submitted' | 'closed') =>
    PlanModel.create({ customerId: c.id, period, ...(({ start, end }) => ({ periodStart: start, periodEnd: end }))(periodBounds(period)), status, ownerId: c.owner.id });
  await plan(S, year, 'approved');
  await plan(A2, quarter, 'submitted');
  await plan(A3, year, 'closed');
  return { region, teamT, teamU, m, o, customers: { S, A1, A2, A3, B, C } };
}
export type ServiceBook = Awaited<ReturnType<typeof serviceBook>>;

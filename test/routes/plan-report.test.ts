import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { handler as refreshReports } from '../../jobs/reports.ts';
import { CustomerModel, nameKeyOf, type Tier } from '../../models/customer.ts';
import { PlanModel, periodBounds, type PlanStatus } from '../../models/plan.ts';
import { readPlanReport } from '../../models/plan-report.ts';
import { buildPlanSnapshot, planReportFrom } from '../../models/plan-snapshot.ts';
import { reportRows } from '../../models/tier-report.ts';
import { ProjectModel } from '../../models/project.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

const uid = () => randomUUID().slice(0, 8);

type Objective = { metric?: string; target: number; actual?: number | null };
type Resource = { kind: string; amount: number; unit?: string };
type PlanSpec = { period: string; status: PlanStatus; objectives?: Objective[]; resources?: Resource[] };
type Spec = { tier: Tier | null; owner: 'T' | 'U'; industry: string; archived?: boolean; plans?: PlanSpec[] };

/**
 * A book of its own region; the period under test is 2026. Listed out of code order on purpose. Team T owns s1, s3, a1,
 * b1, n1 and the archived one. Attainments of the approved/closed 2026 plans: s1 (600/1000 -> 0.6 from a won project,
 * 3/4 -> 0.75) = 0.675; a1 (15/10 capped 1, 50/200 = 0.25) = 0.625; a3 none (no actuals); b1 80/100 = 0.8; n1 25/50 = 0.5.
 */
const specs: Record<string, Spec> = {
  a2: { tier: 'A', owner: 'U', industry: 'Steel', plans: [{ period: '2026', status: 'submitted', resources: [{ kind: 'people', amount: 9, unit: 'FTE' }] }] },
  s3: {
    tier: 'S', owner: 'T', industry: 'Retail',
    plans: [{ period: '2026-Q1', status: 'approved', objectives: [{ target: 4, actual: 1 }], resources: [{ kind: 'people', amount: 1, unit: 'FTE' }] }],
  },
  s2: { tier: 'S', owner: 'U', industry: 'Retail', plans: [{ period: '2026', status: 'draft', resources: [{ kind: 'people', amount: 3, unit: 'FTE' }] }] },
  s1: {
    tier: 'S', owner: 'T', industry: 'Steel',
    plans: [{
      period: '2026', status: 'approved',
      objectives: [{ metric: 'revenue', target: 1000, actual: null }, { target: 4, actual: 3 }],
      resources: [{ kind: 'budget', amount: 50_000, unit: 'EUR' }, { kind: 'people', amount: 10, unit: 'days' }, { kind: 'people', amount: 1.5, unit: 'FTE' }],
    }],
  },
  a1: {
    tier: 'A', owner: 'T', industry: 'Retail',
    plans: [{
      period: '2026', status: 'closed', objectives: [{ target: 10, actual: 15 }, { target: 200, actual: 50 }],
      resources: [{ kind: 'support', amount: 5, unit: 'days' }, { kind: 'people', amount: 2, unit: 'FTE' }],
    }],
  },
  a3: {
    tier: 'A', owner: 'U', industry: 'Retail',
    plans: [{
      period: '2026', status: 'approved', objectives: [{ target: 10 }],
      resources: [{ kind: 'budget', amount: 20_000, unit: 'EUR' }, { kind: 'people', amount: 0.5, unit: 'FTE' }],
    }],
  },
  b1: {
    tier: 'B', owner: 'T', industry: 'Retail',
    plans: [{ period: '2026', status: 'approved', objectives: [{ target: 100, actual: 80 }], resources: [{ kind: 'executive_sponsor', amount: 1 }] }],
  },
  b2: {
    tier: 'B', owner: 'U', industry: 'Retail',
    plans: [{ period: '2025', status: 'approved', objectives: [{ target: 1, actual: 1 }], resources: [{ kind: 'people', amount: 7, unit: 'FTE' }] }],
  },
  c1: { tier: 'C', owner: 'U', industry: 'Retail' },
  n1: {
    tier: null, owner: 'T', industry: 'Retail',
    plans: [{ period: '2026', status: 'approved', objectives: [{ target: 50, actual: 25 }], resources: [{ kind: 'people', amount: 1, unit: 'FTE' }] }],
  },
  gone: {
    tier: 'S', owner: 'T', industry: 'Steel', archived: true,
    plans: [{ period: '2026', status: 'approved', objectives: [{ target: 1, actual: 1 }], resources: [{ kind: 'people', amount: 100, unit: 'FTE' }] }],
  },
};

async function book() {
  const t = uid();
  const region = `Region-${t}`;
  const team = `Team-${t}`;
  const owners = { T: await createUser({ team }), U: await createUser({ team: `Other-${t}` }) };
  const customers: Record<string, { id: string; code: string; name: string; ownerId: string }> = {};
  for (const [label, s] of Object.entries(specs)) {
    const name = `Plan report ${label} ${t}`;
    const owner = owners[s.owner];
    const c = await CustomerModel.create({
      code: `PR-${label}-${t}`, name, nameKey: nameKeyOf(name), ownerId: owner.id, tier: s.tier, currency: 'EUR',
      company: { region, industry: s.industry }, archived: s.archived ?? false,
    });
    customers[label] = { id: c.id as string, code: c.code, name: c.name, ownerId: owner.id };
    for (const p of s.plans ?? []) {
      const { start, end } = periodBounds(p.period);
      await PlanModel.create({
        customerId: c._id, period: p.period, periodStart: start, periodEnd: end, status: p.status, ownerId: owner.id,
        objectives: (p.objectives ?? []).map((o, i) => ({ title: `Objective ${i}`, metric: o.metric ?? 'count', target: o.target, actual: o.actual ?? null })),
        resources: p.resources ?? [],
      });
    }
  }
  // s1's revenue objective: 600 won inside 2026; the win on the last instant of 2025 and the lost bid do not count.
  const project = (value: number, stage: 'won' | 'lost', wonAt: string | null) => ProjectModel.create({
    customerId: customers.s1!.id, name: `Deal ${uid()}`, stage, value, currency: 'EUR', wonAt: wonAt && new Date(wonAt), ownerId: owners.T.id,
  });
  await project(600, 'won', '2026-03-10T00:00:00Z');
  await project(5000, 'won', '2025-12-31T23:59:59.999Z');
  await project(7000, 'lost', null);
  return { region, team, customers, executive: await createUser({ role: 'executive' }), admin: await createUser({ role: 'admin' }) };
}
type Book = Awaited<ReturnType<typeof book>>;

const get = (user: TestUser, query: Record<string, string>) => api().get('/api/v1/reports/plans').query(query).set(bearer(user));
const res = (kind: string, unit: string, amount: number) => ({ kind, unit, amount });
const row = (tier: string, customers: number, withApprovedPlan: number, coverage: number, meanAttainment: number | null, resources: object[] = []) => ({
  tier, keyAccount: tier === 'S' || tier === 'A', customers, withApprovedPlan, coverage, resources, meanAttainment,
});

describe('GET /api/v1/reports/plans', () => {
  let b: Book;
  // This and next year's and quarter's reports are what the worker last added up (every minute); others are read live.
  before(async () => { b = await book(); await refreshReports(); });

  const gap = (label: string, tier: Tier, planStatus: PlanStatus | null) => {
    const c = b.customers[label]!;
    return { customerId: c.id, code: c.code, name: c.name, tier, ownerId: c.ownerId, planStatus };
  };

  it('counts per tier the customers with an approved or closed plan, their resources and mean attainment, and the key accounts without one', async () => {
    const { body } = await get(b.executive, { period: '2026', region: b.region }).expect(200);
    expect(body.period).to.equal('2026');
    expect(body.filters).to.deep.equal({ region: b.region });
    expect(body.tiers).to.deep.equal([
      row('S', 3, 1, 0.3333, 0.675, [res('people', 'FTE', 1.5), res('people', 'days', 10), res('budget', 'EUR', 50_000)]),
      row('A', 3, 2, 0.6667, 0.625, [res('people', 'FTE', 2.5), res('budget', 'EUR', 20_000), res('support', 'days', 5)]),
      row('B', 2, 1, 0.5, 0.8, [res('executive_sponsor', '', 1)]),
      row('C', 1, 0, 0, null),
      row('none', 1, 1, 1, 0.5, [res('people', 'FTE', 1)]),
    ]);
    expect(body.totals).to.deep.equal({
      customers: 10, withApprovedPlan: 5, coverage: 0.5, meanAttainment: 0.65,
      resources: [res('people', 'FTE', 5), res('people', 'days', 10), res('budget', 'EUR', 70_000), res('executive_sponsor', '', 1), res('support', 'days', 5)],
    });
    expect(body.keyAccountsWithoutApprovedPlan).to.deep.equal([gap('s2', 'S', 'draft'), gap('s3', 'S', null), gap('a2', 'A', 'submitted')]);
    // The revenue actual is measured, not stored.
    const stored = await PlanModel.findOne({ customerId: b.customers.s1!.id, period: '2026' }).lean();
    expect(stored!.objectives[0]).to.deep.include({ metric: 'revenue', actual: null });
  });

  it("answers from the worker's sums exactly what the plans themselves give, for every filter", async () => {
    for (const period of ['2026', '2026-Q1', '2025']) {
      const snapshot = await buildPlanSnapshot(period);
      for (const filters of [{ region: b.region }, { region: b.region, team: b.team }, { region: b.region, industry: 'Retail' }, { region: b.region, team: 'nobody' }]) {
        expect(planReportFrom(snapshot, filters), `${period} ${JSON.stringify(filters)}`).to.deep.equal(await readPlanReport((await reportRows(filters)).rows, period));
      }
    }
  });

  it('reports a quarter on its own plans only', async () => {
    const { body } = await get(b.admin, { period: '2026-Q1', region: b.region }).expect(200);
    expect(body.period).to.equal('2026-Q1');
    expect(body.tiers[0]).to.deep.equal(row('S', 3, 1, 0.3333, 0.25, [res('people', 'FTE', 1)]));
    expect(body.tiers.slice(1).map((r: { withApprovedPlan: number }) => r.withApprovedPlan)).to.deep.equal([0, 0, 0, 0]);
    expect(body.totals).to.deep.equal({ customers: 10, withApprovedPlan: 1, coverage: 0.1, meanAttainment: 0.25, resources: [res('people', 'FTE', 1)] });
    expect(body.keyAccountsWithoutApprovedPlan).to.deep.equal([
      gap('s1', 'S', null), gap('s2', 'S', null), gap('a1', 'A', null), gap('a2', 'A', null), gap('a3', 'A', null),
    ]);
  });

  it("narrows to the owner's team, to an industry, and answers zeros for a filter nobody matches", async () => {
    const team = await get(b.executive, { period: '2026', region: b.region, team: b.team }).expect(200);
    expect(team.body.filters).to.deep.equal({ region: b.region, team: b.team });
    expect(team.body.tiers).to.deep.equal([
      row('S', 2, 1, 0.5, 0.675, [res('people', 'FTE', 1.5), res('people', 'days', 10), res('budget', 'EUR', 50_000)]),
      row('A', 1, 1, 1, 0.625, [res('people', 'FTE', 2), res('support', 'days', 5)]),
      row('B', 1, 1, 1, 0.8, [res('executive_sponsor', '', 1)]),
      row('C', 0, 0, 0, null),
      row('none', 1, 1, 1, 0.5, [res('people', 'FTE', 1)]),
    ]);
    expect(team.body.totals).to.deep.include({ customers: 5, withApprovedPlan: 4, coverage: 0.8, meanAttainment: 0.65 });
    expect(team.body.keyAccountsWithoutApprovedPlan).to.deep.equal([gap('s3', 'S', null)]);

    const steel = await get(b.executive, { period: '2026', region: b.region, industry: 'Steel' }).expect(200);
    expect(steel.body.tiers.map((r: { customers: number }) => r.customers)).to.deep.equal([1, 1, 0, 0, 0]);
    expect(steel.body.totals).to.deep.include({ customers: 2, withApprovedPlan: 1, coverage: 0.5, meanAttainment: 0.675 });
    expect(steel.body.keyAccountsWithoutApprovedPlan).to.deep.equal([gap('a2', 'A', 'submitted')]);

    const nobody = await get(b.executive, { period: '2026', region: b.region, team: `No-team-${uid()}` }).expect(200);
    expect(nobody.body.tiers).to.deep.equal(['S', 'A', 'B', 'C', 'none'].map((tier) => row(tier, 0, 0, 0, null)));
    expect(nobody.body.totals).to.deep.equal({ customers: 0, withApprovedPlan: 0, coverage: 0, meanAttainment: null, resources: [] });
    expect(nobody.body.keyAccountsWithoutApprovedPlan).to.deep.equal([]);
  });

  it('answers CSV, a row per tier and a total, a column per resource kind and unit, when Accept prefers text/csv', async () => {
    const csv = await get(b.executive, { period: '2026', region: b.region }).set('Accept', 'text/csv').expect(200);
    expect(csv.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).to.match(/^attachment; filename="plan-report-2026-\d{4}-\d\d-\d\d\.csv"$/);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines).to.deep.equal([
      'tier,keyAccount,customers,withApprovedPlan,coverage,meanAttainment,people FTE,people days,budget EUR,executive_sponsor,support days',
      'S,true,3,1,0.3333,0.675,1.5,10,50000,0,0',
      'A,true,3,2,0.6667,0.625,2.5,0,20000,0,5',
      'B,false,2,1,0.5,0.8,0,0,0,1,0',
      'C,false,1,0,0,,0,0,0,0,0',
      'none,false,1,1,1,0.5,1,0,0,0,0',
      'total,,10,5,0.5,0.65,5,10,70000,1,5',
    ]);
    const rows = parse(csv.text, { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows[1]).to.deep.include({ tier: 'A', 'people FTE': '2.5', 'support days': '5' });
    const json = await get(b.executive, { period: '2026', region: b.region }).set('Accept', 'application/json, text/csv;q=0.5').expect(200);
    expect(json.headers['content-type']).to.match(/^application\/json/);
  });

  it('gives a manager without customers an empty report, answers 401 without a token and 400 to a missing, malformed or operator period', async () => {
    expect((await get(await createUser({ role: 'manager', team: b.team }), { period: '2026', region: b.region }).expect(200)).body.totals.customers).to.equal(0);
    expectProblem(await api().get('/api/v1/reports/plans?period=2026'), 401);
    const missing = expectProblem(await get(b.executive, { region: b.region }), 400);
    expect(missing.errors).to.deep.equal([{ field: 'period', message: 'period is required' }]);
    for (const period of ['2026-Q5', '26', '2026-q1', '2026-01', 'Q1-2026', '']) {
      const bad = expectProblem(await get(b.executive, { period }), 400);
      expect(bad.errors!.map((e) => e.field), period).to.deep.equal(['period']);
    }
    const operator = expectProblem(await get(b.executive, { 'period[$ne]': 'x' }), 400);
    expect(operator.errors!.map((e) => e.field).sort()).to.deep.equal(['period', 'period[$ne]']);
    expectProblem(await api().get('/api/v1/reports/plans?period=2026&period=2027').set(bearer(b.executive)), 400);
    expectProblem(await get(b.executive, { period: '2026', region: 'x'.repeat(101) }), 400);
  });
});

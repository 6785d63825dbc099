import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Test } from 'supertest';
import { CustomerModel, nameKeyOf, type Tier } from '../../models/customer.ts';
import { PlanModel, periodBounds, planStatuses, planTransitions, type PlanStatus } from '../../models/plan.ts';
import { ProjectModel, type ProjectStage } from '../../models/project.ts';
import { describeCustomerAccess } from '../access-matrix.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

const uid = () => randomUUID().slice(0, 8);
const missing = '0123456789abcdef01234567';

async function makeCustomer(owner: TestUser, accountTeam: TestUser[] = [], tier: Tier | null = null) {
  const name = `Plans Co ${uid()}`;
  return CustomerModel.create({
    code: `PL-${randomUUID().slice(0, 12)}`, name, nameKey: nameKeyOf(name), ownerId: owner.id, accountTeam: accountTeam.map((u) => u.id),
    currency: 'EUR', tier,
  });
}
type Customer = Awaited<ReturnType<typeof makeCustomer>>;

/** A plan written straight to the database, so a test can start it in any status. */
function makePlan(customer: Customer, ownerId: string, fields: Record<string, unknown> = {}) {
  const period = (fields.period as string | undefined) ?? '2026';
  const { start, end } = periodBounds(period);
  return PlanModel.create({
    customerId: customer._id, period, periodStart: start, periodEnd: end, ownerId, status: 'draft', strategy: 'Grow the core network',
    objectives: [{ title: 'Share of wallet', metric: 'share', target: 40, unit: '%', dueDate: new Date('2026-12-31T00:00:00Z') }],
    resources: [{ kind: 'people', amount: 2, unit: 'FTE', description: 'Solution architects' }],
    ...fields,
  });
}

/** A customer with an owner and a team member, people who are not on it, and a draft plan. */
async function world(status: PlanStatus = 'draft') {
  const team = `Plans-${uid()}`;
  const owner = await createUser({ role: 'manager', team });
  const member = await createUser({ role: 'manager', team });
  const outsider = await createUser({ role: 'manager', team });
  const executive = await createUser({ role: 'executive' });
  const admin = await createUser({ role: 'admin' });
  const customer = await makeCustomer(owner, [member]);
  const plan = await makePlan(customer, owner.id, { status });
  return { owner, member, outsider, executive, admin, customer, plan };
}
type World = Awaited<ReturnType<typeof world>>;

const planUrl = (id: unknown) => `/api/v1/plans/${String(id)}`;
const customerPlansUrl = (id: unknown) => `/api/v1/customers/${String(id)}/plans`;
const storedPlans = (w: { customer: Customer }) => PlanModel.find({ customerId: w.customer._id }).sort({ _id: 1 }).lean();
const stored = async (id: unknown) => (await PlanModel.findById(String(id)).lean())!;
const patch = (w: World, user: TestUser, body: object, id: unknown = w.plan._id) => api().patch(planUrl(id)).set(bearer(user)).send(body);
const fields = (res: { errors?: Array<{ field: string }> }) => res.errors!.map((e) => e.field);

const newPlan = {
  period: '2027',
  strategy: '  Become the preferred supplier  ',
  objectives: [
    { title: 'Revenue', metric: 'revenue', target: 1_000_000 },
    { title: 'Executive meetings', metric: 'meetings', target: 4, unit: 'meetings', dueDate: '2027-06-30' },
  ],
  resources: [{ kind: 'budget', amount: 50_000_00, unit: 'EUR' }, { kind: 'executive_sponsor', amount: 1, description: 'CTO' }],
};

describe('POST /api/v1/customers/:id/plans', () => {
  it('creates a draft owned by the caller, with period bounds, Location and ETag, and stores it', async () => {
    const w = await world();
    const res = await api().post(customerPlansUrl(w.customer.id)).set(bearer(w.member)).send(newPlan).expect(201);
    expect(res.headers.location).to.equal(planUrl(res.body.id));
    expect(res.headers.etag).to.equal('"0"');
    expect(res.body).to.include({
      customerId: w.customer.id, period: '2027', status: 'draft', ownerId: w.member.id, strategy: 'Become the preferred supplier',
      periodStart: '2027-01-01T00:00:00.000Z', periodEnd: '2028-01-01T00:00:00.000Z', approvedBy: null, approvedAt: null, closedAt: null,
      review: '', attainment: 0,
    });
    expect(res.body.customer).to.deep.equal({ id: w.customer.id, code: w.customer.code, name: w.customer.name, tier: null });
    expect(res.body.objectives.map((o: { unit: string; actual: unknown; status: string }) => [o.unit, o.actual, o.status]))
      .to.deep.equal([['EUR', 0, 'open'], ['meetings', null, 'open']]);
    expect(res.body.objectives[0].attainment).to.deep.equal({ ratio: 0, capped: 0 });
    const plan = await stored(res.body.id);
    expect(plan).to.include({ period: '2027', status: 'draft', strategy: 'Become the preferred supplier' });
    expect(String(plan.ownerId)).to.equal(w.member.id);
    expect(plan.periodStart.toISOString()).to.equal('2027-01-01T00:00:00.000Z');
    expect(plan.objectives.map((o) => String(o._id))).to.deep.equal(res.body.objectives.map((o: { id: string }) => o.id));
    expect(plan.objectives[1]!.dueDate!.toISOString()).to.equal('2027-06-30T00:00:00.000Z');
    expect(plan.resources.map((r) => [r.kind, r.amount, r.description])).to.deep.equal([['budget', 50_000_00, ''], ['executive_sponsor', 1, 'CTO']]);
  });

  it('sets quarter bounds and takes another active user as owner, refusing an inactive or unknown one', async () => {
    const w = await world();
    const gone = await createUser({ role: 'manager', active: false });
    for (const ownerId of [gone.id, missing]) {
      const problem = expectProblem(await api().post(customerPlansUrl(w.customer.id)).set(bearer(w.owner)).send({ period: '2027-Q2', ownerId }), 400);
      expect(fields(problem)).to.deep.equal(['ownerId']);
    }
    const res = await api().post(customerPlansUrl(w.customer.id)).set(bearer(w.admin)).send({ period: '2027-Q2', ownerId: w.member.id }).expect(201);
    const plan = await stored(res.body.id);
    expect([plan.periodStart.toISOString(), plan.periodEnd.toISOString()]).to.deep.equal(['2027-04-01T00:00:00.000Z', '2027-07-01T00:00:00.000Z']);
    expect(String(plan.ownerId)).to.equal(w.member.id);
  });

  it('answers 409 to a second plan for the same customer and period, and keeps the first', async () => {
    const w = await world();
    const problem = expectProblem(await api().post(customerPlansUrl(w.customer.id)).set(bearer(w.owner)).send({ period: '2026' }), 409);
    expect(problem.detail).to.include('2026');
    const plans = await storedPlans(w);
    expect(plans.map((p) => String(p._id))).to.deep.equal([w.plan.id]);
    expect(plans[0]!.strategy).to.equal('Grow the core network');
  });

  const badBodies: Array<[string, Record<string, unknown>, string]> = [
    ['a quarter that does not exist', { period: '2027-Q5' }, 'period'],
    ['a year out of range', { period: '1999' }, 'period'],
    ['no period', { strategy: 'x' }, 'period'],
    ['a negative target', { period: '2027', objectives: [{ title: 't', metric: 'm', target: -1 }] }, 'objectives.0.target'],
    ['an objective without a metric', { period: '2027', objectives: [{ title: 't', target: 1 }] }, 'objectives.0.metric'],
    ['a target as a string', { period: '2027', objectives: [{ title: 't', metric: 'm', target: '10' }] }, 'objectives.0.target'],
    ['an unknown objective status', { period: '2027', objectives: [{ title: 't', metric: 'm', target: 1, status: 'done' }] }, 'objectives.0.status'],
    ['an actual on a revenue objective', { period: '2027', objectives: [{ title: 't', metric: 'revenue', target: 1, actual: 5 }] }, 'objectives.0.actual'],
    ['an objective id on create', { period: '2027', objectives: [{ id: missing, title: 't', metric: 'm', target: 1 }] }, 'objectives.0.id'],
    ['an unknown field', { period: '2027', status: 'approved' }, 'status'],
    ['an unknown resource kind', { period: '2027', resources: [{ kind: 'magic', amount: 1 }] }, 'resources.0.kind'],
    ['a negative resource amount', { period: '2027', resources: [{ kind: 'people', amount: -2 }] }, 'resources.0.amount'],
    ['an unknown resource owner', { period: '2027', resources: [{ kind: 'people', amount: 1, ownerId: missing }] }, 'resources.0.ownerId'],
    ['an operator object as the period', { period: { $gt: '' } }, 'period'],
    ['an operator object as the owner', { period: '2027', ownerId: { $ne: null } }, 'ownerId'],
    ['an operator as a key', { period: '2027', $set: { status: 'closed' } }, '$set'],
    ['a malformed owner id', { period: '2027', ownerId: 'xyz' }, 'ownerId'],
    ['too many objectives', { period: '2027', objectives: Array.from({ length: 51 }, () => ({ title: 't', metric: 'm', target: 1 })) }, 'objectives'],
  ];
  for (const [what, body, field] of badBodies) {
    it(`answers 400 naming ${field} for ${what}, and stores nothing`, async () => {
      const w = await world();
      const problem = expectProblem(await api().post(customerPlansUrl(w.customer.id)).set(bearer(w.owner)).send(body), 400);
      expect(fields(problem)).to.include(field);
      expect((await storedPlans(w)).length).to.equal(1);
    });
  }
});

type Route = { name: string; write: boolean; ok: number; call: (w: World, user: TestUser) => Test };
const routes: Route[] = [
  { name: 'GET /customers/:id/plans', write: false, ok: 200, call: (w, u) => api().get(customerPlansUrl(w.customer.id)).set(bearer(u)) },
  { name: 'POST /customers/:id/plans', write: true, ok: 201, call: (w, u) => api().post(customerPlansUrl(w.customer.id)).set(bearer(u)).send({ period: '2028' }) },
  { name: 'GET /plans/:id', write: false, ok: 200, call: (w, u) => api().get(planUrl(w.plan._id)).set(bearer(u)) },
  { name: 'PATCH /plans/:id', write: true, ok: 200, call: (w, u) => patch(w, u, { strategy: 'Changed' }) },
  { name: 'POST /plans/:id/copy', write: true, ok: 201, call: (w, u) => api().post(`${planUrl(w.plan._id)}/copy`).set(bearer(u)).send({ period: '2028' }) },
];

describe('plans: access as to the customer', () => {
  describeCustomerAccess({
    routes, world: () => world(), stored: storedPlans, recordId: (w) => w.plan.id,
    absent: (w, route) => (route.name.includes('/customers/') ? { ...w, customer: { id: missing } } : { ...w, plan: { _id: missing } }) as unknown as World,
  });

  it('leaves plans of customers a manager may not see out of GET /plans, whatever the filter', async () => {
    const w = await world();
    const own = await makePlan(await makeCustomer(w.outsider), w.owner.id);
    for (const query of [`customerId=${w.customer.id}`, `owner=${w.owner.id}`, `owner=${w.owner.id}&period=2026`]) {
      const res = await api().get(`/api/v1/plans?${query}`).set(bearer(w.outsider)).expect(200);
      const ids = res.body.items.map((p: { id: string }) => p.id);
      expect(ids, query).to.not.include(w.plan.id);
      if (query.startsWith('owner')) expect(ids, query).to.deep.equal([own.id]);
    }
    const seen = await api().get(`/api/v1/plans?customerId=${w.customer.id}`).set(bearer(w.executive)).expect(200);
    expect(seen.body.items.map((p: { id: string }) => p.id)).to.deep.equal([w.plan.id]);
  });

  it('answers 404 for malformed ids, 400 for malformed query ids, and 401 without a token', async () => {
    const w = await world();
    for (const url of [planUrl('not-an-id'), planUrl('0123456789abcdef0123456z'), customerPlansUrl('nope')]) {
      expectProblem(await api().get(url).set(bearer(w.admin)), 404);
    }
    expectProblem(await patch(w, w.admin, { strategy: 'x' }, 'not-an-id'), 404);
    expectProblem(await api().post(`${planUrl('nope')}/copy`).set(bearer(w.admin)).send({ period: '2028' }), 404);
    for (const query of ['customerId=123', 'owner=someone', 'tier=X', 'status=done', 'period=2027-Q5', 'period[$gt]=', 'color=red', 'cursor=bm9wZQ']) {
      expectProblem(await api().get(`/api/v1/plans?${query}`).set(bearer(w.admin)), 400);
    }
    for (const route of routes) expectProblem(await route.call(w, w.owner).unset('Authorization'), 401);
    expect((await storedPlans(w)).length).to.equal(1);
  });
});

describe('PATCH /api/v1/plans/:id: status moves', () => {
  const mover = { owner: 'owner', leadership: 'executive', either: 'owner' } as const;
  const extra = (needs?: string) => (needs === 'comment' ? { comment: 'Targets too low' } : needs === 'review' ? { review: 'Met most goals' } : {});

  it('makes every move in the table for whoever it names, and refuses every other move with 409', async () => {
    const w = await world();
    for (const from of planStatuses) {
      for (const to of planStatuses) {
        const move = planTransitions[from].find((m) => m.to === to);
        const plan = await makePlan(w.customer, w.owner.id, { period: `20${30 + planStatuses.indexOf(from)}-Q${planStatuses.indexOf(to) + 1}`, status: from });
        const res = await patch(w, w[move ? mover[move.by] : 'admin'], { status: to, ...extra(move?.needs) }, plan._id);
        if (move) {
          expect(res.status, `${from} -> ${to}: ${JSON.stringify(res.body)}`).to.equal(200);
          expect((await stored(plan._id)).status).to.equal(to);
        } else {
          const problem = expectProblem(res, 409);
          expect(problem.detail, `${from} -> ${to}`).to.include(from === 'closed' ? 'final' : `${from} -> `);
          expect((await stored(plan._id)).status).to.equal(from);
        }
      }
    }
  });

  it('lets the owner side submit, not an executive who does not own the plan', async () => {
    const w = await world();
    expectProblem(await patch(w, w.executive, { status: 'submitted' }), 403);
    expect((await stored(w.plan._id)).status).to.equal('draft');
    await patch(w, w.member, { status: 'submitted', comment: 'Ready for review' }).expect(200);
    expect(await stored(w.plan._id)).to.include({ status: 'submitted', statusComment: 'Ready for review' });
  });

  it('lets an executive approve, recording who and when, and refuses a manager with 403', async () => {
    const w = await world('submitted');
    expectProblem(await patch(w, w.owner, { status: 'approved' }), 403);
    expect((await stored(w.plan._id)).approvedAt).to.equal(null);
    const started = Date.now();
    const res = await patch(w, w.executive, { status: 'approved' }).expect(200);
    expect(res.body).to.include({ status: 'approved', approvedBy: w.executive.id });
    const plan = await stored(w.plan._id);
    expect(String(plan.approvedById)).to.equal(w.executive.id);
    expect(plan.approvedAt!.getTime()).to.be.within(started - 1000, Date.now() + 1000);
  });

  it('sends a submitted plan back to draft only with a comment, which it stores', async () => {
    const w = await world('submitted');
    expect(fields(expectProblem(await patch(w, w.executive, { status: 'draft' }), 400))).to.deep.equal(['comment']);
    expectProblem(await patch(w, w.owner, { status: 'draft', comment: 'Back' }), 403);
    expect((await stored(w.plan._id)).status).to.equal('submitted');
    await patch(w, w.admin, { status: 'draft', comment: 'Add a budget line' }).expect(200);
    expect(await stored(w.plan._id)).to.include({ status: 'draft', statusComment: 'Add a budget line' });
  });

  it('closes an approved plan only with a review, by the owner side or an executive', async () => {
    const w = await world('approved');
    expect(fields(expectProblem(await patch(w, w.owner, { status: 'closed' }), 400))).to.deep.equal(['review']);
    expect(fields(expectProblem(await patch(w, w.owner, { review: 'Done' }), 400))).to.include('review');
    expect((await stored(w.plan._id)).status).to.equal('approved');
    await patch(w, w.member, { status: 'closed', review: 'Share grew to 38 %' }).expect(200);
    const plan = await stored(w.plan._id);
    expect(plan).to.include({ status: 'closed', review: 'Share grew to 38 %' });
    expect(plan.closedAt).to.be.instanceOf(Date);
    const other = await makePlan(w.customer, w.owner.id, { period: '2025', status: 'approved' });
    await patch(w, w.executive, { status: 'closed', review: 'Reviewed at the board' }, other._id).expect(200);
    expect((await stored(other._id)).status).to.equal('closed');
  });

  it('refuses a review on any move but closing', async () => {
    const w = await world();
    expect(fields(expectProblem(await patch(w, w.owner, { status: 'submitted', review: 'x' }), 400))).to.deep.equal(['review']);
    expect((await stored(w.plan._id)).status).to.equal('draft');
  });
});

describe('PATCH /api/v1/plans/:id: editing', () => {
  it('changes anything in a draft, keeping an objective id the client sends', async () => {
    const w = await world();
    const kept = String(w.plan.objectives[0]!._id);
    const res = await patch(w, w.owner, {
      strategy: 'Expand into storage', ownerId: w.member.id,
      objectives: [{ id: kept, target: 50, actual: 10 }, { title: 'NPS', metric: 'nps', target: 30 }],
      resources: [{ kind: 'support', amount: 10, unit: 'days', ownerId: w.member.id }],
    }).expect(200);
    expect(res.headers.etag).to.equal('"1"');
    const plan = await stored(w.plan._id);
    expect(plan).to.include({ strategy: 'Expand into storage', status: 'draft' });
    expect(String(plan.ownerId)).to.equal(w.member.id);
    expect(plan.objectives.map((o) => [o.title, o.target, o.actual, o.unit])).to.deep.equal([['Share of wallet', 50, 10, '%'], ['NPS', 30, null, '']]);
    expect(String(plan.objectives[0]!._id)).to.equal(kept);
    expect(plan.resources.map((r) => [r.kind, r.amount, String(r.ownerId)])).to.deep.equal([['support', 10, w.member.id]]);
  });

  for (const status of ['submitted', 'approved'] as const) {
    it(`takes only objectives' actuals and statuses in a ${status} plan`, async () => {
      const w = await world(status);
      const id = String(w.plan.objectives[0]!._id);
      const refused: object[] = [
        { strategy: 'Other' }, { ownerId: w.member.id }, { resources: [] }, { objectives: [] },
        { objectives: [{ id, target: 41 }] }, { objectives: [{ id, title: 'Renamed' }] },
        { objectives: [{ id }, { title: 'New', metric: 'm', target: 1 }] },
      ];
      for (const body of refused) {
        const problem = expectProblem(await patch(w, w.owner, body), 409);
        expect(problem.detail).to.equal('Only drafts are editable; actuals stay editable until the plan is closed.');
      }
      expect(await stored(w.plan._id)).to.deep.equal(w.plan.toObject());
      expectProblem(await patch(w, w.executive, { objectives: [{ id, actual: 1 }] }), 403);
      expect(fields(expectProblem(await patch(w, w.owner, { objectives: [{ id: missing, actual: 1 }] }), 400))).to.deep.equal(['objectives.0.id']);
      // Echoing what is stored is no change.
      await patch(w, w.owner, { strategy: 'Grow the core network', objectives: [{ id, actual: 30, status: 'on_track', title: 'Share of wallet', target: 40 }] }).expect(200);
      const plan = await stored(w.plan._id);
      expect(plan.objectives.map((o) => [String(o._id), o.actual, o.status, o.target])).to.deep.equal([[id, 30, 'on_track', 40]]);
      expect(plan.status).to.equal(status);
    });
  }

  it('refuses everything on a closed plan with 409', async () => {
    const w = await world('closed');
    const id = String(w.plan.objectives[0]!._id);
    for (const body of [{ objectives: [{ id, actual: 5 }] }, { strategy: 'x' }, { status: 'approved' }]) expectProblem(await patch(w, w.admin, body), 409);
    expect(await stored(w.plan._id)).to.deep.equal(w.plan.toObject());
  });

  it('answers 412 to a stale If-Match and changes nothing, and applies a current one', async () => {
    const w = await world();
    await patch(w, w.owner, { strategy: 'First' }).expect(200);
    expectProblem(await patch(w, w.member, { strategy: 'Second' }).set('If-Match', '"0"'), 412);
    expect((await stored(w.plan._id)).strategy).to.equal('First');
    const res = await patch(w, w.member, { strategy: 'Second' }).set('If-Match', '"1"').expect(200);
    expect(res.headers.etag).to.equal('"2"');
    expect((await stored(w.plan._id)).strategy).to.equal('Second');
  });
});

describe('plans: plan versus actual', () => {
  it('computes attainment per objective and the mean of the capped ones', async () => {
    const w = await world();
    const plan = await makePlan(w.customer, w.owner.id, {
      period: '2027', objectives: [
        { title: 'A', metric: 'm', target: 100, actual: 50 }, { title: 'B', metric: 'm', target: 200, actual: 300 }, { title: 'C', metric: 'm', target: 10 },
      ],
    });
    const res = await api().get(planUrl(plan._id)).set(bearer(w.owner)).expect(200);
    expect(res.body.objectives.map((o: { attainment: unknown }) => o.attainment))
      .to.deep.equal([{ ratio: 0.5, capped: 0.5 }, { ratio: 1.5, capped: 1 }, { ratio: null, capped: null }]);
    expect(res.body.attainment).to.equal(0.75);
  });

  it('fills a revenue objective from the projects won in the period, and freezes it at closing', async () => {
    const w = await world();
    const customer = await makeCustomer(w.owner);
    const won = (value: number, wonAt: string, stage: ProjectStage = 'won') => ProjectModel.create({
      customerId: customer._id, name: `Deal ${uid()}`, stage, value, currency: 'EUR', ownerId: w.owner.id, wonAt: stage === 'lost' ? null : new Date(wonAt),
    });
    await won(30_000, '2026-03-01T00:00:00Z');
    await won(10_000, '2026-12-31T23:00:00Z', 'delivering');
    await won(70_000, '2025-12-31T23:59:00Z');
    await won(90_000, '2027-01-01T00:00:00Z');
    await won(5_000, '2026-05-01T00:00:00Z', 'lost');
    const plan = await makePlan(customer, w.owner.id, {
      period: '2026-Q1', status: 'approved', objectives: [{ title: 'Revenue', metric: 'revenue', target: 80_000 }, { title: 'X', metric: 'x', target: 4, actual: 4 }],
    });
    const year = await makePlan(customer, w.owner.id, { period: '2026', status: 'submitted', objectives: [{ title: 'Revenue', metric: 'revenue', target: 80_000 }] });
    const res = await api().get(planUrl(plan._id)).set(bearer(w.owner)).expect(200);
    expect(res.body.objectives[0]).to.include({ actual: 30_000 });
    expect(res.body.objectives[0].attainment).to.deep.equal({ ratio: 0.375, capped: 0.375 });
    expect(res.body.attainment).to.equal(0.6875);
    const yearly = await api().get(planUrl(year._id)).set(bearer(w.owner)).expect(200);
    expect(yearly.body.objectives[0].actual).to.equal(40_000);
    expect((await stored(plan._id)).objectives[0]!.actual).to.equal(null);
    await patch(w, w.owner, { status: 'closed', review: 'Done' }, plan._id).expect(200);
    expect((await stored(plan._id)).objectives[0]!.actual).to.equal(30_000);
    await won(20_000, '2026-02-01T00:00:00Z');
    expect((await api().get(planUrl(plan._id)).set(bearer(w.owner)).expect(200)).body.objectives[0].actual).to.equal(30_000);
    expect((await api().get(planUrl(year._id)).set(bearer(w.owner)).expect(200)).body.objectives[0].actual).to.equal(60_000);
  });
});

describe('POST /api/v1/plans/:id/copy', () => {
  it("starts the next period's draft with the targets, no actuals, shifted due dates and new ids", async () => {
    const w = await world();
    const source = await makePlan(w.customer, w.owner.id, {
      period: '2025', status: 'closed', review: 'Old review', objectives: [
        { title: 'Share', metric: 'share', target: 40, actual: 38, unit: '%', status: 'missed', dueDate: new Date('2025-03-31T00:00:00Z') },
        { title: 'Revenue', metric: 'revenue', target: 500, actual: 450, unit: 'EUR' },
      ],
    });
    const res = await api().post(`${planUrl(source._id)}/copy`).set(bearer(w.member)).send({ period: '2027' }).expect(201);
    expect(res.headers.location).to.equal(planUrl(res.body.id));
    const copy = await stored(res.body.id);
    expect(copy).to.include({ period: '2027', status: 'draft', strategy: 'Grow the core network', review: '' });
    expect(String(copy.ownerId)).to.equal(w.owner.id);
    expect(copy.objectives.map((o) => [o.title, o.metric, o.target, o.unit, o.actual, o.status, o.dueDate?.toISOString() ?? null])).to.deep.equal([
      ['Share', 'share', 40, '%', null, 'open', '2027-03-31T00:00:00.000Z'], ['Revenue', 'revenue', 500, 'EUR', null, 'open', null],
    ]);
    expect(copy.resources.map((r) => [r.kind, r.amount, r.unit, r.description])).to.deep.equal([['people', 2, 'FTE', 'Solution architects']]);
    const sourceIds = [...source.objectives, ...source.resources].map((x) => String(x._id));
    expect([...copy.objectives, ...copy.resources].map((x) => String(x._id)).filter((id) => sourceIds.includes(id))).to.deep.equal([]);
    expect((await stored(source._id)).objectives[0]!.actual).to.equal(38);
  });

  it('answers 409 when the period has a plan and 400 for a bad period', async () => {
    const w = await world();
    expectProblem(await api().post(`${planUrl(w.plan._id)}/copy`).set(bearer(w.owner)).send({ period: '2026' }), 409);
    expect(fields(expectProblem(await api().post(`${planUrl(w.plan._id)}/copy`).set(bearer(w.owner)).send({ period: '2027-Q0' }), 400))).to.deep.equal(['period']);
    expect(fields(expectProblem(await api().post(`${planUrl(w.plan._id)}/copy`).set(bearer(w.owner)).send({}), 400))).to.deep.equal(['period']);
    expect((await storedPlans(w)).length).to.equal(1);
  });
});

describe('GET plans lists', () => {
  it("lists a customer's plans newest period first, page by page", async () => {
    const w = await world();
    for (const period of ['2027', '2025', '2027-Q3']) await makePlan(w.customer, w.owner.id, { period });
    const periods: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Array<{ period: string; customer: { id: string } }>; nextCursor: string | null } } = await api().get(`${customerPlansUrl(w.customer.id)}?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set(bearer(w.member)).expect(200);
      periods.push(...res.body.items.map((p: { period: string }) => p.period));
      expect(res.body.items[0]!.customer.id).to.equal(w.customer.id);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(periods).to.deep.equal(['2027-Q3', '2027', '2026', '2025']);
  });

  it('filters by period, status, owner, tier and customer, newest first, page by page', async () => {
    const w = await world();
    const strategic = await makeCustomer(w.owner, [], 'S');
    const small = await makeCustomer(w.owner, [], 'C');
    const a = await makePlan(strategic, w.owner.id, { period: '2027', status: 'submitted' });
    const b = await makePlan(small, w.owner.id, { period: '2027' });
    const c = await makePlan(strategic, w.member.id, { period: '2026', status: 'approved' });
    const ids = async (user: TestUser, query: string) => {
      const res = await api().get(`/api/v1/plans?${query}`).set(bearer(user)).expect(200);
      return res.body.items.map((p: { id: string }) => p.id);
    };
    expect(await ids(w.owner, 'owner=me')).to.deep.equal([b.id, a.id, w.plan.id]);
    expect(await ids(w.admin, `owner=${w.owner.id}&period=2027`)).to.deep.equal([b.id, a.id]);
    expect(await ids(w.executive, `owner=${w.owner.id}&tier=S`)).to.deep.equal([a.id]);
    expect(await ids(w.owner, `customerId=${strategic.id}&status=approved`)).to.deep.equal([c.id]);
    expect(await ids(w.owner, `customerId=${strategic.id}&tier=C`)).to.deep.equal([]);
    expect(await ids(w.member, `customerId=${strategic.id}`)).to.deep.equal([]);
    expect(await ids(w.outsider, `customerId=${strategic.id}`)).to.deep.equal([]);
    const first = await api().get(`/api/v1/plans?owner=${w.owner.id}&limit=2`).set(bearer(w.admin)).expect(200);
    const second = await api().get(`/api/v1/plans?owner=${w.owner.id}&limit=2&cursor=${first.body.nextCursor}`).set(bearer(w.admin)).expect(200);
    expect([...first.body.items, ...second.body.items].map((p: { id: string }) => p.id)).to.deep.equal([b.id, a.id, w.plan.id]);
    expect(second.body.nextCursor).to.equal(null);
    expect(first.body.items[1].customer).to.deep.equal({ id: strategic.id, code: strategic.code, name: strategic.name, tier: 'S' });
  });
});

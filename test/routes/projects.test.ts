import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Types } from 'mongoose';
import type { Test } from 'supertest';
import { ChangeModel } from '../../models/change.ts';
import { CustomerModel, nameKeyOf } from '../../models/customer.ts';
import { ProjectModel, projectStages, revenueStages, stageTransitions, startStages, type ProjectStage } from '../../models/project.ts';
import { describeCustomerAccess } from '../access-matrix.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

const uid = () => randomUUID().slice(0, 8);

async function makeCustomer(owner: TestUser, accountTeam: TestUser[] = [], currency = 'EUR') {
  const name = `Projects Co ${uid()}`;
  return CustomerModel.create({
    code: `PJ-${randomUUID().slice(0, 12)}`, name, nameKey: nameKeyOf(name), ownerId: owner.id, accountTeam: accountTeam.map((u) => u.id), currency,
  });
}

/** A project written straight to the database, so a test can start it in any stage. */
function makeProject(customer: { _id: Types.ObjectId; currency: string }, ownerId: string, fields: Record<string, unknown> = {}) {
  const stage = (fields.stage ?? 'negotiation') as ProjectStage;
  return ProjectModel.create({
    customerId: customer._id, name: `Deal ${uid()}`, stage, value: 1000, currency: customer.currency, ownerId,
    wonAt: revenueStages.includes(stage) ? new Date('2026-01-15T00:00:00Z') : null, ...fields,
  });
}

/** A customer with an owner, a team member, one project, and people who are not on the customer. */
async function world() {
  const owner = await createUser({ role: 'manager', team: 'North' });
  const member = await createUser({ role: 'manager', team: 'North' });
  // Same organisational team as the owner, but not on this customer's account team.
  const outsider = await createUser({ role: 'manager', team: 'North' });
  const executive = await createUser({ role: 'executive' });
  const admin = await createUser({ role: 'admin' });
  const customer = await makeCustomer(owner, [member]);
  const project = await makeProject(customer, owner.id);
  return { owner, member, outsider, executive, admin, customer, project };
}
type World = Awaited<ReturnType<typeof world>>;

/** Everything a project route may touch: the customer's projects, the customer itself, and its timeline. */
async function snapshot(w: World) {
  return {
    projects: await ProjectModel.find({ customerId: w.customer._id }).sort({ _id: 1 }).lean(),
    customer: await CustomerModel.findById(w.customer._id).lean(),
    changes: await ChangeModel.countDocuments({ customerId: w.customer._id }),
  };
}

/** The customer file without what is derived from it (revenue12m, satisfaction, the tier fields but tierInputs). */
// Derived fields and their bookkeeping (tier*, the report row's reportRev and reportPending) are not the file.
function customerFile(doc: Record<string, unknown> | null) {
  return Object.fromEntries(Object.entries(doc ?? {}).filter(([key]) => !['revenue12m', 'satisfaction', 'reportRev', 'reportPending'].includes(key)
    && !(key.startsWith('tier') && key !== 'tierInputs')));
}

const projectUrl = (id: unknown) => `/api/v1/projects/${String(id)}`;
const listUrl = (customerId: unknown) => `/api/v1/customers/${String(customerId)}/projects`;
const missing = '0123456789abcdef01234567';

type Route = { name: string; write: boolean; ok: number; call: (w: World, user: TestUser) => Test };
const routes: Route[] = [
  { name: 'GET /customers/:id/projects', write: false, ok: 200, call: (w, u) => api().get(listUrl(w.customer.id)).set(bearer(u)) },
  { name: 'POST /customers/:id/projects', write: true, ok: 201, call: (w, u) => api().post(listUrl(w.customer.id)).set(bearer(u)).send({ name: 'Expansion', value: 500 }) },
  { name: 'GET /projects/:id', write: false, ok: 200, call: (w, u) => api().get(projectUrl(w.project._id)).set(bearer(u)) },
  { name: 'PATCH /projects/:id', write: true, ok: 200, call: (w, u) => api().patch(projectUrl(w.project._id)).set(bearer(u)).send({ stage: 'won' }) },
  { name: 'DELETE /projects/:id', write: true, ok: 204, call: (w, u) => api().delete(projectUrl(w.project._id)).set(bearer(u)) },
];

describe('projects: access as to the customer', () => {
  describeCustomerAccess({
    routes, world, stored: snapshot, written: async (w) => (await snapshot(w)).projects, recordId: (w) => w.project.id,
    absent: (w, route) => (route.name.includes('/customers/') ? { ...w, customer: { id: missing } } : { ...w, project: { _id: missing } }) as unknown as World,
  });

  describe('GET /projects', () => {
    it('leaves out the projects of customers a manager may not see, whatever the filter', async () => {
      const w = await world();
      const own = await makeProject(await makeCustomer(w.outsider), w.owner.id);
      for (const query of [`customerId=${w.customer.id}`, `owner=${w.owner.id}`, `owner=${w.owner.id}&stage=negotiation`]) {
        const res = await api().get(`/api/v1/projects?${query}`).set(bearer(w.outsider)).expect(200);
        const ids = res.body.items.map((p: { id: string }) => p.id);
        expect(ids, query).to.not.include(w.project.id);
        if (query.startsWith('owner')) expect(ids, query).to.deep.equal([own.id]);
      }
    });

    for (const who of ['executive', 'admin', 'member', 'owner'] as const) {
      it(`lists the customer's projects to the ${who}`, async () => {
        const w = await world();
        const res = await api().get(`/api/v1/projects?customerId=${w.customer.id}`).set(bearer(w[who])).expect(200);
        expect(res.body.items.map((p: { id: string }) => p.id)).to.deep.equal([w.project.id]);
      });
    }
  });

  it('answers 404 for malformed ids and 401 without a token', async () => {
    const w = await world();
    for (const url of ['/api/v1/projects/not-an-id', '/api/v1/projects/0123456789abcdef0123456z', '/api/v1/customers/nope/projects']) {
      expectProblem(await api().get(url).set(bearer(w.admin)), 404);
    }
    expectProblem(await api().patch('/api/v1/projects/not-an-id').set(bearer(w.admin)).send({ name: 'x' }), 404);
    expectProblem(await api().delete('/api/v1/projects/not-an-id').set(bearer(w.admin)), 404);
    expectProblem(await api().post('/api/v1/customers/nope/projects').set(bearer(w.admin)).send({ name: 'x' }), 404);
    for (const route of routes) expectProblem(await route.call(w, w.owner).unset('Authorization'), 401);
    expectProblem(await api().get('/api/v1/projects'), 401);
    expect(await ProjectModel.countDocuments({ customerId: w.customer._id })).to.equal(1);
  });
});

describe('POST /api/v1/customers/:id/projects', () => {
  it('creates a project in the customer currency, owned by the caller, with Location, ETag and a timeline entry', async () => {
    const w = await world();
    const res = await api().post(listUrl(w.customer.id)).set(bearer(w.member)).send({
      name: '  5G core upgrade  ', value: 1_250_000, expectedCloseDate: '2026-09-30', products: [' 5G Core ', 'OSS'],
    }).expect(201);
    expect(res.headers.location).to.equal(projectUrl(res.body.id));
    expect(res.headers.etag).to.equal('"0"');
    expect(res.body).to.include({
      customerId: w.customer.id, name: '5G core upgrade', stage: 'lead', value: 1_250_000, currency: 'EUR', wonAt: null,
      ownerId: w.member.id, expectedCloseDate: '2026-09-30T00:00:00.000Z',
    });
    expect(res.body.products).to.deep.equal(['5G Core', 'OSS']);
    expect(res.body).to.have.keys('id', 'customerId', 'name', 'stage', 'value', 'currency', 'expectedCloseDate', 'wonAt', 'ownerId', 'products', 'createdAt', 'updatedAt');
    const stored = await ProjectModel.findById(res.body.id).lean();
    expect(stored).to.include({ name: '5G core upgrade', stage: 'lead', value: 1_250_000, currency: 'EUR' });
    expect(String(stored!.ownerId)).to.equal(w.member.id);
    const change = await ChangeModel.findOne({ entityId: res.body.id }).lean();
    expect(change).to.include({ entity: 'project', action: 'created', entityName: '5G core upgrade' });
    expect(String(change!.customerId)).to.equal(w.customer.id);
    expect(String(change!.actorId)).to.equal(w.member.id);
  });

  it('starts a project in any stage up to won or as lost, never in delivering or closed', async () => {
    const w = await world();
    for (const stage of startStages) {
      const res = await api().post(listUrl(w.customer.id)).set(bearer(w.owner)).send({ name: `Start ${stage}`, stage }).expect(201);
      expect(res.body.stage).to.equal(stage);
      expect(res.body.wonAt === null, stage).to.equal(stage !== 'won');
    }
    for (const stage of projectStages.filter((s) => !startStages.includes(s))) {
      const problem = expectProblem(await api().post(listUrl(w.customer.id)).set(bearer(w.owner)).send({ name: `Start ${stage}`, stage }), 400);
      expect(problem.errors!.map((e) => e.field)).to.deep.equal(['stage']);
    }
    expect(await ProjectModel.countDocuments({ customerId: w.customer._id })).to.equal(1 + startStages.length);
  });

  it('refuses another currency than the customer\'s with a field error, and accepts its own in any case', async () => {
    const owner = await createUser({ role: 'manager' });
    const customer = await makeCustomer(owner, [], 'CNY');
    const problem = expectProblem(await api().post(listUrl(customer.id)).set(bearer(owner)).send({ name: 'Deal', currency: 'USD', value: 5 }), 400);
    expect(problem.errors!.map((e) => e.field)).to.deep.equal(['currency']);
    expect(await ProjectModel.countDocuments({ customerId: customer._id })).to.equal(0);
    const ok = await api().post(listUrl(customer.id)).set(bearer(owner)).send({ name: 'Deal', currency: 'cny' }).expect(201);
    expect(ok.body.currency).to.equal('CNY');
  });

  it('takes another active user as owner and refuses an inactive or unknown one', async () => {
    const w = await world();
    const gone = await createUser({ role: 'manager', active: false });
    for (const ownerId of [gone.id, missing]) {
      const problem = expectProblem(await api().post(listUrl(w.customer.id)).set(bearer(w.owner)).send({ name: 'Deal', ownerId }), 400);
      expect(problem.errors!.map((e) => e.field)).to.deep.equal(['ownerId']);
    }
    const res = await api().post(listUrl(w.customer.id)).set(bearer(w.owner)).send({ name: 'Deal', ownerId: w.member.id }).expect(201);
    expect(String((await ProjectModel.findById(res.body.id).lean())!.ownerId)).to.equal(w.member.id);
    expect(await ProjectModel.countDocuments({ customerId: w.customer._id })).to.equal(2);
  });
});

describe('projects: bad input', () => {
  const badBodies: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown field', { name: 'x', customerId: missing }, 'customerId'],
    ['a wrong type', { name: 42 }, 'name'],
    ['a negative value', { name: 'x', value: -1 }, 'value'],
    ['a fractional value', { name: 'x', value: 10.5 }, 'value'],
    ['a value as a string', { name: 'x', value: '100' }, 'value'],
    ['an unknown stage', { name: 'x', stage: 'maybe' }, 'stage'],
    ['a name over its bound', { name: 'x'.repeat(201) }, 'name'],
    ['a date that is not ISO', { name: 'x', expectedCloseDate: 'next friday' }, 'expectedCloseDate'],
    ['a won date in the future', { name: 'x', stage: 'won', wonAt: '2999-01-01T00:00:00Z' }, 'wonAt'],
    ['a won date on a project not won', { name: 'x', stage: 'proposal', wonAt: '2025-01-01T00:00:00Z' }, 'wonAt'],
    ['products that are not strings', { name: 'x', products: [{ $gt: '' }] }, 'products.0'],
    ['an operator object in a field', { name: { $gt: '' } }, 'name'],
    ['an operator object as the owner', { name: 'x', ownerId: { $ne: null } }, 'ownerId'],
    ['an operator as a key', { name: 'x', $set: { stage: 'closed' } }, '$set'],
  ];

  for (const [what, body, field] of badBodies) {
    it(`answers 400 naming ${field} for ${what}, on create and on change, and changes nothing`, async () => {
      const w = await world();
      const before = await snapshot(w);
      const created = expectProblem(await api().post(listUrl(w.customer.id)).set(bearer(w.owner)).send(body), 400);
      expect(created.errors!.map((e) => e.field)).to.include(field);
      const { name: _name, ...patch } = body;
      const changed = expectProblem(await api().patch(projectUrl(w.project._id)).set(bearer(w.owner)).send(field === 'name' ? body : patch), 400);
      expect(changed.errors!.map((e) => e.field)).to.include(field);
      expect(await snapshot(w)).to.deep.equal(before);
    });
  }

  it('answers 400 to operator keys, unknown keys and bad paging in the query', async () => {
    const w = await world();
    for (const query of ['stage[$ne]=x', 'owner[$gt]=', 'customerId[$ne]=x', 'stage=maybe', 'owner=someone', 'customerId=123', 'limit=0', 'limit=201', 'cursor=bm9wZQ', 'color=red']) {
      expectProblem(await api().get(`/api/v1/projects?${query}`).set(bearer(w.admin)), 400);
    }
    expectProblem(await api().get(`${listUrl(w.customer.id)}?stage[$ne]=x`).set(bearer(w.admin)), 400);
    expectProblem(await api().patch(projectUrl(w.project._id)).set(bearer(w.owner)).send({}), 400);
    expectProblem(await api().post(listUrl(w.customer.id)).set(bearer(w.owner)).send({}), 400);
  });
});

describe('projects: stage transitions', () => {
  it('allows every move in the transition table, stamping wonAt on the way into won and keeping it after', async () => {
    const w = await world();
    for (const from of projectStages) {
      for (const to of stageTransitions[from]) {
        const project = await makeProject(w.customer, w.owner.id, { stage: from });
        const started = Date.now();
        const res = await api().patch(projectUrl(project._id)).set(bearer(w.owner)).send({ stage: to });
        expect(res.status, `${from} -> ${to}: ${JSON.stringify(res.body)}`).to.equal(200);
        const stored = (await ProjectModel.findById(project._id).lean())!;
        expect(stored.stage).to.equal(to);
        if (!revenueStages.includes(to)) expect(stored.wonAt, `${from} -> ${to}`).to.equal(null);
        else if (revenueStages.includes(from)) expect(stored.wonAt).to.deep.equal(project.wonAt);
        else expect(stored.wonAt!.getTime()).to.be.within(started - 1000, Date.now() + 1000);
      }
    }
  });

  it('refuses every move outside the table with 400 naming stage, and changes nothing', async () => {
    const w = await world();
    for (const from of projectStages) {
      const project = await makeProject(w.customer, w.owner.id, { stage: from });
      const before = await ProjectModel.findById(project._id).lean();
      for (const to of projectStages.filter((s) => s !== from && !stageTransitions[from].includes(s))) {
        const problem = expectProblem(await api().patch(projectUrl(project._id)).set(bearer(w.owner)).send({ stage: to }), 400);
        expect(problem.errors, `${from} -> ${to}`).to.deep.include({ field: 'stage', message: problem.errors![0]!.message });
        expect(problem.errors!.map((e) => e.field)).to.deep.equal(['stage']);
      }
      expect(await ProjectModel.findById(project._id).lean()).to.deep.equal(before);
    }
    const closed = await makeProject(w.customer, w.owner.id, { stage: 'closed' });
    const problem = expectProblem(await api().patch(projectUrl(closed._id)).set(bearer(w.owner)).send({ stage: 'delivering' }), 400);
    expect(problem.errors![0]!.message).to.include('closed is final');
  });

  it('takes a won date the client gives, lets it be corrected later, and clears it on the way to lost', async () => {
    const w = await world();
    const res = await api().patch(projectUrl(w.project._id)).set(bearer(w.owner)).send({ stage: 'won', wonAt: '2026-02-01T08:00:00Z' }).expect(200);
    expect(res.body).to.include({ stage: 'won', wonAt: '2026-02-01T08:00:00.000Z' });
    await api().patch(projectUrl(w.project._id)).set(bearer(w.owner)).send({ stage: 'won', wonAt: '2026-02-03T00:00:00Z' }).expect(200);
    expect((await ProjectModel.findById(w.project._id).lean())!.wonAt).to.deep.equal(new Date('2026-02-03T00:00:00Z'));
    // A stray date (from an import, say) does not survive a loss.
    const stray = await makeProject(w.customer, w.owner.id, { stage: 'negotiation', wonAt: new Date('2026-01-01T00:00:00Z') });
    await api().patch(projectUrl(stray._id)).set(bearer(w.owner)).send({ stage: 'lost' }).expect(200);
    expect((await ProjectModel.findById(stray._id).lean())!.wonAt).to.equal(null);
  });
});

describe('projects: the customer revenue12m', () => {
  it('follows wins, value changes and deletes, and leaves the rest of the customer file untouched', async () => {
    const owner = await createUser({ role: 'manager' });
    const customer = await makeCustomer(owner);
    const read = await api().get(`/api/v1/customers/${customer.id}`).set(bearer(owner)).expect(200);
    const before = (await CustomerModel.findById(customer._id).lean())!;
    const revenue = async () => (await CustomerModel.findById(customer._id).lean())!.revenue12m;
    const post = (body: object) => api().post(listUrl(customer.id)).set(bearer(owner)).send(body).expect(201);
    const patch = (id: string, body: object) => api().patch(projectUrl(id)).set(bearer(owner)).send(body).expect(200);

    const first = (await post({ name: 'First', stage: 'negotiation', value: 1000 })).body.id as string;
    expect(await revenue()).to.equal(0);
    await patch(first, { stage: 'won' });
    expect(await revenue()).to.equal(1000);
    const second = (await post({ name: 'Second', stage: 'won', value: 250 })).body.id as string;
    expect(await revenue()).to.equal(1250);
    await patch(second, { value: 300 });
    expect(await revenue()).to.equal(1300);
    await post({ name: 'Lost bid', stage: 'lost', value: 999 });
    await post({ name: 'Open bid', stage: 'proposal', value: 777 });
    expect(await revenue()).to.equal(1300);
    await patch(first, { stage: 'delivering' });
    await patch(first, { stage: 'closed' });
    expect(await revenue()).to.equal(1300);
    await api().delete(projectUrl(second)).set(bearer(owner)).expect(204);
    expect(await revenue()).to.equal(1000);
    await api().delete(projectUrl(first)).set(bearer(owner)).expect(204);
    expect(await revenue()).to.equal(0);
    await post({ name: 'Third', stage: 'won', value: 40 });

    const after = (await CustomerModel.findById(customer._id).lean())!;
    expect(after.revenue12m).to.equal(40);
    expect(customerFile(after)).to.deep.equal(customerFile(before));
    expect(after.tierComputed, 'each project change rescored the customer').to.be.oneOf(['S', 'A', 'B', 'C']);
    // Not a user edit: the customer's ETag still holds.
    const reread = await api().get(`/api/v1/customers/${customer.id}`).set(bearer(owner)).expect(200);
    expect(reread.headers.etag).to.equal(read.headers.etag);
    expect(reread.body).to.include({ revenue12m: 40, archived: false });
  });
});

describe('PATCH /api/v1/projects/:id', () => {
  it('changes the fields given, bumps the ETag and records old and new values in the timeline', async () => {
    const w = await world();
    const res = await api().patch(projectUrl(w.project._id)).set(bearer(w.member))
      .send({ name: 'Core renewal', value: 2000, stage: 'won', products: ['Cloud'], expectedCloseDate: null }).expect(200);
    expect(res.headers.etag).to.equal('"1"');
    expect(res.body).to.include({ name: 'Core renewal', value: 2000, stage: 'won', expectedCloseDate: null });
    const stored = (await ProjectModel.findById(w.project._id).lean())!;
    expect(stored).to.include({ name: 'Core renewal', value: 2000, stage: 'won', __v: 1 });
    expect(stored.products).to.deep.equal(['Cloud']);
    const change = (await ChangeModel.findOne({ entityId: w.project._id, action: 'updated' }).lean())!;
    expect(change).to.include({ entity: 'project', entityName: 'Core renewal' });
    expect(String(change.actorId)).to.equal(w.member.id);
    const fields = Object.fromEntries(change.fields.map((f) => [f.field, f]));
    expect(Object.keys(fields)).to.have.members(['name', 'value', 'stage', 'products', 'wonAt']);
    expect(fields.stage).to.deep.include({ old: 'negotiation', new: 'won' });
    expect(fields.value).to.deep.include({ old: 1000, new: 2000 });
    expect(fields.wonAt!.old).to.equal(null);
  });

  it('answers 412 to a stale If-Match and changes nothing; a current one goes through', async () => {
    const w = await world();
    const read = await api().get(projectUrl(w.project._id)).set(bearer(w.owner)).expect(200);
    expect(read.headers.etag).to.equal('"0"');
    await api().patch(projectUrl(w.project._id)).set(bearer(w.member)).set('If-Match', read.headers.etag!).send({ name: 'First writer' }).expect(200);
    const before = await snapshot(w);
    expectProblem(await api().patch(projectUrl(w.project._id)).set(bearer(w.owner)).set('If-Match', read.headers.etag!).send({ name: 'Lost update' }), 412);
    expectProblem(await api().delete(projectUrl(w.project._id)).set(bearer(w.owner)).set('If-Match', read.headers.etag!), 412);
    expectProblem(await api().patch(projectUrl(w.project._id)).set(bearer(w.owner)).set('If-Match', 'garbage').send({ name: 'x' }), 412);
    expect(await snapshot(w)).to.deep.equal(before);
    await api().delete(projectUrl(w.project._id)).set(bearer(w.owner)).set('If-Match', '"1"').expect(204);
    expect(await ProjectModel.exists({ _id: w.project._id })).to.equal(null);
  });
});

describe('DELETE /api/v1/projects/:id', () => {
  it('deletes the project, records it in the timeline and leaves the customer in place', async () => {
    const w = await world();
    await api().delete(projectUrl(w.project._id)).set(bearer(w.owner)).expect(204);
    expect(await ProjectModel.exists({ _id: w.project._id })).to.equal(null);
    const change = (await ChangeModel.findOne({ entityId: w.project._id, action: 'deleted' }).lean())!;
    expect(change).to.include({ entity: 'project', entityName: w.project.name });
    expect(String(change.customerId)).to.equal(w.customer.id);
    expect(customerFile(await CustomerModel.findById(w.customer._id).lean())).to.deep.equal(customerFile(w.customer.toObject()));
    expectProblem(await api().get(projectUrl(w.project._id)).set(bearer(w.owner)), 404);
    expectProblem(await api().delete(projectUrl(w.project._id)).set(bearer(w.owner)), 404);
  });
});

describe('project lists', () => {
  it('page a customer\'s projects newest first, stable when a project is added between pages', async () => {
    const w = await world();
    const more = [await makeProject(w.customer, w.owner.id), await makeProject(w.customer, w.owner.id)];
    const first = await api().get(`${listUrl(w.customer.id)}?limit=2`).set(bearer(w.owner)).expect(200);
    expect(first.body.items.map((p: { id: string }) => p.id)).to.deep.equal([more[1]!.id, more[0]!.id]);
    expect(first.body.nextCursor).to.be.a('string');
    await makeProject(w.customer, w.owner.id);
    const second = await api().get(`${listUrl(w.customer.id)}?limit=2&cursor=${first.body.nextCursor}`).set(bearer(w.owner)).expect(200);
    expect(second.body).to.deep.include({ nextCursor: null });
    expect(second.body.items.map((p: { id: string }) => p.id)).to.deep.equal([w.project.id]);
  });

  it('filter GET /projects by stage, owner (me or an id) and customer', async () => {
    const w = await world();
    const other = await makeCustomer(w.owner);
    const won = await makeProject(other, w.owner.id, { stage: 'won' });
    const theirs = await makeProject(other, w.member.id, { stage: 'lead' });
    const ids = async (query: string, user: TestUser = w.owner) =>
      (await api().get(`/api/v1/projects?${query}`).set(bearer(user)).expect(200)).body.items.map((p: { id: string }) => p.id);
    expect(await ids('owner=me')).to.deep.equal([won.id, w.project.id]);
    expect(await ids(`owner=${w.member.id}`, w.admin)).to.deep.equal([theirs.id]);
    expect(await ids('owner=me&stage=won')).to.deep.equal([won.id]);
    expect(await ids(`customerId=${other.id}`)).to.deep.equal([theirs.id, won.id]);
    expect(await ids(`customerId=${other.id}&stage=negotiation`)).to.deep.equal([]);
    const paged = await api().get('/api/v1/projects?owner=me&limit=1').set(bearer(w.owner)).expect(200);
    const next = await api().get(`/api/v1/projects?owner=me&limit=1&cursor=${paged.body.nextCursor}`).set(bearer(w.owner)).expect(200);
    expect([...paged.body.items, ...next.body.items].map((p: { id: string }) => p.id)).to.deep.equal([won.id, w.project.id]);
  });
});

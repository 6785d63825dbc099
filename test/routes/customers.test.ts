import { expect } from 'chai';
import { ChangeModel } from '../../models/change.ts';
import { CustomerModel } from '../../models/customer.ts';
import { api, bearer, createCustomer, createUser, expectProblem, uniqueCode, type TestUser } from '../factories.ts';

const stored = (id: string) => CustomerModel.findById(id).lean();

describe('customers', () => {
  let admin: TestUser;
  let exec: TestUser;
  let anna: TestUser; // owner
  let tom: TestUser; // on anna's account team
  let ben: TestUser; // another team entirely
  before(async () => {
    [admin, exec, anna, tom, ben] = await Promise.all([
      createUser({ role: 'admin' }), createUser({ role: 'executive' }),
      createUser({ team: 'North' }), createUser({ team: 'North' }), createUser({ team: 'South' }),
    ]);
  });

  describe('POST /api/v1/customers', () => {
    it('creates a customer owned by the creator, with a company profile, ETag and Location', async () => {
      const code = uniqueCode('acme');
      const res = await api().post('/api/v1/customers').set(bearer(anna)).send({
        code: code.toLowerCase(), name: '  Acme Industrial ', status: 'active', currency: 'eur', tags: ['Energy', 'grid'],
        accountTeam: [tom.id],
        company: { legalName: 'Acme Industrial GmbH', industry: 'Energy', region: 'EMEA', country: 'de', employees: 1200, annualRevenue: 450_000_000_00, ownership: 'private', competitors: ['Globex'] },
        tierInputs: { potential: 2_000_000_00, strategicValue: 4 },
      }).expect(201);
      expect(res.body).to.include({ code, name: 'Acme Industrial', status: 'active', ownerId: anna.id, currency: 'EUR', revenue12m: 0, archived: false });
      expect(res.body.tags).to.deep.equal(['energy', 'grid']);
      expect(res.body.company).to.include({ country: 'DE', employees: 1200, annualRevenue: 45_000_000_000 });
      expect(res.body).to.not.have.any.keys('_id', '__v', 'nameKey', 'warnings');
      expect(res.headers.etag).to.equal('"0"');
      expect(res.headers.location).to.equal(`/api/v1/customers/${res.body.id}`);
      const doc = await stored(res.body.id);
      expect(String(doc!.ownerId)).to.equal(anna.id);
      expect(doc!.accountTeam.map(String)).to.deep.equal([tom.id]);
      expect(await ChangeModel.countDocuments({ customerId: res.body.id, action: 'created' })).to.equal(1);
    });

    it('keeps Unicode names such as 华为技术', async () => {
      const res = await api().post('/api/v1/customers').set(bearer(anna)).send({ code: uniqueCode('HW'), name: '华为技术有限公司' }).expect(201);
      expect((await stored(res.body.id))!.name).to.equal('华为技术有限公司');
    });

    it('answers 409 for a code already in use, in any letter case, and stores nothing new', async () => {
      const existing = await createCustomer(anna);
      const before = await CustomerModel.countDocuments({});
      expectProblem(await api().post('/api/v1/customers').set(bearer(ben)).send({ code: existing.code.toLowerCase(), name: 'Other' }), 409);
      expect(await CustomerModel.countDocuments({})).to.equal(before);
    });

    it('creates a customer whose name matches another but warns, naming it only to those who may see it', async () => {
      const first = await createCustomer(anna, { name: `Globex ${uniqueCode()} Ltd` });
      const twin = `${first.name.replace(/ Ltd$/, '')} Limited`.toUpperCase();
      const mine = await api().post('/api/v1/customers').set(bearer(anna)).send({ code: uniqueCode(), name: twin }).expect(201);
      expect(mine.body.warnings).to.have.length(1);
      expect(mine.body.warnings[0]).to.include({ type: 'possible-duplicate', customerId: first.id, code: first.code });
      const theirs = await api().post('/api/v1/customers').set(bearer(ben)).send({ code: uniqueCode(), name: twin }).expect(201);
      expect(theirs.body.warnings.map((w: { type: string }) => w.type)).to.include('possible-duplicate');
      expect(JSON.stringify(theirs.body.warnings)).to.not.include(first.id).and.not.include(first.code);
    });

    it('lets only admins name another owner, who must be an active user', async () => {
      expectProblem(await api().post('/api/v1/customers').set(bearer(anna)).send({ code: uniqueCode(), name: 'X', ownerId: ben.id }), 403);
      const made = await api().post('/api/v1/customers').set(bearer(admin)).send({ code: uniqueCode(), name: 'Y', ownerId: ben.id }).expect(201);
      expect(made.body.ownerId).to.equal(ben.id);
      const gone = await createUser({ active: false });
      const bad = expectProblem(await api().post('/api/v1/customers').set(bearer(admin)).send({ code: uniqueCode(), name: 'Z', ownerId: gone.id, accountTeam: [gone.id] }), 400);
      expect(bad.errors!.map((e) => e.field)).to.have.members(['ownerId', 'accountTeam.0']);
    });

    it('refuses executives with 403', async () => {
      expectProblem(await api().post('/api/v1/customers').set(bearer(exec)).send({ code: uniqueCode(), name: 'No' }), 403);
    });

    it('answers 400 naming every bad field (types, bounds, unknown keys, operators) and stores nothing', async () => {
      const before = await CustomerModel.countDocuments({});
      const res = await api().post('/api/v1/customers').set(bearer(anna)).send({
        code: 'has space', name: 'x'.repeat(201), status: 'gone', currency: 'euro', tags: 'vip', parentId: 'nope',
        company: { employees: -1, website: 'javascript:alert(1)', unknown: 1 }, tierInputs: { strategicValue: 9 }, extra: true,
      });
      const fields = expectProblem(res, 400).errors!.map((e) => e.field);
      expect(fields).to.include.members(['code', 'name', 'status', 'currency', 'tags', 'parentId', 'company.employees', 'company.website', 'company.unknown', 'tierInputs.strategicValue', 'extra']);
      const injected = await api().post('/api/v1/customers').set(bearer(anna)).send({ code: { $gt: '' }, name: { $ne: null } });
      expect(expectProblem(injected, 400).errors!.map((e) => e.field)).to.have.members(['code', 'name']);
      expect(await CustomerModel.countDocuments({})).to.equal(before);
    });
  });

  describe('access', () => {
    let customer: Awaited<ReturnType<typeof createCustomer>>;
    before(async () => { customer = await createCustomer(anna, { accountTeam: [tom.id] }); });

    it('answers 404 to a manager of another team on every route, as if the customer did not exist, and changes nothing', async () => {
      const absent = '0123456789abcdef01234567';
      for (const id of [customer.id, absent]) {
        const answers = await Promise.all([
          api().get(`/api/v1/customers/${id}`).set(bearer(ben)),
          api().patch(`/api/v1/customers/${id}`).set(bearer(ben)).send({ name: 'Taken' }),
          api().delete(`/api/v1/customers/${id}`).set(bearer(ben)),
          api().post(`/api/v1/customers/${id}/restore`).set(bearer(ben)),
          api().get(`/api/v1/customers/${id}/timeline`).set(bearer(ben)),
        ]);
        for (const res of answers) expect(expectProblem(res, 404).detail).to.equal('No customer with this id.');
      }
      const doc = await stored(customer.id);
      expect(doc).to.include({ name: customer.name, archived: false, __v: 0 });
      const list = await api().get('/api/v1/customers').set(bearer(ben)).query({ q: customer.code }).expect(200);
      expect(list.body.items).to.deep.equal([]);
    });

    it('lets the owner and team members read and change, executives read only, admins everything', async () => {
      await api().get(`/api/v1/customers/${customer.id}`).set(bearer(tom)).expect(200);
      await api().patch(`/api/v1/customers/${customer.id}`).set(bearer(tom)).send({ status: 'active' }).expect(200);
      await api().get(`/api/v1/customers/${customer.id}`).set(bearer(exec)).expect(200);
      expectProblem(await api().patch(`/api/v1/customers/${customer.id}`).set(bearer(exec)).send({ status: 'lost' }), 403);
      expectProblem(await api().delete(`/api/v1/customers/${customer.id}`).set(bearer(exec)), 403);
      await api().patch(`/api/v1/customers/${customer.id}`).set(bearer(admin)).send({ status: 'dormant' }).expect(200);
      expect((await stored(customer.id))!.status).to.equal('dormant');
    });

    it('lets only the owner and admins change the owner or the team', async () => {
      expectProblem(await api().patch(`/api/v1/customers/${customer.id}`).set(bearer(tom)).send({ accountTeam: [] }), 403);
      expectProblem(await api().patch(`/api/v1/customers/${customer.id}`).set(bearer(tom)).send({ ownerId: tom.id }), 403);
      expect((await stored(customer.id))!.accountTeam.map(String)).to.deep.equal([tom.id]);
      const handed = await createCustomer(anna);
      await api().patch(`/api/v1/customers/${handed.id}`).set(bearer(anna)).send({ ownerId: ben.id }).expect(200);
      // Handed over, it is ben's now and anna no longer sees it.
      expectProblem(await api().get(`/api/v1/customers/${handed.id}`).set(bearer(anna)), 404);
      await api().get(`/api/v1/customers/${handed.id}`).set(bearer(ben)).expect(200);
    });
  });

  describe('PATCH /api/v1/customers/:id', () => {
    it('merges nested fields, bumps the ETag, and records who changed what', async () => {
      const c = await createCustomer(anna, { company: { industry: 'Retail', region: 'APAC' } });
      const res = await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).set('If-Match', '"0"')
        .send({ company: { industry: 'Logistics' }, tierInputs: { strategicValue: 5 } }).expect(200);
      expect(res.headers.etag).to.equal('"1"');
      expect(res.body.company).to.include({ industry: 'Logistics', region: 'APAC' });
      const change = await ChangeModel.findOne({ customerId: c.id, action: 'updated' }).lean();
      expect(change!.actorName).to.equal('Test manager');
      expect(change!.fields).to.deep.include({ field: 'company.industry', old: 'Retail', new: 'Logistics' });
      expect(change!.fields).to.deep.include({ field: 'tierInputs.strategicValue', old: null, new: 5 });
      expect(change!.fields.map((f) => f.field)).to.not.include('company.region');
    });

    it('answers 412 to a stale If-Match — the lost update — and keeps the first write', async () => {
      const c = await createCustomer(anna);
      const { headers } = await api().get(`/api/v1/customers/${c.id}`).set(bearer(anna)).expect(200);
      await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).set('If-Match', String(headers.etag)).send({ name: 'First writer' }).expect(200);
      expectProblem(await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).set('If-Match', String(headers.etag)).send({ name: 'Second writer' }), 412);
      expect((await stored(c.id))!.name).to.equal('First writer');
    });

    it('answers 409 when the new code is taken, and changes nothing', async () => {
      const a = await createCustomer(anna);
      const b = await createCustomer(anna);
      expectProblem(await api().patch(`/api/v1/customers/${b.id}`).set(bearer(anna)).send({ code: a.code, name: 'Renamed' }), 409);
      expect(await stored(b.id)).to.include({ code: b.code, name: b.name });
    });

    it('refuses a parent that is the customer itself or one of its subsidiaries, or one the caller cannot see', async () => {
      const group = await createCustomer(anna);
      const child = await createCustomer(anna, { parentId: group.id });
      const grandchild = await createCustomer(anna, { parentId: child.id });
      for (const parentId of [group.id, grandchild.id]) {
        const problem = expectProblem(await api().patch(`/api/v1/customers/${group.id}`).set(bearer(anna)).send({ parentId }), 400);
        expect(problem.errors![0]!.field).to.equal('parentId');
      }
      const foreign = await createCustomer(ben);
      expectProblem(await api().patch(`/api/v1/customers/${group.id}`).set(bearer(anna)).send({ parentId: foreign.id }), 400);
      expect((await stored(group.id))!.parentId).to.equal(null);
      const children = await api().get('/api/v1/customers').set(bearer(anna)).query({ parentId: group.id }).expect(200);
      expect(children.body.items.map((x: { id: string }) => x.id)).to.deep.equal([child.id]);
    });

    it('refuses to change the currency once the customer has projects', async () => {
      const c = await createCustomer(anna, { currency: 'EUR' });
      await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).send({ currency: 'CHF' }).expect(200);
      await api().post(`/api/v1/customers/${c.id}/projects`).set(bearer(anna)).send({ name: 'Grid retrofit', stage: 'lead', value: 1000 }).expect(201);
      const problem = expectProblem(await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).send({ currency: 'USD' }), 400);
      expect(problem.errors![0]!.field).to.equal('currency');
      expect((await stored(c.id))!.currency).to.equal('CHF');
    });

    it('answers 400 for an empty patch, a bad field or an operator, and 404 for a malformed id', async () => {
      const c = await createCustomer(anna);
      expectProblem(await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).send({}), 400);
      expectProblem(await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).send({ status: { $ne: 'x' } }), 400);
      expectProblem(await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).send({ revenue12m: 5 }), 400);
      expectProblem(await api().patch('/api/v1/customers/zzz').set(bearer(anna)).send({ name: 'x' }), 404);
      expect(await stored(c.id)).to.include({ name: c.name, revenue12m: 0, __v: 0 });
    });
  });

  describe('DELETE /api/v1/customers/:id and restore', () => {
    it('archives instead of deleting, hides it from lists unless asked, and restores it', async () => {
      const c = await createCustomer(anna);
      const archived = await api().delete(`/api/v1/customers/${c.id}`).set(bearer(anna)).expect(200);
      expect(archived.body.archived).to.equal(true);
      expect((await stored(c.id))!.archivedAt).to.be.an.instanceOf(Date);
      const hidden = await api().get('/api/v1/customers').set(bearer(anna)).query({ q: c.code }).expect(200);
      expect(hidden.body.items).to.deep.equal([]);
      const shown = await api().get('/api/v1/customers').set(bearer(anna)).query({ q: c.code, includeArchived: true }).expect(200);
      expect(shown.body.items.map((x: { id: string }) => x.id)).to.deep.equal([c.id]);
      await api().get(`/api/v1/customers/${c.id}`).set(bearer(anna)).expect(200);
      await api().post(`/api/v1/customers/${c.id}/restore`).set(bearer(anna)).expect(200);
      expect(await stored(c.id)).to.include({ archived: false, archivedAt: null });
      const actions = (await ChangeModel.find({ customerId: c.id }).sort({ at: 1 }).lean()).map((x) => x.action);
      expect(actions).to.deep.equal(['created', 'archived', 'restored']);
    });
  });

  describe('GET /api/v1/customers', () => {
    let tag: string;
    let ids: Record<string, string>;
    before(async () => {
      tag = `t${Date.now()}`;
      const made = await Promise.all([
        createCustomer(anna, { name: 'Beta Works', tags: [tag], status: 'active', company: { industry: 'Mining', region: 'LATAM' } }),
        createCustomer(anna, { name: 'alpha labs', tags: [tag], status: 'prospect', company: { industry: 'Retail', region: 'EMEA' } }),
        createCustomer(anna, { name: '华为技术', tags: [tag], status: 'active', company: { industry: 'Telecom', region: 'APAC' } }),
        createCustomer(admin, { name: 'Team Co', tags: [tag], ownerId: ben.id, accountTeam: [anna.id] }),
        createCustomer(ben, { name: 'Hidden Co', tags: [tag] }),
      ]);
      ids = Object.fromEntries(made.map((c) => [c.name, c.id]));
      await CustomerModel.updateOne({ _id: ids['Beta Works'] }, { $set: { revenue12m: 500 } });
      await CustomerModel.updateOne({ _id: ids['华为技术'] }, { $set: { revenue12m: 900 } });
    });
    const list = (user: TestUser, query: Record<string, unknown>) => api().get('/api/v1/customers').set(bearer(user)).query({ tag, ...query });
    const names = (res: { body: { items: { name: string }[] } }) => res.body.items.map((c) => c.name);

    it('shows a manager what they own or are on the team of, and an executive everything', async () => {
      expect(names(await list(anna, {}).expect(200))).to.have.members(['Beta Works', 'alpha labs', '华为技术', 'Team Co']);
      expect(names(await list(exec, {}).expect(200))).to.have.length(5);
      expect(names(await list(anna, { owner: 'me' }).expect(200))).to.have.members(['Beta Works', 'alpha labs', '华为技术']);
    });

    it('filters by status, industry, region and a case-insensitive q on name or code, Unicode included', async () => {
      expect(names(await list(anna, { status: 'active' }))).to.have.members(['Beta Works', '华为技术']);
      expect(names(await list(anna, { industry: 'Retail' }))).to.deep.equal(['alpha labs']);
      expect(names(await list(anna, { region: 'APAC' }))).to.deep.equal(['华为技术']);
      expect(names(await list(anna, { q: 'BETA' }))).to.deep.equal(['Beta Works']);
      expect(names(await list(anna, { q: '华为' }))).to.deep.equal(['华为技术']);
      expect(names(await list(anna, { q: '.*' }))).to.deep.equal([]); // taken literally, not as a pattern
    });

    it('sorts by name, -revenue12m and -updatedAt', async () => {
      expect(names(await list(exec, { sort: '-revenue12m' })).slice(0, 2)).to.deep.equal(['华为技术', 'Beta Works']);
      await api().patch(`/api/v1/customers/${ids['alpha labs']}`).set(bearer(anna)).send({ status: 'dormant' }).expect(200);
      expect(names(await list(exec, { sort: '-updatedAt' }))[0]).to.equal('alpha labs');
      const byName = names(await list(exec, { sort: 'name' }));
      expect(byName).to.deep.equal([...byName].sort((a, b) => (a < b ? -1 : 1)));
    });

    it('pages with an opaque cursor under every sort, stable when customers are added between pages', async () => {
      for (const sort of ['name', '-revenue12m', '-updatedAt']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await list(exec, { sort, limit: 2, ...(cursor ? { cursor } : {}) }).expect(200);
          seen.push(...res.body.items.map((c) => c.id));
          cursor = res.body.nextCursor;
          if (pages++ === 0 && sort === 'name') await createCustomer(anna, { name: 'Zulu Late', tags: [`${tag}-other`] });
        } while (cursor);
        expect(new Set(seen).size).to.equal(seen.length);
        expect(seen).to.include.members(Object.values(ids));
      }
    });

    it('answers 400 for a bad sort, limit, cursor or an operator in the query', async () => {
      expectProblem(await list(anna, { sort: 'password' }), 400);
      expectProblem(await list(anna, { limit: 201 }), 400);
      const other = Buffer.from(JSON.stringify({ s: '-revenue12m', v: 1, id: '0123456789abcdef01234567' })).toString('base64url');
      expectProblem(await list(anna, { cursor: other }), 400); // a cursor of another sort
      expectProblem(await api().get('/api/v1/customers?status[$ne]=lost').set(bearer(anna)), 400);
      expectProblem(await api().get('/api/v1/customers?owner=someone').set(bearer(anna)), 400);
    });
  });

  describe('GET /api/v1/customers/:id/timeline', () => {
    it('lists changes newest first, paged', async () => {
      const c = await createCustomer(anna);
      for (const status of ['active', 'dormant', 'lost'] as const) {
        await api().patch(`/api/v1/customers/${c.id}`).set(bearer(anna)).send({ status }).expect(200);
      }
      const first = await api().get(`/api/v1/customers/${c.id}/timeline`).set(bearer(exec)).query({ limit: 2 }).expect(200);
      expect(first.body.items.map((x: { fields: { new: unknown }[] }) => x.fields[0]!.new)).to.deep.equal(['lost', 'dormant']);
      const second = await api().get(`/api/v1/customers/${c.id}/timeline`).set(bearer(exec)).query({ limit: 2, cursor: first.body.nextCursor }).expect(200);
      expect(second.body.items.map((x: { action: string }) => x.action)).to.deep.equal(['updated', 'created']);
      expect(second.body.nextCursor).to.equal(null);
      expect(second.body.items[0]).to.include({ entity: 'customer', actorId: anna.id });
    });
  });
});

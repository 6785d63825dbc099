import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Types } from 'mongoose';
import type { Test } from 'supertest';
import { ChangeModel } from '../../models/change.ts';
import { ContactModel, contactView, personalFields } from '../../models/contact.ts';
import { CustomerModel, canSeePersonal, nameKeyOf } from '../../models/customer.ts';
import { describeCustomerAccess } from '../access-matrix.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

const personal = { email: 'li.wei@example.com', phone: '+86 755 2878 0808', birthday: '1975-03-14', notes: 'Prefers tea to coffee' };

async function makeCustomer(owner: TestUser, accountTeam: TestUser[] = []) {
  const name = `Contacts Co ${randomUUID().slice(0, 8)}`;
  return CustomerModel.create({
    code: `CT-${randomUUID().slice(0, 12)}`, name, nameKey: nameKeyOf(name), ownerId: owner.id, accountTeam: accountTeam.map((u) => u.id),
  });
}

const makeContact = (customerId: Types.ObjectId, fields: Record<string, unknown> = {}) =>
  ContactModel.create({ customerId, name: `Person ${randomUUID().slice(0, 8)}`, title: 'CIO', ...personal, ...fields });

/** A customer with an owner, a team member, one contact, and people who are not on the customer. */
async function world() {
  const owner = await createUser({ role: 'manager', team: 'North' });
  const member = await createUser({ role: 'manager', team: 'North' });
  // Same organisational team as the owner, but not on this customer's account team.
  const outsider = await createUser({ role: 'manager', team: 'North' });
  const executive = await createUser({ role: 'executive' });
  const admin = await createUser({ role: 'admin' });
  const customer = await makeCustomer(owner, [member]);
  const contact = await makeContact(customer._id);
  return { owner, member, outsider, executive, admin, customer, contact };
}
type World = Awaited<ReturnType<typeof world>>;

/** Everything a contact route may touch: the customer's contacts and its timeline. */
async function snapshot(w: World) {
  return {
    contacts: await ContactModel.find({ customerId: w.customer._id }).sort({ _id: 1 }).lean(),
    changes: await ChangeModel.countDocuments({ customerId: w.customer._id }),
  };
}

const contactUrl = (id: unknown) => `/api/v1/contacts/${String(id)}`;
const listUrl = (w: World) => `/api/v1/customers/${w.customer.id}/contacts`;

type Route = { name: string; write: boolean; ok: number; call: (w: World, user: TestUser) => Test };
const routes: Route[] = [
  { name: 'GET /customers/:id/contacts', write: false, ok: 200, call: (w, u) => api().get(listUrl(w)).set(bearer(u)) },
  { name: 'POST /customers/:id/contacts', write: true, ok: 201, call: (w, u) => api().post(listUrl(w)).set(bearer(u)).send({ name: 'Zhang Min' }) },
  { name: 'GET /contacts/:id', write: false, ok: 200, call: (w, u) => api().get(contactUrl(w.contact._id)).set(bearer(u)) },
  { name: 'PATCH /contacts/:id', write: true, ok: 200, call: (w, u) => api().patch(contactUrl(w.contact._id)).set(bearer(u)).send({ title: 'CTO' }) },
  { name: 'DELETE /contacts/:id', write: true, ok: 204, call: (w, u) => api().delete(contactUrl(w.contact._id)).set(bearer(u)) },
];

describe('contacts: access as to the customer', () => {
  describeCustomerAccess({
    routes, world, stored: snapshot, recordId: (w) => w.contact.id,
    absent: (w, route) => (route.name.includes('/customers/')
      ? { ...w, customer: { ...w.customer.toObject(), id: '0123456789abcdef01234567' } }
      : { ...w, contact: { _id: '0123456789abcdef01234567' } }) as unknown as World,
  });

  it('answers 404 for malformed ids and 401 without a token', async () => {
    const w = await world();
    for (const url of ['/api/v1/contacts/not-an-id', '/api/v1/contacts/0123456789abcdef0123456z', '/api/v1/customers/nope/contacts']) {
      expectProblem(await api().get(url).set(bearer(w.admin)), 404);
    }
    expectProblem(await api().patch('/api/v1/contacts/not-an-id').set(bearer(w.admin)).send({ title: 'x' }), 404);
    expectProblem(await api().delete('/api/v1/contacts/not-an-id').set(bearer(w.admin)), 404);
    expectProblem(await api().get(contactUrl(w.contact._id)), 401);
    expectProblem(await api().post(listUrl(w)).send({ name: 'Anon' }), 401);
  });
});

describe('contacts: personal fields', () => {
  it('are answered in reads, lists and writes to the owner, the team, executives and admins', async () => {
    const w = await world();
    for (const user of [w.owner, w.member, w.executive, w.admin]) {
      const one = await api().get(contactUrl(w.contact._id)).set(bearer(user)).expect(200);
      expect(one.body).to.include(personal);
      const list = await api().get(listUrl(w)).set(bearer(user)).expect(200);
      expect(list.body.items[0]).to.include(personal);
    }
    const patched = await api().patch(contactUrl(w.contact._id)).set(bearer(w.member)).send({ phone: '+49 30 1234567' }).expect(200);
    expect(patched.body).to.include({ phone: '+49 30 1234567', email: personal.email });
  });

  it('are left out of the JSON for someone who may not see them', async () => {
    const w = await world();
    const stranger = { id: w.outsider.id, email: w.outsider.email, name: 'x', role: 'manager' as const, team: 'North' };
    expect(canSeePersonal(stranger, w.customer)).to.equal(false);
    const view = contactView(w.contact.toObject(), canSeePersonal(stranger, w.customer));
    expect(view).to.not.have.any.keys(...personalFields, '_id', '__v');
    expect(view).to.include({ id: w.contact.id, name: w.contact.name, title: 'CIO' });
    expect(contactView(w.contact.toObject(), true)).to.include(personal);
  });
});

describe('POST /api/v1/customers/:id/contacts', () => {
  it('creates a contact, answers it with Location and ETag, and records it in the timeline', async () => {
    const w = await world();
    const boss = await makeContact(w.customer._id);
    const res = await api().post(listUrl(w)).set(bearer(w.member)).send({
      name: '  王伟  ', title: 'Head of Procurement', department: 'Procurement', reportsToId: boss.id, decisionRole: 'decision_maker',
      influence: 5, attitude: 'supporter', needs: 'Lower TCO', interests: 'Go', birthday: '1980-02-29', email: ' Wang.Wei@Example.COM ',
      phone: '+86 10 5555 0100', lastContactedAt: '2025-11-03T09:30:00Z',
    }).expect(201);
    expect(res.headers.location).to.equal(contactUrl(res.body.id));
    expect(res.headers.etag).to.equal('"0"');
    expect(res.body).to.include({
      customerId: w.customer.id, name: '王伟', reportsToId: boss.id, decisionRole: 'decision_maker', influence: 5, attitude: 'supporter',
      birthday: '1980-02-29', email: 'wang.wei@example.com', ownerId: w.member.id, notes: '', lastContactedAt: '2025-11-03T09:30:00.000Z',
    });
    expect(res.body).to.not.have.any.keys('_id', '__v');
    const stored = await ContactModel.findById(res.body.id).lean();
    expect(stored).to.include({ name: '王伟', title: 'Head of Procurement', birthday: '1980-02-29', email: 'wang.wei@example.com' });
    expect(String(stored!.customerId)).to.equal(w.customer.id);
    expect(String(stored!.ownerId)).to.equal(w.member.id);
    const change = await ChangeModel.findOne({ entityId: res.body.id }).lean();
    expect(change).to.include({ entity: 'contact', action: 'created', entityName: '王伟', actorName: 'Test manager' });
    expect(String(change!.customerId)).to.equal(w.customer.id);
    expect(String(change!.actorId)).to.equal(w.member.id);
  });

  it('lets an admin name another relationship owner, and refuses an inactive one with 400', async () => {
    const w = await world();
    const res = await api().post(listUrl(w)).set(bearer(w.admin)).send({ name: 'Ana Owner', ownerId: w.owner.id }).expect(201);
    expect(res.body.ownerId).to.equal(w.owner.id);
    const gone = await createUser({ active: false });
    const before = await snapshot(w);
    const problem = expectProblem(await api().post(listUrl(w)).set(bearer(w.admin)).send({ name: 'Bo', ownerId: gone.id }), 400);
    expect(problem.errors).to.deep.equal([{ field: 'ownerId', message: 'ownerId must be an active user' }]);
    expect(await snapshot(w)).to.deep.equal(before);
  });

  it("refuses with 400 a reportsToId that is another customer's contact or no contact, and stores nothing", async () => {
    const w = await world();
    const elsewhere = await makeContact((await makeCustomer(w.owner))._id);
    const before = await snapshot(w);
    for (const reportsToId of [elsewhere.id, '0123456789abcdef01234567']) {
      const problem = expectProblem(await api().post(listUrl(w)).set(bearer(w.owner)).send({ name: 'Cai', reportsToId }), 400);
      expect(problem.errors).to.deep.equal([{ field: 'reportsToId', message: 'reportsToId must be a contact of the same customer' }]);
    }
    expect(await snapshot(w)).to.deep.equal(before);
  });

  it('answers 400 naming every bad field, operators included, and stores nothing', async () => {
    const w = await world();
    const before = await snapshot(w);
    const problem = expectProblem(await api().post(listUrl(w)).set(bearer(w.owner)).send({
      name: { $gt: '' }, title: 'x'.repeat(201), influence: 'high', decisionRole: 'boss', email: 'not-an-address',
      birthday: '1980-02-30', phone: 'call me maybe', customerId: w.customer.id, reportsToId: { $ne: null }, lastContactedAt: 'yesterday',
    }), 400);
    expect(problem.errors!.map((e) => e.field)).to.have.members([
      'name', 'title', 'influence', 'decisionRole', 'email', 'birthday', 'phone', 'customerId', 'reportsToId', 'lastContactedAt',
    ]);
    expectProblem(await api().post(listUrl(w)).set(bearer(w.owner)).send({ title: 'No name' }), 400);
    expectProblem(await api().post(listUrl(w)).set(bearer(w.owner)).send({ name: '   ' }), 400);
    expectProblem(await api().post(listUrl(w)).set(bearer(w.owner)).send({ name: 'Future', birthday: '2999-01-01' }), 400);
    expect(await snapshot(w)).to.deep.equal(before);
  });
});

describe('GET /api/v1/customers/:id/contacts', () => {
  it("pages through the customer's contacts in name order, without repeats or other customers' contacts", async () => {
    const w = await world();
    await makeContact((await makeCustomer(w.owner))._id, { name: 'Aaron Elsewhere' });
    for (const name of ['Dora', 'Bela', 'Cem', 'Bela', 'Ada']) await makeContact(w.customer._id, { name });
    const seen: Array<{ id: string; name: string }> = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Array<{ id: string; name: string }>; nextCursor: string | null } } = await api().get(listUrl(w))
        .set(bearer(w.owner)).query({ limit: 2, ...(cursor ? { cursor } : {}) }).expect(200);
      expect(res.body.items.length).to.be.at.most(2);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.map((c) => c.name)).to.deep.equal(['Ada', 'Bela', 'Bela', 'Cem', 'Dora', w.contact.name]);
    expect(new Set(seen.map((c) => c.id)).size).to.equal(6);
  });

  it('answers 400 to operators, bad limits and forged cursors in the query', async () => {
    const w = await world();
    expectProblem(await api().get(`${listUrl(w)}?limit[$gt]=1`).set(bearer(w.owner)), 400);
    expectProblem(await api().get(`${listUrl(w)}?name[$ne]=x`).set(bearer(w.owner)), 400);
    expectProblem(await api().get(`${listUrl(w)}?limit=0`).set(bearer(w.owner)), 400);
    expectProblem(await api().get(`${listUrl(w)}?limit=201`).set(bearer(w.owner)), 400);
    const forged = Buffer.from(JSON.stringify({ n: { $gt: '' }, id: w.contact.id })).toString('base64url');
    expect(expectProblem(await api().get(`${listUrl(w)}?cursor=${forged}`).set(bearer(w.owner)), 400).errors![0]!.field).to.equal('cursor');
  });
});

describe('GET /api/v1/contacts/:id', () => {
  it('answers the contact with its ETag', async () => {
    const w = await world();
    const res = await api().get(contactUrl(w.contact._id)).set(bearer(w.owner)).expect(200);
    expect(res.headers.etag).to.equal('"0"');
    expect(res.body).to.include({ id: w.contact.id, customerId: w.customer.id, name: w.contact.name, reportsToId: null, influence: null });
    expect(res.body).to.include.keys('createdAt', 'updatedAt', 'needs', 'preferences', 'interests', 'ownerId', 'lastContactedAt');
  });
});

describe('PATCH /api/v1/contacts/:id', () => {
  it('changes only the fields given, bumps the ETag and records old and new values in the timeline', async () => {
    const w = await world();
    const boss = await makeContact(w.customer._id);
    const res = await api().patch(contactUrl(w.contact._id)).set(bearer(w.member)).set('If-Match', '"0"')
      .send({ title: ' CEO ', attitude: 'opponent', reportsToId: boss.id, birthday: null }).expect(200);
    expect(res.headers.etag).to.equal('"1"');
    expect(res.body).to.include({ title: 'CEO', attitude: 'opponent', reportsToId: boss.id, birthday: null, email: personal.email });
    const stored = await ContactModel.findById(w.contact._id).lean();
    expect(stored).to.include({ title: 'CEO', attitude: 'opponent', birthday: null, name: w.contact.name, __v: 1 });
    const change = await ChangeModel.findOne({ entityId: w.contact._id, action: 'updated' }).lean();
    expect(change).to.include({ entity: 'contact', entityName: w.contact.name, actorName: 'Test manager' });
    expect(change!.fields).to.have.deep.members([
      { field: 'title', old: 'CIO', new: 'CEO' }, { field: 'attitude', old: null, new: 'opponent' },
      { field: 'reportsToId', old: null, new: boss.id }, { field: 'birthday', old: personal.birthday, new: null },
    ]);
  });

  it('answers 412 to the second of two writers holding the same ETag, and keeps the first write', async () => {
    const w = await world();
    const etag = (await api().get(contactUrl(w.contact._id)).set(bearer(w.owner)).expect(200)).headers.etag!;
    await api().patch(contactUrl(w.contact._id)).set(bearer(w.member)).set('If-Match', etag).send({ title: 'First' }).expect(200);
    const changes = await ChangeModel.countDocuments({ entityId: w.contact._id });
    expectProblem(await api().patch(contactUrl(w.contact._id)).set(bearer(w.owner)).set('If-Match', etag).send({ title: 'Second' }), 412);
    expectProblem(await api().patch(contactUrl(w.contact._id)).set(bearer(w.owner)).set('If-Match', 'garbage').send({ title: 'Third' }), 412);
    expect(await ContactModel.findById(w.contact._id).lean()).to.include({ title: 'First', __v: 1 });
    expect(await ChangeModel.countDocuments({ entityId: w.contact._id })).to.equal(changes);
  });

  it('refuses with 400 a reportsToId that is the contact itself, someone below it, or at another customer', async () => {
    const w = await world();
    const report = await makeContact(w.customer._id, { reportsToId: w.contact._id });
    const below = await makeContact(w.customer._id, { reportsToId: report._id });
    const elsewhere = await makeContact((await makeCustomer(w.owner))._id);
    const before = await snapshot(w);
    for (const [reportsToId, message] of [
      [w.contact.id, 'reportsToId cannot be the contact itself'],
      [below.id, 'reportsToId cannot be someone who reports to the contact'],
      [elsewhere.id, 'reportsToId must be a contact of the same customer'],
    ] as const) {
      const problem = expectProblem(await api().patch(contactUrl(w.contact._id)).set(bearer(w.owner)).send({ reportsToId }), 400);
      expect(problem.errors).to.deep.equal([{ field: 'reportsToId', message }]);
    }
    expect(await snapshot(w)).to.deep.equal(before);
  });

  it('answers 400 to unknown fields, wrong types, long strings, operators and an empty patch, and changes nothing', async () => {
    const w = await world();
    const before = await snapshot(w);
    for (const body of [
      {}, { customerId: w.customer.id }, { $set: { name: 'x' } }, { influence: 6 }, { influence: 'a lot' }, { name: 42 },
      { notes: 'x'.repeat(4001) }, { phone: '1'.repeat(41) }, { name: { $gt: '' } }, { ownerId: { $ne: null } }, { email: ['a@b.co'] },
    ]) {
      expectProblem(await api().patch(contactUrl(w.contact._id)).set(bearer(w.owner)).send(body), 400);
    }
    expect(await snapshot(w)).to.deep.equal(before);
  });
});

describe('DELETE /api/v1/contacts/:id', () => {
  it('deletes the contact, detaches those who reported to it, and records both in the timeline', async () => {
    const w = await world();
    const report = await makeContact(w.customer._id, { reportsToId: w.contact._id });
    await api().delete(contactUrl(w.contact._id)).set(bearer(w.owner)).expect(204);
    expect(await ContactModel.exists({ _id: w.contact._id })).to.equal(null);
    expect(await ContactModel.findById(report._id).lean()).to.include({ reportsToId: null, __v: 1 });
    const deleted = await ChangeModel.findOne({ entityId: w.contact._id, action: 'deleted' }).lean();
    expect(deleted).to.include({ entity: 'contact', entityName: w.contact.name });
    expect(String(deleted!.customerId)).to.equal(w.customer.id);
    const detached = await ChangeModel.findOne({ entityId: report._id, action: 'updated' }).lean();
    expect(detached!.fields).to.deep.equal([{ field: 'reportsToId', old: w.contact.id, new: null }]);
    expectProblem(await api().get(contactUrl(w.contact._id)).set(bearer(w.owner)), 404);
    expectProblem(await api().delete(contactUrl(w.contact._id)).set(bearer(w.owner)), 404);
  });

  it('answers 412 to a stale If-Match and keeps the contact', async () => {
    const w = await world();
    await api().patch(contactUrl(w.contact._id)).set(bearer(w.owner)).send({ title: 'Changed' }).expect(200);
    expectProblem(await api().delete(contactUrl(w.contact._id)).set(bearer(w.owner)).set('If-Match', '"0"'), 412);
    expect(await ContactModel.findById(w.contact._id).lean()).to.include({ title: 'Changed' });
    await api().delete(contactUrl(w.contact._id)).set(bearer(w.owner)).set('If-Match', '"1"').expect(204);
  });
});

describe('contact e-mail addresses', () => {
  it('accepts company domains outside the public TLD list, such as acme.example or corp.local', async () => {
    const owner = await createUser();
    const customer = await api().post('/api/v1/customers').set(bearer(owner)).send({ code: `MAIL-${randomUUID().slice(0, 8)}`, name: 'Mail Co' }).expect(201);
    for (const email of ['lena.vogel@acme.example', 'it@corp.local']) {
      const res = await api().post(`/api/v1/customers/${customer.body.id}/contacts`).set(bearer(owner)).send({ name: 'Lena Vogel', email }).expect(201);
      expect((await ContactModel.findById(res.body.id).lean())!.email).to.equal(email);
    }
    expectProblem(await api().post(`/api/v1/customers/${customer.body.id}/contacts`).set(bearer(owner)).send({ name: 'X', email: 'not-an-address' }), 400);
  });
});

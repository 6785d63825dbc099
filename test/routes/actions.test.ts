import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ActionModel } from '../../models/action.ts';
import { CustomerModel, nameKeyOf } from '../../models/customer.ts';
import { VisitModel, keepCadenceVisits } from '../../models/visit.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

async function makeCustomer(owner: TestUser) {
  const name = `Actions Co ${randomUUID().slice(0, 8)}`;
  return CustomerModel.create({ code: `AC-${randomUUID().slice(0, 12)}`, name, nameKey: nameKeyOf(name), ownerId: owner.id, tier: 'A', tierUpdatedAt: new Date() });
}

/** A customer whose cadence visit was completed over HTTP with two feedback items. */
async function world() {
  const owner = await createUser({ role: 'manager' });
  const outsider = await createUser({ role: 'manager' });
  const executive = await createUser({ role: 'executive' });
  const customer = await makeCustomer(owner);
  await keepCadenceVisits([customer._id]);
  const visit = (await VisitModel.findOne({ customerId: customer._id }).lean())!;
  await api().post(`/api/v1/visits/${String(visit._id)}/complete`).set(bearer(owner)).send({
    satisfaction: 4, recommend: 8,
    feedback: [{ category: 'support', text: 'Slow hotline', severity: 'high' }, { category: 'docs', text: 'Manuals in Spanish', severity: 'low' }],
  }).expect(200);
  const actions = await ActionModel.find({ visitId: visit._id }).sort({ _id: 1 }).lean();
  return { owner, outsider, executive, customer, visit, actions };
}

const url = (id: unknown) => `/api/v1/actions/${String(id)}`;

describe('improvement actions', () => {
  it('lists a customer\'s open actions and filters by status and owner', async () => {
    const w = await world();
    const ids = async (query: string, user: TestUser = w.owner) =>
      (await api().get(`/api/v1/actions?${query}`).set(bearer(user)).expect(200)).body.items.map((a: { id: string }) => a.id);
    const [hotline, manuals] = w.actions.map((a) => String(a._id));
    const open = await api().get(`/api/v1/actions?customerId=${w.customer.id}&status=open`).set(bearer(w.owner)).expect(200);
    expect(open.body.items.map((a: { id: string }) => a.id)).to.deep.equal([manuals, hotline]);
    expect(open.body.items[1]).to.include({
      customerId: w.customer.id, visitId: String(w.visit._id), category: 'support', text: 'Slow hotline', severity: 'high', status: 'open',
      ownerId: w.owner.id, dueDate: null, resolution: '',
    });
    expect(open.body.items[1]).to.not.have.property('key');
    await api().patch(url(hotline)).set(bearer(w.owner)).send({ status: 'in_progress', ownerId: w.executive.id }).expect(200);
    expect(await ids(`customerId=${w.customer.id}&status=open`)).to.deep.equal([manuals]);
    expect(await ids(`customerId=${w.customer.id}&owner=me`)).to.deep.equal([manuals]);
    expect(await ids(`customerId=${w.customer.id}&owner=${w.executive.id}`, w.executive)).to.deep.equal([hotline]);
    expect(await ids(`customerId=${w.customer.id}`, w.outsider)).to.deep.equal([]);
    // The customer file shows what is still open or in progress.
    const file = await api().get(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).expect(200);
    expect(file.body.openActions.map((a: { id: string; status: string }) => [a.id, a.status])).to.deep.equal([[hotline, 'in_progress'], [manuals, 'open']]);
    await api().patch(url(manuals)).set(bearer(w.owner)).send({ status: 'done', resolution: 'Spanish manuals published' }).expect(200);
    const after = await api().get(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).expect(200);
    expect(after.body.openActions.map((a: { id: string }) => a.id)).to.deep.equal([hotline]);
  });

  it('marks an action done only with a resolution, and supports If-Match', async () => {
    const w = await world();
    const id = w.actions[0]!._id;
    const problem = expectProblem(await api().patch(url(id)).set(bearer(w.owner)).send({ status: 'done' }), 400);
    expect(problem.errors!.map((e) => e.field)).to.deep.equal(['resolution']);
    expect((await ActionModel.findById(id).lean())!.status).to.equal('open');
    const res = await api().patch(url(id)).set(bearer(w.owner)).set('If-Match', '"0"')
      .send({ status: 'done', resolution: 'Second hotline shift', dueDate: '2026-12-31T00:00:00Z' }).expect(200);
    expect(res.headers.etag).to.equal('"1"');
    expect(res.body).to.include({ status: 'done', resolution: 'Second hotline shift', dueDate: '2026-12-31T00:00:00.000Z' });
    expect((await ActionModel.findById(id).lean())!).to.include({ status: 'done', resolution: 'Second hotline shift' });
    expectProblem(await api().patch(url(id)).set(bearer(w.owner)).set('If-Match', '"0"').send({ status: 'open' }), 412);
  });

  it('answers 404 to another team, 403 to an executive, 400 to bad input, and changes nothing', async () => {
    const w = await world();
    const id = w.actions[0]!._id;
    const gone = await createUser({ role: 'manager', active: false });
    expectProblem(await api().patch(url(id)).set(bearer(w.outsider)).send({ status: 'in_progress' }), 404);
    expectProblem(await api().patch(url(id)).set(bearer(w.executive)).send({ status: 'in_progress' }), 403);
    for (const body of [{}, { status: 'closed' }, { ownerId: gone.id }, { text: 'rewritten' }, { dueDate: 'tomorrow' }, { resolution: { $ne: '' } }]) {
      expectProblem(await api().patch(url(id)).set(bearer(w.owner)).send(body), 400);
    }
    for (const query of ['status=closed', 'owner=x', 'customerId[$ne]=x', 'limit=0']) {
      expectProblem(await api().get(`/api/v1/actions?${query}`).set(bearer(w.owner)), 400);
    }
    expectProblem(await api().patch(url('nope')).set(bearer(w.owner)).send({ status: 'done', resolution: 'x' }), 404);
    expect(await ActionModel.findById(id).lean()).to.deep.equal(w.actions[0]);
  });
});

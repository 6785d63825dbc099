import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import { ActionModel } from '../../models/action.ts';
import { ContactModel } from '../../models/contact.ts';
import { CustomerModel, nameKeyOf } from '../../models/customer.ts';
import { NotificationModel } from '../../models/notification.ts';
import { defaultPolicyRules, savePolicy } from '../../models/tier-policy.ts';
import { UserModel } from '../../models/user.ts';
import { VisitModel, keepCadenceVisits } from '../../models/visit.ts';
import { describeCustomerAccess, type AccessRoute } from '../access-matrix.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

const DAY = 24 * 60 * 60 * 1000;
const tierAt = new Date('2026-06-01T08:00:00Z');

async function makeCustomer(owner: TestUser, fields: Record<string, unknown> = {}) {
  const name = `Visits Co ${randomUUID().slice(0, 8)}`;
  return CustomerModel.create({
    code: `VS-${randomUUID().slice(0, 12)}`, name, nameKey: nameKeyOf(name), ownerId: owner.id, status: 'active',
    tier: 'B', tierUpdatedAt: tierAt, ...fields,
  });
}

async function world() {
  const owner = await createUser({ role: 'manager' });
  const outsider = await createUser({ role: 'manager' });
  const executive = await createUser({ role: 'executive' });
  const admin = await createUser({ role: 'admin' });
  const customer = await makeCustomer(owner);
  await keepCadenceVisits([customer._id]);
  const visit = (await VisitModel.findOne({ customerId: customer._id, status: 'scheduled' }).lean())!;
  return { owner, outsider, executive, admin, customer, visit };
}

/** The people of the access table (test/access-matrix.ts) around a customer with an account-team member, its open visit and an action. */
async function accessWorld() {
  const [owner, member, outsider] = [await createUser({ role: 'manager' }), await createUser({ role: 'manager' }), await createUser({ role: 'manager' })];
  const [executive, admin] = [await createUser({ role: 'executive' }), await createUser({ role: 'admin' })];
  const customer = await makeCustomer(owner, { accountTeam: [member.id] });
  await keepCadenceVisits([customer._id]);
  const visit = (await VisitModel.findOne({ customerId: customer._id, status: 'scheduled' }).lean())!;
  const action = await ActionModel.create({
    key: `${String(visit._id)}:0`, customerId: customer._id, visitId: visit._id, ownerId: owner.id,
    category: 'delivery', text: 'late', severity: 'low', status: 'open',
  });
  return { owner, member, outsider, executive, admin, customer, visit, action };
}
type AccessWorldOfVisits = Awaited<ReturnType<typeof accessWorld>>;

const openCadence = (customerId: Types.ObjectId | string) => VisitModel.find({ customerId, kind: 'cadence', status: 'scheduled' }).lean();
const url = (id: unknown, rest = '') => `/api/v1/visits/${String(id)}${rest}`;

describe('visits', () => {
  beforeEach(async () => {
    await savePolicy(defaultPolicyRules, 'visits tests', { id: new Types.ObjectId().toString(), name: 'visits test' });
  });

  describe('the open cadence visit', () => {
    it('is created once, due at the tier assignment plus the cadence, and served over HTTP', async () => {
      const w = await world();
      expect(w.visit).to.include({ kind: 'cadence', status: 'scheduled' });
      expect(w.visit.dueAt).to.deep.equal(new Date(tierAt.getTime() + 90 * DAY));
      expect(String(w.visit.ownerId)).to.equal(w.owner.id);
      expect(await keepCadenceVisits([w.customer._id])).to.deep.equal({ created: 0, moved: 0, cancelled: 0 });
      expect(await openCadence(w.customer._id)).to.have.length(1);
      const res = await api().get(`/api/v1/visits?customerId=${w.customer.id}`).set(bearer(w.owner)).expect(200);
      expect(res.body.items.map((v: { id: string }) => v.id)).to.deep.equal([String(w.visit._id)]);
      expect(res.body.items[0]).to.not.have.property('cadenceKey');
      expect((await CustomerModel.findById(w.customer._id).lean())!.satisfaction!.nextVisitDue).to.deep.equal(w.visit.dueAt);
    });

    it('moves earlier after a change to a shorter cadence, never later, and keeps a rescheduled date', async () => {
      const w = await world();
      await CustomerModel.updateOne({ _id: w.customer._id }, { $set: { tier: 'S' } });
      expect(await keepCadenceVisits([w.customer._id])).to.include({ moved: 1, created: 0 });
      const moved = (await VisitModel.findById(w.visit._id).lean())!;
      expect(moved.dueAt).to.deep.equal(new Date(tierAt.getTime() + 30 * DAY));
      expect(moved.scheduledFor).to.deep.equal(moved.dueAt);
      await CustomerModel.updateOne({ _id: w.customer._id }, { $set: { tier: 'C' } });
      expect(await keepCadenceVisits([w.customer._id])).to.include({ moved: 0 });
      expect((await VisitModel.findById(w.visit._id).lean())!.dueAt).to.deep.equal(moved.dueAt);

      const other = await world();
      const planned = '2026-12-24T09:00:00.000Z';
      await api().patch(url(other.visit._id)).set(bearer(other.owner)).send({ scheduledFor: planned, reason: 'customer asked' }).expect(200);
      await CustomerModel.updateOne({ _id: other.customer._id }, { $set: { tier: 'A' } });
      await keepCadenceVisits([other.customer._id]);
      const kept = (await VisitModel.findById(other.visit._id).lean())!;
      expect(kept.dueAt).to.deep.equal(new Date(tierAt.getTime() + 60 * DAY));
      expect(kept.scheduledFor.toISOString()).to.equal(planned);
    });

    it('is cancelled when the customer is archived and comes back on restore', async () => {
      const w = await world();
      await api().delete(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).expect((r) => expect(r.status).to.be.oneOf([200, 204]));
      // The archive route replans at once: nothing is left for the job to do.
      expect(await keepCadenceVisits([w.customer._id])).to.include({ cancelled: 0, created: 0 });
      const cancelled = (await VisitModel.findById(w.visit._id).lean())!;
      expect(cancelled).to.include({ status: 'cancelled', reason: 'customer archived' });
      expect(await openCadence(w.customer._id)).to.have.length(0);
      expect((await CustomerModel.findById(w.customer._id).lean())!.satisfaction!.nextVisitDue).to.equal(null);
      await api().post(`/api/v1/customers/${w.customer.id}/restore`).set(bearer(w.owner)).expect(200);
      expect(await openCadence(w.customer._id), 'planned again by the restore').to.have.length(1);
      expect(await keepCadenceVisits([w.customer._id])).to.include({ created: 0 });
    });
  });

  describe('POST /api/v1/visits/:id/complete', () => {
    it('stores the scores, creates the next visit and the actions once, and summarises satisfaction', async () => {
      const w = await world();
      const updatedAt = (await CustomerModel.findById(w.customer._id).lean())!.updatedAt;
      const first = await api().post(url(w.visit._id, '/complete')).set(bearer(w.owner)).send({
        completedAt: '2026-07-01T10:00:00Z', satisfaction: 4, recommend: 9, summary: 'Good quarter',
        feedback: [{ category: 'delivery', text: 'Faster spare parts', severity: 'medium' }, { category: 'billing', text: 'Invoice in CNY', severity: 'low' }],
      }).expect(200);
      expect(first.body).to.include({ status: 'completed', satisfaction: 4, recommend: 9, summary: 'Good quarter', completedAt: '2026-07-01T10:00:00.000Z' });
      const stored = (await VisitModel.findById(w.visit._id).lean())!;
      expect(stored).to.include({ status: 'completed', satisfaction: 4, recommend: 9 });
      expect(stored.feedback).to.have.length(2);
      const next = await openCadence(w.customer._id);
      expect(next).to.have.length(1);
      expect(next[0]!.dueAt).to.deep.equal(new Date(Date.parse('2026-07-01T10:00:00Z') + 90 * DAY));
      const actions = await ActionModel.find({ visitId: w.visit._id }).sort({ text: 1 }).lean();
      expect(actions.map((a) => [a.category, a.text, a.severity, a.status, String(a.ownerId)])).to.deep.equal([
        ['delivery', 'Faster spare parts', 'medium', 'open', w.owner.id], ['billing', 'Invoice in CNY', 'low', 'open', w.owner.id],
      ]);
      expect(await NotificationModel.countDocuments({ key: { $regex: `^satisfaction\\.alert:${String(w.visit._id)}:` } })).to.equal(0);

      const second = await api().post(url(next[0]!._id, '/complete')).set(bearer(w.owner))
        .send({ completedAt: '2026-08-01T10:00:00Z', satisfaction: 2, recommend: 5 }).expect(200);
      const customer = (await CustomerModel.findById(w.customer._id).lean())!;
      const third = await openCadence(w.customer._id);
      expect(third).to.have.length(1);
      // Scores 4 then 2: average 3, trend down against the 4 before, recommend 5 is a detractor.
      expect(customer.satisfaction).to.deep.equal({
        lastScore: 2, average: 3, lastRecommend: 5, npsCategory: 'detractor', trend: 'down',
        lastVisitAt: new Date('2026-08-01T10:00:00Z'), nextVisitDue: third[0]!.dueAt,
      });
      expect(customer.updatedAt).to.deep.equal(updatedAt);
      expect(customer.__v).to.equal(w.customer.__v);

      const visitId = second.body.id as string;
      const executives = (await UserModel.find({ role: 'executive', active: true }, { _id: 1 }).lean()).map((u) => String(u._id));
      const alerts = await NotificationModel.find({ key: { $regex: `^satisfaction\\.alert:${visitId}:` } }).lean();
      expect(alerts.map((n) => String(n.userId)).sort()).to.deep.equal([w.owner.id, ...executives].sort());
      expect(alerts.every((n) => n.kind === 'satisfaction.alert')).to.equal(true);

      expectProblem(await api().post(url(visitId, '/complete')).set(bearer(w.owner)).send({ satisfaction: 1, recommend: 0 }), 409);
      expect(await NotificationModel.countDocuments({ key: { $regex: `^satisfaction\\.alert:${visitId}:` } })).to.equal(alerts.length);
      expect(await openCadence(w.customer._id)).to.have.length(1);
      expect((await VisitModel.findById(visitId).lean())!.satisfaction).to.equal(2);
    });

    it('refuses bad scores, feedback, dates and contacts with 400 and changes nothing', async () => {
      const w = await world();
      const stranger = await ContactModel.create({ customerId: new Types.ObjectId(), name: 'Elsewhere' });
      const bodies: Array<[Record<string, unknown>, string]> = [
        [{ satisfaction: 6, recommend: 5 }, 'satisfaction'], [{ satisfaction: 3, recommend: 11 }, 'recommend'],
        [{ satisfaction: 3.5, recommend: 5 }, 'satisfaction'], [{ recommend: 5 }, 'satisfaction'],
        [{ satisfaction: 3, recommend: 5, feedback: [{ category: 'x', text: 'y', severity: 'huge' }] }, 'feedback.0.severity'],
        [{ satisfaction: 3, recommend: 5, completedAt: '2999-01-01T00:00:00Z' }, 'completedAt'],
        [{ satisfaction: 3, recommend: 5, contactIds: [stranger.id] }, 'contactIds'],
        [{ satisfaction: 3, recommend: 5, status: 'completed' }, 'status'],
      ];
      for (const [body, field] of bodies) {
        const problem = expectProblem(await api().post(url(w.visit._id, '/complete')).set(bearer(w.owner)).send(body), 400);
        expect(problem.errors!.map((e) => e.field), JSON.stringify(body)).to.include(field);
      }
      expect((await VisitModel.findById(w.visit._id).lean())!.status).to.equal('scheduled');
      for (const query of ['overdue=false', 'dueBefore=soon', 'status=done', 'owner=someone', 'customerId[$ne]=x']) {
        expectProblem(await api().get(`/api/v1/visits?${query}`).set(bearer(w.owner)), 400);
      }
    });
  });

  describe('PATCH /api/v1/visits/:id', () => {
    it('reschedules and cancels only with a reason, keeping the previous date', async () => {
      const w = await world();
      for (const body of [{ scheduledFor: '2026-10-01T09:00:00Z' }, { status: 'cancelled' }, { reason: 'why not' }, { status: 'completed', reason: 'x' }]) {
        expectProblem(await api().patch(url(w.visit._id)).set(bearer(w.owner)).send(body), 400);
      }
      expect((await VisitModel.findById(w.visit._id).lean())!.scheduledFor).to.deep.equal(w.visit.scheduledFor);
      const res = await api().patch(url(w.visit._id)).set(bearer(w.owner)).set('If-Match', '"0"')
        .send({ scheduledFor: '2026-10-01T09:00:00Z', reason: 'board meeting', channel: 'video' }).expect(200);
      expect(res.headers.etag).to.equal('"1"');
      expect(res.body).to.include({ scheduledFor: '2026-10-01T09:00:00.000Z', rescheduledFrom: w.visit.scheduledFor.toISOString(), reason: 'board meeting', channel: 'video' });
      expectProblem(await api().patch(url(w.visit._id)).set(bearer(w.owner)).set('If-Match', '"0"').send({ channel: 'call' }), 412);
      await api().patch(url(w.visit._id)).set(bearer(w.owner)).send({ status: 'cancelled', reason: 'duplicate' }).expect(200);
      expect((await VisitModel.findById(w.visit._id).lean())!).to.include({ status: 'cancelled', reason: 'duplicate' });
      // The customer keeps one open cadence visit.
      const open = await openCadence(w.customer._id);
      expect(open).to.have.length(1);
      expect(String(open[0]!._id)).to.not.equal(String(w.visit._id));
      expectProblem(await api().patch(url(w.visit._id)).set(bearer(w.owner)).send({ channel: 'call' }), 409);
    });

    it('changes contacts of the same customer and an active owner only', async () => {
      const w = await world();
      const contact = await ContactModel.create({ customerId: w.customer._id, name: 'Ms Li' });
      const stranger = await ContactModel.create({ customerId: new Types.ObjectId(), name: 'Mr X' });
      const gone = await createUser({ role: 'manager', active: false });
      expectProblem(await api().patch(url(w.visit._id)).set(bearer(w.owner)).send({ contactIds: [stranger.id] }), 400);
      expectProblem(await api().patch(url(w.visit._id)).set(bearer(w.owner)).send({ ownerId: gone.id }), 400);
      const res = await api().patch(url(w.visit._id)).set(bearer(w.admin)).send({ contactIds: [contact.id], ownerId: w.admin.id }).expect(200);
      expect(res.body).to.deep.include({ contactIds: [contact.id], ownerId: w.admin.id });
    });
  });

  describe('access', () => {
    // the shared table (test/access-matrix.ts), on a customer with an account-team member, its visit and an action
    const MISSING = '0123456789abcdef01234567';
    const routes: AccessRoute<AccessWorldOfVisits>[] = [
      { name: 'GET /visits/:id', write: false, ok: 200, call: (w, u) => api().get(url(w.visit._id)).set(bearer(u)) },
      { name: 'PATCH /visits/:id', write: true, ok: 200, call: (w, u) => api().patch(url(w.visit._id)).set(bearer(u)).send({ channel: 'call' }) },
      {
        name: 'POST /visits/:id/complete', write: true, ok: 200,
        call: (w, u) => api().post(url(w.visit._id, '/complete')).set(bearer(u)).send({ satisfaction: 5, recommend: 10 }),
      },
      {
        name: 'POST /customers/:id/visits', write: true, ok: 201,
        call: (w, u) => api().post(`/api/v1/customers/${w.customer.id}/visits`).set(bearer(u)).send({ scheduledFor: '2026-09-01T09:00:00Z' }),
      },
      {
        name: 'PATCH /actions/:id', write: true, ok: 200,
        call: (w, u) => api().patch(`/api/v1/actions/${String(w.action._id)}`).set(bearer(u)).send({ status: 'in_progress' }),
      },
    ];
    describeCustomerAccess({
      routes, world: accessWorld, recordId: (w) => String(w.visit._id),
      stored: (w) => Promise.all([
        VisitModel.find({ customerId: w.customer._id }).lean(), ActionModel.find({ customerId: w.customer._id }).lean(),
        CustomerModel.findById(w.customer._id).lean(), NotificationModel.find({ 'data.customerId': w.customer.id }).lean(),
      ]),
      absent: (w, route) => (route.name.includes('/customers/') ? { ...w, customer: { ...w.customer.toObject(), id: MISSING } }
        : route.name.includes('/actions/') ? { ...w, action: { _id: MISSING } }
          : { ...w, visit: { ...w.visit, _id: MISSING } }) as unknown as AccessWorldOfVisits,
    });

    it('lists nothing of the customer to a manager of another team; 404 for a malformed id, 401 without a token', async () => {
      const w = await world();
      const listed = await api().get(`/api/v1/visits?customerId=${w.customer.id}`).set(bearer(w.outsider)).expect(200);
      expect(listed.body.items).to.deep.equal([]);
      expect(await VisitModel.find({ customerId: w.customer._id }).lean()).to.deep.equal([await VisitModel.findById(w.visit._id).lean()]);
      expectProblem(await api().get(url('not-an-id')).set(bearer(w.owner)), 404);
      expectProblem(await api().get('/api/v1/visits'), 401);
    });
  });

  describe('POST /api/v1/customers/:id/visits and GET /api/v1/visits', () => {
    it('plans an ad hoc visit beside the cadence one and filters by owner, status, due dates and overdue', async () => {
      const w = await world();
      // Not yet due, so only the ad hoc visit planned in the past is overdue.
      await VisitModel.updateOne({ _id: w.visit._id }, { $set: { dueAt: new Date(Date.now() + 10 * DAY) } });
      const res = await api().post(`/api/v1/customers/${w.customer.id}/visits`).set(bearer(w.owner))
        .send({ scheduledFor: '2020-01-01T09:00:00Z', channel: 'call' }).expect(201);
      expect(res.headers.location).to.equal(url(res.body.id));
      expect(res.body).to.include({ kind: 'adhoc', status: 'scheduled', dueAt: '2020-01-01T09:00:00.000Z', ownerId: w.owner.id });
      expect(await VisitModel.countDocuments({ customerId: w.customer._id, status: 'scheduled' })).to.equal(2);
      const ids = async (query: string) => (await api().get(`/api/v1/visits?customerId=${w.customer.id}&${query}`).set(bearer(w.owner)).expect(200))
        .body.items.map((v: { id: string }) => v.id);
      const cadenceId = String(w.visit._id);
      expect(await ids('owner=me')).to.deep.equal([res.body.id, cadenceId]);
      expect(await ids('overdue=true')).to.deep.equal([res.body.id]);
      expect(await ids('dueBefore=2021-01-01T00:00:00Z')).to.deep.equal([res.body.id]);
      expect(await ids('dueAfter=2021-01-01T00:00:00Z')).to.deep.equal([cadenceId]);
      expect(await ids('status=completed')).to.deep.equal([]);
      const page = await api().get(`/api/v1/visits?customerId=${w.customer.id}&limit=1`).set(bearer(w.owner)).expect(200);
      const rest = await api().get(`/api/v1/visits?customerId=${w.customer.id}&limit=1&cursor=${page.body.nextCursor}`).set(bearer(w.owner)).expect(200);
      expect([...page.body.items, ...rest.body.items].map((v: { id: string }) => v.id)).to.deep.equal([res.body.id, cadenceId]);
    });
  });
});

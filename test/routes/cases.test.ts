import { expect } from 'chai';
import { Types } from 'mongoose';
import { CaseModel } from '../../models/case.ts';
import { ChangeModel } from '../../models/change.ts';
import { ContactModel } from '../../models/contact.ts';
import { NotificationModel } from '../../models/notification.ts';
import { afterOnClock } from '../../models/time-zone.ts';
import { caseBody, caseWorld, expectedTargets, openCase, storedCase, type CaseJson } from '../case-world.ts';
import { api, bearer, createCustomer, expectProblem } from '../factories.ts';
import { config } from '../setup.ts';

const MISSING = '0123456789abcdef01234567';

describe('POST /api/v1/cases', () => {
  it("opens a case for another team's customer: the opener owns it, the targets come from the tier and the policy", async () => {
    const w = await caseWorld('S');
    const before = Date.now();
    const { body, etag } = await openCase(w);
    expect(body).to.include({ status: 'open', ownerId: w.opener.id, openedById: w.opener.id, severity: 'critical', tier: 'S', handovers: 0, reopens: 0 });
    expect(body).to.include({ respondedAt: null, respondMet: null, resolveMet: null, overdue: false, firstContactResolution: null, closure: null });
    expect(etag).to.equal('"0"');
    const stored = await storedCase(body.id);
    const target = await expectedTargets('S', 'critical');
    const opened = stored.history[0]!.at;
    expect(opened.getTime()).to.be.at.least(before - 1000);
    expect(stored.respondBy.getTime()).to.equal(afterOnClock(config.timezone, opened, target.respondMinutes).getTime());
    expect(stored.resolveBy.getTime()).to.equal(afterOnClock(config.timezone, opened, target.resolveMinutes).getTime());
    expect(body.respondBy).to.equal(stored.respondBy.toISOString());
    expect(stored.history.map((h) => [h.step, String(h.by?.id)])).to.deep.equal([['opened', w.opener.id]]);
    // the customer's owner and team follow it; the opener is not told of their own case
    const told = await NotificationModel.find({ 'data.caseId': body.id, kind: 'case.opened' }).lean();
    expect(told.map((n) => String(n.userId)).sort()).to.deep.equal([w.owner.id, w.member.id].sort());
    const timeline = await ChangeModel.find({ entityId: body.id }).lean();
    expect(timeline.map((c) => [c.entity, c.action, c.actorName])).to.deep.equal([['case', 'created', 'Test manager']]);
    expect(stored.effectsSince, 'the effects are done').to.equal(null);
  });

  it('uses the `none` targets for a customer not classified yet', async () => {
    const w = await caseWorld(null);
    const { body } = await openCase(w, w.owner, { severity: 'low' });
    const target = await expectedTargets(null, 'low');
    const stored = await storedCase(body.id);
    expect(body.tier).to.equal(null);
    expect(stored.resolveBy.getTime()).to.equal(afterOnClock(config.timezone, stored.history[0]!.at, target.resolveMinutes).getTime());
  });

  it('rejects bad input with 400 naming each field, and stores nothing', async () => {
    const w = await caseWorld();
    const other = await createCustomer(w.stranger);
    const foreignContact = await ContactModel.create({ customerId: other.id, name: 'Someone Else' });
    const count = () => CaseModel.countDocuments({ customerId: w.customer.id });
    const before = await count();
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ channel: 'fax', severity: 'urgent', subject: '', category: '' }, ['channel', 'severity', 'subject', 'category']],
      [{ customerId: 'nope' }, ['customerId']],
      [{ customerId: MISSING }, ['customerId']],
      [{ contactId: String(foreignContact._id) }, ['contactId']],
      [{ visitId: MISSING, projectId: MISSING }, ['visitId', 'projectId']],
      [{ ownerId: w.member.id }, ['ownerId']],
      [{ subject: 'x'.repeat(201) }, ['subject']],
    ];
    for (const [fields, named] of cases) {
      const problem = expectProblem(await api().post('/api/v1/cases').set(bearer(w.opener)).send(caseBody(w, fields)), 400);
      expect(problem.errors!.map((e) => e.field).sort(), JSON.stringify(fields)).to.deep.equal([...named].sort());
    }
    expect(await count()).to.equal(before);
    await api().delete(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).expect(200);
    const archived = expectProblem(await api().post('/api/v1/cases').set(bearer(w.opener)).send(caseBody(w)), 400);
    expect(archived.errors).to.deep.equal([{ field: 'customerId', message: 'the customer is archived; restore it first' }]);
    expectProblem(await api().post('/api/v1/cases').send(caseBody(w)), 401);
    expect(await count()).to.equal(before);
  });

  it('links a contact, a visit and a project of the customer', async () => {
    const w = await caseWorld();
    const contact = await ContactModel.create({ customerId: w.customer.id, name: 'Li Wei' });
    const { body } = await openCase(w, w.member, { contactId: String(contact._id), tags: ['Invoice', 'card'] });
    expect(body).to.include({ contactId: String(contact._id), visitId: null, projectId: null });
    expect(body.tags).to.deep.equal(['invoice', 'card']);
  });
});

describe('GET /api/v1/cases/:id', () => {
  it("shows the opener of another team the case and the customer's name and code, and nothing more of the file", async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    const read = await api().get(`/api/v1/cases/${body.id}`).set(bearer(w.opener)).expect(200);
    expect(read.headers.etag).to.equal('"0"');
    expect(read.body.customer).to.deep.equal({ id: w.customer.id, code: w.customer.code, name: w.customer.name });
    expect(read.text).to.not.include('secret pain points');
    expect(read.text).to.not.include('telecom');
    // the file itself stays closed to them, as for any customer of another team
    for (const url of [`/api/v1/customers/${w.customer.id}`, `/api/v1/customers/${w.customer.id}/contacts`, `/api/v1/customers/${w.customer.id}/timeline`]) {
      expectProblem(await api().get(url).set(bearer(w.opener)), 404);
    }
    const listed = await api().get(`/api/v1/cases?customerId=${w.customer.id}`).set(bearer(w.opener)).expect(200);
    expect(listed.body.items.map((c: CaseJson) => c.id)).to.deep.equal([body.id]);
    expect(Object.keys(listed.body.items[0].customer).sort()).to.deep.equal(['code', 'id', 'name']);
  });

  it("is read by the customer's owner and team, executives and admins; 404 to anyone else, as for a missing case", async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    for (const user of [w.owner, w.member, w.executive, w.admin]) {
      const res = await api().get(`/api/v1/cases/${body.id}`).set(bearer(user)).expect(200);
      expect(res.body.id).to.equal(body.id);
    }
    const refused = expectProblem(await api().get(`/api/v1/cases/${body.id}`).set(bearer(w.stranger)), 404);
    expect(refused.detail).to.equal(expectProblem(await api().get(`/api/v1/cases/${MISSING}`).set(bearer(w.admin)), 404).detail);
    expectProblem(await api().get('/api/v1/cases/not-an-id').set(bearer(w.admin)), 404);
    expectProblem(await api().get(`/api/v1/cases/${body.id}`), 401);
  });
});

describe('GET /api/v1/cases', () => {
  it('lists the cases each may see, newest first, with filters and pages', async () => {
    const w = await caseWorld();
    const first = (await openCase(w, w.opener, { severity: 'low' })).body;
    const second = (await openCase(w, w.member, { severity: 'critical', category: 'delivery' })).body;
    const third = (await openCase(w, w.stranger, { severity: 'high' })).body;
    const ids = async (user: typeof w.owner, query = '') =>
      (await api().get(`/api/v1/cases?customerId=${w.customer.id}${query}`).set(bearer(user)).expect(200)).body.items.map((c: CaseJson) => c.id);
    expect(await ids(w.owner)).to.deep.equal([third.id, second.id, first.id]);
    expect(await ids(w.executive)).to.deep.equal([third.id, second.id, first.id]);
    expect(await ids(w.opener), 'their own only: the customer is not theirs').to.deep.equal([first.id]);
    expect(await ids(w.colleague)).to.deep.equal([]);
    expect(await ids(w.owner, '&severity=critical')).to.deep.equal([second.id]);
    expect(await ids(w.owner, `&owner=${w.stranger.id}`)).to.deep.equal([third.id]);
    expect(await ids(w.member, '&owner=me')).to.deep.equal([second.id]);
    expect(await ids(w.owner, '&status=open')).to.have.length(3);
    expect(await ids(w.owner, '&status=resolved')).to.deep.equal([]);
    // overdue: a target passed without being met
    await CaseModel.updateOne({ _id: first.id }, { $set: { respondBy: new Date(Date.now() - 60_000) } });
    expect(await ids(w.owner, '&overdue=true')).to.deep.equal([first.id]);
    expect(await ids(w.owner, '&overdue=false')).to.deep.equal([third.id, second.id]);
    const overdue = (await api().get(`/api/v1/cases/${first.id}`).set(bearer(w.owner)).expect(200)).body;
    expect(overdue).to.include({ overdue: true, respondMet: false });
    // pages
    const page1 = await api().get(`/api/v1/cases?customerId=${w.customer.id}&limit=2`).set(bearer(w.admin)).expect(200);
    expect(page1.body.items.map((c: CaseJson) => c.id)).to.deep.equal([third.id, second.id]);
    const page2 = await api().get(`/api/v1/cases?customerId=${w.customer.id}&limit=2&cursor=${page1.body.nextCursor}`).set(bearer(w.admin)).expect(200);
    expect(page2.body).to.deep.include({ nextCursor: null });
    expect(page2.body.items.map((c: CaseJson) => c.id)).to.deep.equal([first.id]);
  });

  it('rejects bad filters with 400', async () => {
    const w = await caseWorld();
    for (const query of ['status=lost', 'owner=someone', 'severity=urgent', 'overdue=maybe', 'customerId=x', 'limit=0', 'cursor=%%%', 'colour=red']) {
      expectProblem(await api().get(`/api/v1/cases?${query}`).set(bearer(w.owner)), 400);
    }
    expectProblem(await api().get('/api/v1/cases'), 401);
  });
});

describe('the customer file and its service cases', () => {
  it("shows the open cases and the last 12 months' complaints by category, and the cases on the timeline", async () => {
    const w = await caseWorld();
    const a = (await openCase(w, w.opener, { category: 'billing' })).body;
    await openCase(w, w.member, { category: 'billing', severity: 'low' });
    const c = (await openCase(w, w.member, { category: 'delivery' })).body;
    // one from 13 months ago counts in neither
    const old = (await openCase(w, w.member, { category: 'quality' })).body;
    const longAgo = new Date(Date.now() - 400 * 86_400_000);
    // createdAt is immutable to mongoose: written past it
    await CaseModel.collection.updateOne({ _id: new Types.ObjectId(old.id) }, { $set: { createdAt: longAgo, status: 'closed' } });
    await api().post(`/api/v1/cases/${c.id}/resolve`).set(bearer(w.member)).send({ solution: 'Re-sent the parts' }).expect(200);
    const file = await api().get(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).expect(200);
    expect(file.body.service.openCount).to.equal(2);
    expect(file.body.service.openCases.map((x: { id: string }) => x.id)).to.include(a.id).and.not.include(c.id);
    expect(file.body.service.openCases[0]).to.have.keys('id', 'subject', 'category', 'severity', 'status', 'ownerId', 'respondBy', 'resolveBy', 'overdue');
    expect(file.body.service.complaints12m).to.deep.include({
      count: 3, byCategory: [{ category: 'billing', count: 2 }, { category: 'delivery', count: 1 }],
    });
    const timeline = await api().get(`/api/v1/customers/${w.customer.id}/timeline`).set(bearer(w.member)).expect(200);
    const entries = timeline.body.items.filter((e: { entity: string }) => e.entity === 'case');
    expect(entries.map((e: { action: string; entityId: string }) => [e.action, e.entityId])).to.deep.include(['resolved', c.id]);
    expect(entries.filter((e: { action: string }) => e.action === 'created')).to.have.length(4);
    // the list answers no service summary
    const list = await api().get(`/api/v1/customers?q=${encodeURIComponent(w.customer.code)}`).set(bearer(w.owner)).expect(200);
    expect(list.body.items[0]).to.not.have.property('service');
  });
});

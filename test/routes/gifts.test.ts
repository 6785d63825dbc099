import { expect } from 'chai';
import { Types } from 'mongoose';
import { GiftModel } from '../../models/gift.ts';
import { GiftUsageModel } from '../../models/gift-allowance.ts';
import { monthIn } from '../../models/gift.ts';
import { NotificationModel } from '../../models/notification.ts';
import { api, bearer, createUser, expectProblem } from '../factories.ts';
import { giftBody, giftWorld, give, ledgerOf, makeCase, makeCustomer, setAllowances, type GiftWorld } from '../gifts.ts';
import { config } from '../setup.ts';

// POST /gifts: who may give, what is checked, applied or waiting for approval, and the stored ledger and allowance.

const thisMonth = () => monthIn(config.timezone, new Date());

describe('POST /api/v1/gifts', () => {
  let w: GiftWorld;
  before(async () => {
    w = await giftWorld();
    await setAllowances(w.admin, [{ user: w.owner, allowances: { USD: 10_000, CNY: 50_000 } }]);
  });

  it('applies a gift within the allowance at once, stores the entry and takes its cost from the allowance', async () => {
    const res = await give(w.owner, giftBody(w.customer._id, { contactId: w.contact.id, cost: 4_000 })).expect(201);
    expect(res.body).to.include({ kind: 'gift', status: 'applied', cost: 4_000, currency: 'USD', customerId: w.customer.id, contactId: w.contact.id, month: thisMonth() });
    expect(res.body.customer).to.deep.equal({ id: w.customer.id, code: w.customer.code, name: w.customer.name });
    expect(res.body.giver).to.deep.equal({ id: w.owner.id, name: 'Test manager', team: w.owner.team });
    expect(res.body).to.include({ reversesId: null, reversedById: null, decision: null, caseId: null });
    expect(res.headers.location).to.equal(`/api/v1/gifts/${res.body.id}`);
    const stored = await GiftModel.findById(res.body.id).lean();
    expect(stored).to.include({ key: `gift:${res.body.id}`, status: 'applied', customerTier: 'A', customerRegion: 'EMEA' });
    const usage = await GiftUsageModel.findOne({ key: `${w.owner.id}:${thisMonth()}:USD` }).lean();
    expect(usage!.spent).to.equal(4_000);
    expect(usage!.taken).to.include(`${res.body.id}:4000`);
  });

  it('sends a gift beyond what is left to approval, notifying the executives and admins but not the giver', async () => {
    const giver = await createUser({ role: 'manager' });
    const customer = await makeCustomer(giver);
    await setAllowances(w.admin, [{ user: giver, allowances: { USD: 5_000 } }]);
    expect((await give(giver, giftBody(customer._id, { cost: 3_000 })).expect(201)).body.status).to.equal('applied');
    const res = await give(giver, giftBody(customer._id, { cost: 2_001, item: 'Hamper' })).expect(201);
    expect(res.body.status).to.equal('pending_approval');
    const usage = await GiftUsageModel.findOne({ key: `${giver.id}:${thisMonth()}:USD` }).lean();
    expect(usage!.spent, 'a waiting gift takes nothing').to.equal(3_000);
    const notices = await NotificationModel.find({ kind: 'gift.approval', 'data.giftId': res.body.id }).lean();
    const to = notices.map((n) => String(n.userId));
    expect(to).to.include.members([w.executive.id, w.admin.id]);
    expect(to).to.not.include(giver.id);
    expect(notices[0]!.title).to.equal(`Gift waiting for approval: Hamper (20.01 USD) for ${customer.name}`);
    // exactly what is left still fits
    expect((await give(giver, giftBody(customer._id, { cost: 2_000 })).expect(201)).body.status).to.equal('applied');
  });

  it('keeps currencies apart: spending CNY leaves the USD allowance as it was', async () => {
    const giver = await createUser({ role: 'manager' });
    const customer = await makeCustomer(giver);
    await setAllowances(w.admin, [{ user: giver, allowances: { USD: 1_000, CNY: 1_000 } }]);
    expect((await give(giver, giftBody(customer._id, { cost: 1_000, currency: 'cny' })).expect(201)).body).to.include({ status: 'applied', currency: 'CNY' });
    expect((await give(giver, giftBody(customer._id, { cost: 1_000, currency: 'USD' })).expect(201)).body.status).to.equal('applied');
    expect((await give(giver, giftBody(customer._id, { cost: 1, currency: 'CNY' })).expect(201)).body.status).to.equal('pending_approval');
  });

  it('sends every gift in a currency the allowance does not name to approval', async () => {
    const res = await give(w.owner, giftBody(w.customer._id, { cost: 1, currency: 'JPY' })).expect(201);
    expect(res.body.status).to.equal('pending_approval');
  });

  it('lets the owner of a case give to its customer of another team, and the answer shows no more than its code and name', async () => {
    const kase = await makeCase(w.customer._id, w.outsider);
    const res = await give(w.outsider, giftBody(w.customer._id, { caseId: String(kase._id), cost: 100 })).expect(201);
    expect(res.body).to.include({ caseId: String(kase._id), status: 'applied' });
    expect(Object.keys(res.body.customer)).to.deep.equal(['id', 'code', 'name']);
    // a helper too
    const helper = await createUser({ role: 'manager', team: 'Elsewhere' });
    await makeCase(w.customer._id, w.owner, [helper]).then((c) => give(helper, giftBody(w.customer._id, { caseId: String(c._id), cost: 100 })).expect(201));
  });

  it('answers 404 to a manager who may not read the customer and has no case of it, exactly as for a missing customer', async () => {
    const before = await ledgerOf(w.outsider);
    const refused = expectProblem(await give(w.outsider, giftBody(w.customer._id)), 404);
    const missing = expectProblem(await give(w.outsider, giftBody(new Types.ObjectId())), 404);
    expect(refused.detail).to.equal(missing.detail);
    // a case of another customer opens no door, nor one they only follow as the customer's team
    const other = await makeCustomer(w.outsider);
    const theirs = await makeCase(other._id, w.outsider);
    expectProblem(await give(w.outsider, giftBody(w.customer._id, { caseId: String(theirs._id) })), 404);
    expect(await ledgerOf(w.outsider)).to.deep.equal(before);
  });

  it('refuses with 400 a case or a contact of another customer, and stores nothing', async () => {
    const other = await makeCustomer(w.owner);
    const kase = await makeCase(other._id, w.owner);
    const before = await ledgerOf(w.owner);
    const badCase = expectProblem(await give(w.owner, giftBody(w.customer._id, { caseId: String(kase._id) })), 400);
    expect(badCase.errors).to.deep.equal([{ field: 'caseId', message: 'caseId must be a case of this customer' }]);
    const badContact = expectProblem(await give(w.owner, giftBody(other._id, { contactId: w.contact.id })), 400);
    expect(badContact.errors).to.deep.equal([{ field: 'contactId', message: 'contactId must be a contact of this customer' }]);
    expect(await ledgerOf(w.owner)).to.deep.equal(before);
  });

  it('refuses bad input with 400 naming each field, and stores nothing', async () => {
    const before = await ledgerOf(w.owner);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ cost: 0 }, 'cost'], [{ cost: -5 }, 'cost'], [{ cost: 12.5 }, 'cost'], [{ cost: '100' }, 'cost'], [{ cost: 1e13 }, 'cost'],
      [{ currency: 'XYZ' }, 'currency'], [{ currency: 'US' }, 'currency'], [{ currency: 'U$D' }, 'currency'],
      [{ reasonCategory: 'bribe' }, 'reasonCategory'], [{ reason: '' }, 'reason'], [{ reason: '  ' }, 'reason'], [{ item: 'x'.repeat(201) }, 'item'],
      [{ customerId: 'abc' }, 'customerId'], [{ contactId: { $ne: null } }, 'contactId'], [{ caseId: 7 }, 'caseId'], [{ ownerId: w.owner.id }, 'ownerId'],
    ];
    for (const [fields, field] of cases) {
      const problem = expectProblem(await give(w.owner, giftBody(w.customer._id, fields)), 400);
      expect(problem.errors!.map((e) => e.field), JSON.stringify(fields)).to.deep.equal([field]);
    }
    const missing = expectProblem(await give(w.owner, {}), 400);
    expect(missing.errors!.map((e) => e.field)).to.have.members(['customerId', 'item', 'cost', 'currency', 'reasonCategory', 'reason']);
    expect(expectProblem(await give(w.owner, giftBody(w.customer._id, { currency: 'XYZ' })), 400).errors![0]!.message)
      .to.equal('currency must be an ISO 4217 currency code in use');
    expect(await ledgerOf(w.owner)).to.deep.equal(before);
  });

  it('needs a signed-in user', async () => {
    expectProblem(await api().post('/api/v1/gifts').send(giftBody(w.customer._id)), 401);
  });
});

describe('the gift ledger is append-only', () => {
  it('has no route that edits or deletes an entry, in the service or in its document', async () => {
    const w = await giftWorld();
    const gift = (await give(w.owner, giftBody(w.customer._id, { cost: 100 })).expect(201)).body;
    for (const method of ['patch', 'put', 'delete'] as const) {
      expectProblem(await api()[method](`/api/v1/gifts/${gift.id}`).set(bearer(w.admin)).send({ cost: 1 }), 404);
    }
    const doc = (await api().get('/api/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const methods = Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/v1/gifts')).flatMap(([, item]) => Object.keys(item));
    expect(new Set(methods)).to.deep.equal(new Set(['get', 'post']));
    expect(await GiftModel.findById(gift.id).lean()).to.include({ cost: 100, status: 'applied' });
  });
});

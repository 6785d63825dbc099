import { expect } from 'chai';
import { GiftModel, monthIn } from '../../models/gift.ts';
import { GiftPolicyModel, currentGiftPolicy, defaultGiftPolicyRules } from '../../models/gift-policy.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { giftBody, give, makeCustomer, setAllowances } from '../gifts.ts';
import { config } from '../setup.ts';

// The gift policy (versioned, admin-edited, If-Match) and what it leaves each person (GET /me/allowance).

const roles = defaultGiftPolicyRules.roles;
type Item = { currency: string; allowance: number; spent: number; left: number; pending: number; approved: number };
const allowance = async (user: TestUser, query = '') => (await api().get(`/api/v1/me/allowance${query}`).set(bearer(user)).expect(200)).body as {
  month: string; timezone: string; policyVersion: number; items: Item[];
};
const item = (items: Item[], currency: string) => items.find((i) => i.currency === currency);

describe('GET/PUT /api/v1/gift-policy', () => {
  let admin: TestUser;
  let executive: TestUser;
  let manager: TestUser;
  before(async () => {
    [admin, executive, manager] = await Promise.all([createUser({ role: 'admin' }), createUser({ role: 'executive' }), createUser({ role: 'manager' })]);
  });

  it('answers the policy in force with its version as ETag to executives and admins, 403 to managers', async () => {
    const res = await api().get('/api/v1/gift-policy').set(bearer(executive)).expect(200);
    const current = await currentGiftPolicy();
    expect(res.headers.etag).to.equal(`"v${current.version}"`);
    expect(res.body).to.include({ version: current.version });
    expect(Object.keys(res.body.roles)).to.have.members(['admin', 'executive', 'manager']);
    await api().get('/api/v1/gift-policy').set(bearer(admin)).expect(200);
    expectProblem(await api().get('/api/v1/gift-policy').set(bearer(manager)), 403);
  });

  it('saves a new version with If-Match; a stale ETag gets 412 and stores nothing', async () => {
    const read = await api().get('/api/v1/gift-policy').set(bearer(admin)).expect(200);
    const body = { roles: { ...roles, manager: { ...roles.manager, GBP: 6_000 } }, users: [{ userId: manager.id, allowances: { USD: 20_000 }, note: 'travels a lot' }], note: 'GBP for managers' };
    const saved = await api().put('/api/v1/gift-policy').set(bearer(admin)).set('If-Match', String(read.headers.etag)).send(body).expect(200);
    expect(saved.body.version).to.equal(read.body.version + 1);
    expect(saved.headers.etag).to.equal(`"v${saved.body.version}"`);
    expect(saved.body).to.deep.include({ note: 'GBP for managers', createdById: admin.id });
    expect(saved.body.roles.manager).to.deep.equal({ ...roles.manager, GBP: 6_000 });
    expect(saved.body.users).to.deep.equal([{ userId: manager.id, allowances: { USD: 20_000 }, note: 'travels a lot' }]);
    const count = await GiftPolicyModel.countDocuments();
    expectProblem(await api().put('/api/v1/gift-policy').set(bearer(admin)).set('If-Match', String(read.headers.etag)).send(body), 412);
    expectProblem(await api().put('/api/v1/gift-policy').set(bearer(admin)).set('If-Match', '"3"').send(body), 412);
    expect(await GiftPolicyModel.countDocuments()).to.equal(count);
    // the exception replaces the role's USD only; the other currencies stay the role's
    const mine = await allowance(manager);
    expect(item(mine.items, 'USD')!.allowance).to.equal(20_000);
    expect(item(mine.items, 'GBP')!.allowance).to.equal(6_000);
    expect(item(mine.items, 'CNY')!.allowance).to.equal(roles.manager.CNY);
    await api().put('/api/v1/gift-policy').set(bearer(admin)).send({ roles }).expect(200); // back to the defaults
  });

  it('answers 403 to executives and managers on PUT', async () => {
    for (const who of [executive, manager]) expectProblem(await api().put('/api/v1/gift-policy').set(bearer(who)).send({ roles }), 403);
  });

  it('refuses with 400 each field that is wrong, and stores nothing', async () => {
    const inactive = await createUser({ role: 'manager', active: false });
    const count = await GiftPolicyModel.countDocuments();
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{}, ['roles']],
      [{ roles: { ...roles, manager: { usd: 100 } } }, ['roles.manager.usd']],
      [{ roles: { ...roles, manager: { XYZ: 100 } } }, ['roles.manager.XYZ']],
      [{ roles: { ...roles, manager: { USD: -1 } } }, ['roles.manager.USD']],
      [{ roles: { ...roles, manager: { USD: 1.5 } } }, ['roles.manager.USD']],
      [{ roles: { admin: roles.admin, manager: roles.manager } }, ['roles.executive']],
      [{ roles: { ...roles, guest: {} } }, ['roles.guest']],
      [{ roles, users: [{ userId: manager.id, allowances: { USD: 1 } }, { userId: manager.id, allowances: { EUR: 1 } }] }, ['users.1.userId']],
      [{ roles, users: [{ userId: inactive.id, allowances: { USD: 1 } }] }, ['users.0.userId']],
      [{ roles, users: [{ userId: manager.id }] }, ['users.0.allowances']],
      [{ roles, extra: true }, ['extra']],
    ];
    for (const [body, fields] of cases) {
      const problem = expectProblem(await api().put('/api/v1/gift-policy').set(bearer(admin)).send(body), 400);
      expect(problem.errors!.map((e) => e.field), JSON.stringify(body)).to.deep.equal(fields);
    }
    expect(await GiftPolicyModel.countDocuments()).to.equal(count);
  });
});

describe('GET /api/v1/me/allowance', () => {
  it("answers per currency the allowance, spent, pending, approved beyond it and what is left, never adding currencies", async () => {
    const admin = await createUser({ role: 'admin' });
    const giver = await createUser({ role: 'manager' });
    const customer = await makeCustomer(giver);
    await setAllowances(admin, [{ user: giver, allowances: { USD: 10_000, CNY: 50_000 } }]);
    const fresh = await allowance(giver);
    expect(fresh.month).to.equal(monthIn(config.timezone, new Date()));
    expect(fresh.timezone).to.equal(config.timezone);
    expect(item(fresh.items, 'USD')).to.deep.equal({ currency: 'USD', allowance: 10_000, spent: 0, left: 10_000, pending: 0, approved: 0 });

    const usd = async (cost: number) => (await give(giver, giftBody(customer._id, { cost })).expect(201)).body as { id: string; status: string };
    await usd(6_000);
    const reversed = await usd(3_000);
    const waiting = await usd(5_000);
    const approved = await usd(9_000);
    await give(giver, giftBody(customer._id, { cost: 20_000, currency: 'CNY' })).expect(201);
    await give(giver, giftBody(customer._id, { cost: 700, currency: 'JPY' })).expect(201);
    await api().post(`/api/v1/gifts/${approved.id}/approve`).set(bearer(admin)).send({}).expect(200);
    await api().post(`/api/v1/gifts/${reversed.id}/reverse`).set(bearer(giver)).send({ reason: 'wrong customer' }).expect(201);
    expect([waiting.status, approved.status]).to.deep.equal(['pending_approval', 'pending_approval']);

    const now = await allowance(giver);
    expect(now.items.map((i) => i.currency)).to.deep.equal(['CNY', 'EUR', 'JPY', 'USD']);
    expect(item(now.items, 'USD')).to.deep.equal({ currency: 'USD', allowance: 10_000, spent: 6_000, left: 4_000, pending: 5_000, approved: 9_000 });
    expect(item(now.items, 'CNY')).to.deep.equal({ currency: 'CNY', allowance: 50_000, spent: 20_000, left: 30_000, pending: 0, approved: 0 });
    expect(item(now.items, 'JPY')).to.deep.equal({ currency: 'JPY', allowance: 0, spent: 0, left: 0, pending: 700, approved: 0 });
    expect(item(now.items, 'EUR')).to.deep.equal({ currency: 'EUR', allowance: roles.manager.EUR, spent: 0, left: roles.manager.EUR, pending: 0, approved: 0 });

    // the ledger agrees: applied entries (reversals netted) sum to what was spent
    const applied = await GiftModel.find({ giverId: giver.id, currency: 'USD', status: 'applied' }).lean();
    expect(applied.reduce((sum, g) => sum + g.cost, 0)).to.equal(6_000);

    const past = await allowance(giver, '?month=2020-02');
    expect(past.month).to.equal('2020-02');
    expect(item(past.items, 'USD')).to.deep.include({ spent: 0, left: 10_000 });
    expectProblem(await api().get('/api/v1/me/allowance?month=2020-2').set(bearer(giver)), 400);
  });

  it("counts months on the organisation's clock", () => {
    // 23:30 on 31 May in UTC is already June in Shanghai
    expect(monthIn('Asia/Shanghai', new Date('2031-05-31T23:30:00Z'))).to.equal('2031-06');
    expect(monthIn('UTC', new Date('2031-05-31T23:30:00Z'))).to.equal('2031-05');
    expect(monthIn('America/New_York', new Date('2031-06-01T02:00:00Z'))).to.equal('2031-05');
  });
});

import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import { GiftModel, monthIn } from '../../models/gift.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { giftBody, give, makeCustomer, setAllowances } from '../gifts.ts';
import { config } from '../setup.ts';

// GET /reports/gifts against a ledger built by hand in a year no other test uses, every number worked out below.

const year = 1900 + Math.floor(Math.random() * 100);
const m = (n: number) => `${year}-0${n}`;

describe('GET /api/v1/reports/gifts', () => {
  let executive: TestUser;
  const ids: Record<string, string> = {};
  before(async () => {
    executive = await createUser({ role: 'executive' });
    const owner = await createUser({ role: 'manager' });
    const code = (c: string) => `R${year}-${c}-${randomUUID().slice(0, 6)}`;
    // C1 active and satisfied, C2 dormant and unhappy, C3 lost without visits
    const c1 = await makeCustomer(owner, [], { code: code('1'), status: 'active', satisfaction: { average: 4.5, npsCategory: 'promoter', trend: 'up' } });
    const c2 = await makeCustomer(owner, [], { code: code('2'), status: 'dormant', satisfaction: { average: 2.5, npsCategory: 'detractor', trend: 'down' } });
    const c3 = await makeCustomer(owner, [], { code: code('3'), status: 'lost' });
    const ann = { giverId: new Types.ObjectId(), giverName: 'Ann North', giverTeam: 'North' };
    const bo = { giverId: new Types.ObjectId(), giverName: 'Bo South', giverTeam: 'South' };
    Object.assign(ids, { c1: c1.id, c2: c2.id, c3: c3.id, ann: String(ann.giverId), bo: String(bo.giverId) });
    const at = { C1: { customerId: c1._id, customerTier: 'A', customerRegion: 'EMEA' }, C2: { customerId: c2._id, customerTier: 'B', customerRegion: 'APAC' }, C3: { customerId: c3._id, customerTier: null, customerRegion: null } };
    const entry = (to: keyof typeof at, giver: typeof ann, month: string, cost: number, fields: Record<string, unknown> = {}) => {
      const _id = new Types.ObjectId();
      return { _id, key: `gift:${String(_id)}`, kind: 'gift', ...at[to], item: 'Gift', cost, currency: 'USD', reasonCategory: 'apology', reason: 'r', month, status: 'applied', ...giver, byId: giver.giverId, byName: giver.giverName, createdAt: new Date(), ...fields };
    };
    const refunded = entry('C2', bo, m(1), 500);
    await GiftModel.insertMany([
      entry('C1', ann, m(1), 1_000),
      entry('C1', ann, m(2), 2_000, { reasonCategory: 'goodwill', status: 'approved' }),
      refunded,
      { ...entry('C2', bo, m(1), -500), key: `reversal:${String(refunded._id)}`, kind: 'reversal', reversesId: refunded._id },
      entry('C2', bo, m(3), 7_000, { currency: 'CNY', reasonCategory: 'retention' }),
      entry('C3', ann, m(3), 300, { reasonCategory: 'thanks' }),
      entry('C1', ann, m(2), 9_999, { status: 'pending_approval' }), // waiting: not spend
      entry('C2', bo, m(2), 4_444, { status: 'rejected' }), // no spend
      entry('C1', ann, m(4), 123), // the next quarter
    ]);
  });

  const report = async (query: string) => (await api().get(`/api/v1/reports/gifts?${query}`).set(bearer(executive)).expect(200)).body;
  const sums = (currency: string, spend: number, gifts: number, reversals = 0) => ({ currency, spend, gifts, reversals });

  it('adds up a quarter by reason, tier, giver, team and month per currency, reversals netted', async () => {
    const r = await report(`period=${year}-Q1`);
    expect(r.period).to.equal(`${year}-Q1`);
    expect(r.months).to.deep.equal([m(1), m(2), m(3)]);
    expect(r.filters).to.deep.equal({});
    expect(r.totals).to.deep.equal([{ ...sums('CNY', 7_000, 1), customers: 1 }, { ...sums('USD', 3_300, 4, 1), customers: 3 }]);
    expect(r.pending).to.deep.equal([{ currency: 'USD', amount: 9_999, gifts: 1 }]);
    expect(r.byReason).to.deep.equal([
      { reasonCategory: 'apology', ...sums('USD', 1_000, 2, 1) }, { reasonCategory: 'goodwill', ...sums('USD', 2_000, 1) },
      { reasonCategory: 'thanks', ...sums('USD', 300, 1) }, { reasonCategory: 'retention', ...sums('CNY', 7_000, 1) },
    ]);
    expect(r.byTier).to.deep.equal([
      { tier: 'A', ...sums('USD', 3_000, 2) }, { tier: 'B', ...sums('CNY', 7_000, 1) }, { tier: 'B', ...sums('USD', 0, 1, 1) }, { tier: 'none', ...sums('USD', 300, 1) },
    ]);
    expect(r.byGiver).to.deep.equal([
      { giverId: ids.ann, name: 'Ann North', team: 'North', ...sums('USD', 3_300, 3) },
      { giverId: ids.bo, name: 'Bo South', team: 'South', ...sums('CNY', 7_000, 1) }, { giverId: ids.bo, name: 'Bo South', team: 'South', ...sums('USD', 0, 1, 1) },
    ]);
    expect(r.byTeam).to.deep.equal([{ team: 'North', ...sums('USD', 3_300, 3) }, { team: 'South', ...sums('CNY', 7_000, 1) }, { team: 'South', ...sums('USD', 0, 1, 1) }]);
    expect(r.byMonth).to.deep.equal([
      { month: m(1), ...sums('USD', 1_000, 2, 1) }, { month: m(2), ...sums('USD', 2_000, 1) }, { month: m(3), ...sums('CNY', 7_000, 1) }, { month: m(3), ...sums('USD', 300, 1) },
    ]);
  });

  it('sets the spend against the satisfaction and the status of the customers it went to', async () => {
    const r = await report(`period=${year}-Q1`);
    expect(r.bySatisfaction).to.deep.equal([
      { band: 'high', ...sums('USD', 3_000, 2), customers: 1 }, { band: 'low', ...sums('CNY', 7_000, 1), customers: 1 },
      { band: 'low', ...sums('USD', 0, 1, 1), customers: 1 }, { band: 'none', ...sums('USD', 300, 1), customers: 1 },
    ]);
    expect(r.byRetention).to.deep.equal([
      { status: 'active', retained: true, ...sums('USD', 3_000, 2), customers: 1 }, { status: 'dormant', retained: false, ...sums('CNY', 7_000, 1), customers: 1 },
      { status: 'dormant', retained: false, ...sums('USD', 0, 1, 1), customers: 1 }, { status: 'lost', retained: false, ...sums('USD', 300, 1), customers: 1 },
    ]);
    expect(r.byCustomer.map((c: { customerId: string; currency: string; spend: number }) => [c.customerId, c.currency, c.spend]))
      .to.deep.equal([[ids.c1, 'USD', 3_000], [ids.c2, 'CNY', 7_000], [ids.c2, 'USD', 0], [ids.c3, 'USD', 300]]);
    expect(r.byCustomer[0]).to.deep.include({ status: 'active', satisfaction: { average: 4.5, npsCategory: 'promoter', trend: 'up' } });
    expect(r.byCustomer[3].satisfaction).to.deep.equal({ average: null, npsCategory: null, trend: null });
  });

  it('filters by month, team, tier and region', async () => {
    expect((await report(`period=${m(2)}`)).totals).to.deep.equal([{ ...sums('USD', 2_000, 1), customers: 1 }]);
    expect((await report(`period=${year}-Q1&team=North`)).totals).to.deep.equal([{ ...sums('USD', 3_300, 3), customers: 2 }]);
    expect((await report(`period=${year}-Q1&tier=B`)).totals).to.deep.equal([{ ...sums('CNY', 7_000, 1), customers: 1 }, { ...sums('USD', 0, 1, 1), customers: 1 }]);
    expect((await report(`period=${year}-Q1&tier=none`)).totals).to.deep.equal([{ ...sums('USD', 300, 1), customers: 1 }]);
    const emea = await report(`period=${year}-Q1&region=EMEA`);
    expect(emea.filters).to.deep.equal({ region: 'EMEA' });
    expect(emea.totals).to.deep.equal([{ ...sums('USD', 3_000, 2), customers: 1 }]);
    expect(emea.pending).to.deep.equal([{ currency: 'USD', amount: 9_999, gifts: 1 }]);
    expect((await report(`period=${year}-Q2`)).totals).to.deep.equal([{ ...sums('USD', 123, 1), customers: 1 }]);
  });

  it('answers CSV when asked for it: one row per dimension, group and currency', async () => {
    const res = await api().get(`/api/v1/reports/gifts?period=${year}-Q1`).set(bearer(executive)).set('Accept', 'text/csv').expect(200);
    expect(res.headers['content-type']).to.match(/^text\/csv/);
    expect(res.headers.vary).to.include('Accept');
    const lines = res.text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines[0]).to.equal('dimension,key,label,currency,spend,gifts,reversals,customers');
    expect(lines).to.include.members(['total,,,CNY,7000,1,0,1', 'total,,,USD,3300,4,1,3', 'reason,apology,apology,USD,1000,2,1,', 'tier,none,none,USD,300,1,0,',
      `giver,${ids.ann},Ann North,USD,3300,3,0,`, 'retention,lost,not retained,USD,300,1,0,1', 'satisfaction,high,high,USD,3000,2,0,1']);
    expect(lines).to.have.length(1 + 2 + 4 + 4 + 3 + 3 + 4 + 4 + 4 + 4);
  });

  it('counts a gift given and reversed through the API in this month, netted', async () => {
    const admin = await createUser({ role: 'admin' });
    const team = `Report-${randomUUID().slice(0, 8)}`;
    const giver = await createUser({ role: 'manager', team });
    const customer = await makeCustomer(giver);
    await setAllowances(admin, [{ user: giver, allowances: { USD: 5_000 } }]);
    const kept = (await give(giver, giftBody(customer._id, { cost: 1_200 })).expect(201)).body;
    const taken = (await give(giver, giftBody(customer._id, { cost: 800 })).expect(201)).body;
    await api().post(`/api/v1/gifts/${taken.id}/reverse`).set(bearer(giver)).send({ reason: 'not given after all' }).expect(201);
    const r = await report(`team=${team}`);
    expect(r.period).to.equal(monthIn(config.timezone, new Date()));
    expect(r.totals).to.deep.equal([{ ...sums('USD', 1_200, 2, 1), customers: 1 }]);
    expect(kept.status).to.equal('applied');
  });

  it('answers 403 to managers and 400 to a period that is neither a month nor a quarter', async () => {
    const manager = await createUser({ role: 'manager' });
    expectProblem(await api().get('/api/v1/reports/gifts').set(bearer(manager)), 403);
    for (const query of ['period=2031-13', 'period=2031-Q5', 'period=2031', 'tier=D', 'team=', 'region=x&extra=1']) {
      expectProblem(await api().get(`/api/v1/reports/gifts?${query}`).set(bearer(executive)), 400);
    }
  });
});

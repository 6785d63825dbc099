import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { handler as refreshReports } from '../../jobs/reports.ts';
import { CustomerModel, nameKeyOf, type Tier } from '../../models/customer.ts';
import { TierChangeModel } from '../../models/tier-change.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

const uid = () => randomUUID().slice(0, 8);

type Spec = { tier: Tier | null; currency: string; revenue12m: number; industry: string; owner: TestUser; archived?: boolean };

/**
 * A book of its own region: seven live customers and an archived one. Team T owns c1, c3, c5 and the archived one.
 * Live totals: 7 customers; EUR 1000 + 500 + 200 + 300 = 2000; USD 300 + 100 + 50 = 450.
 */
async function book() {
  const t = uid();
  const region = `Region-${t}`;
  const team = `Team-${t}`;
  const [ownerT, ownerU] = [await createUser({ team }), await createUser({ team: `Other-${t}` })];
  const specs: Record<string, Spec> = {
    c1: { tier: 'S', currency: 'EUR', revenue12m: 1000, industry: 'Steel', owner: ownerT },
    c2: { tier: 'A', currency: 'EUR', revenue12m: 500, industry: 'Steel', owner: ownerU },
    c3: { tier: 'A', currency: 'USD', revenue12m: 300, industry: 'Retail', owner: ownerT },
    c4: { tier: 'B', currency: 'EUR', revenue12m: 200, industry: 'Retail', owner: ownerU },
    c5: { tier: 'C', currency: 'USD', revenue12m: 100, industry: 'Steel', owner: ownerT },
    c6: { tier: null, currency: 'USD', revenue12m: 50, industry: 'Retail', owner: ownerU },
    c7: { tier: 'C', currency: 'EUR', revenue12m: 300, industry: 'Retail', owner: ownerU },
    gone: { tier: 'S', currency: 'EUR', revenue12m: 9999, industry: 'Steel', owner: ownerT, archived: true },
  };
  const customers: Record<string, { id: string; code: string; name: string }> = {};
  for (const [label, s] of Object.entries(specs)) {
    const name = `Report ${label} ${t}`;
    const c = await CustomerModel.create({
      code: `RP-${label}-${t}`, name, nameKey: nameKeyOf(name), ownerId: s.owner.id, tier: s.tier, currency: s.currency,
      revenue12m: s.revenue12m, company: { region, industry: s.industry }, archived: s.archived ?? false,
    });
    customers[label] = { id: c.id as string, code: c.code, name: c.name };
  }
  return { region, team, customers, ownerT, executive: await createUser({ role: 'executive' }), admin: await createUser({ role: 'admin' }) };
}
type Book = Awaited<ReturnType<typeof book>>;

let seq = 0;
async function change(customer: { id: string }, from: Tier | null, to: Tier, at: string, reason = 'test move') {
  return TierChangeModel.create({
    key: `${customer.id}:${++seq}`, customerId: customer.id, from, to, score: 55, policyVersion: 3, source: 'computed', reason,
    byId: null, byName: 'system', at: new Date(at),
  });
}

const get = (path: string, user: TestUser, query: Record<string, string>) => api().get(`/api/v1/reports/${path}`).query(query).set(bearer(user));
const money = (EUR: number, USD: number) => ({ EUR, USD });

describe('GET /api/v1/reports/tiers', () => {
  let b: Book;
  // The tier report is the distribution the worker adds up every minute.
  before(async () => { b = await book(); await refreshReports(); });

  it('splits the live customers of the filter over the tiers, revenue per currency, without the archived one', async () => {
    const res = await get('tiers', b.executive, { region: b.region }).expect(200);
    expect(res.body.filters).to.deep.equal({ region: b.region });
    expect(Date.parse(res.body.asOf)).to.be.a('number').and.not.NaN;
    expect(res.body.tiers).to.deep.equal([
      { tier: 'S', count: 1, share: 0.1429, revenue12m: money(1000, 0), revenueShare: money(0.5, 0), keyAccount: true },
      { tier: 'A', count: 2, share: 0.2857, revenue12m: money(500, 300), revenueShare: money(0.25, 0.6667), keyAccount: true },
      { tier: 'B', count: 1, share: 0.1429, revenue12m: money(200, 0), revenueShare: money(0.1, 0), keyAccount: false },
      { tier: 'C', count: 2, share: 0.2857, revenue12m: money(300, 100), revenueShare: money(0.15, 0.2222), keyAccount: false },
      { tier: 'none', count: 1, share: 0.1429, revenue12m: money(0, 50), revenueShare: money(0, 0.1111), keyAccount: false },
    ]);
    expect(res.body.totals).to.deep.equal({
      count: 7, revenue12m: money(2000, 450),
      keyAccounts: { count: 3, share: 0.4286, revenue12m: money(1500, 300), revenueShare: money(0.75, 0.6667) },
    });
  });

  it("narrows to the owner's team and to an industry", async () => {
    const team = await get('tiers', b.admin, { region: b.region, team: b.team }).expect(200);
    expect(team.body.tiers.map((r: { count: number }) => r.count)).to.deep.equal([1, 1, 0, 1, 0]);
    expect(team.body.tiers[1]).to.deep.include({ revenue12m: money(0, 300), revenueShare: money(0, 0.75) });
    expect(team.body.totals).to.deep.equal({
      count: 3, revenue12m: money(1000, 400),
      keyAccounts: { count: 2, share: 0.6667, revenue12m: money(1000, 300), revenueShare: money(1, 0.75) },
    });
    const retail = await get('tiers', b.executive, { region: b.region, industry: 'Retail' }).expect(200);
    expect(retail.body.tiers.map((r: { count: number }) => r.count)).to.deep.equal([0, 1, 1, 1, 1]);
    expect(retail.body.totals).to.deep.include({ count: 4, revenue12m: money(500, 350) });
    const both = await get('tiers', b.executive, { region: b.region, industry: 'Steel', team: b.team }).expect(200);
    expect(both.body.totals.count).to.equal(2);
    expect(both.body.filters).to.deep.equal({ region: b.region, industry: 'Steel', team: b.team });
    const nobody = await get('tiers', b.executive, { region: b.region, team: `No-team-${uid()}` }).expect(200);
    expect(nobody.body.totals).to.deep.equal({ count: 0, revenue12m: {}, keyAccounts: { count: 0, share: 0, revenue12m: {}, revenueShare: {} } });
  });

  it('answers CSV, a row per tier and currency and a total per currency, when Accept prefers text/csv', async () => {
    const res = await get('tiers', b.executive, { region: b.region }).set('Accept', 'text/csv').expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    const lines = res.text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines[0]).to.equal('tier,keyAccount,count,share,currency,revenue12m,revenueShare');
    expect(lines).to.include('A,true,1,0.1429,USD,300,0.6667');
    expect(lines).to.include('none,false,0,0,EUR,0,0');
    expect(lines.slice(-2)).to.deep.equal(['total,,4,0.5714,EUR,2000,1', 'total,,3,0.4286,USD,450,1']);
    expect(lines).to.have.length(1 + 5 * 2 + 2);
    const json = await get('tiers', b.executive, { region: b.region }).set('Accept', 'application/json, text/csv;q=0.5').expect(200);
    expect(json.headers['content-type']).to.match(/^application\/json/);
  });

  it("gives a manager the distribution of their own book (c1, c3, c5; not the archived one)", async () => {
    const res = await get('tiers', b.ownerT, { region: b.region }).expect(200);
    expect(res.body.totals).to.deep.include({ count: 3, revenue12m: money(1000, 400) });
    expect(res.body.tiers.map((t: { tier: string; count: number }) => [t.tier, t.count])).to.deep.equal([['S', 1], ['A', 1], ['B', 0], ['C', 1], ['none', 0]]);
  });

  it('answers 401 without a token, and 400 to bad filters', async () => {
    expectProblem(await api().get('/api/v1/reports/tiers'), 401);
    const operator = expectProblem(await get('tiers', b.executive, { 'region[$ne]': 'x' }), 400);
    expect(operator.errors!.map((e) => e.field)).to.deep.equal(['region[$ne]']);
    expectProblem(await get('tiers', b.executive, { region: 'x'.repeat(101) }), 400);
    expectProblem(await api().get(`/api/v1/reports/tiers?region=a&region=b`).set(bearer(b.executive)), 400);
  });
});

describe('GET /api/v1/reports/tier-movements', () => {
  let b: Book;
  const january = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
  before(async () => {
    b = await book();
    const c = b.customers;
    await change(c.c1!, 'B', 'S', '2026-01-10T00:00:00Z'); // up, into key accounts
    await change(c.c2!, 'B', 'A', '2026-01-15T00:00:00Z'); // up, into key accounts
    await change(c.c3!, 'S', 'A', '2026-01-20T00:00:00Z'); // down, stays a key account
    await change(c.c4!, 'A', 'B', '2026-01-25T00:00:00Z', '=cmd|calc'); // down, out of key accounts
    await change(c.c5!, null, 'C', '2026-01-05T00:00:00Z'); // first classification
    await change(c.c7!, 'B', 'C', '2026-01-31T23:59:59.999Z'); // down, last instant of the period
    await change(c.c6!, null, 'B', '2026-01-01T00:00:00Z'); // first instant of the period
    await change(c.c7!, 'C', 'B', '2026-02-01T00:00:00Z'); // at `to`: outside
    await change(c.c4!, 'C', 'A', '2025-12-31T23:59:59.999Z'); // before `from`: outside
    await change(c.gone!, 'B', 'S', '2026-01-12T00:00:00Z'); // archived customer: left out
  });

  it('counts the changes of [from, to) in a full matrix, with up, down and key-account moves, newest first', async () => {
    const res = await get('tier-movements', b.executive, { ...january, region: b.region }).expect(200);
    expect(res.body).to.deep.include({ ...january, filters: { region: b.region }, itemsTotal: 7 });
    const zero = { S: 0, A: 0, B: 0, C: 0 };
    expect(res.body.matrix).to.deep.equal([
      { from: 'S', counts: { ...zero, A: 1 } },
      { from: 'A', counts: { ...zero, B: 1 } },
      { from: 'B', counts: { ...zero, S: 1, A: 1, C: 1 } },
      { from: 'C', counts: zero },
      { from: 'none', counts: { ...zero, B: 1, C: 1 } },
    ]);
    expect(res.body.totals).to.deep.equal({ changes: 7, up: 2, down: 3, intoKeyAccounts: 2, outOfKeyAccounts: 1 });
    const c = b.customers;
    expect(res.body.items.map((i: { code: string; from: string; to: string }) => `${i.code}:${i.from}>${i.to}`)).to.deep.equal([
      `${c.c7!.code}:B>C`, `${c.c4!.code}:A>B`, `${c.c3!.code}:S>A`, `${c.c2!.code}:B>A`, `${c.c1!.code}:B>S`, `${c.c5!.code}:none>C`, `${c.c6!.code}:none>B`,
    ]);
    const stored = await TierChangeModel.findOne({ customerId: c.c4!.id, to: 'B' }).lean();
    expect(res.body.items[1]).to.deep.equal({
      id: String(stored!._id), customerId: c.c4!.id, code: c.c4!.code, name: c.c4!.name, from: 'A', to: 'B', score: 55, policyVersion: 3,
      source: 'computed', reason: '=cmd|calc', by: { id: null, name: 'system' }, at: '2026-01-25T00:00:00.000Z',
    });
  });

  it("narrows to the owner's team and to an industry", async () => {
    const team = await get('tier-movements', b.admin, { ...january, region: b.region, team: b.team }).expect(200);
    expect(team.body.totals).to.deep.equal({ changes: 3, up: 1, down: 1, intoKeyAccounts: 1, outOfKeyAccounts: 0 });
    const retail = await get('tier-movements', b.admin, { ...january, region: b.region, industry: 'Retail' }).expect(200);
    expect(retail.body.totals).to.deep.equal({ changes: 4, up: 0, down: 3, intoKeyAccounts: 0, outOfKeyAccounts: 1 });
  });

  it('covers the 30 days ending now by default', async () => {
    const now = Date.now();
    await change(b.customers.c2!, 'A', 'B', new Date(now - 2 * 86_400_000).toISOString());
    await change(b.customers.c2!, 'B', 'A', new Date(now - 31 * 86_400_000).toISOString());
    const res = await get('tier-movements', b.executive, { region: b.region }).expect(200);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).to.equal(30 * 86_400_000);
    expect(res.body.totals).to.deep.equal({ changes: 1, up: 0, down: 1, intoKeyAccounts: 0, outOfKeyAccounts: 1 });
  });

  it('answers the changes as CSV rows, formula-like cells made plain text', async () => {
    const res = await get('tier-movements', b.executive, { ...january, region: b.region }).set('Accept', 'text/csv').expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.text.replace(/^\uFEFF/, '').split('\n')[0]).to.equal('at,id,customerId,code,name,from,to,score,policyVersion,source,reason,byId,byName');
    const rows = parse(res.text, { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows).to.have.length(7);
    expect(rows[1]).to.deep.include({
      at: '2026-01-25T00:00:00.000Z', code: b.customers.c4!.code, from: 'A', to: 'B', score: '55', reason: "'=cmd|calc", byId: '', byName: 'system',
    });
    expect(rows[6]).to.deep.include({ code: b.customers.c6!.code, from: 'none', to: 'B' });
  });

  it('gives a manager without customers no movement, answers 401 without a token and 400 to a bad period or filter', async () => {
    expect((await get('tier-movements', await createUser({ role: 'manager' }), january).expect(200)).body.totals.changes).to.equal(0);
    expectProblem(await api().get('/api/v1/reports/tier-movements'), 401);
    const reversed = expectProblem(await get('tier-movements', b.executive, { from: january.to, to: january.from }), 400);
    expect(reversed.errors).to.deep.equal([{ field: 'from', message: 'from must be before to' }]);
    expectProblem(await get('tier-movements', b.executive, { from: january.from, to: january.from }), 400);
    const long = expectProblem(await get('tier-movements', b.executive, { from: '2022-01-01', to: '2025-01-01T00:00:00.001Z' }), 400);
    expect(long.errors!.map((e) => e.field)).to.deep.equal(['to']);
    await get('tier-movements', b.executive, { from: '2022-01-01', to: '2025-01-01' }).expect(200);
    expectProblem(await get('tier-movements', b.executive, { from: 'last tuesday' }), 400);
    expectProblem(await get('tier-movements', b.executive, { 'team[$ne]': 'x' }), 400);
  });
});

import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { serviceBook, type ServiceBook } from '../service-book.ts';

const get = (path: string, user: TestUser, query: Record<string, string>) => api().get(`/api/v1/reports/${path}`).query(query).set(bearer(user));

describe('service-level reports', () => {
  let b: ServiceBook;
  let executive: TestUser;
  before(async () => { b = await serviceBook(); executive = await createUser({ role: 'executive' }); });

  describe('GET /api/v1/reports/satisfaction', () => {
    it('answers per tier, month and in total, against the previous period, with the fallers', async () => {
      const res = await get('satisfaction', executive, { region: b.region, period: '2026-Q3' }).expect(200);
      expect(res.body.period).to.deep.equal({
        label: '2026-Q3', from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z',
        previous: { from: '2026-04-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' },
      });
      const tier = (t: string) => res.body.tiers.find((x: { tier: string }) => x.tier === t);
      expect(tier('S')).to.deep.equal({
        tier: 'S', visits: 2, meanSatisfaction: 2.5, promoters: 0, passives: 1, detractors: 1, nps: -50,
        previous: { visits: 1, meanSatisfaction: 5, nps: 100 }, change: { meanSatisfaction: -2.5, nps: -150 },
      });
      expect(tier('A')).to.deep.include({ visits: 2, meanSatisfaction: 4.5, promoters: 2, nps: 100, change: { meanSatisfaction: 1, nps: 100 } });
      expect(tier('C')).to.deep.include({ visits: 0, meanSatisfaction: null, nps: null, change: { meanSatisfaction: null, nps: null } });
      expect(res.body.totals).to.deep.equal({
        visits: 5, meanSatisfaction: 3.4, promoters: 2, passives: 2, detractors: 1, nps: 20,
        previous: { visits: 4, meanSatisfaction: 4, nps: 25 }, change: { meanSatisfaction: -0.6, nps: -5 },
      });
      expect(res.body.months).to.have.length(15);
      expect(res.body.months.find((r: { month: string; tier: string }) => r.month === '2026-08' && r.tier === 'S'))
        .to.deep.equal({ month: '2026-08', tier: 'S', visits: 1, meanSatisfaction: 2, promoters: 0, passives: 0, detractors: 1, nps: -100 });
      expect(res.body.fallers.map((f: { code: string; change: number }) => [f.code, f.change]))
        .to.deep.equal([[b.customers.S.code, -2.5], [b.customers.B.code, -1]]);
    });

    it('gives a manager the same numbers for their own book only', async () => {
      const res = await get('satisfaction', b.m, { region: b.region, period: '2026-Q3' }).expect(200);
      expect(res.body.totals).to.deep.include({ visits: 4, meanSatisfaction: 3, promoters: 1, passives: 2, detractors: 1, nps: 0 });
      expect(res.body.fallers.map((f: { code: string }) => f.code)).to.deep.equal([b.customers.S.code, b.customers.B.code]);
    });

    it('filters by team and tier; a bad period is a 400', async () => {
      const team = await get('satisfaction', executive, { region: b.region, period: '2026-Q3', team: b.teamT }).expect(200);
      expect(team.body.totals.visits).to.equal(3);
      const tierA = await get('satisfaction', executive, { region: b.region, period: '2026-Q3', tier: 'A' }).expect(200);
      expect(tierA.body.totals.visits).to.equal(2);
      expect(tierA.body.filters).to.deep.equal({ region: b.region, tier: 'A' });
      const bad = await get('satisfaction', executive, { period: '2026-13' });
      expectProblem(bad, 400);
      expect(bad.body.errors[0].field).to.equal('period');
    });

    it('answers CSV by Accept, a row per month and tier', async () => {
      const res = await get('satisfaction', executive, { region: b.region, period: '2026-08' }).set('Accept', 'text/csv').expect(200);
      const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Array<Record<string, string>>;
      expect(rows).to.have.length(5);
      expect(rows[0]).to.deep.equal({ month: '2026-08', tier: 'S', visits: '1', meanSatisfaction: '2', promoters: '0', passives: '0', detractors: '1', nps: '-100' });
    });

    it('needs a sign-in', async () => {
      expectProblem(await api().get('/api/v1/reports/satisfaction'), 401);
    });
  });

  describe('GET /api/v1/reports/visits', () => {
    it('answers the discipline per tier, team and owner', async () => {
      const res = await get('visits', executive, { region: b.region, period: '2026-Q3' }).expect(200);
      expect(res.body.totals).to.deep.equal({ due: 6, onTime: 2, late: 1, missed: 2, overdue: 1, upcoming: 0, onCadence: 0.3333 });
      const tier = (t: string) => res.body.tiers.find((x: { tier: string }) => x.tier === t);
      expect(tier('S')).to.deep.equal({ tier: 'S', due: 2, onTime: 1, late: 0, missed: 0, overdue: 1, upcoming: 0, onCadence: 0.5 });
      expect(tier('A')).to.deep.include({ due: 3, onTime: 1, late: 1, missed: 1, onCadence: 0.3333 });
      expect(tier('B')).to.deep.include({ due: 1, missed: 1, onCadence: 0 });
      expect(tier('C')).to.deep.include({ due: 0, onCadence: null });
      expect(res.body.teams).to.deep.equal([
        { team: b.teamT, due: 4, onTime: 1, late: 1, missed: 1, overdue: 1, upcoming: 0, onCadence: 0.25 },
        { team: b.teamU, due: 2, onTime: 1, late: 0, missed: 1, overdue: 0, upcoming: 0, onCadence: 0.5 },
      ]);
      expect(res.body.owners.find((o: { ownerId: string }) => o.ownerId === b.m.id)).to.deep.include({ team: b.teamT, due: 4 });
    });

    it('gives a manager their own book (owned and on the team of)', async () => {
      const res = await get('visits', b.m, { region: b.region, period: '2026-Q3' }).expect(200);
      expect(res.body.totals).to.deep.equal({ due: 5, onTime: 1, late: 1, missed: 2, overdue: 1, upcoming: 0, onCadence: 0.2 });
    });

    it('answers CSV with a total row', async () => {
      const res = await get('visits', executive, { region: b.region, period: '2026-Q3' }).set('Accept', 'text/csv').expect(200);
      const rows = parse(res.text.replace(/^\uFEFF/, ''), { columns: true }) as Array<Record<string, string>>;
      expect(rows.at(-1)).to.deep.include({ group: 'total', due: '6', onCadence: '0.3333' });
    });
  });

  describe('GET /api/v1/reports/key-accounts-at-risk', () => {
    it('lists the S and A customers at risk with their reasons', async () => {
      const res = await get('key-accounts-at-risk', executive, { region: b.region }).expect(200);
      const items = res.body.items as Array<{ code: string; reasons: Array<{ code: string }>; planStatus: string | null }>;
      expect(items.map((i) => [i.code, i.reasons.map((r) => r.code)])).to.deep.equal([
        [b.customers.S.code, ['low_satisfaction', 'falling_satisfaction', 'overdue_visit', 'open_high_case']],
        [b.customers.A1.code, ['missed_visit', 'no_approved_plan']],
        [b.customers.A2.code, ['no_approved_plan']],
      ]);
      expect(items[2]!.planStatus).to.equal('submitted');
    });

    it('gives a manager only their key accounts, and filters by tier', async () => {
      const mine = await get('key-accounts-at-risk', b.m, { region: b.region }).expect(200);
      expect(mine.body.items.map((i: { code: string }) => i.code)).to.deep.equal([b.customers.S.code, b.customers.A1.code]);
      const other = await get('key-accounts-at-risk', b.o, { region: b.region, tier: 'A' }).expect(200);
      expect(other.body.items.map((i: { code: string }) => i.code)).to.deep.equal([b.customers.A2.code]);
      expectProblem(await get('key-accounts-at-risk', executive, { tier: 'B' }), 400);
    });
  });
});

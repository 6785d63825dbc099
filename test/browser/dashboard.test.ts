import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { handler as refreshReports } from '../../jobs/reports.ts';
import { TierChangeModel } from '../../models/tier-change.ts';
import { bearer, createUser, type TestUser } from '../factories.ts';
import { serviceBook, type ServiceBook } from '../service-book.ts';
import { app } from '../setup.ts';

// The dashboard in Debian's Chromium (/usr/bin/chromium; .ci/run installs it), against this test's server and a
// hand-built book: every panel shows what the API answers for the same filters, a filter changes them, the customer
// page opens, no console error, and a manager sees only their own book. Screenshots go to .cache/screenshots/.

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = '.cache/screenshots';

describe('the dashboard in a browser', function () {
  this.timeout(60_000);
  let server: Server;
  let base: string;
  let browser: Browser;
  let b: ServiceBook;
  let executive: TestUser;
  const errors: string[] = [];

  before(async () => {
    b = await serviceBook();
    executive = await createUser({ role: 'executive' });
    await TierChangeModel.create({
      key: `${b.customers.S.id}:browser`, customerId: b.customers.S.id, from: 'A', to: 'S', score: 80, policyVersion: 1, source: 'computed',
      reason: 'test', byId: null, byName: 'system', at: new Date('2026-08-10'),
    });
    await refreshReports();
    server = app.listen(0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  async function open(user: TestUser, query: string, prepare?: (page: Page) => Promise<void>): Promise<{ page: Page; ms: number }> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-GB' });
    const page = await context.newPage();
    await prepare?.(page);
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/dashboard?${query}`);
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    const start = Date.now();
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('body[data-ready=dashboard]');
    return { page, ms: Date.now() - start };
  }

  // The reports' JSON, as loosely typed as the browser reads it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Report = Record<string, any>;
  const api = async (user: TestUser, path: string): Promise<Report> => {
    const res = await fetch(`${base}/api/v1/reports/${path}`, { headers: bearer(user) });
    expect(res.status).to.equal(200);
    return res.json() as Promise<Report>;
  };
  /** A table's cells as `key -> data-value`, one object per row. */
  const table = (page: Page, name: string) => page.$$eval(`table[data-table="${name}"] tbody tr`, (trs) => trs.map((tr) =>
    Object.fromEntries([...tr.querySelectorAll('[data-key]')].map((c) => [c.getAttribute('data-key'), c.getAttribute('data-value')]))));
  const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

  async function expectPanelsMatch(page: Page, user: TestUser, filters: Record<string, string>) {
    const q = new URLSearchParams(filters).toString();
    expect(await page.$$eval('[data-panel]', (ps) => ps.map((p) => `${p.getAttribute('data-panel')}:${p.getAttribute('data-state')}`)))
      .to.deep.equal(['tiers:ready', 'movements:ready', 'satisfaction:ready', 'visits:ready', 'plans:ready', 'at-risk:ready']);
    const base = { region: filters.region!, ...(filters.team ? { team: filters.team } : {}) };
    const tiers = await api(user, `tiers?${new URLSearchParams(base)}`);
    expect((await table(page, 'tiers')).map((r) => [r.tier, r.count])).to.deep.equal(tiers.tiers.map((x: { tier: string; count: number }) => [x.tier, str(x.count)]));
    const moves = await api(user, `tier-movements?${new URLSearchParams({ ...base, from: '2026-07-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' })}`);
    expect((await table(page, 'movements')).map((r) => [r.from, r.S, r.A, r.B, r.C]))
      .to.deep.equal(moves.matrix.map((m: { from: string; counts: Record<string, number> }) => [m.from, ...['S', 'A', 'B', 'C'].map((x) => str(m.counts[x]))]));
    const sat = await api(user, `satisfaction?${q}`);
    expect((await table(page, 'satisfaction')).map((r) => [r.tier, r.visits, r.meanSatisfaction, r.nps]))
      .to.deep.equal(sat.tiers.map((x: Record<string, unknown>) => [x.tier, str(x.visits), str(x.meanSatisfaction), str(x.nps)]));
    const visits = await api(user, `visits?${q}`);
    expect((await table(page, 'visits')).map((r) => [r.tier, r.due, r.onTime, r.onCadence]))
      .to.deep.equal(visits.tiers.map((x: Record<string, unknown>) => [x.tier, str(x.due), str(x.onTime), str(x.onCadence)]));
    expect((await table(page, 'visits-teams')).map((r) => [r.team, r.due])).to.deep.equal(visits.teams.map((x: Record<string, unknown>) => [x.team, str(x.due)]));
    const plans = await api(user, `plans?${new URLSearchParams({ ...base, period: filters.period! })}`);
    expect((await table(page, 'plans')).map((r) => [r.tier, r.customers, r.withApprovedPlan]))
      .to.deep.equal(plans.tiers.map((x: Record<string, unknown>) => [x.tier, str(x.customers), str(x.withApprovedPlan)]));
    const risk = await api(user, `key-accounts-at-risk?${new URLSearchParams(base)}`);
    const codes = (await table(page, 'at-risk')).map((r) => r.name);
    expect(codes).to.deep.equal(risk.items.map((x: { code: string }) => x.code));
    return { tiers, moves, sat, visits, plans, risk, codes };
  }

  it('signs an executive in and shows every panel with the numbers the API answers; a filter changes them', async () => {
    const { page, ms } = await open(executive, `region=${b.region}&period=2026-Q3`);
    console.log(`      (dashboard rendered ${ms} ms after sign-in)`);
    const all = await expectPanelsMatch(page, executive, { region: b.region, period: '2026-Q3' });
    const c = b.customers;
    expect(all.codes).to.deep.equal([c.S.code, c.A1.code, c.A2.code]);
    expect(all.moves.matrix.find((m: { from: string }) => m.from === 'A').counts.S).to.equal(1);
    expect(all.sat.totals.visits).to.equal(5);
    await page.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });

    // A filter, through the form: into the URL, and every panel again.
    await page.fill('form.filters input[name=team]', b.teamT);
    await page.click('form.filters button[type=submit]');
    await page.waitForSelector('body[data-ready=dashboard]');
    expect(new URL(page.url()).searchParams.get('team')).to.equal(b.teamT);
    const team = await expectPanelsMatch(page, executive, { region: b.region, period: '2026-Q3', team: b.teamT });
    expect(team.codes).to.deep.equal([c.S.code, c.A1.code]);
    expect(team.sat.totals.visits).to.equal(3);

    // The customer page, from the list of key accounts at risk, with the keyboard.
    await page.focus(`table[data-table="at-risk"] a[href="#/customers/${c.S.id}"]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-ready=customer]');
    expect(await page.textContent('#customer-name')).to.contain(c.S.code);
    expect(await page.$$eval('#main [data-panel]', (ps) => ps.map((p) => p.getAttribute('data-state')))).to.deep.equal(['ready', 'ready', 'ready', 'ready', 'ready']);
    expect(await table(page, 'customer-visits')).to.have.length(3);
    await page.screenshot({ path: `${SHOTS}/customer.png`, fullPage: true });

    // Chinese, remembered.
    await page.click('#back');
    await page.waitForSelector('body[data-ready=dashboard]');
    await page.selectOption('#lang', 'zh');
    await page.waitForSelector('body[data-ready=dashboard]');
    expect(await page.textContent('#h-tiers')).to.equal('客户等级分布');
    expect(await page.evaluate(() => localStorage.getItem('dashboard.lang'))).to.equal('zh');
    await page.screenshot({ path: `${SHOTS}/dashboard-zh.png`, fullPage: true });
    await page.click('#signout');
    await page.waitForSelector('form.signin');
    await page.context().close();
    expect(errors).to.deep.equal([]);
  });

  it('shows a manager the same page for their own book only, refreshing an access token the API refused', async () => {
    // The first report call answers 401 as for an expired access token: the page rotates its refresh token and retries.
    let refused = false;
    const refreshes: string[] = [];
    const { page } = await open(b.m, `region=${b.region}&period=2026-Q3`, async (p) => {
      p.on('request', (r) => { if (r.url().endsWith('/api/v1/auth/refresh')) refreshes.push(r.url()); });
      await p.route('**/api/v1/reports/tiers?*', (route) => {
        if (refused) return route.continue();
        refused = true;
        return route.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Unauthorized', status: 401 }) });
      });
    });
    expect(refused).to.equal(true);
    expect(refreshes).to.have.length(1);
    const mine = await expectPanelsMatch(page, b.m, { region: b.region, period: '2026-Q3' });
    expect(mine.codes).to.deep.equal([b.customers.S.code, b.customers.A1.code]);
    expect(mine.tiers.totals.count).to.equal(3); // S, A1 and B (on its team)
    expect(mine.visits.totals.due).to.equal(5);
    await page.screenshot({ path: `${SHOTS}/dashboard-manager.png`, fullPage: true });
    await page.context().close();
    // Chromium logs the stubbed 401 itself; nothing else.
    expect(errors).to.deep.equal(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  });
});

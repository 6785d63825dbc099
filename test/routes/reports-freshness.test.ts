import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { handler as refreshJob } from '../../jobs/reports.ts';
import { CustomerModel, type Tier } from '../../models/customer.ts';
import { ReportRowModel, backfillReportRows } from '../../models/report-rows.ts';
import { projectRoot } from '../../server/embedded-db/engine.ts';
import { api, bearer, createCustomer, createUser, tokenFor, type TestUser } from '../factories.ts';
import { config } from '../setup.ts';

type Report = { totals: Record<string, number> } & Record<string, unknown>;

// The movements and plans reports read one small row per customer (models/report-rows.ts), current with every write;
// the tier report reads the distribution the worker adds up every minute (models/tier-snapshot.ts). These tests change
// customers through the API and read the reports through the API: every change shows in the next answer (the tier
// report's after the worker's next run), and a row left behind by a crash is finished by the next reader, the worker
// or a start.

const uid = () => randomUUID().slice(0, 8);
const report = (path: string, user: TestUser, query: Record<string, string>) =>
  api().get(`/api/v1/reports/${path}`).query(query).set(bearer(user)).expect(200);
const countsOf = (body: { tiers: Array<{ tier: string; count: number }> }) => Object.fromEntries(body.tiers.map((t) => [t.tier, t.count]));
const row = async (id: string) => ReportRowModel.findById(id).lean();
const marked = async (id: string) => (await CustomerModel.collection.findOne({ _id: new mongoose.Types.ObjectId(id) }))!.reportPending as boolean;

async function world() {
  const t = uid();
  const region = `Fresh-${t}`;
  const owner = await createUser({ role: 'manager', team: `Team-${t}` });
  const executive = await createUser({ role: 'executive' });
  const admin = await createUser({ role: 'admin' });
  const customer = await createCustomer(owner, { currency: 'EUR', company: { region, industry: 'Steel' } });
  return { region, owner, executive, admin, customer };
}

describe('reports are current with every customer write', () => {
  it('shows a tier change, won revenue, a new approved plan and an archive in the next answer, each with its asOf', async () => {
    const w = await world();
    const before = Date.now();
    await refreshJob();
    const first = await report('tiers', w.executive, { region: w.region });
    expect(Date.parse(first.body.asOf)).to.be.at.least(before);
    expect(first.body.totals.count).to.equal(1);
    const start = (await CustomerModel.findById(w.customer.id).lean())!.tier ?? 'none';
    expect(countsOf(first.body)[start]).to.equal(1);

    // A tier change (an admin's override to a tier it does not have) moves it at once, and shows as a movement.
    const to: Tier = start === 'C' ? 'B' : 'C';
    await api().post(`/api/v1/customers/${w.customer.id}/tier/override`).set(bearer(w.admin)).send({ tier: to, reason: 'test' }).expect(200);
    // The tier report is the worker's last sum until its next run, and says so.
    const notYet = await report('tiers', w.executive, { region: w.region });
    expect(notYet.body.asOf).to.equal(first.body.asOf);
    expect(countsOf(notYet.body)[start]).to.equal(1);
    await refreshJob();
    const moved = await report('tiers', w.executive, { region: w.region });
    expect(countsOf(moved.body)[to]).to.equal(1);
    expect(Date.parse(moved.body.asOf)).to.be.above(Date.parse(first.body.asOf));
    const movements = await report('tier-movements', w.executive, { region: w.region });
    expect(movements.body.items.map((m: { customerId: string; to: string }) => `${m.customerId}>${m.to}`)).to.include(`${w.customer.id}>${to}`);
    expect(movements.body.asOf).to.be.a('string');

    // Won revenue: a project won through the API.
    await api().post(`/api/v1/customers/${w.customer.id}/projects`).set(bearer(w.owner)).send({ name: 'Deal', stage: 'won', value: 123_400 }).expect(201);
    await refreshJob();
    const revenue = await report('tiers', w.executive, { region: w.region });
    expect(revenue.body.totals.revenue12m).to.deep.equal({ EUR: 123_400 });
    expect(await row(w.customer.id)).to.deep.include({ revenue12m: 123_400, tier: to, region: w.region, archived: false });

    // A new plan, submitted and approved.
    const plansBefore = await report('plans', w.executive, { region: w.region, period: '2031' });
    expect(plansBefore.body.totals).to.deep.include({ customers: 1, withApprovedPlan: 0 });
    const plan = await api().post(`/api/v1/customers/${w.customer.id}/plans`).set(bearer(w.owner))
      .send({ period: '2031', objectives: [{ title: 'Visits', metric: 'visits', target: 4, actual: 2 }], resources: [{ kind: 'people', amount: 1, unit: 'FTE' }] })
      .expect(201);
    await api().patch(`/api/v1/plans/${plan.body.id}`).set(bearer(w.owner)).send({ status: 'submitted' }).expect(200);
    await api().patch(`/api/v1/plans/${plan.body.id}`).set(bearer(w.executive)).send({ status: 'approved' }).expect(200);
    const plansAfter = await report('plans', w.executive, { region: w.region, period: '2031' });
    expect(plansAfter.body.totals).to.deep.include({ customers: 1, withApprovedPlan: 1, coverage: 1, meanAttainment: 0.5 });
    expect(plansAfter.body.asOf).to.be.a('string');

    // Archived: out of every report; restored: back.
    await api().delete(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).expect(200);
    expect((await report('plans', w.executive, { region: w.region, period: '2031' })).body.totals.customers).to.equal(0);
    await refreshJob();
    expect((await report('tiers', w.executive, { region: w.region })).body.totals.count).to.equal(0);
    await api().post(`/api/v1/customers/${w.customer.id}/restore`).set(bearer(w.owner)).expect(200);
    await refreshJob();
    expect((await report('tiers', w.executive, { region: w.region })).body.totals.count).to.equal(1);
    expect(await marked(w.customer.id)).to.equal(false);
  });

  it('follows a change of region or owner made with PATCH', async () => {
    const w = await world();
    const elsewhere = `${w.region}-moved`;
    const current = await api().get(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).expect(200);
    await api().patch(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).set('If-Match', current.headers.etag!)
      .send({ company: { region: elsewhere, industry: 'Steel' } }).expect(200);
    await refreshJob();
    expect((await report('tiers', w.executive, { region: w.region })).body.totals.count).to.equal(0);
    expect((await report('tiers', w.executive, { region: elsewhere })).body.totals.count).to.equal(1);
    const team = `Other-${uid()}`;
    const next = await createUser({ role: 'manager', team });
    await api().patch(`/api/v1/customers/${w.customer.id}`).set(bearer(w.owner)).send({ ownerId: next.id }).expect(200);
    await refreshJob();
    expect((await report('tiers', w.executive, { region: elsewhere, team })).body.totals.count).to.equal(1);
  });

  it('finishes a row a crash left behind: in the next report, in the worker, and at a start', async () => {
    const w = await world();
    const id = new mongoose.Types.ObjectId(w.customer.id);
    const stale = (await row(w.customer.id))!;
    // The customer write of a process that died before it rewrote the row: marked, the row one revision behind.
    const crash = (set: Record<string, unknown>) => CustomerModel.collection.updateOne({ _id: id }, { $set: { ...set, reportPending: true }, $inc: { reportRev: 1 } });
    await crash({ tier: 'S', revenue12m: 777 });
    expect(await row(w.customer.id)).to.deep.include({ tier: stale.tier, rev: stale.rev });
    const res = await report('plans', w.executive, { region: w.region, period: '2031' });
    expect(res.body.tiers[0]).to.deep.include({ tier: 'S', customers: 1 });
    expect(await row(w.customer.id)).to.deep.include({ tier: 'S', revenue12m: 777, rev: stale.rev + 1 });
    expect(await marked(w.customer.id)).to.equal(false);

    await crash({ tier: 'A' });
    expect(await refreshJob()).to.have.property('synced').at.least(1);
    expect(await row(w.customer.id)).to.deep.include({ tier: 'A', rev: stale.rev + 2 });
    expect(countsOf((await report('tiers', w.executive, { region: w.region })).body).A).to.equal(1);
    expect(await marked(w.customer.id)).to.equal(false);
    expect((await refreshJob()).synced).to.equal(0);

    // A database from before the rows: a customer that never had one gets it at the start.
    await ReportRowModel.deleteOne({ _id: id });
    await CustomerModel.collection.updateOne({ _id: id }, { $unset: { reportRev: '', reportPending: '' } });
    expect(await backfillReportRows(CustomerModel)).to.be.at.least(1);
    expect(await row(w.customer.id)).to.deep.include({ tier: 'A', code: w.customer.code, region: w.region });
    expect(await backfillReportRows(CustomerModel)).to.equal(0);
  });

  it("counts a new customer's row once its insert landed, and drops the row of an insert that never did", async () => {
    const w = await world();
    const minute = 61_000;
    const markedAt = new Date(Date.now() - 2 * minute);
    const base = { rev: 1, name: 'x', tier: 'S', ownerId: new mongoose.Types.ObjectId(w.owner.id), region: w.region, industry: 'Steel', currency: 'EUR', revenue12m: 5, archived: false, pending: true, markedAt };
    // An insert whose process died after its row: the customer exists, its row still pending.
    const landed = new mongoose.Types.ObjectId();
    await ReportRowModel.collection.insertOne({ _id: landed, code: `L-${uid()}`, ...base });
    const code = `L-${uid()}`;
    await CustomerModel.collection.insertOne({
      _id: landed, code, name: 'Landed', nameKey: 'landed', ownerId: base.ownerId, tier: 'S', currency: 'EUR', revenue12m: 5,
      company: { region: w.region, industry: 'Steel' }, archived: false, reportRev: 1, reportPending: false,
    });
    // An insert that failed after its row, a minute ago, and one still in flight.
    const failed = new mongoose.Types.ObjectId();
    const inFlight = new mongoose.Types.ObjectId();
    await ReportRowModel.collection.insertMany([{ _id: failed, code: `F-${uid()}`, ...base }, { _id: inFlight, code: `I-${uid()}`, ...base, markedAt: new Date() }]);

    const plans = await report('plans', w.executive, { region: w.region, period: '2031' });
    expect(plans.body.totals.customers).to.equal(2);
    expect(plans.body.keyAccountsWithoutApprovedPlan.map((k: { code: string }) => k.code)).to.deep.equal([code]);
    expect(await row(String(landed))).to.deep.include({ pending: false, name: 'Landed', code });
    expect(await row(String(failed))).to.equal(null);
    expect(await row(String(inFlight))).to.deep.include({ pending: true });
    await refreshJob();
    expect((await report('tiers', w.executive, { region: w.region })).body.totals.count).to.equal(2);
  });

  it('makes rows for customers inserted with insertMany and bulkWrite, and for changes made with bulkWrite', async () => {
    const w = await world();
    const customer = (code: string) => ({ code, name: `Bulk ${code}`, nameKey: code.toLowerCase(), ownerId: w.owner.id, tier: 'B', company: { region: w.region } });
    const [a] = await CustomerModel.insertMany([customer(`IM-${uid()}`)]);
    const bCode = `BW-${uid()}`.toUpperCase();
    await CustomerModel.bulkWrite([{ insertOne: { document: customer(bCode) } }]);
    const b = (await CustomerModel.findOne({ code: bCode }).lean())!;
    await CustomerModel.bulkWrite([{ updateOne: { filter: { _id: a!._id }, update: { $set: { tier: 'S' } } } }]);
    const plans = await report('plans', w.executive, { region: w.region, period: '2031' });
    expect(plans.body.totals.customers).to.equal(3);
    expect(await row(String(a!._id))).to.deep.include({ tier: 'S', pending: false, currency: 'USD' });
    expect(await row(String(b._id))).to.deep.include({ tier: 'B', pending: false, code: bCode });
  });

  it('leaves a row alone when a write changes nothing it holds', async () => {
    const w = await world();
    const before = (await row(w.customer.id))!;
    await CustomerModel.updateOne({ _id: w.customer.id }, { $set: { 'satisfaction.lastScore': 4, tierScore: 12 } }, { timestamps: false });
    const stored = (await CustomerModel.collection.findOne({ _id: new mongoose.Types.ObjectId(w.customer.id) }))!;
    expect(stored).to.deep.include({ reportRev: before.rev, reportPending: false });
    expect(await row(w.customer.id)).to.deep.equal(before);
  });

  it('never lets an older row replace a newer one when writers finish out of order', async () => {
    const w = await world();
    const id = new mongoose.Types.ObjectId(w.customer.id);
    const rev = (await row(w.customer.id))!.rev;
    // A writer that read revision `rev` finishes after one that made rev + 5: its row must not win.
    await ReportRowModel.updateOne({ _id: id }, { $set: { rev: rev + 5, tier: 'S' } });
    await CustomerModel.collection.updateOne({ _id: id }, { $set: { tier: 'C', reportPending: true, reportRev: rev + 1 } });
    await refreshJob();
    expect(await row(w.customer.id)).to.deep.include({ rev: rev + 5, tier: 'S' });
    expect(await marked(w.customer.id)).to.equal(false);
  });

  it('keeps rows right under 10 writes at once to one customer', async () => {
    const w = await world();
    const tiers: Tier[] = ['S', 'A', 'B', 'C'];
    await Promise.all(Array.from({ length: 10 }, (_, i) => CustomerModel.updateOne(
      { _id: w.customer.id }, { $set: { tier: tiers[i % 4], revenue12m: i } }, { timestamps: false },
    )));
    await Promise.all([refreshJob(), refreshJob()]);
    const stored = (await CustomerModel.collection.findOne({ _id: new mongoose.Types.ObjectId(w.customer.id) }))!;
    expect(await row(w.customer.id)).to.deep.include({ tier: stored.tier, revenue12m: stored.revenue12m, rev: stored.reportRev });
    expect(stored.reportPending).to.equal(false);
  });
});

/** A second API process (`npm run api`'s entry point) on the test database; answers its base URL and a stop. */
async function secondApi() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'reports-api-'));
  const c = mongoose.connection;
  const uri = process.env.TEST_MONGODB_URI ?? `mongodb://${c.host}:${c.port}/${c.name}`;
  const child = spawn(process.execPath, [path.join(projectRoot(), 'server/index.ts')], {
    env: { ...process.env, MONGODB_URI: uri, JWT_SECRET: config.jwt.secret, NODE_ENV: 'test', DEMO_DATA: 'false', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the second API did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('reports from several API processes', function () {
  this.timeout(120_000);

  it('answer the same in two processes and after a restart, and a write through one shows through the other', async () => {
    const w = await world();
    await refreshJob();
    const queries = [['tiers', `region=${w.region}`], ['tier-movements', `region=${w.region}`], ['plans', `region=${w.region}&period=2031`]];
    const here = async () => Promise.all(queries.map(async ([p, q]) => (await api().get(`/api/v1/reports/${p}?${q}`).set(bearer(w.executive)).expect(200)).body as Report));
    const there = async (url: string) => Promise.all(queries.map(async ([p, q]) => {
      const res = await fetch(`${url}/api/v1/reports/${p}?${q}`, { headers: { authorization: `Bearer ${tokenFor(w.executive)}` } });
      expect(res.status).to.equal(200);
      return res.json() as Promise<Report>;
    }));
    // The movements' default period ends now, so each answer's own [from, to) and asOf differ; the numbers may not.
    const numbers = (bodies: Array<Record<string, unknown>>) => bodies.map(({ asOf, from, to, ...rest }) => rest);

    let other = await secondApi();
    try {
      expect(numbers(await there(other.url))).to.deep.equal(numbers(await here()));
      const tiersHere = (await here())[0];
      expect((await there(other.url))[0]!.asOf).to.equal(tiersHere!.asOf); // one snapshot for every process

      // An archive through the second process: both answer without the customer once the worker has run.
      const archived = await fetch(`${other.url}/api/v1/customers/${w.customer.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${tokenFor(w.owner)}` } });
      expect(archived.status).to.equal(200);
      expect((await here())[2]!.totals.customers).to.equal(0);
      await refreshJob();
      expect((await here())[0]!.totals.count).to.equal(0);
      expect(numbers(await there(other.url))).to.deep.equal(numbers(await here()));

      await other.stop();
      other = await secondApi();
      expect(numbers(await there(other.url))).to.deep.equal(numbers(await here()));
    } finally {
      await other.stop();
    }
  });
});

// The service at scale on the embedded database: loads a book of N customers (bench/scale-data.ts) into a fresh data
// folder, then prints for each request the median over HTTP next to the raw driver's median for the request's main
// query on the same engine in the same run (their ratio is the service's overhead: authentication, extra queries,
// mongoose, JSON), and the times of a CSV import of N new customers and of the export.
// Usage: npm run bench:scale [-- N [REGEX]]   (default 10000; REGEX runs only the rows whose label matches)
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { ContactModel } from '../models/contact.ts';
import { CustomerModel } from '../models/customer.ts';
import { CustomerImportModel } from '../models/customer-import-job.ts';
import { afterPosition, customerFilter, sortOf } from '../models/customer-query.ts';
import { PlanModel } from '../models/plan.ts';
import { ProjectModel } from '../models/project.ts';
import { TierApprovalModel, TierChangeModel } from '../models/tier-change.ts';
import { VisitModel } from '../models/visit.ts';
import { createApp } from '../server/app.ts';
import { signAccessToken, type AuthUser } from '../server/auth.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase } from '../server/db.ts';
import { createLogger } from '../server/logger.ts';
import { runDueImports } from '../usecases/customer-import-run.ts';
import { loadBook } from './scale-data.ts';

const total = Number(process.argv[2] ?? 10_000);
const only = process.argv[3] ? new RegExp(process.argv[3], 'i') : null;
const WARMUPS = 2;
const RUNS = 15;
const SLOW_MS = 2000;
const SLOW_RUNS = 5;
const VERY_SLOW_MS = 10_000;
const VERY_SLOW_RUNS = 3;

const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-scale-'));
// Tokens outlive a long run at 10,000.
// Every request is counted against its user's limit as in production (RATE_LIMIT_PER_MINUTE=0 in the environment
// measures without), with a limit no bench run reaches.
const config = loadConfig({
  RATE_LIMIT_PER_MINUTE: '1000000', ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test', ACCESS_TOKEN_TTL_SECONDS: '86400',
});
const db = await connectDatabase(config, () => undefined);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

type Answer = { status: number; body: string };
function request(port: number, method: string, url: string, token: string, body?: { type: string; text: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path: `/api/v1${url}`, agent,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': body.type } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body?.text);
  });
}

try {
  const loading = process.hrtime.bigint();
  const now = new Date();
  const book = await loadBook(total, now);
  console.log(`loaded ${total} customers, ${await ContactModel.estimatedDocumentCount()} contacts, ${await ProjectModel.estimatedDocumentCount()} projects, `
    + `${await VisitModel.estimatedDocumentCount()} visits, ${await TierChangeModel.estimatedDocumentCount()} tier changes, `
    + `${await PlanModel.estimatedDocumentCount()} plans in ${(ms(loading) / 1000).toFixed(1)} s`);

  const server = createApp(config, createLogger(config)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const who = (id: Types.ObjectId, role: AuthUser['role']): AuthUser & { token: string } => {
    const user = { id: String(id), email: '', name: '', role, team: '' };
    // A token of a signed-in session, as login gives: each request also asks whether its session was signed out.
    return { ...user, token: signAccessToken(config, user, process.env.BENCH_NO_SESSION ? undefined : `bench-session-${role}`) };
  };
  const manager = who(book.manager, 'manager');
  const executive = who(book.executive, 'executive');
  const admin = who(book.admin, 'admin');
  const get = async (user: { token: string }, url: string) => {
    const res = await request(port, 'GET', url, user.token);
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as { nextCursor?: string | null };
  };

  const customers = CustomerModel.collection;
  const someCustomer = book.customerIds[Math.floor(total / 2)]!;
  const ownCustomer = (await customers.findOne({ ownerId: book.manager, archived: false }, { projection: { _id: 1 } }))!._id;
  const someApproval = book.approvalIds[Math.floor(book.approvalIds.length / 2)]!;
  const page = (user: AuthUser, filters: Record<string, string>, extra?: Record<string, unknown>) => () => {
    const filter = customerFilter(user, filters);
    return customers.find(extra ? { $and: [filter, extra] } : filter).sort(sortOf('name')).limit(51).toArray();
  };
  // The cursor after 20 pages of 50, as an executive reads the book in name order.
  let deepCursor = '';
  let deepAfter: Record<string, unknown> = {};
  if (!only || only.test('deep page')) {
    // (the last full page's cursor on a small book)
    for (let i = 0; i < 20; i++) {
      const next = (await get(executive, `/customers?limit=50${deepCursor ? `&cursor=${deepCursor}` : ''}`)).nextCursor;
      if (!next) break;
      deepCursor = next;
    }
    deepAfter = JSON.parse(Buffer.from(deepCursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  }
  const overdue = () => ({ ownerId: book.manager, status: 'scheduled', dueAt: { $lt: new Date() } });
  const from = new Date(now.getTime() - 30 * 86_400_000);

  const rows: Array<{ label: string; user: { token: string }; url: string; raw: () => Promise<unknown> }> = [
    { label: 'GET /customers?limit=50 (manager)', user: manager, url: '/customers?limit=50', raw: page(manager, {}) },
    { label: 'GET /customers?limit=50 (executive)', user: executive, url: '/customers?limit=50', raw: page(executive, {}) },
    { label: 'GET /customers?q=00042 (executive)', user: executive, url: '/customers?limit=50&q=00042', raw: page(executive, { q: '00042' }) },
    { label: 'GET /customers?q=nordic (manager)', user: manager, url: '/customers?limit=50&q=nordic', raw: page(manager, { q: 'nordic' }) },
    { label: 'GET /customers?tag= (executive)', user: executive, url: '/customers?limit=50&tag=tag7', raw: page(executive, { tag: 'tag7' }) },
    { label: 'GET /customers?industry= (executive)', user: executive, url: '/customers?limit=50&industry=Energy', raw: page(executive, { industry: 'Energy' }) },
    {
      label: 'GET /customers deep page (21st, executive)', user: executive, url: `/customers?limit=50&cursor=${deepCursor}`,
      raw: page(executive, {}, Object.keys(deepAfter).length ? afterPosition('name', deepAfter) : undefined),
    },
    { label: 'GET /customers/:id (manager)', user: manager, url: `/customers/${String(ownCustomer)}`, raw: () => customers.findOne({ _id: ownCustomer }) },
    {
      label: 'GET /customers/:id/tier', user: executive, url: `/customers/${String(someCustomer)}/tier`,
      raw: () => Promise.all([
        customers.findOne({ _id: someCustomer }),
        TierApprovalModel.collection.findOne({ key: String(someCustomer), status: 'pending' }),
        TierChangeModel.collection.find({ customerId: someCustomer }).sort({ at: -1, _id: -1 }).limit(100).toArray(),
      ]),
    },
    {
      label: 'GET /customers/:id/contacts', user: executive, url: `/customers/${String(someCustomer)}/contacts`,
      raw: () => ContactModel.collection.find({ customerId: someCustomer }).sort({ name: 1, _id: 1 }).limit(51).toArray(),
    },
    {
      label: 'GET /projects?owner=me (manager)', user: manager, url: '/projects?owner=me&limit=50',
      raw: () => ProjectModel.collection.find({ ownerId: book.manager }).sort({ _id: -1 }).limit(51).toArray(),
    },
    {
      // Every project of the manager's customers: their ids first (what the route does), then the page.
      label: 'GET /projects (manager, all their customers)', user: manager, url: '/projects?limit=50',
      raw: async () => {
        const ids = (await customers.find(customerFilter(manager, { includeArchived: true }), { projection: { _id: 1 } }).toArray()).map((c) => c._id);
        return ProjectModel.collection.find({ customerId: { $in: ids } }).sort({ _id: -1 }).limit(51).toArray();
      },
    },
    {
      label: 'GET /visits?owner=me&overdue=true (manager)', user: manager, url: '/visits?owner=me&overdue=true&limit=50',
      raw: () => VisitModel.collection.find(overdue()).sort({ _id: -1 }).limit(51).toArray(),
    },
    {
      label: 'GET /tier-approvals', user: executive, url: '/tier-approvals?limit=50',
      raw: () => TierApprovalModel.collection.find({ status: 'pending' }).sort({ requestedAt: 1, _id: 1 }).limit(51).toArray(),
    },
    {
      label: 'GET /tier-approvals/:id', user: executive, url: `/tier-approvals/${String(someApproval)}`,
      raw: () => TierApprovalModel.collection.findOne({ _id: someApproval }),
    },
    {
      label: 'GET /plans (executive)', user: executive, url: '/plans?limit=50',
      raw: () => PlanModel.collection.find({}).sort({ _id: -1 }).limit(51).toArray(),
    },
    {
      label: 'GET /plans (manager)', user: manager, url: '/plans?limit=50',
      raw: () => PlanModel.collection.find({ ownerId: book.manager }).sort({ _id: -1 }).limit(51).toArray(),
    },
    {
      label: 'GET /reports/tiers', user: executive, url: '/reports/tiers',
      raw: () => customers.aggregate([{ $match: { archived: false } }, { $group: { _id: '$tier', count: { $sum: 1 } } }]).toArray(),
    },
    {
      label: 'GET /reports/tier-movements', user: executive, url: '/reports/tier-movements',
      raw: () => TierChangeModel.collection.find({ at: { $gte: from, $lt: now } }).sort({ at: -1, _id: -1 }).toArray(),
    },
    {
      label: 'GET /reports/plans', user: executive, url: `/reports/plans?period=${book.period}`,
      raw: () => PlanModel.collection.find({ period: book.period }, { projection: { customerId: 1, status: 1, objectives: 1, resources: 1 } }).toArray(),
    },
  ];

  const table: string[] = [
    `${total} customers on the embedded engine; median of ${RUNS} runs after ${WARMUPS} warm-ups, in ms`, '',
    '| request | HTTP | driver | ratio |', '|---|---:|---:|---:|',
  ];
  const print = (line: string) => { table.push(line); console.log(line); };
  console.log(table.join('\n'));
  for (const row of rows.filter((r) => !only || only.test(r.label))) {
    const web: number[] = [];
    const raw: number[] = [];
    let runs = RUNS;
    for (let i = 0; i < WARMUPS + runs; i++) {
      let t = process.hrtime.bigint();
      await get(row.user, row.url);
      if (i === 0 && ms(t) > SLOW_MS) runs = ms(t) > VERY_SLOW_MS ? VERY_SLOW_RUNS : SLOW_RUNS; // fewer runs of a request of seconds
      if (i >= WARMUPS) web.push(ms(t));
      t = process.hrtime.bigint();
      await row.raw();
      if (i >= WARMUPS) raw.push(ms(t));
    }
    const [h, d] = [median(web), median(raw)];
    print(`| \`${row.label}\`${runs === RUNS ? '' : ` (${runs} runs)`} | ${fmt(h)} | ${fmt(d)} | ${(h / d).toFixed(2)} |`);
  }

  if (!only || only.test('export')) {
    const started = process.hrtime.bigint();
    const res = await request(port, 'GET', '/customers/export', executive.token);
    if (res.status !== 200) throw new Error(`export: ${res.status} ${res.body.slice(0, 300)}`);
    const web = ms(started);
    const raw = process.hrtime.bigint();
    await customers.find(customerFilter(executive, {})).sort(sortOf('name')).toArray();
    const driver = ms(raw);
    print(`| \`GET /customers/export\` (${res.body.split('\n').length - 2} rows, once) | ${fmt(web)} | ${fmt(driver)} | ${(web / driver).toFixed(2)} |`);
  }
  if (!only || only.test('import')) {
    const lines = ['code,name,ownerEmail,tags,company.industry,company.region,tierInputs.potential,tierInputs.strategicValue'];
    for (let i = 0; i < total; i++) {
      lines.push(`IMP-${String(i).padStart(6, '0')},Imported Customer ${i} GmbH,m${i % 40}@bench.local,tag${i % 30};group${i % 7},Energy,EMEA,${(i * 7919) % 1_000_000_000},${1 + (i % 5)}`);
    }
    const started = process.hrtime.bigint();
    const res = await request(port, 'POST', '/customers/import', admin.token, { type: 'text/csv', text: lines.join('\n') });
    if (res.status !== 202) throw new Error(`import: ${res.status} ${res.body.slice(0, 300)}`);
    // The worker's part, run here as the worker beside the API would; timed to the import's end.
    await runDueImports();
    const imported = await CustomerImportModel.findById((JSON.parse(res.body) as { id: string }).id).lean();
    if (imported?.state !== 'done') throw new Error(`import ended ${imported?.state}: ${imported?.error}`);
    print(`| \`POST /customers/import\` (${total} new rows, once) | ${fmt(ms(started))} | | |`);
  }
  agent.destroy();
  server.close();
  console.log(`\n${table.join('\n')}`);
} finally {
  await db.close();
  // BENCH_KEEP=1 leaves the data folder for a look with the engine's own tools (EXPLAIN QUERY PLAN and the like).
  if (process.env.BENCH_KEEP) console.log(`data folder kept: ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
}

import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedDb, type EmbeddedDb } from '../../server/embedded-db/engine.ts';
import { run, stop, until, type Running } from './processes.ts';

// End to end: the real entry points as separate processes, as `npm start`, `npm run api` and `npm run worker` run them.

const readyStatus = async (url: string) => (await fetch(`${url}/readyz`)).status;

async function loginAt(url: string, email: string, password: string) {
  return fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

describe('the service as a process', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const tempDir = () => { const d = mkdtempSync(path.join(tmpdir(), 'key-accounts-e2e-')); dirs.push(d); return d; };
  const children: Running[] = [];
  const started = (r: Running) => { children.push(r); return r; };
  after(async () => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('npm start: starts the embedded database, loads demo users once, prints the URL and logins, and stops cleanly', async () => {
    const dataDir = tempDir();
    const first = started(run('server/start.ts', { DATA_DIR: dataDir, WORKER_HEARTBEAT_SECONDS: '1' }));
    const url = (await first.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const dbPort = Number((await first.waitFor(/embedded FerretDB at mongodb:\/\/127\.0\.0\.1:(\d+)\//))[1]);
    expect(first.output()).to.include('/docs');
    expect(first.output()).to.match(/manager\s+anna@demo\.local\s+demo-anna-2026/);
    expect(first.output()).to.include('Loaded a demo book of 300 customers');
    expect(await until(async () => (await readyStatus(url)) === 200)).to.equal(true);

    const login = await loginAt(url, 'anna@demo.local', 'demo-anna-2026');
    expect(login.status).to.equal(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    expect(first.output()).to.not.include(accessToken);
    // The demo's frontline service: cases in every state, made through the use cases, with knowledge and gifts beside.
    const exec = ((await (await loginAt(url, 'exec@demo.local', 'demo-exec-2026')).json()) as { accessToken: string }).accessToken;
    const get = async (path: string) => (await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${exec}` } })).json() as Promise<{ items: Array<Record<string, unknown>> }>;
    const cases = (await get('/cases?limit=200')).items as Array<{ status: string; handovers: number; reopens: number; firstContactResolution: boolean | null; history: Array<{ step: string }> }>;
    expect(cases).to.have.length(24);
    expect(new Set(cases.map((c) => c.status))).to.deep.equal(new Set(['open', 'in_progress', 'resolved', 'closed']));
    const closed = cases.filter((c) => c.status === 'closed');
    expect([closed.length, closed.filter((c) => c.firstContactResolution).length]).to.deep.equal([12, 4]);
    expect(cases.filter((c) => c.handovers > 0)).to.not.be.empty;
    expect(cases.filter((c) => c.reopens > 0)).to.not.be.empty;
    expect(cases.filter((c) => c.history.some((h) => h.step === 'escalated'))).to.not.be.empty;
    expect((await get('/knowledge')).items.filter((k) => (k.uses as number) > 0)).to.not.be.empty;
    expect((await get('/gifts?status=pending_approval')).items).to.have.length(1);

    // The generated signing key is kept beside the data, readable by the owner only.
    expect(statSync(path.join(dataDir, 'jwt-secret')).mode & 0o777).to.equal(0o600);

    expect(await stop(first)).to.equal(0);
    expect(await portOpen(dbPort)).to.equal(false);

    // A second start on the same data keeps the users and the signing key, and adds no demo users.
    const second = started(run('server/start.ts', { DATA_DIR: dataDir, WORKER_HEARTBEAT_SECONDS: '1' }));
    const url2 = (await second.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const me = await fetch(`${url2}/api/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).to.equal(200);
    const admin = await loginAt(url2, 'admin@demo.local', 'demo-admin-2026');
    const adminToken = ((await admin.json()) as { accessToken: string }).accessToken;
    const users = (await (await fetch(`${url2}/api/v1/users`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { items: unknown[] };
    expect(users.items).to.have.length(5);
    const book = (await (await fetch(`${url2}/api/v1/customers?limit=200`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { items: unknown[] };
    expect(book.items).to.have.length(200);
    expect(second.output()).to.not.include('Loaded a demo book');
    expect(await stop(second)).to.equal(0);
  });

  it('npm run api and npm run worker: separate processes on one MONGODB_URI; readiness follows the worker and the database', async () => {
    let engine: EmbeddedDb | undefined = await startEmbeddedDb({ dataDir: tempDir(), say: () => undefined });
    try {
      const env = {
        MONGODB_URI: `${engine.uri}e2e_split`,
        DATA_DIR: tempDir(),
        JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789',
        ADMIN_EMAIL: 'Root@Example.org',
        ADMIN_PASSWORD: 'first admin password',
        DEMO_DATA: 'false',
        WORKER_HEARTBEAT_SECONDS: '1',
      };
      const api = started(run('server/index.ts', env));
      const url = (await api.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      expect(api.output()).to.include('Created the first admin root@example.org');
      expect(api.output()).to.not.include('first admin password');
      expect(await readyStatus(url)).to.equal(503);

      const worker = started(run('jobs/worker.ts', env));
      expect(await until(async () => (await readyStatus(url)) === 200)).to.equal(true);
      expect((await loginAt(url, 'root@example.org', 'first admin password')).status).to.equal(200);
      expect((await loginAt(url, 'anna@demo.local', 'demo-anna-2026')).status).to.equal(401);

      expect(await stop(worker)).to.equal(0);
      const afterWorker = await (await fetch(`${url}/readyz`)).json() as { checks: Record<string, string> };
      expect(afterWorker.checks.database).to.equal('up');

      await engine.stop();
      engine = undefined;
      const res = await fetch(`${url}/readyz`);
      expect(res.status).to.equal(503);
      expect(await res.json()).to.deep.equal({ status: 'not ready', checks: { database: 'down', jobs: 'down' }, mail: 'off' });
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      api.child.kill('SIGKILL');
    } finally {
      await engine?.stop();
    }
  });

  it('a policy saved through the API process is applied by the worker process: the customer moves and the move is recorded', async () => {
    const engine = await startEmbeddedDb({ dataDir: tempDir(), say: () => undefined });
    try {
      const env = {
        MONGODB_URI: `${engine.uri}e2e_tiers`, DATA_DIR: tempDir(), JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789',
        ADMIN_EMAIL: 'root@example.org', ADMIN_PASSWORD: 'first admin password', DEMO_DATA: 'false', WORKER_HEARTBEAT_SECONDS: '1',
      };
      const api = started(run('server/index.ts', env));
      const url = (await api.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      started(run('jobs/worker.ts', env));
      const { accessToken } = await (await loginAt(url, 'root@example.org', 'first admin password')).json() as { accessToken: string };
      const call = (method: string, route: string, body?: object, headers: Record<string, string> = {}) => fetch(`${url}${route}`, {
        method, headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', ...headers }, body: body && JSON.stringify(body),
      });

      // Under the default policy: potential 10M (25 points) and strategic value 5 (20 points) score 45, tier B.
      const created = await (await call('POST', '/api/v1/customers', { code: 'E2E-TIER', name: 'Tiered Co', tierInputs: { potential: 1_000_000_000, strategicValue: 5 } })).json() as { id: string; tier: string; tierScore: number };
      expect(created).to.include({ tier: 'B', tierScore: 45 });
      const policy = await (await call('GET', '/api/v1/tier-policy')).json() as { version: number; criteria: unknown; cadenceDays: unknown };
      const saved = await call('PUT', '/api/v1/tier-policy', { criteria: policy.criteria, cadenceDays: policy.cadenceDays, thresholds: { S: 90, A: 80, B: 50 }, note: 'stricter B' }, { 'if-match': `"v${policy.version}"` });
      expect(saved.status).to.equal(200);

      let view: { tier: string; policyVersion: number; history: Array<{ from: string; to: string; reason: string }> } | undefined;
      expect(await until(async () => {
        view = await (await call('GET', `/api/v1/customers/${created.id}/tier`)).json() as typeof view;
        return view!.tier === 'C';
      }), 'the worker reclassifies after the policy change').to.equal(true);
      expect(view!.policyVersion).to.equal(policy.version + 1);
      expect(view!.history[0]).to.include({ from: 'B', to: 'C' });
      expect(view!.history[0]!.reason).to.include(`policy v${policy.version + 1} saved by`);
      expect(view!.history).to.have.length(2);
    } finally {
      for (const c of children) if (c.child.exitCode === null) await stop(c);
      await engine.stop();
    }
  });

  it('refuses to start on a bad configuration, naming every mistake', async () => {
    const bad = started(run('server/index.ts', { NODE_ENV: 'production', PORT: 'eighty', ADMIN_EMAIL: 'not-an-email' }));
    expect(await bad.exited).to.equal(1);
    const out = bad.output();
    expect(out).to.include('Invalid configuration');
    expect(out).to.include('PORT must be a number');
    expect(out).to.include('JWT_SECRET is required');
    expect(out).to.include('ADMIN_EMAIL must be a valid email');
    expect(out).to.include('ADMIN_PASSWORD is required');
  });
});

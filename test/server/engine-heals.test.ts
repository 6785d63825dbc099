import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedDb, type EmbeddedDb } from '../../server/embedded-db/engine.ts';
import { childProcesses, run, stop, until, type Running } from './processes.ts';

// The embedded engine killed with SIGKILL under concurrent writers: the service restarts it, answers 503 (never 500)
// while it is away, and needs no restart itself. Also: the files it keeps are the owner's only, and stay bounded.

const env = {
  JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789',
  ADMIN_EMAIL: 'root@example.org',
  ADMIN_PASSWORD: 'first admin password',
  DEMO_DATA: 'false',
  WORKER_HEARTBEAT_SECONDS: '1',
};

type Answer = { status: number; code: string; id?: string; retryAfter: string | null; type: string | null; problem?: { status: number; title: string; type: string }; sentAt: number; at: number };

type Call = (method: string, route: string, body?: object | string, contentType?: string) => Promise<Response>;

async function signIn(url: string): Promise<Call> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
  });
  const { accessToken } = (await res.json()) as { accessToken: string };
  return (method, route, body, contentType = 'application/json') => fetch(`${url}${route}`, {
    method, headers: { authorization: `Bearer ${accessToken}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : body && JSON.stringify(body),
  });
}

async function postCustomer(call: Call, code: string, extra: object = {}): Promise<Answer> {
  const sentAt = Date.now();
  const res = await call('POST', '/api/v1/customers', { code, name: `Healing ${code}`, ...extra });
  const text = await res.text();
  const answer: Answer = { status: res.status, code, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), sentAt, at: Date.now() };
  if (res.status === 201) answer.id = (JSON.parse(text) as { id: string }).id;
  else if (answer.type?.startsWith('application/problem+json')) answer.problem = JSON.parse(text) as Answer['problem'];
  return answer;
}

/** `writers` loops posting new customers until `done()`, each answer added to `answers` as it comes. */
async function writeConcurrently(
  call: Call, prefix: string, writers: number, answers: Answer[], done: () => boolean, extra: object = {},
): Promise<Answer[]> {
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; !done(); i++) answers.push(await postCustomer(call, `${prefix}-${w}-${i}`, extra));
  }));
  return answers;
}

function expect503Problem(answer: Answer) {
  expect(answer.type, 'content type of a 503').to.match(/^application\/problem\+json/);
  expect(answer.retryAfter, 'Retry-After of a 503').to.match(/^[1-9]\d*$/);
  expect(answer.problem).to.include({ status: 503, type: 'urn:key-accounts:problem:unavailable', title: 'Service unavailable' });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

// An import like the one that left a 399 MB log beside a 41 MB database (3,000 rows, on a busy machine); smaller to
// keep the suite short. Whether the old engine's log outgrows the bound here depends on how reads and writes overlap.
const ROWS = 1000;

const folderBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);

describe('the embedded engine heals', function () {
  this.timeout(300_000);
  const dirs: string[] = [];
  const tempDir = () => { const d = mkdtempSync(path.join(tmpdir(), 'key-accounts-heal-')); dirs.push(d); return d; };
  const children: Running[] = [];
  const started = (r: Running) => { children.push(r); return r; };
  after(async () => {
    for (const c of children) if (c.child.exitCode === null) await stop(c);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('SIGKILL of the engine under 8 concurrent writers: only 201 or 503, the service restarts it and recovers, every 201 is stored', async () => {
    const dataDir = path.join(tempDir(), 'data'); // created by the service
    const service = started(run('server/start.ts', { ...env, DATA_DIR: dataDir }));
    const url = (await service.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const engineUri = (await service.waitFor(/embedded FerretDB at (mongodb:\/\/\S+)/))[1]!;
    expect(await until(async () => (await fetch(`${url}/readyz`)).status === 200)).to.equal(true);
    const call = await signIn(url);
    const [enginePid] = childProcesses(service.child.pid!, 'ferretdb');
    expect(enginePid, 'the engine is a child of the service').to.be.a('number');

    let killedAt = 0;
    setTimeout(() => {
      killedAt = Date.now();
      process.kill(enginePid!, 'SIGKILL');
    }, 1500);
    // Writing goes on until 3 s after the first success sent after the kill (30 s at most).
    const answers: Answer[] = [];
    const recovered = () => answers.find((a) => killedAt && a.sentAt > killedAt && a.status === 201);
    await writeConcurrently(call, 'HEAL', 8, answers, () => {
      const first = recovered();
      return first ? Date.now() > first.at + 3000 : Boolean(killedAt) && Date.now() > killedAt + 30_000;
    });

    const byStatus = Object.groupBy(answers, (a) => String(a.status));
    const firstSuccess = recovered();
    console.log(`      ${answers.length} writes: ${Object.entries(byStatus).map(([s, list]) => `${list!.length} x ${s}`).join(', ')}; `
      + `recovery (kill -> first 201 sent after it): ${firstSuccess ? `${firstSuccess.at - killedAt} ms` : 'none'}`);
    expect(Object.keys(byStatus).filter((s) => s !== '201' && s !== '503'), `answers other than 201 and 503\n${service.output()}`).to.deep.equal([]);
    for (const answer of byStatus['503'] ?? []) expect503Problem(answer);
    expect(firstSuccess, 'a write sent after the kill succeeded').to.not.equal(undefined);

    // A new engine, started by the same service process, which never exited.
    expect(service.child.exitCode).to.equal(null);
    const [restartedPid] = childProcesses(service.child.pid!, 'ferretdb');
    expect(restartedPid).to.be.a('number').and.not.equal(enginePid);
    expect(service.output()).to.match(/the engine \(pid \d+\) exited \(SIGKILL\); restarting it on 127\.0\.0\.1:\d+ in 100 ms/);
    expect(service.output()).to.not.include(env.ADMIN_PASSWORD);
    let readiness: unknown;
    const ready = await until(async () => {
      const res = await fetch(`${url}/readyz`);
      readiness = await res.json();
      return res.status === 200;
    });
    expect(ready, `/readyz is 200 again by itself (last: ${JSON.stringify(readiness)})\n${service.output()}`).to.equal(true);
    expect((await postCustomer(call, 'HEAL-AFTER')).status).to.equal(201);

    // Every acknowledged customer is stored.
    const acknowledged = (byStatus['201'] ?? []).map((a) => a.code);
    const client = await MongoClient.connect(engineUri);
    try {
      const stored = await client.db('key_accounts').collection('customers').find({ code: { $in: acknowledged } }, { projection: { code: 1 } }).toArray();
      expect(stored.map((c) => c.code as string).sort()).to.deep.equal([...acknowledged].sort());
    } finally {
      await client.close();
    }

    // Its files are the owner's only: password hashes, refresh tokens and webhook secrets live there.
    expect(statSync(dataDir).mode & 0o777).to.equal(0o700);
    expect(statSync(path.join(dataDir, 'ferretdb')).mode & 0o777).to.equal(0o700);
    for (const dir of [dataDir, path.join(dataDir, 'ferretdb')]) {
      for (const file of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile())) {
        expect(statSync(path.join(dir, file.name)).mode & 0o777, file.name).to.equal(0o600);
      }
    }
    // A clean stop is not a crash: the engine is stopped, not restarted.
    expect(await stop(service)).to.equal(0);
    expect(service.output().match(/restarting it on/g)).to.have.length(1);
    expect(await portOpen(Number(new URL(engineUri).port))).to.equal(false);
  });

  it('an API process whose database is gone answers 503 problem+json with Retry-After, and /readyz says the database is down', async () => {
    let engine: EmbeddedDb | undefined = await startEmbeddedDb({ dataDir: tempDir(), say: () => undefined });
    try {
      const api = started(run('server/index.ts', { ...env, MONGODB_URI: `${engine.uri}heal_gone`, DATA_DIR: tempDir() }));
      const url = (await api.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      const call = await signIn(url);
      expect((await postCustomer(call, 'GONE-1')).status).to.equal(201);

      await engine.stop(); // a server this process did not start is not restarted by it
      engine = undefined;
      const answer = await postCustomer(call, 'GONE-2');
      expect(answer.status).to.equal(503);
      expect503Problem(answer);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).to.equal(503);
      expect(((await ready.json()) as { checks: { database: string } }).checks.database).to.equal('down');
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
    } finally {
      await engine?.stop();
    }
  });

  it('keeps the data folder within twice its database file, plus 8 MiB, after a 1,000-row import, while the service runs', async () => {
    const dataDir = path.join(tempDir(), 'data');
    // The default heartbeat: a beat every second is itself a write that lets SQLite start its log over.
    const service = started(run('server/start.ts', { ...env, DATA_DIR: dataDir, WORKER_HEARTBEAT_SECONDS: undefined }));
    const url = (await service.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const call = await signIn(url);
    const sqliteDir = path.join(dataDir, 'ferretdb');
    const database = path.join(sqliteDir, 'key_accounts.sqlite');
    const walBytes = () => { try { return statSync(`${database}-wal`).size; } catch { return 0; } };
    let peakWal = 0;
    const sampler = setInterval(() => { peakWal = Math.max(peakWal, walBytes()); }, 100);
    const goals = 'Grow the installed base and renew the framework agreement. '.repeat(10);
    const csv = ['code,name,company.industry,company.region,company.goals',
      ...Array.from({ length: ROWS }, (_, i) => `WAL-${i},Imported Company ${i},Energy,EMEA,${goals}`)].join('\n');
    // A file this large goes to the worker beside the API: 202, then the import record until it is done.
    const imported = await call('POST', '/api/v1/customers/import', csv, 'text/csv');
    expect(imported.status, await imported.clone().text()).to.equal(202);
    const location = imported.headers.get('location')!;
    let record: { state: string; summary: { created: number } | null } = { state: 'queued', summary: null };
    expect(await until(async () => {
      record = (await (await call('GET', location)).json()) as typeof record;
      return record.state === 'done' || record.state === 'failed';
    }, 120_000, 250)).to.equal(true);
    clearInterval(sampler);
    expect(record.state).to.equal('done');
    expect(record.summary!.created).to.equal(ROWS);

    const atEnd = walBytes();
    const bounded = () => folderBytes(sqliteDir) <= 2 * statSync(database).size + 8 * 2 ** 20;
    const settled = await until(async () => bounded(), 15_000, 250);
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
    console.log(`      database ${mb(statSync(database).size)}; WAL peak ${mb(peakWal)}, at the end of the import ${mb(atEnd)}, `
      + `now ${mb(walBytes())}; folder ${mb(folderBytes(sqliteDir))}`);
    expect(settled, 'folder <= 2 x database + 8 MiB while the service runs').to.equal(true);
    expect(service.child.exitCode).to.equal(null);
    expect(await stop(service)).to.equal(0);
  });
});

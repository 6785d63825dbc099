import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda } from 'agenda';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { projectRoot, startEmbeddedDb, type EmbeddedDb } from '../../server/embedded-db/engine.ts';

// The real worker process, killed with SIGKILL in the middle of a reminder run, and two workers at once: every due
// reminder must exist exactly once afterwards (the unique natural key of each notification does that, not the locks).

const VISITS = 8000;
const HOUR = 3_600_000;

function worker(uri: string, dataDir: string): ChildProcess {
  return spawn(process.execPath, [path.join(projectRoot(), 'jobs/worker.ts')], {
    env: {
      ...process.env, MONGODB_URI: uri, DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'warn', DEMO_DATA: 'false',
      JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789', WORKER_HEARTBEAT_SECONDS: '1',
    },
    stdio: 'ignore',
  });
}

async function seedDueVisits(db: Db): Promise<void> {
  const owners = Array.from({ length: 10 }, () => new ObjectId());
  for (let i = 0; i < VISITS; i += 1000) {
    const now = Date.now();
    await db.collection('visits').insertMany(Array.from({ length: 1000 }, (_, j) => ({
      customerId: new ObjectId(), ownerId: owners[(i + j) % owners.length], kind: 'adhoc', status: 'scheduled',
      dueAt: new Date(now + 20 * HOUR), scheduledFor: new Date(now + 20 * HOUR), cadenceKey: `adhoc:${i + j}`, contactIds: [], feedback: [],
    })));
  }
}

async function until(probe: () => Promise<boolean>, ms: number, every = 25): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return false;
}

/** Each seeded visit has exactly one reminder, and there are no others. */
async function expectExactlyOnce(db: Db) {
  const reminders = await db.collection('notifications').find({ kind: 'visit.reminder' }, { projection: { key: 1, 'data.visitId': 1 } }).toArray();
  expect(reminders).to.have.length(VISITS);
  expect(new Set(reminders.map((r) => r.data.visitId)).size).to.equal(VISITS);
  expect(new Set(reminders.map((r) => r.key)).size).to.equal(VISITS);
}

describe('reminders survive a killed worker and two workers', function () {
  this.timeout(240_000);
  let engine: EmbeddedDb;
  let client: MongoClient;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const tempDir = () => { const d = mkdtempSync(path.join(tmpdir(), 'key-accounts-reliability-')); dirs.push(d); return d; };
  const started = (c: ChildProcess) => { children.push(c); return c; };

  before(async () => {
    engine = await startEmbeddedDb({ dataDir: tempDir(), say: () => undefined });
    client = await MongoClient.connect(engine.uri);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await client?.close();
    await engine?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function enqueueRemind(db: Db) {
    const agenda = new Agenda({ backend: new MongoBackend({ mongo: db, collection: 'jobs' }) });
    await agenda.now('visits.remind', {});
  }
  const reminderCount = (db: Db) => db.collection('notifications').countDocuments({ kind: 'visit.reminder' });

  it('SIGKILL in the middle of visits.remind, then a restart: every due reminder exactly once', async () => {
    const db = client.db('e2e_killed');
    await seedDueVisits(db);
    const dataDir = tempDir();
    const first = started(worker(`${engine.uri}e2e_killed`, dataDir));
    await enqueueRemind(db);
    const midway = await until(async () => (await reminderCount(db)) > 0, 120_000);
    expect(midway, 'the worker started sending').to.equal(true);
    first.kill('SIGKILL');
    const atKill = await reminderCount(db);
    expect(atKill, 'killed in the middle of the run').to.be.below(VISITS);

    started(worker(`${engine.uri}e2e_killed`, dataDir));
    await enqueueRemind(db); // the next scheduled run; the killed run's lock is still held
    expect(await until(async () => (await reminderCount(db)) >= VISITS, 120_000, 200)).to.equal(true);
    await new Promise((r) => setTimeout(r, 1500));
    await expectExactlyOnce(db);
  });

  it('two workers running visits.remind at once: every due reminder exactly once', async () => {
    const db = client.db('e2e_two');
    await seedDueVisits(db);
    started(worker(`${engine.uri}e2e_two`, tempDir()));
    started(worker(`${engine.uri}e2e_two`, tempDir()));
    await enqueueRemind(db);
    await enqueueRemind(db);
    expect(await until(async () => (await reminderCount(db)) >= VISITS, 120_000, 200)).to.equal(true);
    // Both runs finish (the second finds everything taken) before the count is checked.
    expect(await until(async () => (await db.collection('jobs').countDocuments({ name: 'visits.remind', lastFinishedAt: { $exists: true } })) >= 2, 60_000, 200)).to.equal(true);
    await expectExactlyOnce(db);
  });
});

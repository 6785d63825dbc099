import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda } from 'agenda';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { startEmbeddedDb, type EmbeddedDb } from '../../server/embedded-db/engine.ts';

// Agenda's job locks on the embedded engine: two real worker processes, many one-off jobs due at the same moment, and
// both workers racing to lock each of them (a conditional findOneAndUpdate on the job). Every job must run exactly once.

const JOBS = 100;

function recordingWorker(uri: string): ChildProcess {
  return spawn(process.execPath, [path.join(import.meta.dirname, 'recording-worker.ts')], {
    env: {
      ...process.env, MONGODB_URI: uri, NODE_ENV: 'development', LOG_LEVEL: 'warn', DEMO_DATA: 'false',
      JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789', WORKER_HEARTBEAT_SECONDS: '1',
    },
    stdio: 'ignore',
  });
}

async function eventually(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (await probe()) return true;
  }
  return false;
}

describe('job locks with two workers on the embedded engine', function () {
  this.timeout(180_000);
  let engine: EmbeddedDb;
  let client: MongoClient;
  let dataDir: string;
  const workers: ChildProcess[] = [];

  before(async function () {
    if (process.env.TEST_MONGODB_URI) this.skip(); // a claim about the embedded engine
    dataDir = mkdtempSync(path.join(tmpdir(), 'key-accounts-job-locks-'));
    engine = await startEmbeddedDb({ dataDir, say: () => undefined });
    client = await MongoClient.connect(engine.uri);
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await client?.close();
    await engine?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`runs each of ${JOBS} one-off jobs exactly once`, async () => {
    const db: Db = client.db('job_locks');
    for (let i = 0; i < 2; i++) workers.push(recordingWorker(`${engine.uri}job_locks`));
    expect(await eventually(async () => (await db.collection('job_workers').countDocuments()) === 2, 60_000), 'both workers started').to.equal(true);
    // All due at one moment a little ahead, so both workers find every one of them lockable at once.
    const queue = new Agenda({ backend: new MongoBackend({ mongo: db, collection: 'jobs' }) });
    const due = new Date(Date.now() + 3000);
    for (let n = 0; n < JOBS; n++) await queue.schedule(due, 'test.record-run', { n });
    // Finished and unlocked: a run's record is written before its job is unlocked, so every run is counted below.
    const jobs = db.collection('jobs');
    const settled = async () => (await jobs.countDocuments({ name: 'test.record-run', lastFinishedAt: { $ne: null } })) === JOBS
      && (await jobs.countDocuments({ name: 'test.record-run', lockedAt: { $ne: null } })) === 0;
    expect(await eventually(settled, 120_000), 'every job finished').to.equal(true);

    const runs = await db.collection('job_runs').find().toArray();
    const perJob = Map.groupBy(runs, (r) => String(r.jobId));
    const twice = [...perJob].filter(([, rs]) => rs.length > 1).length;
    expect({ runs: runs.length, jobs: perJob.size, ranTwice: twice }).to.deep.equal({ runs: JOBS, jobs: JOBS, ranTwice: 0 });
    // Both workers took part, so the locks were really contended.
    expect(new Set(runs.map((r) => r.worker)).size, 'workers that ran jobs').to.equal(2);
  });
});

import { expect } from 'chai';
import { startWorker, type Worker } from '../../jobs/agenda.ts';
import * as heartbeat from '../../jobs/heartbeat.ts';
import { HeartbeatModel } from '../../models/heartbeat.ts';
import { api } from '../factories.ts';
import { config, logger } from '../setup.ts';

async function readiness(): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await api().get('/readyz');
  return { status: res.status, body: res.body };
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('GET /healthz', () => {
  it('answers 200 without authentication', async () => {
    const res = await api().get('/healthz').expect(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });
});

describe('GET /readyz', () => {
  let worker: Worker | undefined;
  afterEach(async () => { await worker?.drain(5000); worker = undefined; });

  it('answers 503 naming the jobs check while no worker has beaten recently', async () => {
    await HeartbeatModel.updateOne({ _id: 'jobs' }, { $set: { beatAt: new Date(Date.now() - 3600_000), by: 'old' } }, { upsert: true });
    const { status, body } = await readiness();
    expect(status).to.equal(503);
    expect(body).to.deep.equal({ status: 'not ready', checks: { database: 'up', jobs: 'down' }, mail: 'off' });
  });

  it('answers 200 once the real worker runs its heartbeat job', async () => {
    await HeartbeatModel.deleteOne({ _id: 'jobs' });
    worker = await startWorker(config, logger);
    const { status, body } = await until(readiness, (r) => r.status === 200);
    expect(status).to.equal(200);
    expect(body.checks).to.deep.equal({ database: 'up', jobs: 'up' });
    const stored = await HeartbeatModel.findById('jobs').lean();
    expect(stored!.by).to.match(/:\d+$/);
    expect(Date.now() - stored!.beatAt.getTime()).to.be.lessThan(3 * config.workerHeartbeatMs);
  });

  it('heartbeat handler moves the timestamp and keeps one document', async () => {
    await heartbeat.handler({ worker: 'test:1' });
    await heartbeat.handler({ worker: 'test:2' });
    expect(await HeartbeatModel.countDocuments({ _id: 'jobs' })).to.equal(1);
    expect((await HeartbeatModel.findById('jobs').lean())!.by).to.equal('test:2');
  });
});

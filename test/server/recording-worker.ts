import mongoose from 'mongoose';
import { createAgenda, workerName } from '../../jobs/agenda.ts';
import { runService } from '../../server/service.ts';

// The job worker as `npm run worker` starts it (jobs/worker.ts), plus one job that records each of its runs, so that
// test/server/job-locks.test.ts can count how often each job ran. Its queue is made like the worker's (createAgenda).

const { config } = await runService({ api: false, worker: true });
const agenda = createAgenda(config);
const db = mongoose.connection.db!;
agenda.define('test.record-run', async (job) => {
  await db.collection('job_runs').insertOne({ jobId: job.attrs._id, worker: workerName, at: new Date() });
}, { concurrency: 10 }); // runs side by side once locked; the locking is what the test is about
await agenda.start();
await db.collection('job_workers').insertOne({ worker: workerName, startedAt: new Date() });

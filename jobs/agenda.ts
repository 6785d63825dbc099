import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda } from 'agenda';
import mongoose from 'mongoose';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../server/config.ts';
import { jobDuration, jobLag, jobRuns } from '../server/metrics.ts';
import * as approvalsNotify from './approvals-notify.ts';
import * as casesEscalate from './cases-escalate.ts';
import * as customersImport from './customers-import.ts';
import * as giftsSweep from './gifts-sweep.ts';
import * as heartbeat from './heartbeat.ts';
import * as mailSend from './mail-send.ts';
import * as notificationsDeliver from './notifications-deliver.ts';
import * as reports from './reports.ts';
import * as sweep from './sweep.ts';
import * as revenue from './revenue.ts';
import * as tiers from './tiers.ts';
import * as visitsEscalate from './visits-escalate.ts';
import * as visitsFollowUp from './visits-follow-up.ts';
import * as visitsPlan from './visits-plan.ts';
import * as visitsRemind from './visits-remind.ts';

export const workerName = `${hostname()}:${process.pid}`;

/** An Agenda on the service's database, jobs in the `jobs` collection. The API uses one to enqueue; the worker to run. */
export function createAgenda(config: Config): Agenda {
  const db = mongoose.connection.db;
  if (!db) throw new Error('connect the database before creating the job queue');
  return new Agenda({
    backend: new MongoBackend({ mongo: db, collection: 'jobs' }),
    name: workerName,
    processEvery: Math.min(5000, config.workerHeartbeatMs),
    // A job is locked by a conditional findOneAndUpdate, atomic on MongoDB and on the patched embedded engine, so
    // several workers never run one job twice (test/server/job-locks.test.ts); every job is idempotent anyway.
    defaultConcurrency: 1,
  });
}

type RunningJob = { attrs: { _id?: unknown; name: string; nextRunAt?: Date | null; lastRunAt?: Date | null } };

/**
 * Job metrics (server/metrics.ts): runs by outcome, how long each took, and how late a recurring job started after it
 * was due (Agenda has already moved `nextRunAt` on when a run starts, so the due time is kept from the run before).
 */
function instrument(agenda: Agenda): void {
  const started = new WeakMap<object, () => void>();
  const dueAt = new Map<string, number>();
  agenda.on('start', (job: RunningJob) => {
    const id = String(job.attrs._id);
    const due = dueAt.get(id);
    if (due !== undefined) jobLag.observe({ job: job.attrs.name }, Math.max(0, (job.attrs.lastRunAt?.getTime() ?? Date.now()) - due) / 1000);
    started.set(job, jobDuration.startTimer({ job: job.attrs.name }));
  });
  agenda.on('complete', (job: RunningJob) => {
    started.get(job)?.();
    const id = String(job.attrs._id);
    if (job.attrs.nextRunAt) dueAt.set(id, job.attrs.nextRunAt.getTime());
    else dueAt.delete(id);
  });
  agenda.on('success', (job: RunningJob) => jobRuns.inc({ job: job.attrs.name, outcome: 'success' }));
  agenda.on('fail', (_err: Error, job: RunningJob) => jobRuns.inc({ job: job.attrs.name, outcome: 'failure' }));
}

export type Worker = { agenda: Agenda; drain: (timeoutMs: number) => Promise<void> };

export async function startWorker(config: Config, log: Logger): Promise<Worker> {
  const agenda = createAgenda(config);
  heartbeat.define(agenda, workerName, config);
  revenue.define(agenda);
  tiers.define(agenda);
  visitsPlan.define(agenda);
  visitsRemind.define(agenda, config);
  visitsEscalate.define(agenda, config);
  casesEscalate.define(agenda, config);
  visitsFollowUp.define(agenda, config);
  notificationsDeliver.define(agenda, config);
  approvalsNotify.define(agenda);
  giftsSweep.define(agenda);
  customersImport.define(agenda);
  mailSend.define(agenda, config);
  reports.define(agenda);
  sweep.define(agenda);
  instrument(agenda);
  agenda.on('fail', (err: Error, job: { attrs: { name: string } }) => log.error({ err, job: job.attrs.name }, 'job failed'));
  agenda.on('error', (err: Error) => log.error({ err }, 'job queue error'));
  await agenda.start();
  await heartbeat.schedule(agenda, config);
  await revenue.schedule(agenda);
  await tiers.schedule(agenda, config);
  await visitsPlan.schedule(agenda);
  await visitsRemind.schedule(agenda, config);
  await visitsEscalate.schedule(agenda, config);
  await casesEscalate.schedule(agenda);
  await visitsFollowUp.schedule(agenda);
  await notificationsDeliver.schedule(agenda);
  await approvalsNotify.schedule(agenda);
  await giftsSweep.schedule(agenda);
  await customersImport.schedule(agenda);
  await mailSend.schedule(agenda, config);
  await reports.schedule(agenda);
  await sweep.schedule(agenda);
  // A fresh worker does not wait for the next hour to plan visits and send what is due: each run is idempotent.
  for (const job of [visitsPlan.name, visitsRemind.name, visitsEscalate.name, visitsFollowUp.name, casesEscalate.name, customersImport.name]) await agenda.now(job, {});
  // Said once here (and in /readyz), never as an error per reminder.
  if (!config.mail) log.info('e-mail is off: SMTP_URL is not set, so notifications reach the feed, webhooks and calendars only');
  log.info({ worker: workerName, mail: config.mail ? 'on' : 'off' }, 'job worker started');
  return {
    agenda,
    drain: async (timeoutMs) => {
      const result = await agenda.drain({ timeout: timeoutMs });
      if (result.timedOut) log.warn({ running: result.running }, 'jobs still running at shutdown; their locks expire and another worker retries them');
    },
  };
}

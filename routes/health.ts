import Joi from 'joi';
import mongoose from 'mongoose';
import { lastBeat } from '../models/heartbeat.ts';
import { answer } from '../schemas/common.ts';
import { operation } from '../server/operation.ts';

const PING_TIMEOUT_MS = 2000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const readiness = answer({
  status: Joi.valid('ready', 'not ready'),
  checks: answer({ database: Joi.valid('up', 'down'), jobs: Joi.valid('up', 'down') }),
  mail: Joi.valid('on', 'off').description('`off` when SMTP_URL is not set: no e-mail is sent (readiness does not depend on it)'),
}).id('Readiness');

// Operational probes for load balancers and orchestrators: public, and they reveal nothing but up or down.
export const healthOperations = [
  operation({
    method: 'get', path: '/healthz', tag: 'operations', access: 'public',
    summary: 'Liveness: the process is up',
    responses: { 200: { description: 'Up', body: answer({ status: Joi.valid('ok') }).id('Health') } },
    handler: (_req, res) => {
      res.json({ status: 'ok' });
    },
  }),

  operation({
    method: 'get', path: '/readyz', tag: 'operations', access: 'public',
    summary: 'Readiness: the database answers and a job worker runs',
    responses: { 200: { description: 'Ready', body: readiness }, 503: { description: 'Not ready', body: readiness } },
    handler: async (_req, res, { config }) => {
      const checks = { database: 'down', jobs: 'down' };
      try {
        // A ping even while mongoose reports the connection lost: it asks the driver to look for the server now, so
        // readiness returns by itself as soon as the database is back.
        const db = mongoose.connection.db;
        if (!db) throw new Error('not connected');
        await withTimeout(db.command({ ping: 1 }), PING_TIMEOUT_MS);
        checks.database = 'up';
        // The worker beats every WORKER_HEARTBEAT_SECONDS; three missed beats mean no job is being run.
        const beatAt = await withTimeout(lastBeat('jobs'), PING_TIMEOUT_MS);
        if (beatAt && Date.now() - beatAt.getTime() <= 3 * config.workerHeartbeatMs) checks.jobs = 'up';
      } catch {
        // reported as down below
      }
      const ready = checks.database === 'up' && checks.jobs === 'up';
      // E-mail is optional: 'off' (no SMTP_URL) is a detail, not a reason to take the service out of rotation.
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks, mail: config.mail ? 'on' : 'off' });
    },
  }),
];

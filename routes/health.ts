import { Router } from 'express';
import mongoose from 'mongoose';
import { lastBeat } from '../models/heartbeat.ts';
import type { Config } from '../server/config.ts';

const PING_TIMEOUT_MS = 2000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// Operational probes for load balancers and orchestrators: public, and they reveal nothing but up or down.
export function healthRouter(config: Config): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
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
  });

  return router;
}

import type { Agenda } from 'agenda';
import { beat } from '../models/heartbeat.ts';
import type { Config } from '../server/config.ts';

export const name = 'worker.heartbeat';
export type Data = { worker: string };

/** Records that a worker is running jobs; /readyz reads it. Idempotent: it only moves a timestamp. */
export async function handler(data: Data): Promise<void> {
  await beat('jobs', data.worker);
}

export function define(agenda: Agenda, worker: string, config: Config): void {
  // A beat cut short by a lost database (the embedded engine killed and restarted) leaves its lock in the jobs
  // collection; it expires after three periods instead of Agenda's 10 minutes, so readiness returns with the database.
  agenda.define(name, async () => handler({ worker }), { lockLifetime: 3 * config.workerHeartbeatMs });
}

export async function schedule(agenda: Agenda, config: Config): Promise<void> {
  await agenda.every(config.workerHeartbeatMs, name);
}

import type { Agenda } from 'agenda';
import { beat } from '../models/heartbeat.ts';
import type { Config } from '../server/config.ts';

export const name = 'worker.heartbeat';
export type Data = { worker: string };

/** Records that a worker is running jobs; /readyz reads it. Idempotent: it only moves a timestamp. */
export async function handler(data: Data): Promise<void> {
  await beat('jobs', data.worker);
}

export function define(agenda: Agenda, worker: string): void {
  agenda.define(name, async () => handler({ worker }));
}

export async function schedule(agenda: Agenda, config: Config): Promise<void> {
  await agenda.every(config.workerHeartbeatMs, name);
}

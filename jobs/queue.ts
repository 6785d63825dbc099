import type { Agenda } from 'agenda';
import type { Config } from '../server/config.ts';
import { createAgenda } from './agenda.ts';

// The API's side of the job queue: it only enqueues; the worker (jobs/worker.ts) runs what is queued.

let queue: Agenda | undefined;

/** Queues a job to run as soon as a worker picks it up. */
export async function enqueue(config: Config, name: string, data: Record<string, unknown>): Promise<void> {
  queue ??= createAgenda(config);
  await queue.now(name, data);
}

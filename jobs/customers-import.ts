import type { Agenda } from 'agenda';
import { runDueImports } from '../usecases/customer-import-run.ts';
import { jobClock } from './clock.ts';

export const name = 'customers.import';

/** `now` (ISO date-time) fixes the clock against which leases count; absent, the time of each claim. */
export type Data = { now?: string };

/** Runs the CSV imports that wait: those just sent (the API queues a run at once) and any a stopped worker left. */
export function handler(data: Data = {}): Promise<number> {
  const fixed = data.now ? jobClock(name, 'now', data.now) : undefined;
  return runDueImports(() => fixed ?? new Date());
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async (job) => {
    await handler(job.attrs.data ?? {});
  });
}

/** Every minute as well, so an import whose worker died is taken up again within about a minute of its lease. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('1 minute', name);
}

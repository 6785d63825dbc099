import type { Agenda } from 'agenda';
import { refreshAllRevenue12m } from '../models/project.ts';
import { jobClock } from './clock.ts';

export const name = 'customers.revenue-refresh';

/** `asOf` (ISO date-time) fixes "now" for the 365-day window; absent, the job uses the time it runs. */
export type Data = { asOf?: string };

/**
 * Routes keep revenue12m current when a project changes, but nothing changes when a win turns 366 days old, and two
 * concurrent changes may store a stale sum: once a day every customer is brought in line. Idempotent: it only writes
 * customers whose stored value differs from their projects.
 */
export async function handler(data: Data = {}): Promise<{ updated: number }> {
  const asOf = jobClock(name, 'asOf', data.asOf);
  return { updated: await refreshAllRevenue12m(asOf) };
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async (job) => {
    await handler(job.attrs.data ?? {});
  });
}

/** Daily at 02:30 UTC, a quiet hour for most of our customers' working days. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('30 2 * * *', name, {}, { timezone: 'UTC' });
}

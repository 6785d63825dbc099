import type { Agenda } from 'agenda';
import { CustomerModel } from '../models/customer.ts';
import { syncMarkedRows } from '../models/report-rows.ts';

export const name = 'reports.catch-up';

export type Data = Record<string, never>;

/**
 * Every customer write rewrites its report row right after it lands; a process that died in between left the customer
 * marked. Reports finish such rows themselves before they answer; this makes them between reports. Idempotent.
 */
export async function handler(_data: Data = {}): Promise<{ synced: number }> {
  return { synced: await syncMarkedRows(CustomerModel) };
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async () => {
    await handler();
  });
}

/** Every minute: with nothing marked it is one indexed read. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('* * * * *', name, {}, { timezone: 'UTC' });
}

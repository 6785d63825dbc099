import type { Agenda } from 'agenda';
import { CustomerModel } from '../models/customer.ts';
import { syncMarkedRows } from '../models/report-rows.ts';
import { buildPlanSnapshot, readBook, snapshotPeriods } from '../models/plan-snapshot.ts';
import { buildTierSnapshot } from '../models/tier-snapshot.ts';

export const name = 'reports.refresh';

export type Data = Record<string, never>;

/**
 * Finishes the report rows a crashed writer left marked (reports finish them too before they answer), then adds up the
 * tier distribution of the whole book (models/tier-snapshot.ts) and the plans of this and next year and quarter
 * (models/plan-snapshot.ts) again. Idempotent.
 */
export async function handler(_data: Data = {}): Promise<{ synced: number; asOf: Date; cells: number; periods: string[] }> {
  const synced = await syncMarkedRows(CustomerModel);
  const snapshot = await buildTierSnapshot();
  const periods = snapshotPeriods(snapshot.asOf);
  const book = await readBook();
  for (const period of periods) await buildPlanSnapshot(period, snapshot.asOf, book);
  return { synced, asOf: snapshot.asOf, cells: snapshot.cells.length, periods };
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async () => {
    await handler();
  });
}

/** Every minute: the tier report is at most about a minute old. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('* * * * *', name, {}, { timezone: 'UTC' });
}

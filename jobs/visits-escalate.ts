import type { Agenda } from 'agenda';
import { escalateOverdueVisits } from '../models/visit-alerts.ts';
import type { Config } from '../server/config.ts';
import { jobClock } from './clock.ts';

export const name = 'visits.escalate';

export type Data = { asOf?: string };

/** Escalates overdue visits to their owner and the executives, and marks long-overdue ones missed. */
export function handler(config: Config, data: Data = {}) {
  const now = jobClock(name, 'asOf', data.asOf);
  return escalateOverdueVisits({ now, timezone: config.timezone, escalateAfterDays: config.visits.escalateAfterDays, missAfterDays: config.visits.missedAfterDays });
}

export function define(agenda: Agenda, config: Config): void {
  agenda.define<Data>(name, async (job) => {
    await handler(config, job.attrs.data ?? {});
  });
}

/** Daily at 07:00 on the organisation's clock, before the working day. */
export async function schedule(agenda: Agenda, config: Config): Promise<void> {
  await agenda.every('0 7 * * *', name, {}, { timezone: config.timezone });
}

import type { Agenda } from 'agenda';
import { remindDueVisits } from '../models/visit-alerts.ts';
import type { Config } from '../server/config.ts';
import { jobClock } from './clock.ts';

export const name = 'visits.remind';

/** `asOf` (ISO date-time) fixes "now"; absent, the time the job runs. */
export type Data = { asOf?: string };

/** Reminds owners of visits coming due (VISIT_REMINDER_DAYS), once per visit, lead time and person. */
export function handler(config: Config, data: Data = {}) {
  const now = jobClock(name, 'asOf', data.asOf);
  return remindDueVisits({ now, timezone: config.timezone, leadDays: config.visits.reminderDays });
}

export function define(agenda: Agenda, config: Config): void {
  agenda.define<Data>(name, async (job) => {
    await handler(config, job.attrs.data ?? {});
  });
}

/** Hourly, so a reminder goes out early on its day on the organisation's clock, whatever time the worker started. */
export async function schedule(agenda: Agenda, config: Config): Promise<void> {
  await agenda.every('5 * * * *', name, {}, { timezone: config.timezone });
}

import type { Agenda } from 'agenda';
import { notifyWaitingApprovals } from '../models/approval-alerts.ts';
import { jobClock } from './clock.ts';

export const name = 'approvals.notify';

/** `now` (ISO date-time) fixes the clock; absent, the time the job runs. */
export type Data = { now?: string };

/** Tells executives and admins of tier changes waiting for their decision, once each. */
export function handler(data: Data = {}): Promise<number> {
  return notifyWaitingApprovals(jobClock(name, 'now', data.now));
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async (job) => {
    await handler(job.attrs.data ?? {});
  });
}

/** Every five minutes: a request reaches the deciders' feed (and mail, as they chose) within minutes. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('5 minutes', name);
}

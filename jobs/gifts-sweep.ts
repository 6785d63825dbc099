import type { Agenda } from 'agenda';
import { notifyGiftAlerts } from '../models/gift-alerts.ts';
import { settleAllowances } from '../models/gift-allowance.ts';
import { jobClock } from './clock.ts';

export const name = 'gifts.sweep';

/** `now` (ISO date-time) fixes the clock; absent, the time the job runs. */
export type Data = { now?: string };

/**
 * Finishes what a request that stopped midway left of a gift: the notifications of a gift waiting or decided, the
 * allowance a gift never written took, the cost a reversal did not give back. Idempotent (natural keys, conditional writes).
 */
export async function handler(data: Data = {}): Promise<{ notified: number; returned: number; givenBack: number }> {
  const now = jobClock(name, 'now', data.now);
  const notified = await notifyGiftAlerts(now);
  return { notified, ...(await settleAllowances(now)) };
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async (job) => {
    await handler(job.attrs.data ?? {});
  });
}

/** Every five minutes: what a request left undone is done within minutes. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('5 minutes', name);
}

import type { Agenda } from 'agenda';
import { FORGET_AFTER_MS, LoginThrottleModel } from '../models/login-throttle.ts';
import { RateCounterModel } from '../models/rate-limit.ts';
import { jobClock } from './clock.ts';

export const name = 'counters.sweep';

export type Data = { now?: string };

/** Removes the request counters of windows past and the sign-in failure counts nobody added to for a day. */
export async function handler(data: Data = {}): Promise<{ counters: number; throttles: number }> {
  const now = jobClock(name, 'now', data.now);
  const counters = (await RateCounterModel.deleteMany({ expiresAt: { $lt: now } })).deletedCount;
  const throttles = (await LoginThrottleModel.deleteMany({ updatedAt: { $lt: new Date(now.getTime() - FORGET_AFTER_MS) } })).deletedCount;
  return { counters, throttles };
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async (job) => {
    await handler(job.attrs.data ?? {});
  });
}

export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('5 minutes', name);
}

import type { Agenda } from 'agenda';
import { watchCaseTargets } from '../models/case-alerts.ts';
import type { Config } from '../server/config.ts';
import { autoCloseResolved } from '../usecases/case-auto-close.ts';
import { finishCaseEffects } from '../usecases/case-effects.ts';
import { jobClock } from './clock.ts';

export const name = 'cases.escalate';

export type Data = { asOf?: string };

// A step's effects are run by the request that wrote it; only those still marked after this long were left by a crash.
const EFFECTS_GRACE_MS = 60_000;

/**
 * The service cases' clock: warns owners before a target is missed, escalates a missed one (each once per case and
 * target), closes resolved cases the customer left unanswered for the policy's autoCloseDays, and finishes the effects
 * of steps a crash left undone. Every part is idempotent, so a re-run, a restart or a second worker does nothing twice.
 */
export async function handler(config: Config, data: Data = {}) {
  const now = jobClock(name, 'asOf', data.asOf);
  const effects = await finishCaseEffects(new Date(now.getTime() - EFFECTS_GRACE_MS), now);
  const targets = await watchCaseTargets({ now, timezone: config.timezone });
  const autoClosed = await autoCloseResolved({ now, timezone: config.timezone });
  return { ...targets, autoClosed, effects };
}

export function define(agenda: Agenda, config: Config): void {
  agenda.define<Data>(name, async (job) => {
    await handler(config, job.attrs.data ?? {});
  });
}

/** Every 5 minutes: the shortest target is an hour, whose warning (20 % left by default) comes 12 minutes before. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('*/5 * * * *', name, {}, { timezone: 'UTC' });
}

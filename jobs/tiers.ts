import type { Agenda } from 'agenda';
import { refreshAllRevenue12m } from '../models/project.ts';
import { applyLeftoverApprovals } from '../models/tier-decisions.ts';
import { reclassify, catchUpTiers, type ReclassifyResult } from '../models/tiering.ts';
import type { Config } from '../server/config.ts';
import { jobClock } from './clock.ts';

export const name = 'tiers.reclassify-all';

/** `asOf` (ISO date-time) fixes "now" (revenue window, loyalty, override expiry); `reason` goes into the change records. */
export type Data = { asOf?: string; reason?: string };

export type Result = ReclassifyResult & { revenueUpdated: number; approvalsFinished: number; tiersCaughtUp: number };

/**
 * Rescores every customer under the current policy. Revenue first, so wins that aged out count no more; then changes
 * recorded but not yet on their customer, and approvals decided but not yet applied; then the scores. Idempotent: a second run writes nothing and records nothing new.
 */
export async function handler(data: Data = {}): Promise<Result> {
  const asOf = jobClock(name, 'asOf', data.asOf);
  const revenueUpdated = await refreshAllRevenue12m(asOf);
  const tiersCaughtUp = await catchUpTiers(asOf);
  const approvalsFinished = await applyLeftoverApprovals(asOf);
  const result = await reclassify({ now: asOf, trigger: data.reason ?? 'reclassification' });
  return { ...result, revenueUpdated, approvalsFinished, tiersCaughtUp };
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async (job) => {
    await handler(job.attrs.data ?? {});
  });
}

/** On TIER_CRON (default 02:00) in the organisation's time zone. */
export async function schedule(agenda: Agenda, config: Config): Promise<void> {
  await agenda.every(config.tierCron, name, { reason: 'nightly reclassification' }, { timezone: config.timezone });
}

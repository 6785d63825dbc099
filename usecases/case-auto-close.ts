import { CaseModel, type CaseRecord } from '../models/case.ts';
import { currentServicePolicy } from '../models/service-policy.ts';
import { afterOnClock } from '../models/time-zone.ts';
import { applyCaseEffects } from './case-effects.ts';
import { autoCloseCase } from './case-transition.ts';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Closes every case resolved `autoCloseDays` (the service policy) calendar days ago on the organisation's clock that
 * the customer never answered: recorded as automatic, without a CSAT. Each close is the conditional write of
 * usecases/case-transition.ts, so a second worker (or the owner closing it at that moment) closes it at most once;
 * the loser leaves it alone. Answers how many this run closed.
 */
export async function autoCloseResolved(opts: { now: Date; timezone: string }): Promise<number> {
  const { autoCloseDays } = await currentServicePolicy();
  // a day's slack on the query: the exact moment is on the local clock, checked below
  const candidates = await CaseModel.find({ status: 'resolved', resolvedAt: { $lte: new Date(opts.now.getTime() - (autoCloseDays - 1) * DAY) } })
    .lean<CaseRecord[]>();
  let closed = 0;
  for (const kase of candidates) {
    if (!kase.resolvedAt || afterOnClock(opts.timezone, kase.resolvedAt, autoCloseDays * 1440).getTime() > opts.now.getTime()) continue;
    const outcome = await autoCloseCase(kase, autoCloseDays, opts.now);
    if (outcome && 'kase' in outcome) {
      closed++;
      await applyCaseEffects(outcome.kase);
    }
  }
  return closed;
}

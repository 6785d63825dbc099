import type { Agenda } from 'agenda';
import type { Config } from '../server/config.ts';
import { finishFollowUps } from '../usecases/visit-follow-up.ts';

export const name = 'visits.follow-up';

export type Data = Record<string, never>;

/**
 * Finishes what completing a visit sets off (actions, satisfaction summary, next visit, alert) for every visit whose
 * completion was stamped more than VISIT_FOLLOW_UP_AFTER_SECONDS ago and never cleared: the process that completed it
 * died in between. The wait leaves a request still working on its visit alone; were both to run, each step still
 * happens once (usecases/visit-follow-up.ts).
 */
export function handler(config: Config, now = new Date()): Promise<number> {
  return finishFollowUps(new Date(now.getTime() - config.visits.followUpAfterMs));
}

export function define(agenda: Agenda, config: Config): void {
  agenda.define<Data>(name, async () => {
    await handler(config);
  });
}

/** Every minute: a read of an index that is empty unless something crashed. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('* * * * *', name, {}, { timezone: 'UTC' });
}

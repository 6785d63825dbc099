import type { Agenda } from 'agenda';
import { keepCadenceVisits, type CadenceResult } from '../models/visit.ts';

export const name = 'visits.plan';

export type Data = Record<string, never>;

/**
 * Gives every non-archived customer its one open cadence visit (creating missing ones, moving one earlier when its
 * tier's cadence got shorter) and cancels those of archived customers. Idempotent: the unique cadenceKey makes a
 * second run, or two at once, create nothing more; a run with nothing to do only reads.
 */
export async function handler(_data: Data = {}): Promise<CadenceResult> {
  return keepCadenceVisits();
}

export function define(agenda: Agenda): void {
  agenda.define<Data>(name, async () => {
    await handler();
  });
}

/** Hourly: tier changes and archives call keepCadenceVisits themselves, so this only catches what they missed. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('17 * * * *', name, {}, { timezone: 'UTC' });
}

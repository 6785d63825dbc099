import type { Response } from 'supertest';

// Races over real HTTP: two requests started in the same tick, so both read the record before either writes, and many
// trials of each, because one trial that happens to serialize proves nothing. A failing run lists every trial that lost.

export const TRIALS = Number(process.env.RACE_TRIALS ?? 20);

/** Runs `trial` TRIALS times, one after another, and fails with each trial that went wrong (how many of how many). */
export async function trials(trial: (i: number) => Promise<void>, count = TRIALS): Promise<void> {
  const failed: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      await trial(i);
    } catch (err) {
      failed.push(`trial ${i + 1}: ${(err as Error).message}`);
    }
  }
  if (failed.length) throw new Error(`${failed.length} of ${count} trials failed:\n  ${failed.join('\n  ')}`);
}

/**
 * The answers of racing requests as [winner, loser], or an error when it is not exactly one `won` status and one `lost`.
 * The loser must be a problem document; `index` tells which of the two requests won.
 */
export function oneWinner(answers: Response[], won: number, lost: number) {
  const statuses = answers.map((r) => r.status);
  const index = statuses.indexOf(won);
  if (answers.length !== 2 || index < 0 || statuses[1 - index] !== lost) {
    throw new Error(`expected one ${won} and one ${lost}, got ${statuses.join(' and ')}: ${answers.map((r) => r.text.slice(0, 120)).join(' | ')}`);
  }
  const loser = answers[1 - index]!;
  const problem = JSON.parse(loser.text) as { status?: number; title?: string; detail?: string };
  if (!String(loser.headers['content-type']).startsWith('application/problem+json') || problem.status !== lost || !problem.title || !problem.detail) {
    throw new Error(`the loser's ${lost} is not a problem document with a detail: ${loser.text}`);
  }
  return { winner: answers[index]!, loser, problem, index };
}

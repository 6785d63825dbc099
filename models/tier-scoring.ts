import type { Tier } from './customer.ts';
import type { Criterion, PolicyRules, Scale } from './tier-policy.ts';
import { criterionKeys, type CriterionKey } from './tier-policy.ts';

// Scoring is a pure function of a policy and a customer's inputs, so it is the same in a request, the nightly job,
// a simulation and a test.

/** A criterion's input; null when the customer lacks the data (it then scores 0 and the breakdown says why). */
export type TierInputs = Record<CriterionKey, number | null>;

export type BreakdownLine = {
  criterion: CriterionKey;
  input: number | null;
  points: number;
  weight: number;
  contribution: number;
  missing?: string;
};

export type TierScore = { score: number; tier: Tier; breakdown: BreakdownLine[] };

const missingReasons: Readonly<Record<CriterionKey, string>> = {
  revenue12m: 'no revenue figure',
  potential: 'tierInputs.potential is not set',
  strategicValue: 'tierInputs.strategicValue is not set',
  relationship: 'no decision maker or influencer with an assessed attitude and influence',
  loyalty: 'no won project yet',
};

const round1 = (n: number) => Math.round(n * 10) / 10;

export function pointsFor(scale: Scale, input: number): number {
  if (scale.kind === 'linear') {
    const share = (input - scale.min) / (scale.max - scale.min);
    return round1(Math.min(1, Math.max(0, share)) * 100);
  }
  const band = [...scale.bands].sort((a, b) => b.min - a.min).find((b) => input >= b.min);
  return band?.points ?? 0;
}

export function tierOf(thresholds: PolicyRules['thresholds'], score: number): Tier {
  if (score >= thresholds.S) return 'S';
  if (score >= thresholds.A) return 'A';
  if (score >= thresholds.B) return 'B';
  return 'C';
}

function line(criterion: Criterion, input: number | null): BreakdownLine {
  const points = input === null ? 0 : pointsFor(criterion.scale, input);
  return {
    criterion: criterion.key, input, points, weight: criterion.weight, contribution: round1((points * criterion.weight) / 100),
    ...(input === null ? { missing: missingReasons[criterion.key] } : {}),
  };
}

/** The score (0-100, one decimal), its tier and one breakdown line per criterion of the policy, in the policy's order. */
export function scoreTier(policy: PolicyRules, inputs: TierInputs): TierScore {
  const breakdown = policy.criteria.map((c) => line(c, inputs[c.key] ?? null));
  const exact = policy.criteria.reduce((sum, c, i) => sum + (breakdown[i]!.points * c.weight) / 100, 0);
  const score = round1(exact);
  return { score, tier: tierOf(policy.thresholds, score), breakdown };
}

export const keyTiers: readonly Tier[] = ['S', 'A'];
export const isKeyTier = (tier: Tier | null | undefined) => tier === 'S' || tier === 'A';

/** Moving into or out of S or A needs an executive's approval; B <-> C moves apply at once. */
export const needsApproval = (from: Tier | null, to: Tier) => from !== to && (isKeyTier(from) || isKeyTier(to));

export const emptyInputs = (): TierInputs => Object.fromEntries(criterionKeys.map((k) => [k, null])) as TierInputs;

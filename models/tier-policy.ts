import { Schema, model, type InferSchemaType } from 'mongoose';
import { toPublicJson } from './json.ts';
import { policyVersions } from './policy-versions.ts';
import type { Tier } from './customer.ts';

export const criterionKeys = ['revenue12m', 'potential', 'strategicValue', 'relationship', 'loyalty'] as const;
export type CriterionKey = (typeof criterionKeys)[number];

/** What each criterion reads, for the breakdown and the README. */
export const criterionInputs: Readonly<Record<CriterionKey, string>> = {
  revenue12m: "won revenue of the last 365 days, minor units of the customer's currency",
  potential: 'estimated yearly wallet (tierInputs.potential), minor units',
  strategicValue: 'industry influence and reference value, 1-5 (tierInputs.strategicValue)',
  relationship: 'net support of decision makers (x2) and influencers (x1), each weighted by influence 1-5: supporters add, opponents subtract',
  loyalty: 'years since the first won project',
};

/** Bands: the points of the highest band whose `min` the input reaches (0 below all). Linear: 0 at `min` to 100 at `max`. */
export type Scale = { kind: 'bands'; bands: Array<{ min: number; points: number }> } | { kind: 'linear'; min: number; max: number };
export type Criterion = { key: CriterionKey; weight: number; scale: Scale };
export type Thresholds = { S: number; A: number; B: number };
export type Cadence = Record<Tier, number>;
export type PolicyRules = { criteria: Criterion[]; thresholds: Thresholds; cadenceDays: Cadence };
export type Policy = PolicyRules & { version: number; note: string; createdAt: Date; createdById: string | null; createdByName: string };

export const defaultPolicyRules: PolicyRules = {
  criteria: [
    // 5M, 1M, 200k in major units of the currency.
    { key: 'revenue12m', weight: 30, scale: { kind: 'bands', bands: [{ min: 500_000_000, points: 100 }, { min: 100_000_000, points: 75 }, { min: 20_000_000, points: 50 }, { min: 1, points: 25 }] } },
    { key: 'potential', weight: 25, scale: { kind: 'linear', min: 0, max: 1_000_000_000 } },
    { key: 'strategicValue', weight: 20, scale: { kind: 'linear', min: 1, max: 5 } },
    { key: 'relationship', weight: 15, scale: { kind: 'linear', min: 0, max: 10 } },
    { key: 'loyalty', weight: 10, scale: { kind: 'bands', bands: [{ min: 5, points: 100 }, { min: 3, points: 75 }, { min: 1, points: 50 }, { min: 0, points: 25 }] } },
  ],
  thresholds: { S: 80, A: 60, B: 40 },
  cadenceDays: { S: 30, A: 60, B: 90, C: 180 },
};

// One document per version; versions are never changed, and the newest applies.
const tierPolicySchema = new Schema(
  {
    version: { type: Number, required: true, min: 1 },
    criteria: { type: [Schema.Types.Mixed], required: true },
    thresholds: { S: Number, A: Number, B: Number },
    cadenceDays: { S: Number, A: Number, B: Number, C: Number },
    note: { type: String, default: '' },
    createdById: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    createdByName: { type: String, default: 'system' },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

// The current policy is the highest version; the unique index makes two admins saving at once get distinct versions.
tierPolicySchema.index({ version: -1 }, { unique: true });

export type TierPolicyRow = InferSchemaType<typeof tierPolicySchema>;
export const TierPolicyModel = model('TierPolicy', tierPolicySchema, 'tier_policies');

export function policyJson(row: Record<string, unknown>): Policy & { id: string } {
  const json = toPublicJson(row) as Record<string, unknown>;
  return { ...json, createdById: json.createdById ? String(json.createdById) : null } as Policy & { id: string };
}

const versions = policyVersions(TierPolicyModel as never, 'tier policy', defaultPolicyRules, policyJson);

/** The policy in force; on a database without one, the defaults are stored as version 1. */
export const currentPolicy = versions.current;

/**
 * Stores the rules as the next version. With `expectedVersion` (the If-Match of a PUT) it is exactly that version plus
 * one, or nothing (null) when another version took its place. Without it, it retries on the next free version.
 */
export async function savePolicy(rules: PolicyRules, note: string, by: { id: string; name: string }): Promise<Policy & { id: string }>;
export async function savePolicy(rules: PolicyRules, note: string, by: { id: string; name: string }, expectedVersion: number | undefined): Promise<(Policy & { id: string }) | null>;
export async function savePolicy(rules: PolicyRules, note: string, by: { id: string; name: string }, expectedVersion?: number): Promise<(Policy & { id: string }) | null> {
  return versions.save(rules, note, by, expectedVersion);
}

/**
 * What is wrong with a policy beyond its shape (which the route's schema checks): weights summing to 100, each
 * criterion once, bands without duplicate minimums, linear scales rising, thresholds descending. Empty when valid.
 */
export function policyProblems(rules: PolicyRules): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const total = rules.criteria.reduce((sum, c) => sum + c.weight, 0);
  if (Math.abs(total - 100) > 1e-9) problems.push({ field: 'criteria', message: `the weights must sum to 100, not ${total}` });
  rules.criteria.forEach((c, i) => {
    if (rules.criteria.findIndex((other) => other.key === c.key) !== i) {
      problems.push({ field: `criteria.${i}.key`, message: `criterion ${c.key} appears more than once` });
    }
    if (c.scale.kind === 'linear' && c.scale.max <= c.scale.min) {
      problems.push({ field: `criteria.${i}.scale.max`, message: 'a linear scale needs max above min' });
    }
    if (c.scale.kind === 'bands') {
      const mins = c.scale.bands.map((b) => b.min);
      if (new Set(mins).size !== mins.length) problems.push({ field: `criteria.${i}.scale.bands`, message: 'two bands have the same min' });
    }
  });
  const { S, A, B } = rules.thresholds;
  if (!(S > A && A > B)) problems.push({ field: 'thresholds', message: `thresholds must descend: S > A > B (got S ${S}, A ${A}, B ${B})` });
  return problems;
}

import { Schema, model, type InferSchemaType } from 'mongoose';
import { caseSeverities, type CaseSeverity } from './case.ts';
import { tiers } from './customer.ts';
import { toPublicJson } from './json.ts';
import { policyVersions } from './policy-versions.ts';

// The service policy (admin-edited, versioned like the tier policy): how soon a case must be answered and solved, by
// the customer's tier and the case's severity, when its owner is warned, and after how many days a resolved case the
// customer never answered closes by itself.

/** The tiers a target is set for: `none` is a customer not classified yet. */
export const serviceTiers = [...tiers, 'none'] as const;
export type ServiceTier = (typeof serviceTiers)[number];

export type Target = { respondMinutes: number; resolveMinutes: number };
export type Targets = Record<ServiceTier, Record<CaseSeverity, Target>>;
export type ServiceRules = {
  targets: Targets;
  /** Warn the owner when this share (percent) of a target's window is left. */
  warnPercent: number;
  /** A resolved case the customer never answered closes by itself this many days after resolution. */
  autoCloseDays: number;
};
export type ServicePolicy = ServiceRules & { id: string; version: number; note: string; createdAt: Date; createdById: string | null; createdByName: string };

const H = 60;
const D = 24 * H;
const t = (respondMinutes: number, resolveMinutes: number): Target => ({ respondMinutes, resolveMinutes });

// S/critical: 1 h to respond, 8 h to resolve; C/low: 2 days and 10 days; the others step between.
export const defaultServiceRules: ServiceRules = {
  targets: {
    S: { critical: t(1 * H, 8 * H), high: t(2 * H, 1 * D), normal: t(4 * H, 2 * D), low: t(8 * H, 3 * D) },
    A: { critical: t(2 * H, 12 * H), high: t(4 * H, 2 * D), normal: t(8 * H, 3 * D), low: t(1 * D, 5 * D) },
    B: { critical: t(4 * H, 1 * D), high: t(8 * H, 3 * D), normal: t(1 * D, 5 * D), low: t(1 * D, 7 * D) },
    C: { critical: t(8 * H, 2 * D), high: t(1 * D, 5 * D), normal: t(1 * D, 7 * D), low: t(2 * D, 10 * D) },
    none: { critical: t(8 * H, 2 * D), high: t(1 * D, 5 * D), normal: t(1 * D, 7 * D), low: t(2 * D, 10 * D) },
  },
  warnPercent: 20,
  autoCloseDays: 7,
};

// One document per version; versions are never changed, and the newest applies.
const servicePolicySchema = new Schema(
  {
    version: { type: Number, required: true, min: 1 },
    targets: { type: Schema.Types.Mixed, required: true },
    warnPercent: { type: Number, required: true },
    autoCloseDays: { type: Number, required: true },
    note: { type: String, default: '' },
    createdById: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    createdByName: { type: String, default: 'system' },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

// The current policy is the highest version; the unique index makes two admins saving at once get distinct versions.
servicePolicySchema.index({ version: -1 }, { unique: true });

export type ServicePolicyRow = InferSchemaType<typeof servicePolicySchema>;
export const ServicePolicyModel = model('ServicePolicy', servicePolicySchema, 'service_policies');

function policyJson(row: Record<string, unknown>): ServicePolicy {
  const json = toPublicJson(row) as Record<string, unknown>;
  return { ...json, createdById: json.createdById ? String(json.createdById) : null } as ServicePolicy;
}

const versions = policyVersions(ServicePolicyModel as never, 'service policy', defaultServiceRules, policyJson);

/** The policy in force; on a database without one, the defaults are stored as version 1. */
export const currentServicePolicy = versions.current;

/**
 * Stores the rules as exactly `expectedVersion` + 1 (the If-Match of a PUT), or nothing (null) when another version
 * took its place.
 */
export const saveServicePolicy = (rules: ServiceRules, note: string, by: { id: string; name: string }, expectedVersion: number) =>
  versions.save(rules, note, by, expectedVersion);

/** What is wrong with rules of the right shape: a resolve target shorter than its respond target. Empty when valid. */
export function serviceRulesProblems(rules: ServiceRules): Array<{ field: string; message: string }> {
  return serviceTiers.flatMap((tier) => caseSeverities.flatMap((severity) => {
    const { respondMinutes, resolveMinutes } = rules.targets[tier][severity];
    return resolveMinutes < respondMinutes
      ? [{ field: `targets.${tier}.${severity}.resolveMinutes`, message: `resolveMinutes (${resolveMinutes}) must not be shorter than respondMinutes (${respondMinutes})` }]
      : [];
  }));
}

/** The targets of a case for a customer of this tier (null: not classified) and this severity. */
export function targetFor(policy: ServiceRules, tier: string | null | undefined, severity: CaseSeverity): Target {
  const key = (serviceTiers as readonly string[]).includes(tier ?? '') ? (tier as ServiceTier) : 'none';
  return policy.targets[key][severity];
}

/** When the owner is warned of a target: once `warnPercent` of the window from `from` to `due` is left. */
export function warnAt(from: Date, due: Date, warnPercent: number): Date {
  return new Date(due.getTime() - ((due.getTime() - from.getTime()) * warnPercent) / 100);
}

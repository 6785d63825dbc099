import { Schema, Types, model } from 'mongoose';
import { policyVersions } from './policy-versions.ts';
import { isCurrency } from './money.ts';
import { roles, type Role } from './user.ts';

// The gift policy: how much each person may give per month without asking anyone, per role and per currency, and
// exceptions for named people. Versioned like the tier policy: one document per version, never changed, the newest
// applies. Amounts are integer minor units of their currency, never added across currencies.

/** A monthly allowance per ISO 4217 currency, in minor units; a currency left out allows nothing (every gift waits). */
export type Allowances = Record<string, number>;
export type UserException = { userId: string; allowances: Allowances; note: string };
export type GiftPolicyRules = { roles: Record<Role, Allowances>; users: UserException[] };
export type GiftPolicy = GiftPolicyRules & {
  id: string; version: number; note: string; createdAt: Date; createdById: string | null; createdByName: string;
};

export const defaultGiftPolicyRules: GiftPolicyRules = {
  roles: {
    manager: { CNY: 50_000, USD: 8_000, EUR: 7_000 },
    executive: { CNY: 200_000, USD: 30_000, EUR: 25_000 },
    admin: { CNY: 50_000, USD: 8_000, EUR: 7_000 },
  },
  users: [],
};

const giftPolicySchema = new Schema(
  {
    version: { type: Number, required: true, min: 1 },
    // { manager: { CNY: 50000, ... }, ... }: currency codes as keys.
    roles: { type: Schema.Types.Mixed, required: true },
    users: {
      type: [{ _id: false, userId: { type: Schema.Types.ObjectId, ref: 'User', required: true }, allowances: Schema.Types.Mixed, note: { type: String, default: '' } }],
      default: [],
    },
    note: { type: String, default: '' },
    createdById: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    createdByName: { type: String, default: 'system' },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

// The current policy is the highest version; the unique index makes two admins saving at once get distinct versions.
giftPolicySchema.index({ version: -1 }, { unique: true });

export const GiftPolicyModel = model('GiftPolicy', giftPolicySchema, 'gift_policies');

type Row = {
  _id: Types.ObjectId; version: number; roles: unknown; users?: Array<{ userId: Types.ObjectId; allowances?: unknown; note?: string | null }> | null;
  note?: string | null; createdAt: Date; createdById?: Types.ObjectId | null; createdByName?: string | null;
};

const amounts = (value: unknown): Allowances => ({ ...(value && typeof value === 'object' ? value as Allowances : {}) });

function policyOf(row: Row): GiftPolicy {
  const stored = amounts(row.roles) as unknown as Record<string, unknown>;
  return {
    id: String(row._id), version: row.version,
    roles: Object.fromEntries(roles.map((role) => [role, amounts(stored[role])])) as Record<Role, Allowances>,
    users: (row.users ?? []).map((u) => ({ userId: String(u.userId), allowances: amounts(u.allowances), note: u.note ?? '' })),
    note: row.note ?? '', createdAt: row.createdAt, createdById: row.createdById ? String(row.createdById) : null, createdByName: row.createdByName ?? 'system',
  };
}

const versions = policyVersions(GiftPolicyModel as never, 'gift policy', defaultGiftPolicyRules, (row) => policyOf(row as unknown as Row));

/** The policy in force; on a database without one, the defaults are stored as version 1. */
export const currentGiftPolicy = versions.current;

/**
 * Stores the rules as the next version. With `expectedVersion` (the If-Match of a PUT) it is exactly that version plus
 * one, or nothing (null) when another version took its place; without, it retries on the next free version.
 */
export const saveGiftPolicy = versions.save;

/** A person's monthly allowances: their role's, with the currencies their exception names replaced by its amounts. */
export function allowancesOf(policy: GiftPolicyRules, user: { id: string; role: Role }): Allowances {
  const exception = policy.users.find((u) => u.userId === user.id);
  return { ...policy.roles[user.role], ...exception?.allowances };
}

/** What is wrong with rules whose shape passed (the route's schema): a currency not in use, a person twice. Empty when valid. */
export function giftPolicyProblems(rules: GiftPolicyRules): Array<{ field: string; message: string }> {
  const unknown = (path: string, a: Allowances) => Object.keys(a).filter((c) => !isCurrency(c))
    .map((c) => ({ field: `${path}.${c}`, message: `${c} is not an ISO 4217 currency code in use` }));
  return [
    ...roles.flatMap((role) => unknown(`roles.${role}`, rules.roles[role])),
    ...rules.users.flatMap((u, i) => [
      ...unknown(`users.${i}.allowances`, u.allowances),
      ...(rules.users.findIndex((other) => other.userId === u.userId) !== i ? [{ field: `users.${i}.userId`, message: `user ${u.userId} has more than one exception` }] : []),
    ]),
  ];
}

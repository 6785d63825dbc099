import { Schema, Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';
import type { AuthUser } from './user.ts';
import { jsonOptions } from './json.ts';
import { companyCopyHooks } from './customer-copies.ts';
import { reportRowHooks } from './report-rows.ts';

export const customerStatuses = ['prospect', 'active', 'dormant', 'lost'] as const;
export const tiers = ['S', 'A', 'B', 'C'] as const;
export type Tier = (typeof tiers)[number];
export const tierSources = ['computed', 'override'] as const;
export type TierSource = (typeof tierSources)[number];

export const ownerships = ['public', 'private', 'state_owned', 'government', 'cooperative', 'other'] as const;

const text = (max: number) => ({ type: String, trim: true, maxlength: max });

/** Bookkeeping left out of the customer's JSON (the breakdown is served by GET /customers/:id/tier). */
export const customerInternalPaths = ['nameKey', 'tierBreakdown', 'tierRevision', 'tierLastChange', 'reportRev', 'reportPending', 'companyIndustry', 'companyRegion'] as const;

const customerSchema = new Schema(
  {
    code: { type: String, required: true, trim: true, uppercase: true, maxlength: 40 },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    // The name reduced to letters and digits without legal-form words, to spot the same company entered twice.
    nameKey: { type: String, required: true },
    status: { type: String, required: true, enum: customerStatuses, default: 'prospect' },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    accountTeam: { type: [{ type: Schema.Types.ObjectId, ref: 'User' }], default: [] },
    parentId: { type: Schema.Types.ObjectId, ref: 'Customer', default: null },
    tags: { type: [String], default: [] },
    currency: { type: String, required: true, uppercase: true, match: /^[A-Z]{3}$/, default: 'USD' },
    company: {
      legalName: text(300),
      industry: text(100),
      region: text(100),
      country: { type: String, uppercase: true, match: /^[A-Z]{2}$/ },
      employees: { type: Number, min: 0 },
      // Minor units of `currency`.
      annualRevenue: { type: Number, min: 0 },
      ownership: { type: String, enum: ownerships },
      website: text(300),
      address: text(500),
      goals: text(4000),
      painPoints: text(4000),
      competitors: { type: [String], default: undefined },
      decisionProcess: text(4000),
      purchasingPreferences: text(4000),
      paymentNotes: text(4000),
    },
    // Copies of company.industry and company.region for the list's filters (models/customer-copies.ts keeps them).
    companyIndustry: { type: String, default: null },
    companyRegion: { type: String, default: null },
    tierInputs: {
      // Estimated yearly wallet, minor units of `currency`.
      potential: { type: Number, min: 0 },
      strategicValue: { type: Number, min: 1, max: 5 },
    },
    // Sum of the values of this customer's projects won in the last 365 days (models/project.ts keeps it current).
    revenue12m: { type: Number, required: true, default: 0 },
    // The tier fields are derived and kept by models/tiering.ts only; a PATCH never writes them, and changing them
    // neither bumps the version (a client's If-Match stays valid) nor updatedAt.
    tier: { type: String, enum: tiers, default: null },
    // The latest score under tierPolicyVersion, the tier it gives, and how it came about (GET /customers/:id/tier).
    tierScore: { type: Number, default: null },
    tierComputed: { type: String, enum: tiers, default: null },
    tierBreakdown: { type: [Schema.Types.Mixed], default: undefined },
    tierPolicyVersion: { type: Number, default: null },
    tierScoredAt: { type: Date, default: null },
    tierSource: { type: String, enum: tierSources, default: null },
    // When `tier` last changed.
    tierUpdatedAt: { type: Date, default: null },
    tierOverride: {
      type: new Schema({
        tier: { type: String, enum: tiers, required: true },
        reason: { type: String, required: true },
        byId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
        byName: { type: String, required: true },
        at: { type: Date, required: true },
        expiresAt: { type: Date, default: null },
      }, { _id: false }),
      default: null,
    },
    // Counts applied tier changes; each change is written with the next revision as its natural key, and the last one
    // is kept here too, in the same single-document write, so a change record lost to a crash is re-created.
    tierRevision: { type: Number, required: true, default: 0 },
    tierLastChange: { type: Schema.Types.Mixed, default: null },
    archived: { type: Boolean, required: true, default: false },
    archivedAt: { type: Date, default: null },
    // Derived from the completed visits by models/satisfaction.ts only (no __v bump, no updatedAt); see that file.
    satisfaction: {
      lastScore: { type: Number, default: null },
      average: { type: Number, default: null },
      lastRecommend: { type: Number, default: null },
      npsCategory: { type: String, enum: ['promoter', 'passive', 'detractor', null], default: null },
      trend: { type: String, enum: ['up', 'flat', 'down', null], default: null },
      lastVisitAt: { type: Date, default: null },
      nextVisitDue: { type: Date, default: null },
    },
    // Bookkeeping of the customer's report row (models/report-rows.ts): every write of a field the row holds counts up
    // the revision and marks the customer until its row is rewritten.
    reportRev: { type: Number, default: 1 },
    reportPending: { type: Boolean, default: false },
  },
  { timestamps: true, toJSON: jsonOptions(customerInternalPaths) },
);

// Create and CSV import find customers by code; codes are unique.
customerSchema.index({ code: 1 }, { unique: true });
// A manager's list in name order: the customers they own or are on the team of (equality first, then the sort key);
// the ownerId prefix also serves the reports' team filter. accountTeam is an array: the embedded engine serves the
// membership through its multikey side table, MongoDB through a multikey index.
customerSchema.index({ ownerId: 1, name: 1, _id: 1 });
customerSchema.index({ accountTeam: 1, name: 1, _id: 1 });
// List sorts (keyset pagination on each sort key with _id as tie-breaker). The name order also carries code and
// archived, the other fields the search (?q= on name or code, not archived) reads: a search for a rare substring then
// tests the index entries in order and reads only the documents that match (the embedded engine: 438 -> 15 ms at
// 10,000 customers, where it used to read every document; MongoDB: a covered key scan), instead of every customer.
customerSchema.index({ name: 1, _id: 1, code: 1, archived: 1 });
customerSchema.index({ updatedAt: -1, _id: -1 });
customerSchema.index({ revenue12m: -1, _id: -1 });
// ?status= and ?tier= on the list in name order (equality first, then the sort key); tier also serves the reports' match.
customerSchema.index({ status: 1, name: 1, _id: 1 });
customerSchema.index({ tier: 1, name: 1, _id: 1 });
customerSchema.index({ companyIndustry: 1, name: 1, _id: 1 });
customerSchema.index({ companyRegion: 1, name: 1, _id: 1 });
customerSchema.index({ tags: 1 });
// Group hierarchy: children of a parent, and the cycle check walking up.
customerSchema.index({ parentId: 1 });
// Possible-duplicate warning on create.
customerSchema.index({ nameKey: 1 });
// The customers whose report row is behind (models/report-rows.ts): a handful at most, read after every write.
customerSchema.index({ reportPending: 1 });

// Every write of a customer through mongoose keeps its report row current (see models/report-rows.ts).
customerSchema.plugin(reportRowHooks);
// ... and the top-level copies of its industry and region (see models/customer-copies.ts).
customerSchema.plugin(companyCopyHooks);

export type Customer = InferSchemaType<typeof customerSchema>;
export type CustomerDocument = HydratedDocument<Customer>;
export const CustomerModel = model('Customer', customerSchema, 'customers');

// Legal-form words that do not tell two companies apart ("Acme Ltd" and "ACME Limited" are one company).
const legalForms = /\b(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|plc|gmbh|ag|sa|srl|bv|nv|oy|ab|as|kk|pte|pty|group)\b/gu;
const chineseLegalForms = /(股份有限公司|有限责任公司|有限公司|集团|公司)$/u;

export function nameKeyOf(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(chineseLegalForms, '')
    .replace(legalForms, ' ')
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

// --- access -------------------------------------------------------------------------------------------------------

/** Managers see the customers they own or are on the account team of; executives and admins see all. */
export function visibleTo(user: AuthUser): Record<string, unknown> {
  if (user.role !== 'manager') return {};
  const me = new Types.ObjectId(user.id);
  return { $or: [{ ownerId: me }, { accountTeam: me }] };
}

type Access = { ownerId: Types.ObjectId | string; accountTeam?: Array<Types.ObjectId | string> | null };

export function canRead(user: AuthUser, customer: Access): boolean {
  return user.role !== 'manager' || isOwnerOrTeam(user, customer);
}

/** Admins change everything; a manager changes the customers they own or are on the team of; executives read only. */
export function canChange(user: AuthUser, customer: Access): boolean {
  return user.role === 'admin' || (user.role === 'manager' && isOwnerOrTeam(user, customer));
}

/** Only admins create a customer for another owner (through the API or an import). */
export function canCreateFor(user: AuthUser, ownerId: string | undefined): boolean {
  return !ownerId || ownerId === user.id || user.role === 'admin';
}

/** Only admins and the owner may hand the customer to someone else or change its team. */
export function canAssign(user: AuthUser, customer: Access): boolean {
  return user.role === 'admin' || String(customer.ownerId) === user.id;
}

/** Contacts' personal fields (email, phone, birthday, notes): the owner and team, executives and admins. */
export function canSeePersonal(user: AuthUser, customer: Access): boolean {
  return user.role !== 'manager' || isOwnerOrTeam(user, customer);
}

function isOwnerOrTeam(user: AuthUser, customer: Access): boolean {
  return String(customer.ownerId) === user.id || (customer.accountTeam ?? []).some((id) => String(id) === user.id);
}

// --- writes -------------------------------------------------------------------------------------------------------

/**
 * `{company: {industry: 'x'}}` to `{'company.industry': 'x'}`: the `$set` of a change that names some fields of the
 * company profile or the tier inputs leaves the others as they are (a PATCH, an import).
 */
export function dotted(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).flatMap(([key, value]) => (value && typeof value === 'object' && !Array.isArray(value)
    ? Object.entries(value).map(([inner, v]) => [`${key}.${inner}`, v])
    : [[key, value]])));
}

// --- hierarchy ----------------------------------------------------------------------------------------------------

const MAX_DEPTH = 50;

/** True when making `parentId` the parent of `customerId` would close a loop (the parent is the customer or below it). */
export async function wouldCycle(customerId: string, parentId: string): Promise<boolean> {
  let current: string | null = parentId;
  for (let depth = 0; current && depth < MAX_DEPTH; depth++) {
    if (current === customerId) return true;
    const next: { parentId?: Types.ObjectId | null } | null = await CustomerModel.findById(current, { parentId: 1 }).lean();
    current = next?.parentId ? String(next.parentId) : null;
  }
  return current !== null; // deeper than any real group: refuse rather than loop
}

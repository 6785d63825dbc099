import { createHash } from 'node:crypto';
import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { isDuplicateKeyError } from './db-compat.ts';

export const changeEntities = ['customer', 'contact', 'project', 'case'] as const;
export const changeActions = [
  'created', 'updated', 'archived', 'restored', 'deleted', 'imported',
  // a service case's steps that matter to the customer's history (a case is `created` when it is opened)
  'handed_over', 'resolved', 'reopened', 'closed',
] as const;

// One entry of a customer's timeline: who changed which fields of the customer, a contact or a project, and what
// became of its service cases.
const changeSchema = new Schema(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    entity: { type: String, required: true, enum: changeEntities },
    entityId: { type: Schema.Types.ObjectId, required: true },
    entityName: { type: String, default: '' },
    action: { type: String, required: true, enum: changeActions },
    // null for the system (a case closed by itself)
    actorId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    actorName: { type: String, required: true },
    at: { type: Date, required: true },
    fields: {
      type: [{ _id: false, field: { type: String, required: true }, old: Schema.Types.Mixed, new: Schema.Types.Mixed }],
      default: [],
    },
  },
  { versionKey: false },
);

// The timeline, newest first, paged by (at, _id).
changeSchema.index({ customerId: 1, at: -1, _id: -1 });

export type Change = InferSchemaType<typeof changeSchema>;
export const ChangeModel = model('Change', changeSchema, 'changes');

const derivedTierPaths = [
  'tier', 'tierScore', 'tierComputed', 'tierBreakdown', 'tierPolicyVersion', 'tierScoredAt', 'tierSource', 'tierUpdatedAt',
  'tierOverride', 'tierRevision', 'tierLastChange', 'reportRev', 'reportPending', 'companyIndustry', 'companyRegion',
];

export type FieldChange = { field: string; old: unknown; new: unknown };

const comparable = (v: unknown): string => JSON.stringify(v instanceof Date ? v.toISOString() : v ?? null);

/**
 * The fields that differ between two plain objects, nested objects flattened to dotted paths
 * (`company.industry`); arrays compare whole. Bookkeeping fields are left out.
 */
export function diffFields(before: Record<string, unknown>, after: Record<string, unknown>, prefix = ''): FieldChange[] {
  // Derived values (revenue, tier) change without anyone editing the file; tier changes have their own history.
  const ignored = new Set(['_id', 'id', '__v', 'createdAt', 'updatedAt', 'nameKey', 'revenue12m', ...derivedTierPaths]);
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changes: FieldChange[] = [];
  for (const key of keys) {
    if (!prefix && ignored.has(key)) continue;
    const a = before[key];
    const b = after[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(a) || isPlainObject(b)) {
      changes.push(...diffFields(isPlainObject(a) ? a : {}, isPlainObject(b) ? b : {}, path));
    } else if (comparable(a) !== comparable(b)) {
      changes.push({ field: path, old: plain(a), new: plain(b) });
    }
  }
  return changes;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Types.ObjectId);
}

const plain = (v: unknown): unknown => (v instanceof Types.ObjectId ? String(v) : Array.isArray(v) ? v.map(plain) : v ?? null);

type ChangeEntry = {
  customerId: Types.ObjectId | string;
  entity: (typeof changeEntities)[number];
  entityId: Types.ObjectId | string;
  entityName?: string;
  action: (typeof changeActions)[number];
  actor: { id: string | null; name: string };
  fields?: FieldChange[];
};

const changeDocument = (entry: ChangeEntry, at: Date) => ({
  customerId: entry.customerId,
  entity: entry.entity,
  entityId: entry.entityId,
  entityName: entry.entityName ?? '',
  action: entry.action,
  actorId: entry.actor.id,
  actorName: entry.actor.name,
  at,
  fields: entry.fields ?? [],
});

export async function recordChange(entry: ChangeEntry, at = new Date()): Promise<void> {
  if (entry.action === 'updated' && !entry.fields?.length) return; // nothing changed, nothing to tell
  await ChangeModel.create(changeDocument(entry, at));
}

/**
 * Records the entry once for its natural key: its id is made from the key, so a second insert (the worker running a
 * case step's effects again after a crash, or two passes at once) is refused by the unique _id and ignored.
 */
export async function recordChangeOnce(entry: ChangeEntry, at: Date, key: string): Promise<void> {
  const _id = new Types.ObjectId(createHash('sha256').update(`change:${key}`).digest().subarray(0, 12));
  try {
    await ChangeModel.create({ _id, ...changeDocument(entry, at) });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
}

/** Many entries at once (an import), in insertMany batches; the same rules as recordChange. */
export async function recordChanges(entries: ChangeEntry[]): Promise<void> {
  const at = new Date();
  const docs = entries.filter((e) => e.action !== 'updated' || e.fields?.length).map((e) => changeDocument(e, at));
  for (let i = 0; i < docs.length; i += 500) await ChangeModel.insertMany(docs.slice(i, i + 500));
}

import { Schema, model, type AnyBulkWriteOperation, type Model, type Types } from 'mongoose';
import { isDuplicateKeyError } from './engine.ts';

// What the leadership reports read of each customer: one small document per customer (code, name, tier, owner, region,
// industry, currency, revenue, archived). A customer document is about 5 KB and the embedded engine decodes every
// document it reads; the reports read these instead, about 300 bytes each.
//
// Kept current in the same code path as every customer write (the hooks below, which models/customer.ts installs):
// the write itself marks the customer (`reportPending: true`, `reportRev + 1`) in the same single-document write, and
// right after it the marked customers' rows are rewritten and the marks cleared. A process that dies between the two
// leaves the mark, and whoever reads next (a report, the worker's `reports.catch-up`, a start) finishes the job. A row
// carries the revision it was made from and is only ever replaced by a newer one, so two writers finishing in either
// order leave the newer row.

const rowSchema = new Schema(
  {
    // The customer's _id.
    _id: { type: Schema.Types.ObjectId, required: true },
    rev: { type: Number, required: true },
    code: { type: String, required: true },
    name: { type: String, required: true },
    tier: { type: String, default: null },
    ownerId: { type: Schema.Types.ObjectId, required: true },
    region: { type: String, default: null },
    industry: { type: String, default: null },
    currency: { type: String, required: true },
    revenue12m: { type: Number, required: true },
    archived: { type: Boolean, required: true },
  },
  { versionKey: false },
);

// The reports' filters: each an equality (or the owners of a team, an $in) that the embedded engine pushes down.
rowSchema.index({ region: 1 });
rowSchema.index({ industry: 1 });
rowSchema.index({ ownerId: 1 });

export const ReportRowModel = model('ReportRow', rowSchema, 'report_customers');
export type ReportRow = {
  _id: Types.ObjectId; rev: number; code: string; name: string; tier: string | null; ownerId: Types.ObjectId;
  region: string | null; industry: string | null; currency: string; revenue12m: number; archived: boolean;
};

/** The customer fields a row is made of. */
const sourceFields = {
  code: 1, name: 1, tier: 1, ownerId: 1, 'company.region': 1, 'company.industry': 1, currency: 1, revenue12m: 1, archived: 1, reportRev: 1,
} as const;

type Source = {
  _id: Types.ObjectId; code: string; name: string; tier?: string | null; ownerId: Types.ObjectId; currency?: string;
  company?: { region?: string | null; industry?: string | null } | null; revenue12m?: number; archived?: boolean; reportRev?: number;
};

const rowOf = (c: Source): Omit<ReportRow, '_id'> => ({
  rev: c.reportRev ?? 0, code: c.code, name: c.name, tier: c.tier ?? null, ownerId: c.ownerId, region: c.company?.region ?? null,
  industry: c.company?.industry ?? null, currency: c.currency ?? '', revenue12m: c.revenue12m ?? 0, archived: c.archived ?? false,
});

const CHUNK = 50; // below the embedded engine's bulkWrite limit (models/engine.ts)

/** Runs unordered bulk writes in chunks; a write refused by a unique index (a newer row is already there) is expected. */
async function bulkWriteTolerant(model: Model<any>, operations: AnyBulkWriteOperation[]): Promise<void> {
  for (let i = 0; i < operations.length; i += CHUNK) {
    try {
      await model.collection.bulkWrite(operations.slice(i, i + CHUNK) as never, { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: unknown[] }).writeErrors;
      const errors = Array.isArray(writeErrors) && writeErrors.length ? writeErrors : [err];
      if (!errors.every((e) => isDuplicateKeyError((e as { err?: unknown }).err ?? e))) throw err;
    }
  }
}

/**
 * Brings the rows of the marked customers up to date and clears their marks; answers how many it found marked.
 * Idempotent, and safe to run from several processes at once: a row is written only over an older revision (a
 * conditional upsert whose insert hits the _id when a newer row is there), and a mark is cleared only while the
 * customer is still at the revision the row was made from.
 */
export async function syncMarkedRows(customers: Model<any>): Promise<number> {
  // The raw collection: no casting, and no hooks (the clearing below is not a change of the customer).
  const marked = await customers.collection.find({ reportPending: true }, { projection: sourceFields }).toArray() as unknown as Source[];
  if (!marked.length) return 0;
  await bulkWriteTolerant(ReportRowModel, marked.map((c) => ({
    updateOne: { filter: { _id: c._id, rev: { $lt: c.reportRev ?? 0 } }, update: { $set: rowOf(c) }, upsert: true },
  })));
  await bulkWriteTolerant(customers, marked.map((c) => ({
    updateOne: { filter: { _id: c._id, reportRev: c.reportRev ?? 0, reportPending: true }, update: { $set: { reportPending: false } } },
  })));
  return marked.length;
}

/**
 * For a database that had customers before the rows existed: marks every customer that was never marked, then makes
 * their rows. Run at every start; with nothing to do it reads only the customers the condition matches.
 */
export async function backfillReportRows(customers: Model<any>): Promise<number> {
  await customers.collection.updateMany({ reportRev: { $exists: false } }, { $set: { reportRev: 1, reportPending: true } });
  return syncMarkedRows(customers);
}

// --- the hooks ------------------------------------------------------------------------------------------------------

/** An update that also marks the customer, in the same single-document write. */
function marking(update: unknown): unknown {
  if (!update || typeof update !== 'object' || Array.isArray(update)) return update; // pipelines: not used on customers
  const u = update as Record<string, Record<string, unknown> | undefined>;
  return { ...u, $set: { ...u.$set, reportPending: true }, $inc: { ...u.$inc, reportRev: 1 } };
}

/**
 * Rewrites the marked rows after a write. A failure here does not fail the write, which has landed: the mark stays,
 * and the next report, worker run or start makes the row (and fails loudly there if the failure persists).
 */
async function afterWrite(customers: Model<any>): Promise<void> {
  try {
    await syncMarkedRows(customers);
  } catch {
    // left marked; see above
  }
}

/**
 * Installs the marking on every way the service writes customers through mongoose: create and save, insertMany,
 * updateOne, updateMany, findOneAndUpdate, bulkWrite. New customers are marked by the schema's defaults.
 */
export function reportRowHooks(schema: Schema): void {
  schema.pre('save', function () {
    if (this.isNew) return;
    this.set({ reportPending: true, reportRev: Number(this.get('reportRev') ?? 0) + 1 });
  });
  schema.pre(['updateOne', 'updateMany', 'findOneAndUpdate'], function () {
    this.setUpdate(marking(this.getUpdate()) as never);
  });
  schema.pre('bulkWrite', function (ops) {
    for (const op of ops as Array<Record<string, { update?: unknown } | undefined>>) {
      for (const kind of ['updateOne', 'updateMany'] as const) {
        if (op[kind]) op[kind] = { ...op[kind], update: marking(op[kind].update) };
      }
    }
  });
  schema.post('save', async function () { await afterWrite(this.constructor as Model<any>); });
  schema.post(['updateOne', 'updateMany', 'findOneAndUpdate'], async function () { await afterWrite(this.model); });
  schema.post('insertMany', async function () { await afterWrite(this); });
  schema.post('bulkWrite', async function () { await afterWrite(this as unknown as Model<any>); });
}

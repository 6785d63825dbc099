import { Schema, model, type AnyBulkWriteOperation, type Types } from 'mongoose';
import { isDuplicateKeyError, type AnyModel } from './db-compat.ts';

// What the leadership reports read of each customer: one small document per customer (code, name, tier, owner, region,
// industry, currency, revenue, archived). A customer document is about 5 KB and the embedded engine decodes every
// document it reads; the reports read these instead, about 300 bytes each.
//
// Kept current in the same code path as every customer write, by the hooks below (models/customer.ts installs them),
// and safe against a process that dies halfway:
// - A new customer's row is written before the customer, marked `pending`, and unmarked after the insert. A pending
//   row counts only once its customer exists: whoever reads next (a report, the worker, a start) checks, unmarks it,
//   or after a minute deletes it when the insert never landed.
// - A write that changes a field a row holds marks the customer itself (`reportPending: true`, `reportRev + 1`) in the
//   same single-document write; right after it the marked customers' rows are rewritten and the marks cleared. A mark
//   left behind is finished by whoever reads next. Writes that change nothing a report shows (scores, visits,
//   satisfaction) do neither.
// A row carries the revision it was made from and is only replaced by a newer one, so two writers finishing in either
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
    // A new customer's row, written before the customer; `markedAt` tells how long it has waited.
    pending: { type: Boolean, required: true },
    markedAt: { type: Date, default: null },
  },
  { versionKey: false },
);

// Rows whose customer insert has not been confirmed: none, or a batch in flight.
rowSchema.index({ pending: 1 });
// Archived customers, the few the reports leave out (the tier movements without filters).
rowSchema.index({ archived: 1 });

// The reports' filters: each an equality (or the owners of a team, an $in) that the embedded engine pushes down.
rowSchema.index({ region: 1 });
rowSchema.index({ industry: 1 });
rowSchema.index({ ownerId: 1 });

export const ReportRowModel = model('ReportRow', rowSchema, 'report_customers');
export type ReportRow = {
  _id: Types.ObjectId; rev: number; code: string; name: string; tier: string | null; ownerId: Types.ObjectId;
  region: string | null; industry: string | null; currency: string; revenue12m: number; archived: boolean; pending: boolean;
  markedAt: Date | null;
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
  pending: false, markedAt: null,
});

/** The customer fields a row holds, as update paths. */
const rowPaths = new Set(['code', 'name', 'tier', 'ownerId', 'currency', 'revenue12m', 'archived', 'company', 'company.region', 'company.industry']);

/** True when an update sets or clears a field a report row holds. */
export function touchesRow(update: unknown): boolean {
  if (!update || typeof update !== 'object') return false;
  if (Array.isArray(update)) return true; // a pipeline may change anything
  return Object.entries(update as Record<string, unknown>).some(([key, value]) => (key.startsWith('$')
    ? Boolean(value) && typeof value === 'object' && Object.keys(value as object).some((path) => rowPaths.has(path))
    : rowPaths.has(key)));
}

// A pending row older than this whose customer does not exist belongs to an insert that failed or died.
const PENDING_GRACE_MS = 60_000;

const CHUNK = 50; // below the embedded engine's bulkWrite limit (models/db-compat.ts)

/** Runs unordered bulk writes in chunks; a write refused by a unique index (a newer row is already there) is expected. */
async function bulkWriteTolerant(model: AnyModel, operations: AnyBulkWriteOperation[]): Promise<void> {
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
export async function syncMarkedRows(customers: AnyModel, now = new Date(), pendingAfterMs = 0): Promise<number> {
  // The raw collection: no casting, and no hooks (the clearing below is not a change of the customer).
  const marked = await customers.collection.find({ reportPending: true }, { projection: sourceFields }).toArray() as unknown as Source[];
  const resolved = await resolvePendingRows(customers, now, pendingAfterMs);
  if (!marked.length) return resolved;
  await bulkWriteTolerant(ReportRowModel, marked.map((c) => ({
    updateOne: { filter: { _id: c._id, rev: { $lt: c.reportRev ?? 0 } }, update: { $set: rowOf(c) }, upsert: true },
  })));
  await bulkWriteTolerant(customers, marked.map((c) => ({
    updateOne: { filter: { _id: c._id, reportRev: c.reportRev ?? 0, reportPending: true }, update: { $set: { reportPending: false } } },
  })));
  return marked.length + resolved;
}

/**
 * The pending rows of new customers: made from the customer where it exists (its insert landed), deleted after a
 * minute where it does not (the insert failed or its process died), left pending otherwise (an insert in flight).
 */
async function resolvePendingRows(customers: AnyModel, now: Date, afterMs: number): Promise<number> {
  const filter = afterMs ? { pending: true, markedAt: { $lt: new Date(now.getTime() - afterMs) } } : { pending: true };
  const pending = await ReportRowModel.collection.find(filter, { projection: { markedAt: 1 } }).toArray();
  if (!pending.length) return 0;
  let resolved = 0;
  for (let i = 0; i < pending.length; i += 1000) {
    const chunk = pending.slice(i, i + 1000);
    const found = await customers.collection.find({ _id: { $in: chunk.map((r) => r._id) } }, { projection: sourceFields }).toArray() as unknown as Source[];
    const exists = new Set(found.map((c) => String(c._id)));
    await bulkWriteTolerant(ReportRowModel, found.map((c) => ({
      updateOne: { filter: { _id: c._id, rev: { $lte: c.reportRev ?? 0 } }, update: { $set: rowOf(c) } },
    })));
    const gone = chunk.filter((r) => !exists.has(String(r._id)) && now.getTime() - new Date(r.markedAt ?? 0).getTime() > PENDING_GRACE_MS);
    if (gone.length) await ReportRowModel.collection.deleteMany({ _id: { $in: gone.map((r) => r._id) }, pending: true });
    resolved += found.length + gone.length;
  }
  return resolved;
}

/**
 * For a database that had customers before the rows existed: marks every customer that was never marked, then makes
 * their rows. Run at every start; with nothing to do it reads only the customers the condition matches.
 */
export async function backfillReportRows(customers: AnyModel): Promise<number> {
  await customers.collection.updateMany({ reportRev: { $exists: false } }, { $set: { reportRev: 1, reportPending: true } });
  return syncMarkedRows(customers);
}

// --- the hooks ------------------------------------------------------------------------------------------------------

/** An update that also marks the customer, in the same single-document write, when it changes what a row holds. */
function marking(update: unknown): unknown {
  if (!touchesRow(update) || Array.isArray(update)) return update; // pipelines: not used on customers
  const u = update as Record<string, Record<string, unknown> | undefined>;
  return { ...u, $set: { ...u.$set, reportPending: true }, $inc: { ...u.$inc, reportRev: 1 } };
}

/** Rows of new customers, pending until their insert is confirmed. */
async function insertPendingRows(docs: Source[]): Promise<void> {
  const markedAt = new Date();
  for (let i = 0; i < docs.length; i += 1000) {
    try {
      await ReportRowModel.collection.insertMany(docs.slice(i, i + 1000).map((d) => ({ _id: d._id, ...rowOf(d), pending: true, markedAt })), { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: unknown[] }).writeErrors;
      const errors = Array.isArray(writeErrors) && writeErrors.length ? writeErrors : [err];
      if (!errors.every((e) => isDuplicateKeyError((e as { err?: unknown }).err ?? e))) throw err;
    }
  }
}

async function confirmRows(ids: Types.ObjectId[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000) {
    await ReportRowModel.collection.updateMany({ _id: { $in: ids.slice(i, i + 1000) }, pending: true }, { $set: { pending: false, markedAt: null } });
  }
}

// A write's hook leaves other writers' new rows to them for this long: an import in flight has thousands.
const OTHERS_PENDING_MS = 10_000;

/**
 * After a write has landed: its rows are made. A failure here does not fail the write: the mark stays, and the next
 * report, worker run or start makes the row (and fails loudly there if the failure persists).
 */
async function afterWrite(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch {
    // left marked; see above
  }
}

/**
 * Installs the marking on every way the service writes customers through mongoose: create and save, insertMany,
 * updateOne, updateMany, findOneAndUpdate, bulkWrite (insertOne, updateOne, updateMany). Not covered: replaceOne,
 * findOneAndReplace and writes through the driver's collection, which the service does not use on customers.
 */
export function reportRowHooks(schema: Schema): void {
  schema.pre('save', async function () {
    if (this.isNew) {
      this.$locals.newReportRow = true;
      await insertPendingRows([this.toObject() as unknown as Source]);
    } else if ([...rowPaths].some((path) => this.isModified(path))) {
      this.set({ reportPending: true, reportRev: Number(this.get('reportRev') ?? 0) + 1 });
    }
  });
  schema.pre('insertMany', async function (docs: unknown) {
    const list = (Array.isArray(docs) ? docs : [docs]) as Array<Record<string, unknown>>;
    // Cast here for the defaults a row needs (currency, tier, revenue); the customer keeps the _id its row has.
    const cast = list.map((d) => {
      const doc = new this(d);
      d._id = doc._id;
      return doc.toObject() as unknown as Source;
    });
    await insertPendingRows(cast);
  });
  schema.pre(['updateOne', 'updateMany', 'findOneAndUpdate'], function () {
    this.setUpdate(marking(this.getUpdate()) as never);
  });
  schema.pre('bulkWrite', async function (ops) {
    const inserted: Source[] = [];
    for (const op of ops as Array<Record<string, { update?: unknown; document?: Record<string, unknown> } | undefined>>) {
      for (const kind of ['updateOne', 'updateMany'] as const) {
        if (op[kind]) op[kind] = { ...op[kind], update: marking(op[kind].update) };
      }
      if (op.insertOne?.document) {
        const doc = new this(op.insertOne.document);
        op.insertOne.document._id = doc._id;
        inserted.push(doc.toObject() as unknown as Source);
      }
    }
    // Confirmed by the next reader (the result does not tell which inserts landed).
    if (inserted.length) await insertPendingRows(inserted);
  });
  schema.post('save', async function () {
    const customers = this.constructor as AnyModel;
    if (this.$locals.newReportRow) {
      delete this.$locals.newReportRow;
      await afterWrite(() => confirmRows([this._id as Types.ObjectId]));
    } else {
      await afterWrite(() => syncMarkedRows(customers, new Date(), OTHERS_PENDING_MS));
    }
  });
  schema.post('insertMany', async function (docs: unknown) {
    const ids = (Array.isArray(docs) ? docs : [docs]).map((d) => (d as { _id: Types.ObjectId })._id);
    await afterWrite(() => confirmRows(ids));
  });
  schema.post(['updateOne', 'updateMany', 'findOneAndUpdate'], async function () {
    if (touchesRow(this.getUpdate())) await afterWrite(() => syncMarkedRows(this.model, new Date(), OTHERS_PENDING_MS));
  });
  // Its own inserts are among the pending rows it resolves: the result does not tell which landed.
  schema.post('bulkWrite', async function () { await afterWrite(() => syncMarkedRows(this as unknown as AnyModel)); });
}

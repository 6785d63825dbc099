import type { Schema } from 'mongoose';
import type { AnyModel } from './db-compat.ts';

// The company profile's industry and region, copied to top-level fields (`companyIndustry`, `companyRegion`) so
// that the customer list's filters on them are served by an index with the list's name sort on every engine: the
// embedded engine pushes down conditions on top-level fields only (a dotted path such as 'company.industry' makes it
// decode every customer, about a second at 10,000). The copies are bookkeeping: never in the customer's JSON, written
// by the hooks below on every way the service writes customers through mongoose, and filled in at start for
// customers written before they existed (backfillCompanyCopies).

const copies = { industry: 'companyIndustry', region: 'companyRegion' } as const;
type CompanyPart = { industry?: unknown; region?: unknown } | null | undefined;

/** The copies of a whole company profile (a missing value is stored as null, which {field: null} finds). */
function copiesOf(company: CompanyPart): Record<string, unknown> {
  return { companyIndustry: company?.industry ?? null, companyRegion: company?.region ?? null };
}

/** An update with the copies of whatever it changes of the company's industry and region. */
export function withCompanyCopies(update: unknown): unknown {
  if (!update || typeof update !== 'object' || Array.isArray(update)) return update;
  const u = { ...(update as Record<string, unknown>) };
  const set: Record<string, unknown> = {};
  const $set = (u.$set ?? {}) as Record<string, unknown>;
  const $unset = (u.$unset ?? {}) as Record<string, unknown>;
  // mongoose also takes top-level paths outside operators as $set
  const plain = Object.fromEntries(Object.entries(u).filter(([key]) => !key.startsWith('$')));
  for (const source of [plain, $set]) {
    if ('company' in source) Object.assign(set, copiesOf(source.company as CompanyPart));
    for (const [field, copy] of Object.entries(copies)) {
      if (`company.${field}` in source) set[copy] = source[`company.${field}`] ?? null;
    }
  }
  if ('company' in $unset) Object.assign(set, copiesOf(null));
  for (const [field, copy] of Object.entries(copies)) {
    if (`company.${field}` in $unset) set[copy] = null;
  }
  if (!Object.keys(set).length) return update;
  u.$set = { ...$set, ...set };
  return u;
}

export function companyCopyHooks(schema: Schema): void {
  schema.pre('validate', function () {
    if (this.isNew || this.isModified('company')) this.set(copiesOf(this.get('company') as CompanyPart));
  });
  schema.pre('insertMany', function (docs: unknown) {
    for (const doc of (Array.isArray(docs) ? docs : [docs]) as Array<Record<string, unknown>>) {
      Object.assign(doc, copiesOf(doc.company as CompanyPart));
    }
  });
  schema.pre(['updateOne', 'updateMany', 'findOneAndUpdate'], function () {
    this.setUpdate(withCompanyCopies(this.getUpdate()) as never);
  });
  schema.pre('bulkWrite', function (ops) {
    for (const op of ops as Array<Record<string, { update?: unknown; document?: Record<string, unknown> } | undefined>>) {
      for (const kind of ['updateOne', 'updateMany'] as const) {
        if (op[kind]) op[kind] = { ...op[kind], update: withCompanyCopies(op[kind].update) };
      }
      if (op.insertOne?.document) Object.assign(op.insertOne.document, copiesOf(op.insertOne.document.company as CompanyPart));
    }
  });
}

/** Fills in the copies of customers written before they existed, in batches; a no-op once every customer has them. */
export async function backfillCompanyCopies(customers: AnyModel, batch = 500): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = await customers.find({ companyIndustry: { $exists: false } }, { company: 1 }).limit(batch).lean() as
      Array<{ _id: unknown; company?: CompanyPart }>;
    if (!rows.length) return done;
    // straight to the collection: the copies are all this writes (no version, no timeline, no report row)
    await customers.collection.bulkWrite(rows.map((row) => ({
      updateOne: { filter: { _id: row._id, companyIndustry: { $exists: false } }, update: { $set: copiesOf(row.company) } },
    })) as never);
    done += rows.length;
  }
}

import type { AnyBulkWriteOperation, Model, PipelineStage } from 'mongoose';

// What the models need to behave the same on MongoDB and on FerretDB 1.24; test/engine-compat.test.ts pins each point.

/**
 * Any mongoose model, for the helpers that work on several. A model's type has seven parameters that differ from one
 * collection to the next, and `Model<unknown>` accepts none of them, so this is the one place that says `any`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModel = Model<any>;

/**
 * True for a unique-index violation. MongoDB answers 11000 everywhere; FerretDB 1.24 does on insert and upsert,
 * but an update that collides answers InternalError (code 1) carrying the backend's constraint message.
 */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (e?.code === 11000) return true;
  return e?.code === 1 && typeof e.message === 'string'
    && /UNIQUE constraint failed|duplicate key value violates unique constraint/.test(e.message);
}

/**
 * Sums several fields per group. FerretDB 1.24 computes only the first accumulator of a `$group`
 * (FerretDB issue 4616) and has no `$avg`, so each sum runs as its own single-accumulator pipeline
 * and the results are joined here by group key. `$sum: 1` counts.
 */
export async function sumBy<K extends string>(
  model: AnyModel,
  match: Record<string, unknown>,
  groupKey: string | null,
  sums: Record<K, string | 1>,
): Promise<Array<{ key: unknown } & Record<K, number>>> {
  const fields = Object.keys(sums) as K[];
  const results = await Promise.all(fields.map((field) => {
    const pipeline: PipelineStage[] = [
      { $match: match },
      { $group: { _id: groupKey === null ? null : `$${groupKey}`, value: { $sum: sums[field] === 1 ? 1 : `$${sums[field]}` } } },
    ];
    return model.aggregate<{ _id: unknown; value: number }>(pipeline);
  }));
  const byKey = new Map<string, { key: unknown } & Record<K, number>>();
  results.forEach((rows, i) => {
    for (const row of rows) {
      const id = JSON.stringify(row._id ?? null);
      if (!byKey.has(id)) byKey.set(id, { key: row._id ?? null, ...Object.fromEntries(fields.map((f) => [f, 0])) } as { key: unknown } & Record<K, number>);
      (byKey.get(id) as Record<string, unknown>)[fields[i]!] = row.value;
    }
  });
  return [...byKey.values()];
}

// FerretDB 1.24 never answers a bulkWrite (an `update` command) of 100 or more statements (seen with the SQLite
// backend: 99 take under 0.2 s, 100 hang), so batch writes go in chunks well below that.
export const BULK_CHUNK = 50;

/** `bulkWrite` in chunks the embedded engine can take; answers the total of modified documents. */
export async function bulkWriteInChunks(model: AnyModel, operations: AnyBulkWriteOperation[]): Promise<number> {
  let modified = 0;
  for (let i = 0; i < operations.length; i += BULK_CHUNK) {
    const result = await model.bulkWrite(operations.slice(i, i + BULK_CHUNK), { ordered: false });
    modified += result.modifiedCount;
  }
  return modified;
}

/**
 * Inserts documents that carry a unique natural `key`; answers the keys that were already taken (those documents are
 * not inserted, the others are). This is how an effect that must happen once is made idempotent on both engines.
 */
export async function insertUnlessTaken<D extends { key: string }>(model: AnyModel, docs: D[]): Promise<Set<string>> {
  return new Set([...await insertManyTaken(model, docs)].map((index) => docs[index]!.key));
}

/**
 * Inserts documents in batches of 1000; answers the positions of those a unique index refused (the others are
 * inserted). Mongoose leaves out a document that fails validation; `strict` makes that an error instead, as `create`.
 */
export async function insertManyTaken(model: AnyModel, docs: object[], { strict = false } = {}): Promise<Set<number>> {
  const taken = new Set<number>();
  for (let i = 0; i < docs.length; i += 1000) {
    const batch = docs.slice(i, i + 1000);
    try {
      await model.insertMany(batch, { ordered: false, throwOnValidationError: strict });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: Array<{ index?: number; err?: { index?: number } }> }).writeErrors;
      if (!Array.isArray(writeErrors) || !writeErrors.length) {
        if (isDuplicateKeyError(err) && batch.length === 1) taken.add(i);
        else throw err;
        continue;
      }
      for (const e of writeErrors) {
        if (!isDuplicateKeyError((e as { err?: unknown }).err ?? e)) throw err;
        const index = e.index ?? e.err?.index;
        if (index === undefined) throw err;
        taken.add(i + index);
      }
    }
  }
  return taken;
}

// Above this many ids, reading the whole collection and filtering in code beats an `$in`, which the embedded engine
// evaluates document by document against the whole list (it pushes down only a lone _id).
export const IN_LIMIT = 200;

/** `{field: {$in: ids}}` for a handful of ids; for many, no condition (the caller filters the rows in code). */
export function inOrAll(field: string, ids: readonly unknown[]): Record<string, unknown> {
  return ids.length <= IN_LIMIT ? { [field]: { $in: ids } } : {};
}

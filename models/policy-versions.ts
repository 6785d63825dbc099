import type { Model } from 'mongoose';
import { isDuplicateKeyError } from './db-compat.ts';

// How an admin-edited policy is kept (the tier, service and gift policies): one document per version, never changed,
// under a unique index on `version`; the highest version is in force. The unique index decides between two admins
// saving at once, and between two processes storing the defaults on a new database.

type Author = { id: string; name: string };

export function policyVersions<Rules extends object, Policy extends { version: number }>(
  model: Model<Record<string, unknown>>, what: string, defaults: Rules, asPolicy: (row: Record<string, unknown>) => Policy,
) {
  /** The policy in force; on a database without one, the defaults are stored as version 1. */
  async function current(): Promise<Policy> {
    const newest = await model.find({}).sort({ version: -1 }).limit(1).lean<Record<string, unknown>[]>();
    if (newest[0]) return asPolicy(newest[0]);
    try {
      await model.create({ ...defaults, version: 1, note: 'default policy', createdAt: new Date() });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // another process stored it first
    }
    return current();
  }

  /**
   * Stores the rules as the next version. With `expectedVersion` (the If-Match of a PUT) it is exactly that version
   * plus one, or nothing (null) when another version took its place; without, it retries on the next free version.
   */
  async function save(rules: Rules, note: string, by: Author, expectedVersion?: number): Promise<Policy | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const version = expectedVersion ?? (await current()).version;
      try {
        const row = await model.create({ ...rules, version: version + 1, note, createdById: by.id, createdByName: by.name, createdAt: new Date() });
        return asPolicy(row.toObject() as Record<string, unknown>);
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        if (expectedVersion !== undefined) return null;
      }
    }
    throw new Error(`could not save the ${what}: other versions kept being saved at the same time`);
  }

  return { current, save };
}

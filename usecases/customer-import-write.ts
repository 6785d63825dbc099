import { Types, type AnyBulkWriteOperation } from 'mongoose';
import { diffFields, recordChanges } from '../models/change.ts';
import { CustomerModel } from '../models/customer.ts';
import { withChanges, type StoredCustomer } from '../models/customer-csv.ts';
import { BULK_CHUNK, insertManyTaken, insertUnlessTaken } from '../models/db-compat.ts';
import { TierChangeModel, fileNewRequests, insertChangeRecords } from '../models/tier-change.ts';
import { currentPolicy, type Policy } from '../models/tier-policy.ts';
import { classifyNew } from '../models/tiering.ts';
import type { AuthUser } from '../models/user.ts';
import { VisitModel, cadenceDueAt, cadenceVisit, reassignOpenVisits } from '../models/visit.ts';

const INSERT_CHUNK = 500;

/** A row of the file as checked: what it creates or changes, checked against the rules and the caller's rights. */
export type ImportRow = {
  line: number; code: string; name: string; id: string; action: 'created' | 'updated' | 'unchanged'; parentId: string | null;
  create?: Record<string, unknown>; stored?: StoredCustomer; set: Record<string, unknown>; unset: string[];
};

/**
 * Writes the checked rows in batches, parents before their children, each batch followed by its timeline entries.
 * There are no transactions (FerretDB has none), so each row is its own atomic write: an update applies only if the
 * customer still has the version read while checking, a create only if nobody took the code meanwhile. Rows that lost
 * such a race are skipped and named (a new child of a skipped new parent too); the rows before and after them stay
 * written, and importing the file again is harmless. Answers the codes of the rows not written.
 */
export async function writeImport(user: AuthUser, rows: ImportRow[], onWritten?: (rows: number) => Promise<void>): Promise<string[]> {
  const policy = await currentPolicy();
  let done = 0;
  const wrote = async (count: number) => {
    done += count;
    await onWritten?.(done);
  };
  const notCreated = new Set<string>();
  const notWritten: string[] = [];
  for (const level of parentsFirst(rows.filter((r) => r.action !== 'unchanged'))) {
    const lost = new Set<ImportRow>(level.filter((r) => r.parentId && notCreated.has(r.parentId)));
    const ready = level.filter((r) => !lost.has(r));
    const creates = ready.filter((r) => r.create);
    const updates = ready.filter((r) => !r.create);
    for (let i = 0; i < creates.length; i += INSERT_CHUNK) {
      const chunk = creates.slice(i, i + INSERT_CHUNK);
      for (const row of await insertNew(chunk, policy)) lost.add(row);
      await recordImported(user, chunk.filter((r) => !lost.has(r)));
      await wrote(chunk.length);
    }
    for (let i = 0; i < updates.length; i += BULK_CHUNK) {
      const chunk = updates.slice(i, i + BULK_CHUNK);
      for (const row of await updateUnlessChanged(chunk)) lost.add(row);
      const written = chunk.filter((r) => !lost.has(r));
      await recordImported(user, written);
      // A new owner or team: open visits of people no longer on the customer go to its owner.
      await reassignOpenVisits(written.filter((r) => 'ownerId' in r.set || 'accountTeam' in r.set).map((r) => ({
        _id: r.id, ownerId: (r.set.ownerId ?? r.stored!.ownerId) as Types.ObjectId, accountTeam: (r.set.accountTeam ?? r.stored!.accountTeam) as Types.ObjectId[],
      })));
      await wrote(chunk.length);
    }
    for (const row of level) {
      if (!lost.has(row)) continue;
      if (row.action === 'created') notCreated.add(row.id);
      notWritten.push(row.code);
    }
  }
  return notWritten;
}

/**
 * Inserts new customers already classified (tier, score, first change, next visit due), then opens their cadence
 * visits and files the approvals their score asks for, as reclassify would have done in further writes. The change
 * records go first, as every tier change's do; those of rows whose code someone else took meanwhile (the unique index
 * refused the customer) are taken back. Answers those rows.
 */
async function insertNew(rows: ImportRow[], policy: Policy): Promise<ImportRow[]> {
  const now = new Date();
  const { fields, records, requests } = classifyNew(rows.map((r) => ({ ...r.create, _id: new Types.ObjectId(r.id) })), policy, now, 'CSV import');
  const nextVisitDue = (id: string) => cadenceDueAt({ tier: fields.get(id)!.tier as string, tierUpdatedAt: now }, policy.cadenceDays);
  const docs = rows.map((r) => ({ ...r.create, ...fields.get(r.id), satisfaction: { nextVisitDue: nextVisitDue(r.id) } }));
  await insertChangeRecords(records);
  const lost = [...await insertManyTaken(CustomerModel, docs, { strict: true })].map((index) => rows[index]!);
  if (lost.length) await TierChangeModel.deleteMany({ customerId: { $in: lost.map((r) => new Types.ObjectId(r.id)) } });
  const created = new Set(rows.filter((r) => !lost.includes(r)).map((r) => r.id));
  await insertUnlessTaken(VisitModel, rows.filter((r) => created.has(r.id)).map((r) => cadenceVisit({ _id: r.id, ownerId: r.create!.ownerId }, nextVisitDue(r.id))));
  await fileNewRequests(requests.filter((r) => created.has(String(r.customerId))));
  return lost;
}

/**
 * Updates customers conditional on the version read while checking, as a PATCH with If-Match does. A bulk write
 * answers only how many matched; when some did not, the customers are read back, and a row counts as written only
 * where the customer carries this write (the next version and this write's updatedAt). One changed again right after
 * this write is thus reported as not written: the report errs on the safe side, and importing again is harmless.
 */
async function updateUnlessChanged(rows: ImportRow[]): Promise<ImportRow[]> {
  const stamp = new Date();
  const operations: AnyBulkWriteOperation[] = rows.map((row) => ({
    updateOne: {
      filter: { _id: row.stored!._id, __v: row.stored!.__v ?? 0 },
      update: {
        $set: { ...row.set, updatedAt: stamp }, $inc: { __v: 1 },
        ...(row.unset.length ? { $unset: Object.fromEntries(row.unset.map((path) => [path, 1])) } : {}),
      },
      timestamps: false,
    },
  }));
  const { matchedCount } = await CustomerModel.bulkWrite(operations, { ordered: false });
  if (matchedCount === rows.length) return [];
  const now = new Map((await CustomerModel.find({ _id: { $in: rows.map((r) => r.stored!._id) } }, { __v: 1, updatedAt: 1 }).lean())
    .map((c) => [String(c._id), c]));
  return rows.filter((row) => {
    const after = now.get(row.id);
    return !(after && after.__v === (row.stored!.__v ?? 0) + 1 && after.updatedAt?.getTime() === stamp.getTime());
  });
}

function recordImported(user: AuthUser, rows: ImportRow[]): Promise<void> {
  return recordChanges(rows.map((row) => ({
    customerId: row.id, entity: 'customer', entityId: row.id, entityName: row.name, action: 'imported', actor: user,
    ...(row.stored ? { fields: diffFields(row.stored, withChanges(row.stored, row.set, row.unset)) } : {}),
  })));
}

/** The rows by their depth in the file's groups, parents' level first, file order within a level. */
function parentsFirst(rows: ImportRow[]): ImportRow[][] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const depth = (row: ImportRow, limit = rows.length): number => {
    const parent = row.parentId ? byId.get(row.parentId) : undefined;
    return parent && limit > 0 ? 1 + depth(parent, limit - 1) : 0;
  };
  const levels: ImportRow[][] = [];
  for (const row of rows) (levels[depth(row)] ??= []).push(row);
  return levels.filter(Boolean);
}

import { Schema, model, type Types } from 'mongoose';
import { CustomerModel } from './customer.ts';
import { isDuplicateKeyError } from './db-compat.ts';
import { ReportRowModel, syncMarkedRows } from './report-rows.ts';
import { asReportTier, type ReportFilters, type TierCell } from './tier-report.ts';
import { UserModel } from './user.ts';

// The tier distribution of the whole book, kept by the worker: one document holding the count and revenue of every
// (tier, currency, region, industry, owner's team) that has a live customer. The tier report filters and adds these
// cells instead of reading a row per customer: its cost grows with the number of distinct cells (bounded by the
// product of tiers, currencies, regions, industries and teams), not with the book. `asOf` is when the rows were read.

const snapshotSchema = new Schema(
  {
    _id: { type: String, required: true },
    asOf: { type: Date, required: true },
    // One per (tier, currency, region, industry, team) with a live customer: the count and the revenue12m sum.
    cells: { type: [Schema.Types.Mixed], default: [] },
  },
  { versionKey: false },
);

export const ReportSnapshotModel = model('ReportSnapshot', snapshotSchema, 'report_snapshots');

// Short keys: the engine decodes every key of every cell on each read (it stores no nested arrays, so no tuples).
type Cell = { tier: string | null; cur: string; reg: string | null; ind: string | null; team: string | null; n: number; rev: number };
export type TierSnapshot = { asOf: Date; cells: Cell[] };

const TIERS = 'tiers';

/**
 * Reads every live customer's report row (finishing marked ones first), adds them up per cell and stores the result,
 * unless a snapshot of a later moment is already stored (two workers at once: the later one stays). Idempotent.
 */
export async function buildTierSnapshot(): Promise<TierSnapshot> {
  const asOf = new Date();
  await syncMarkedRows(CustomerModel);
  const [rows, users] = await Promise.all([
    ReportRowModel.collection.find({ archived: false, pending: false }, { projection: { tier: 1, currency: 1, region: 1, industry: 1, ownerId: 1, revenue12m: 1 } }).toArray(),
    UserModel.find({}, { team: 1 }).lean(),
  ]);
  const teamOf = new Map(users.map((u) => [String(u._id), u.team ?? null]));
  const cells = new Map<string, Cell>();
  for (const row of rows) {
    const team = teamOf.get(String(row.ownerId as Types.ObjectId)) ?? null;
    const cell: Cell = { tier: row.tier ?? null, cur: row.currency ?? '', reg: row.region ?? null, ind: row.industry ?? null, team, n: 0, rev: 0 };
    const id = JSON.stringify([cell.tier, cell.cur, cell.reg, cell.ind, cell.team]);
    if (!cells.has(id)) cells.set(id, cell);
    cells.get(id)!.n += 1;
    cells.get(id)!.rev += Number(row.revenue12m ?? 0);
  }
  const snapshot = { asOf, cells: [...cells.values()] };
  try {
    await ReportSnapshotModel.collection.updateOne({ _id: TIERS as never, asOf: { $lt: asOf } }, { $set: snapshot }, { upsert: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err; // a later snapshot is stored
  }
  return snapshot;
}

/** The stored snapshot, or a new one when there is none yet (a new database, or one from before snapshots). */
export async function currentTierSnapshot(): Promise<TierSnapshot> {
  const stored = await ReportSnapshotModel.findById(TIERS).lean<TierSnapshot>();
  return stored ?? buildTierSnapshot();
}

/** The snapshot's cells within the filters, as tier report cells. */
export function cellsWithin(snapshot: TierSnapshot, filters: ReportFilters): TierCell[] {
  const merged = new Map<string, TierCell>();
  for (const cell of snapshot.cells) {
    if (filters.region !== undefined && cell.reg !== filters.region) continue;
    if (filters.industry !== undefined && cell.ind !== filters.industry) continue;
    if (filters.team !== undefined && cell.team !== filters.team) continue;
    const tier = asReportTier(cell.tier);
    const id = `${tier}:${cell.cur}`;
    if (!merged.has(id)) merged.set(id, { tier, currency: cell.cur, count: 0, revenue12m: 0 });
    merged.get(id)!.count += cell.n;
    merged.get(id)!.revenue12m += cell.rev;
  }
  return [...merged.values()];
}

import { Schema, Types, model, type AnyBulkWriteOperation, type HydratedDocument, type InferSchemaType } from 'mongoose';
import { CustomerModel } from './customer.ts';
import { bulkWriteInChunks } from './db-compat.ts';
import { jsonOptions } from './json.ts';

export const projectStages = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost', 'delivering', 'closed'] as const;
export type ProjectStage = (typeof projectStages)[number];

/** Where a project may go from each stage. `lost` can be reopened as a lead; `closed` is final. */
export const stageTransitions: Readonly<Record<ProjectStage, readonly ProjectStage[]>> = {
  lead: ['qualified', 'lost'],
  qualified: ['proposal', 'lost'],
  proposal: ['negotiation', 'qualified', 'lost'],
  negotiation: ['won', 'lost', 'proposal'],
  won: ['delivering', 'closed'],
  delivering: ['closed'],
  lost: ['lead'],
  closed: [],
};

/**
 * A new project may start anywhere up to `won` (a deal entered after the handshake) or as `lost` (a bid recorded for
 * history), but not in `delivering` or `closed`: those are reached only through `won`, so every project that counts
 * as revenue carried a `wonAt` set on the way in.
 */
export const startStages: readonly ProjectStage[] = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'];

/** Stages whose value is revenue: the deal was won, whatever happened to the delivery since. */
export const revenueStages: readonly ProjectStage[] = ['won', 'delivering', 'closed'];

const REVENUE_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;

// A deal or an engagement with one customer. It starts and ends; the customer it belongs to stays.
const projectSchema = new Schema(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    stage: { type: String, required: true, enum: projectStages, default: 'lead' },
    // Minor units of `currency`, which is always the customer's so revenue12m sums like with like.
    value: { type: Number, required: true, min: 0, default: 0, validate: { validator: Number.isInteger, message: 'value must be an integer' } },
    currency: { type: String, required: true, uppercase: true, match: /^[A-Z]{3}$/ },
    expectedCloseDate: { type: Date, default: null },
    // Set while the project is in a revenue stage, null otherwise: revenue12m counts the last 365 days of it.
    wonAt: { type: Date, default: null },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    products: { type: [String], default: [] },
  },
  { timestamps: true, toJSON: jsonOptions() },
);

// A customer's projects, newest first, paged by _id; GET /projects?customerId= and the managers' `customerId: {$in}`;
// refreshRevenue12m's match on one customer.
projectSchema.index({ customerId: 1, _id: -1 });
// GET /projects?owner=me (or an id), newest first.
projectSchema.index({ ownerId: 1, _id: -1 });
// GET /projects?stage=, newest first.
projectSchema.index({ stage: 1, _id: -1 });
// The nightly revenue refresh: every project in a revenue stage won since a date.
projectSchema.index({ stage: 1, wonAt: 1 });
// Revenue won by some customers since a date (plans' revenue actuals for a page of plans): the customers first, so a
// page of plans reads their projects, not every project won since the date.
projectSchema.index({ customerId: 1, stage: 1, wonAt: 1 });

export type Project = InferSchemaType<typeof projectSchema>;
export type ProjectDocument = HydratedDocument<Project>;
export const ProjectModel = model('Project', projectSchema, 'projects');

// --- stages -------------------------------------------------------------------------------------------------------

type StageState = { stage: ProjectStage; wonAt: Date | null };
export type StageProblem = { field: 'stage' | 'wonAt'; message: string };

/**
 * The stage and `wonAt` after a create (`current` undefined) or a change, or the problem with the request.
 * Entering `won` stamps `wonAt` (the client's date if it gave one, never in the future: the schema at the edge checks
 * that); later revenue stages keep it and may correct it; every other stage, `lost` included, has none.
 */
export function nextStage(current: StageState | undefined, input: { stage?: ProjectStage; wonAt?: Date }, now = new Date()): StageState | StageProblem {
  const from = current?.stage;
  const to = input.stage ?? from ?? 'lead';
  if (!from && !startStages.includes(to)) {
    return { field: 'stage', message: `a new project starts in one of ${startStages.join(', ')}; ${to} follows a win` };
  }
  if (from && to !== from && !stageTransitions[from].includes(to)) {
    const allowed = stageTransitions[from];
    return { field: 'stage', message: `stage cannot move from ${from} to ${to}${allowed.length ? `; allowed: ${allowed.join(', ')}` : `; ${from} is final`}` };
  }
  if (!revenueStages.includes(to)) {
    if (input.wonAt) return { field: 'wonAt', message: `wonAt is set only for projects that are won, delivering or closed, not ${to}` };
    return { stage: to, wonAt: null };
  }
  return { stage: to, wonAt: input.wonAt ?? current?.wonAt ?? now };
}

export const isStageProblem = (s: StageState | StageProblem): s is StageProblem => 'field' in s;

// --- revenue ------------------------------------------------------------------------------------------------------

const wonSince = (now: Date) => ({ stage: { $in: revenueStages }, wonAt: { $gte: new Date(now.getTime() - REVENUE_WINDOW_MS) } });

/**
 * Recomputes the customer's revenue12m from its projects and stores it. Called after every change to a project, so
 * this is the one place that reacts to project changes (the tier rescoring on a win or loss belongs here too).
 * Two changes at once may store the older sum; the nightly job (jobs/revenue.ts) repairs that.
 */
export async function refreshRevenue12m(customerId: Types.ObjectId | string, now = new Date()): Promise<number> {
  const id = new Types.ObjectId(String(customerId));
  const [row] = await ProjectModel.aggregate<{ total: number }>([
    { $match: { customerId: id, ...wonSince(now) } },
    { $group: { _id: null, total: { $sum: '$value' } } },
  ]);
  const total = row?.total ?? 0;
  // Derived, not edited: no __v bump (a client's If-Match stays valid) and no updatedAt (nobody changed the file).
  await CustomerModel.updateOne({ _id: id }, { $set: { revenue12m: total } }, { timestamps: false });
  return total;
}

/**
 * Brings every customer's revenue12m in line with its projects, including those whose wins have aged out of the
 * window (set to 0), and answers how many changed. Writes go by _id alone (any other filter scans the collection per
 * update on the embedded engine); a route's refresh that lands meanwhile computes the same sum from the same projects.
 */
export async function refreshAllRevenue12m(now = new Date()): Promise<number> {
  const rows = await ProjectModel.aggregate<{ _id: Types.ObjectId; total: number }>([
    { $match: wonSince(now) },
    { $group: { _id: '$customerId', total: { $sum: '$value' } } },
  ]);
  const totals = new Map(rows.map((r) => [String(r._id), r.total]));
  const stored = await CustomerModel.find(
    { $or: [{ _id: { $in: rows.map((r) => r._id) } }, { revenue12m: { $ne: 0 } }] },
    { revenue12m: 1 },
  ).lean();
  const operations: AnyBulkWriteOperation[] = stored
    .filter((c) => c.revenue12m !== (totals.get(String(c._id)) ?? 0))
    .map((c) => ({
      updateOne: {
        filter: { _id: c._id },
        update: { $set: { revenue12m: totals.get(String(c._id)) ?? 0 } },
        timestamps: false,
      },
    }));
  if (!operations.length) return 0;
  return bulkWriteInChunks(CustomerModel, operations);
}

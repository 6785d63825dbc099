import { Schema, Types, model, type HydratedDocument, type InferRawDocTypeFromSchema, type InferSchemaType } from 'mongoose';
import { inOrAll } from './db-compat.ts';
import { jsonOptions } from './json.ts';
import { ProjectModel, revenueStages } from './project.ts';

// An account plan: per customer and period, the objectives we pursue with the customer and the resources we commit.

export const planStatuses = ['draft', 'submitted', 'approved', 'closed'] as const;
export type PlanStatus = (typeof planStatuses)[number];
export const objectiveStatuses = ['open', 'on_track', 'at_risk', 'achieved', 'missed'] as const;
export type ObjectiveStatus = (typeof objectiveStatuses)[number];
export const resourceKinds = ['people', 'budget', 'executive_sponsor', 'support'] as const;
export type ResourceKind = (typeof resourceKinds)[number];

/** A period is a year ("2027") or a quarter ("2027-Q1"), from 2000 to 2100. */
export const periodPattern = /^(20\d\d|2100)(?:-Q([1-4]))?$/;

/** The first instant of the period and of the next one, in UTC. */
export function periodBounds(period: string): { start: Date; end: Date } {
  const match = periodPattern.exec(period);
  if (!match) throw new Error(`not a period: ${period}`);
  const year = Number(match[1]);
  const quarter = match[2] ? Number(match[2]) : undefined;
  if (quarter === undefined) return { start: new Date(Date.UTC(year, 0, 1)), end: new Date(Date.UTC(year + 1, 0, 1)) };
  return { start: new Date(Date.UTC(year, (quarter - 1) * 3, 1)), end: new Date(Date.UTC(year, quarter * 3, 1)) };
}

const objectiveSchema = new Schema({
  title: { type: String, required: true, trim: true, maxlength: 300 },
  // Free text, except `revenue`: the customer's won revenue in the period, filled from its projects.
  metric: { type: String, required: true, trim: true, maxlength: 100 },
  target: { type: Number, required: true, min: 0 },
  actual: { type: Number, default: null },
  unit: { type: String, trim: true, maxlength: 40, default: '' },
  dueDate: { type: Date, default: null },
  status: { type: String, enum: objectiveStatuses, default: 'open' },
});

const resourceSchema = new Schema({
  kind: { type: String, enum: resourceKinds, required: true },
  description: { type: String, trim: true, maxlength: 500, default: '' },
  amount: { type: Number, required: true, min: 0 },
  // What `amount` counts: "FTE", "days", or a currency code for budgets (minor units).
  unit: { type: String, trim: true, maxlength: 40, default: '' },
  ownerId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
});

const planSchema = new Schema(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    period: { type: String, required: true, match: periodPattern },
    // Stored beside the period so reports and the revenue objective need no date arithmetic in the database.
    periodStart: { type: Date, required: true },
    periodEnd: { type: Date, required: true },
    status: { type: String, enum: planStatuses, required: true, default: 'draft' },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    strategy: { type: String, trim: true, maxlength: 8000, default: '' },
    objectives: { type: [objectiveSchema], default: [] },
    resources: { type: [resourceSchema], default: [] },
    approvedById: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    approvedAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
    review: { type: String, trim: true, maxlength: 8000, default: '' },
    // The comment of the last status change (why a plan went back to draft, what the approver noted).
    statusComment: { type: String, trim: true, maxlength: 2000, default: '' },
  },
  { timestamps: true, toJSON: jsonOptions() },
);

// One plan per customer and period: a second gets 409.
planSchema.index({ customerId: 1, period: 1 }, { unique: true });
// GET /plans?period=&status=, and the plans report for a period.
planSchema.index({ period: 1, status: 1 });
// GET /plans?owner=
planSchema.index({ ownerId: 1, _id: -1 });

export type Plan = InferSchemaType<typeof planSchema>;
export type PlanDocument = HydratedDocument<Plan>;
/** A plan as a lean read answers it: plain arrays of plain objectives and resources, each with its `_id`. */
export type ObjectiveRecord = InferRawDocTypeFromSchema<typeof objectiveSchema>;
export type ResourceRecord = InferRawDocTypeFromSchema<typeof resourceSchema>;
export type PlanRecord = Omit<InferRawDocTypeFromSchema<typeof planSchema>, 'objectives' | 'resources'>
  & { objectives: ObjectiveRecord[]; resources: ResourceRecord[]; __v?: number };
export const PlanModel = model('Plan', planSchema, 'plans');

/**
 * Who may move a plan from one status to another: the owner side (the plan's owner or whoever may change the
 * customer) submits; leadership (executive, admin) approves or sends back to draft with a comment; either closes.
 */
export type PlanMove = { to: PlanStatus; by: 'owner' | 'leadership' | 'either'; needs?: 'comment' | 'review' };
export const planTransitions: Readonly<Record<PlanStatus, readonly PlanMove[]>> = {
  draft: [{ to: 'submitted', by: 'owner' }],
  submitted: [{ to: 'approved', by: 'leadership' }, { to: 'draft', by: 'leadership', needs: 'comment' }],
  approved: [{ to: 'closed', by: 'either', needs: 'review' }],
  closed: [],
};

const movers: Record<PlanMove['by'], string> = {
  owner: "the plan's owner, the customer's owner or account team, or an admin",
  leadership: 'an executive or an admin',
  either: "the plan's owner, the customer's owner or account team, an executive or an admin",
};

/** The moves out of a status in words, for the 409 that refuses another and for the API document. */
export function describeMoves(from: PlanStatus): string {
  const moves = planTransitions[from];
  if (!moves.length) return `a ${from} plan is final`;
  return moves.map((m) => `${from} -> ${m.to} by ${movers[m.by]}${m.needs ? `, with a ${m.needs}` : ''}`).join('; ');
}

export type PlanActor = { ownerSide: boolean; leadership: boolean };
export type MoveRefusal = { status: 400 | 403 | 409; message: string; field?: string };

/** Why this actor may not move the plan from `from` to `to` with what they gave, or null when the move is allowed. */
export function moveRefusal(from: PlanStatus, to: PlanStatus, actor: PlanActor, given: { comment?: string; review?: string }): MoveRefusal | null {
  const move = planTransitions[from].find((m) => m.to === to);
  if (!move) return { status: 409, message: `A ${from} plan cannot move to ${to}; allowed: ${describeMoves(from)}.` };
  const may = move.by === 'owner' ? actor.ownerSide : move.by === 'leadership' ? actor.leadership : actor.ownerSide || actor.leadership;
  if (!may) return { status: 403, message: `Only ${movers[move.by]} may move a ${from} plan to ${to}.` };
  if (move.needs && !given[move.needs]) return { status: 400, field: move.needs, message: `${move.needs} is required to move a ${from} plan to ${to}` };
  if (given.review !== undefined && move.needs !== 'review') return { status: 400, field: 'review', message: 'review is given only when closing a plan' };
  return null;
}

// --- editing ------------------------------------------------------------------------------------------------------

type Item = { _id: Types.ObjectId } & Record<string, unknown>;

/**
 * A whole array as the client sends it, over the stored one: an item with the `id` of a stored item keeps that id and
 * the stored fields it does not give; an item without one is new (given the defaults); stored items left out go.
 */
export function mergeById<S extends Item>(
  stored: readonly S[], given: ReadonlyArray<{ id?: string } & Record<string, unknown>>, path: string, defaults: Record<string, unknown>,
): { items: Item[]; errors: Array<{ field: string; message: string }> } {
  const byId = new Map(stored.map((s) => [String(s._id), s]));
  const seen = new Set<string>();
  const errors: Array<{ field: string; message: string }> = [];
  const items = given.map(({ id, ...fields }, i) => {
    if (id === undefined) return { ...defaults, ...fields, _id: new Types.ObjectId() };
    const current = byId.get(id);
    if (!current) errors.push({ field: `${path}.${i}.id`, message: `id names no item of this plan's ${path}` });
    else if (seen.has(id)) errors.push({ field: `${path}.${i}.id`, message: `id appears twice in ${path}` });
    seen.add(id);
    return { ...(current ?? defaults), ...fields, _id: current?._id ?? new Types.ObjectId() };
  });
  return { items, errors };
}

const iso = (d: unknown) => (d ? new Date(d as Date).toISOString() : null);
const idOrNull = (v: unknown) => (v ? String(v) : null);

/** Everything only a draft may change, comparable as a string: objectives' actuals and statuses are left out. */
export function definitionOf(plan: { strategy?: string | null; ownerId: unknown; objectives: readonly Record<string, unknown>[]; resources: readonly Record<string, unknown>[] }): string {
  return JSON.stringify({
    strategy: plan.strategy ?? '',
    ownerId: String(plan.ownerId),
    objectives: plan.objectives.map((o) => [String(o._id), o.title, o.metric, o.target, o.unit ?? '', iso(o.dueDate)]),
    resources: plan.resources.map((r) => [String(r._id), r.kind, r.description ?? '', r.amount, r.unit ?? '', idOrNull(r.ownerId)]),
  });
}

/** A new period's plan content from another plan: targets kept, actuals emptied, due dates moved by as much as the period. */
export function copiedContent(source: Pick<PlanRecord, 'strategy' | 'periodStart' | 'objectives' | 'resources'>, period: string) {
  const shift = periodBounds(period).start.getTime() - source.periodStart.getTime();
  return {
    strategy: source.strategy ?? '',
    objectives: source.objectives.map((o) => ({
      title: o.title, metric: o.metric, target: o.target, unit: o.unit ?? '', actual: null, status: 'open' as const,
      dueDate: o.dueDate ? new Date(o.dueDate.getTime() + shift) : null,
    })),
    resources: source.resources.map((r) => ({ kind: r.kind, description: r.description ?? '', amount: r.amount, unit: r.unit ?? '', ownerId: r.ownerId ?? null })),
  };
}

/** Attainment of one objective: actual / target (null without an actual or a target of 0), and the same capped at 100 %. */
export function attainmentOf(objective: { target: number; actual?: number | null }): { ratio: number | null; capped: number | null } {
  if (objective.actual === null || objective.actual === undefined || !objective.target) return { ratio: null, capped: null };
  const ratio = Math.round((objective.actual / objective.target) * 10_000) / 10_000;
  return { ratio, capped: Math.min(1, ratio) };
}

/** The plan's attainment: the mean of its objectives' capped attainments (objectives without one left out), or null. */
export function planAttainment(objectives: ReadonlyArray<{ target: number; actual?: number | null }>): number | null {
  const values = objectives.map((o) => attainmentOf(o).capped).filter((v): v is number => v !== null);
  if (!values.length) return null;
  return Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10_000) / 10_000;
}

/**
 * Plans with their `revenue` objectives' actuals filled in: the customer's projects won in the plan's period (value
 * in minor units of the customer's currency). Closed plans keep the actuals stored when they closed.
 */
export async function withRevenueActuals<P extends { customerId: Types.ObjectId; status: string; periodStart: Date; periodEnd: Date; objectives: Array<{ metric: string; actual?: number | null }> }>(plans: P[]): Promise<P[]> {
  const open = plans.filter((p) => p.status !== 'closed' && p.objectives.some((o) => o.metric === 'revenue'));
  const openSet = new Set(open);
  if (!open.length) return plans;
  const customerIds = [...new Set(open.map((p) => String(p.customerId)))].map((id) => new Types.ObjectId(id));
  const earliest = new Date(Math.min(...open.map((p) => p.periodStart.getTime())));
  const byCustomer = inOrAll('customerId', customerIds);
  const wins = await ProjectModel.find({ ...byCustomer, stage: { $in: revenueStages }, wonAt: { $gte: earliest } }, { customerId: 1, wonAt: 1, value: 1 }).lean();
  const winsOf = Map.groupBy(wins, (w) => String(w.customerId));
  return plans.map((plan) => {
    if (!openSet.has(plan)) return plan;
    const won = (winsOf.get(String(plan.customerId)) ?? [])
      .filter((w) => w.wonAt! >= plan.periodStart && w.wonAt! < plan.periodEnd)
      .reduce((sum, w) => sum + w.value, 0);
    return { ...plan, objectives: plan.objectives.map((o) => (o.metric === 'revenue' ? { ...o, actual: won } : o)) };
  });
}

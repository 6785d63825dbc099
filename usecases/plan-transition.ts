import { Types } from 'mongoose';
import { canChange } from '../models/customer.ts';
import { isDuplicateKeyError } from '../models/db-compat.ts';
import {
  PlanModel, copiedContent, definitionOf, mergeById, moveRefusal, periodBounds, withRevenueActuals, type PlanRecord,
} from '../models/plan.ts';
import { activeUserIds, type AuthUser } from '../models/user.ts';
import type { FieldError, Refusal } from '../schemas/common.ts';
import type { Content, Given, PatchInput } from '../schemas/plan-input.ts';

// What may happen to an account plan: a draft started for a period, its content edited while it is a draft and its
// objectives' progress after, its status moved (submitted, approved, sent back with a comment, closed with a review,
// which freezes the revenue actuals), and a plan copied into another period. Plain functions of the caller, the plan
// and its customer, with the input already checked against schemas/plan-input.ts; each answers the plan as written
// or why it was refused, which the route answers as HTTP.

/** Why a change is refused: 400 naming the fields, 403 for a caller who may not, 409 for what the plan's state forbids. */
export type PlanRefusal = Refusal<403 | 409>;
export type PlanOutcome = { plan: PlanRecord } | { refused: PlanRefusal };

/** The customer of a plan, as far as a change needs it: who may change it, and the currency revenue is counted in. */
type PlanCustomer = { _id: Types.ObjectId; ownerId: Types.ObjectId; accountTeam?: Types.ObjectId[] | null; currency: string };

const refused = (status: 403 | 409, message: string) => ({ refused: { status, message } });
const invalid = (errors: FieldError[]) => ({ refused: { status: 400 as const, errors } });

/** Starts a draft plan of the customer for the input's period, owned by the input's owner or the caller. */
export async function startPlan(user: AuthUser, customer: PlanCustomer, input: Content & { period: string }): Promise<PlanOutcome> {
  const errors = await ownerErrors(input);
  if (errors.length) return invalid(errors);
  const revenue = revenueErrors(input.objectives, input.objectives ?? []);
  if (revenue.length) return invalid(revenue);
  const { start, end } = periodBounds(input.period);
  return insertPlan({
    ...input, customerId: customer._id, ownerId: input.ownerId ?? user.id, periodStart: start, periodEnd: end, status: 'draft',
    objectives: (input.objectives ?? []).map(asRevenue(customer.currency)),
  });
}

/**
 * Applies a PATCH to the plan as it was read: an edit (only drafts change their definition; later only the objectives'
 * actuals and statuses), a status move, or both. Written only if the plan is still at the version read; null when
 * another write landed first, so the caller reads it again and retries.
 */
export async function changePlan(user: AuthUser, plan: PlanRecord, customer: PlanCustomer, input: PatchInput): Promise<PlanOutcome | null> {
  if (plan.status === 'closed') return refused(409, 'A closed plan is final; copy it to start the next period.');
  const editor = canChange(user, customer);
  const { status, comment, review, ...changes } = input;
  if (Object.keys(changes).length && !editor) return refused(403, 'Executives read plans and move their status; they change nothing else.');
  if (status !== undefined) {
    const actor = { ownerSide: editor || String(plan.ownerId) === user.id, leadership: user.role === 'executive' || user.role === 'admin' };
    const refusal = moveRefusal(plan.status, status, actor, { comment, review });
    if (refusal?.status === 400) return invalid([{ field: refusal.field!, message: refusal.message }]);
    if (refusal) return refused(refusal.status, refusal.message);
  }
  const edited = await editedPlan(plan, customer, changes);
  if ('refused' in edited) return edited;
  const set: Record<string, unknown> = { ...changes, objectives: edited.next.objectives, resources: edited.next.resources };
  if (status !== undefined) Object.assign(set, { status, statusComment: comment ?? '' });
  if (status === 'approved') Object.assign(set, { approvedById: new Types.ObjectId(user.id), approvedAt: new Date() });
  if (status === 'closed') {
    // The revenue actuals are frozen as they stand at closing; later wins or corrections no longer move them.
    const [frozen] = await withRevenueActuals([{ ...edited.next, status: 'approved' } as PlanRecord]);
    Object.assign(set, { review, closedAt: new Date(), objectives: frozen!.objectives });
  }
  // Conditional on the version read, so a write that slipped in meanwhile is never overwritten.
  const updated = await PlanModel.findOneAndUpdate({ _id: plan._id, __v: plan.__v }, { $set: set, $inc: { __v: 1 } }, { returnDocument: 'after', runValidators: true })
    .lean<PlanRecord>();
  return updated && { plan: updated };
}

/**
 * Starts another period's draft from a plan: its content copied (copiedContent), owned by the source plan's owner, or
 * by the caller when that user is no longer active.
 */
export async function copyPlan(user: AuthUser, plan: PlanRecord, customer: PlanCustomer, period: string): Promise<PlanOutcome> {
  const { start, end } = periodBounds(period);
  const ownerActive = (await activeUserIds([String(plan.ownerId)])).size > 0;
  return insertPlan({
    ...copiedContent(plan, period), customerId: customer._id, period, periodStart: start, periodEnd: end,
    status: 'draft', ownerId: ownerActive ? plan.ownerId : user.id,
  });
}

/**
 * The plan with the edit applied (arrays merged by id, revenue objectives in the customer's currency while a draft), or
 * why not: an inactive owner, an id that names nothing, a revenue actual given, or a definition changed after draft.
 */
async function editedPlan(plan: PlanRecord, customer: PlanCustomer, changes: Content) {
  const owners = await ownerErrors(changes);
  if (owners.length) return invalid(owners);
  const objectives = mergeById(plan.objectives, changes.objectives ?? [], 'objectives', { actual: null, unit: '', dueDate: null, status: 'open' });
  const resources = mergeById(plan.resources, changes.resources ?? [], 'resources', { description: '', unit: '', ownerId: null });
  const errors = [...objectives.errors, ...resources.errors, ...revenueErrors(changes.objectives, objectives.items)];
  if (errors.length) return invalid(errors);
  const next = {
    ...plan, ...changes,
    objectives: changes.objectives ? objectives.items.map(plan.status === 'draft' ? asRevenue(customer.currency) : (o) => o) : plan.objectives,
    resources: changes.resources ? resources.items : plan.resources,
  };
  if (plan.status !== 'draft' && definitionOf(next) !== definitionOf(plan)) {
    return refused(409, 'Only drafts are editable; actuals stay editable until the plan is closed.');
  }
  return { next };
}

/** Owners named in the input must be active users. */
async function ownerErrors(input: Content): Promise<FieldError[]> {
  const named: Array<[string, string]> = [
    ...(input.ownerId ? [['ownerId', input.ownerId] as [string, string]] : []),
    ...(input.resources ?? []).flatMap((r, i) => (r.ownerId ? [[`resources.${i}.ownerId`, r.ownerId] as [string, string]] : [])),
  ];
  const active = await activeUserIds([...new Set(named.map(([, id]) => id))]);
  return named.filter(([, id]) => !active.has(id)).map(([field]) => ({ field, message: `${field} must be an active user` }));
}

/** Revenue actuals come from the customer's won projects, so a client never sets one. */
function revenueErrors(objectives: Given[] | undefined, merged: Array<Record<string, unknown>>): FieldError[] {
  return (objectives ?? []).flatMap((o, i) => (merged[i]?.metric === 'revenue' && o.actual !== undefined && o.actual !== null
    ? [{ field: `objectives.${i}.actual`, message: "the actual of a revenue objective is the customer's won revenue in the period; leave it out" }]
    : []));
}

// The currency lock: a revenue objective counts the customer's currency unless the client names another unit, and
// has no stored actual; set while the plan is a draft, kept as it is once submitted.
const asRevenue = (currency: string) => <O extends Record<string, unknown>>(o: O): O =>
  (o.metric === 'revenue' ? { ...o, actual: null, unit: o.unit || currency } : o);

/** One plan per customer and period: a second is refused with 409 by the unique index. */
async function insertPlan(fields: Record<string, unknown> & { period: string }): Promise<PlanOutcome> {
  try {
    return { plan: (await PlanModel.create(fields)).toObject() as PlanRecord };
  } catch (err) {
    if (isDuplicateKeyError(err)) return refused(409, `The customer already has a plan for ${fields.period}.`);
    throw err;
  }
}

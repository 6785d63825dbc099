import { Schema, Types, model, type AnyBulkWriteOperation, type HydratedDocument, type InferSchemaType } from 'mongoose';
import { CustomerModel, type Tier } from './customer.ts';
import { bulkWriteInChunks, insertUnlessTaken } from './db-compat.ts';
import { jsonOptions } from './json.ts';
import { currentPolicy, type Cadence } from './tier-policy.ts';

// A satisfaction follow-up visit ("revisit"): planned from the tier cadence, or ad hoc.

export const visitKinds = ['cadence', 'adhoc'] as const;
export const visitStatuses = ['scheduled', 'completed', 'missed', 'cancelled'] as const;
export type VisitStatus = (typeof visitStatuses)[number];
export const visitChannels = ['onsite', 'call', 'video'] as const;
export const severities = ['low', 'medium', 'high'] as const;

const DAY = 24 * 60 * 60 * 1000;

const feedbackSchema = new Schema({
  category: { type: String, required: true, trim: true, maxlength: 100 },
  text: { type: String, required: true, trim: true, maxlength: 4000 },
  severity: { type: String, enum: severities, required: true },
}, { _id: false });

const visitSchema = new Schema(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    kind: { type: String, enum: visitKinds, required: true },
    status: { type: String, enum: visitStatuses, required: true, default: 'scheduled' },
    // An instant (UTC), not a calendar day: last completed visit (or tier assignment) + the tier's cadence.
    dueAt: { type: Date, required: true },
    // When the visit is planned to happen; starts at dueAt and moves only by a reschedule (with a reason).
    scheduledFor: { type: Date, required: true },
    channel: { type: String, enum: visitChannels, default: 'onsite' },
    contactIds: { type: [{ type: Schema.Types.ObjectId, ref: 'Contact' }], default: [] },
    completedAt: { type: Date, default: null },
    satisfaction: { type: Number, min: 1, max: 5, default: null },
    recommend: { type: Number, min: 0, max: 10, default: null },
    summary: { type: String, trim: true, maxlength: 8000, default: '' },
    feedback: { type: [feedbackSchema], default: [] },
    // The scheduledFor before the last reschedule.
    rescheduledFrom: { type: Date, default: null },
    // Why it was last rescheduled or cancelled.
    reason: { type: String, trim: true, maxlength: 2000, default: '' },
    // The customer's id while this is its open cadence visit, so the unique index allows one; `${customerId}:${_id}`
    // once closed, `adhoc:${_id}` for ad hoc visits. Closing a visit frees the key in the same single-document write.
    cadenceKey: { type: String, required: true },
    // Set by the write that completes the visit, cleared once what completion sets off is done
    // (usecases/visit-follow-up.ts); one left set after a crash is finished by the worker.
    followUpSince: { type: Date, default: null },
  },
  { timestamps: true, toJSON: jsonOptions(['cadenceKey', 'followUpSince']) },
);

// Exactly one open cadence visit per customer, enforced by the engine rather than by hope.
visitSchema.index({ cadenceKey: 1 }, { unique: true });
// GET /visits?customerId= and a customer's history (the satisfaction summary), newest first.
visitSchema.index({ customerId: 1, _id: -1 });
// GET /visits?owner=
visitSchema.index({ ownerId: 1, _id: -1 });
// GET /visits?owner=me&overdue=true: an owner's open visits due before now.
visitSchema.index({ ownerId: 1, status: 1, dueAt: 1 });
// Open visits by due date: ?overdue=true, the reminder and escalation jobs, replanning.
visitSchema.index({ status: 1, dueAt: 1 });
// Completed visits whose follow-up a crash left undone (jobs/visits-follow-up.ts).
visitSchema.index({ followUpSince: 1 });

export type Visit = InferSchemaType<typeof visitSchema>;
export type VisitDocument = HydratedDocument<Visit>;
export const VisitModel = model('Visit', visitSchema, 'visits');

export const openCadenceKey = (customerId: unknown) => String(customerId);
/** The key of a visit that is no longer the open cadence visit (completed, missed, cancelled) or never was (ad hoc). */
export const closedKey = (visit: { _id: unknown; customerId: unknown; kind: string }) =>
  (visit.kind === 'adhoc' ? `adhoc:${String(visit._id)}` : `${String(visit.customerId)}:${String(visit._id)}`);

type CadenceBase = { tier?: string | null; tierUpdatedAt?: Date | null; createdAt?: Date | null; satisfaction?: { lastVisitAt?: Date | null } | null };

/**
 * When the next cadence visit is due: the last completed visit (or, before any, the tier assignment, or the
 * customer's creation) plus the current tier's cadence; an untiered customer follows C's cadence.
 */
export function cadenceDueAt(customer: CadenceBase, cadence: Cadence, lastCompletedAt?: Date | null): Date {
  const base = lastCompletedAt ?? customer.satisfaction?.lastVisitAt ?? customer.tierUpdatedAt ?? customer.createdAt ?? new Date();
  const days = cadence[(customer.tier ?? 'C') as Tier] ?? cadence.C;
  return new Date(new Date(base).getTime() + days * DAY);
}

/** A new open cadence visit; its key is the customer's one open cadence slot (created through insertUnlessTaken). */
export const cadenceVisit = (customer: { _id: Types.ObjectId | string; ownerId: unknown }, due: Date) => ({
  _id: new Types.ObjectId(), key: openCadenceKey(customer._id), cadenceKey: openCadenceKey(customer._id), customerId: customer._id,
  ownerId: customer.ownerId, kind: 'cadence', status: 'scheduled', dueAt: due, scheduledFor: due,
});

export type CadenceResult = { created: number; moved: number; cancelled: number };

/**
 * Brings the open cadence visits of these customers (all when absent) in line with their tier and archive state:
 * creates a missing one, moves one earlier when the cadence now gives an earlier date (never later: a manager may have
 * planned it), cancels the one of an archived customer, and keeps `satisfaction.nextVisitDue` equal to its dueAt.
 * Reads the visits once and writes by _id, so a run with nothing to change only reads; creation goes through the
 * unique cadenceKey, so two runs at once never create two.
 */
export async function keepCadenceVisits(customerIds?: Array<Types.ObjectId | string>): Promise<CadenceResult> {
  const ids = customerIds?.map((id) => new Types.ObjectId(String(id)));
  if (ids && !ids.length) return { created: 0, moved: 0, cancelled: 0 };
  // A lone _id is the one filter the embedded engine looks up by index; `$in` reads the whole collection.
  const customers = await CustomerModel.find(ids ? (ids.length === 1 ? { _id: ids[0] } : { _id: { $in: ids } }) : {}, {
    archived: 1, ownerId: 1, tier: 1, tierUpdatedAt: 1, createdAt: 1, satisfaction: 1,
  }).lean();
  const open = await VisitModel.find({ status: 'scheduled', kind: 'cadence', ...(ids ? { customerId: { $in: ids } } : {}) }).lean();
  const openBy = new Map(open.map((v) => [String(v.customerId), v]));
  const { cadenceDays } = await currentPolicy();
  const visitOps: AnyBulkWriteOperation[] = [];
  const customerOps: AnyBulkWriteOperation[] = [];
  const toCreate: Array<Record<string, unknown> & { key: string }> = [];
  const result: CadenceResult = { created: 0, moved: 0, cancelled: 0 };
  const setNextDue = (c: (typeof customers)[number], due: Date | null) => {
    const stored = c.satisfaction?.nextVisitDue ?? null;
    if ((stored?.getTime() ?? null) === (due?.getTime() ?? null)) return;
    customerOps.push({ updateOne: { filter: { _id: c._id }, update: { $set: { 'satisfaction.nextVisitDue': due } }, timestamps: false } });
  };
  for (const customer of customers) {
    const visit = openBy.get(String(customer._id));
    if (customer.archived) {
      if (visit) {
        visitOps.push({ updateOne: { filter: { _id: visit._id }, update: { $set: { status: 'cancelled', reason: 'customer archived', cadenceKey: closedKey(visit) } } } });
        result.cancelled++;
      }
      setNextDue(customer, null);
      continue;
    }
    const due = cadenceDueAt(customer, cadenceDays);
    if (!visit) {
      toCreate.push(cadenceVisit(customer, due));
      setNextDue(customer, due);
    } else if (due < visit.dueAt) {
      // A visit never rescheduled keeps its plan on the due date; a rescheduled one keeps the manager's date.
      const follow = visit.scheduledFor.getTime() === visit.dueAt.getTime() ? { scheduledFor: due } : {};
      visitOps.push({ updateOne: { filter: { _id: visit._id }, update: { $set: { dueAt: due, ...follow } } } });
      result.moved++;
      setNextDue(customer, due);
    } else {
      setNextDue(customer, visit.dueAt);
    }
  }
  if (toCreate.length) {
    const taken = await insertUnlessTaken(VisitModel, toCreate);
    result.created = toCreate.length - taken.size;
  }
  if (visitOps.length) await bulkWriteInChunks(VisitModel, visitOps);
  if (customerOps.length) await bulkWriteInChunks(CustomerModel, customerOps);
  return result;
}

type Team = { _id: Types.ObjectId | string; ownerId: Types.ObjectId | string; accountTeam?: Array<Types.ObjectId | string> | null };

/**
 * After a customer's owner or account team changed: its open visits whose owner no longer works on the customer (not
 * the owner, not on the team) go to the customer's owner, so nobody keeps visits, reminders or calendar entries of a
 * customer they can no longer see. Answers how many moved.
 */
export async function reassignOpenVisits(customers: Team[]): Promise<number> {
  let moved = 0;
  for (const c of customers) {
    const keep = [c.ownerId, ...(c.accountTeam ?? [])].map((id) => new Types.ObjectId(String(id)));
    const { modifiedCount } = await VisitModel.updateMany(
      { customerId: new Types.ObjectId(String(c._id)), status: 'scheduled', ownerId: { $nin: keep } },
      { $set: { ownerId: new Types.ObjectId(String(c.ownerId)) } },
    );
    moved += modifiedCount;
  }
  return moved;
}

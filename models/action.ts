import { Schema, Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';
import { insertUnlessTaken } from './db-compat.ts';
import { jsonOptions } from './json.ts';
import { severities } from './visit.ts';

// An improvement action: one feedback item of a completed visit, followed until done.

export const actionStatuses = ['open', 'in_progress', 'done'] as const;
export type ActionStatus = (typeof actionStatuses)[number];

const actionSchema = new Schema(
  {
    // `${visitId}:${feedbackIndex}`: completing a visit twice at once, or retrying, never creates an action twice.
    key: { type: String, required: true },
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    visitId: { type: Schema.Types.ObjectId, ref: 'Visit', required: true },
    category: { type: String, required: true, trim: true, maxlength: 100 },
    text: { type: String, required: true, trim: true, maxlength: 4000 },
    severity: { type: String, enum: severities, required: true },
    status: { type: String, enum: actionStatuses, required: true, default: 'open' },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    dueDate: { type: Date, default: null },
    // How it was solved; required to mark it done.
    resolution: { type: String, trim: true, maxlength: 4000, default: '' },
  },
  { timestamps: true, toJSON: jsonOptions(['key']) },
);

actionSchema.index({ key: 1 }, { unique: true });
// GET /actions?customerId=&status=open (the customer's open actions), newest first.
actionSchema.index({ customerId: 1, _id: -1 });
// GET /actions?owner=
actionSchema.index({ ownerId: 1, _id: -1 });
// GET /actions?status=
actionSchema.index({ status: 1, _id: -1 });

export type Action = InferSchemaType<typeof actionSchema>;
export type ActionDocument = HydratedDocument<Action>;
export const ActionModel = model('Action', actionSchema, 'actions');

export type Feedback = { category: string; text: string; severity: string };

/** One open action per feedback item of the visit, owned by the visit's owner; answers how many are new. */
export async function actionsFromFeedback(
  visit: { _id: Types.ObjectId; customerId: Types.ObjectId; ownerId: Types.ObjectId; feedback: Feedback[] },
): Promise<number> {
  const docs = visit.feedback.map((f, i) => ({
    key: `${String(visit._id)}:${i}`, customerId: visit.customerId, visitId: visit._id, ownerId: visit.ownerId,
    category: f.category, text: f.text, severity: f.severity, status: 'open',
  }));
  if (!docs.length) return 0;
  return docs.length - (await insertUnlessTaken(ActionModel, docs)).size;
}

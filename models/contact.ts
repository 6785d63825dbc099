import { Schema, Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';
import { jsonOptions, toPublicJson } from './json.ts';

export const decisionRoles = ['decision_maker', 'influencer', 'user', 'gatekeeper', 'coach'] as const;
export const attitudes = ['supporter', 'neutral', 'opponent'] as const;

/** Shown only to those `canSeePersonal` allows (models/customer.ts); routes/timeline.ts masks the same names. */
export const personalFields = ['email', 'phone', 'birthday', 'notes'] as const;

const text = (max: number) => ({ type: String, trim: true, maxlength: max, default: '' });

// A personal profile of one of a customer's key people.
const contactSchema = new Schema(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    title: text(200),
    department: text(200),
    reportsToId: { type: Schema.Types.ObjectId, ref: 'Contact', default: null },
    // null until someone has assessed the person: "unknown" is not the same as "neutral" for the relationship score.
    decisionRole: { type: String, enum: decisionRoles, default: null },
    influence: { type: Number, min: 1, max: 5, default: null },
    attitude: { type: String, enum: attitudes, default: null },
    needs: text(4000),
    preferences: text(4000),
    interests: text(4000),
    notes: text(4000),
    // A calendar day (YYYY-MM-DD), not an instant: a Date would shift the day for readers in other time zones.
    birthday: { type: String, match: /^\d{4}-\d{2}-\d{2}$/, default: null },
    email: { type: String, trim: true, lowercase: true, maxlength: 254, default: '' },
    phone: text(40),
    // The relationship owner on our side.
    ownerId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    lastContactedAt: { type: Date, default: null },
  },
  { timestamps: true, toJSON: jsonOptions([]) },
);

// A customer's contacts in name order, paged by (name, _id); the customerId prefix also serves the relationship
// score of the tier policy, which reads all contacts of one customer.
contactSchema.index({ customerId: 1, name: 1, _id: 1 });
// Deleting a contact detaches the people who reported to it.
contactSchema.index({ reportsToId: 1 });

export type Contact = InferSchemaType<typeof contactSchema>;
export type ContactDocument = HydratedDocument<Contact>;
export const ContactModel = model('Contact', contactSchema, 'contacts');

/** The JSON of a contact (a lean row or `doc.toObject()`); personal fields are left out unless `showPersonal`. */
export function contactView(contact: Record<string, unknown>, showPersonal: boolean): Record<string, unknown> {
  const json = toPublicJson(contact);
  if (!showPersonal) for (const field of personalFields) delete json[field];
  return json;
}

/** A real calendar day, not before 1900 and not in the future. */
export function isBirthday(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day
    && date.getUTCFullYear() >= 1900 && date.getTime() <= Date.now();
}

const MAX_DEPTH = 50;

/**
 * Why `reportsToId` cannot be the manager of contact `contactId` (undefined for a new contact) at customer
 * `customerId`, or undefined when it can: it must be another contact of the same customer, and not one who
 * (directly or further down) reports to the contact, which would close a loop in the org chart.
 */
export async function reportsToProblem(customerId: string, contactId: string | undefined, reportsToId: string): Promise<string | undefined> {
  if (reportsToId === contactId) return 'reportsToId cannot be the contact itself';
  const manager = await ContactModel.findById(reportsToId, { customerId: 1, reportsToId: 1 }).lean();
  if (!manager || String(manager.customerId) !== customerId) return 'reportsToId must be a contact of the same customer';
  if (!contactId) return undefined;
  let current: Types.ObjectId | null | undefined = manager.reportsToId;
  for (let depth = 0; current && depth < MAX_DEPTH; depth++) {
    if (String(current) === contactId) return 'reportsToId cannot be someone who reports to the contact';
    const next: { reportsToId?: Types.ObjectId | null } | null = await ContactModel.findById(current, { reportsToId: 1 }).lean();
    current = next?.reportsToId;
  }
  return current ? 'the reporting line is too deep' : undefined;
}

/** Clears `reportsToId` of everyone who reported to a deleted contact; answers who they were. */
export async function detachReports(contactId: Types.ObjectId): Promise<Array<{ _id: Types.ObjectId; name: string }>> {
  const reports = await ContactModel.find({ reportsToId: contactId }, { name: 1 }).lean();
  if (reports.length) {
    await ContactModel.updateMany({ reportsToId: contactId }, { $set: { reportsToId: null }, $inc: { __v: 1 } });
  }
  return reports;
}

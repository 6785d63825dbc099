import { Schema, Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';
import { canRead } from './customer.ts';
import { jsonOptions } from './json.ts';
import type { AuthUser } from './user.ts';

// A service case: a customer's problem, owned by whoever the customer reached first until it is closed (first-contact
// ownership). Ownership moves only by a handover the new owner accepts; helpers see and comment.

export const caseChannels = ['phone', 'email', 'visit', 'chat', 'other'] as const;
export const caseSeverities = ['low', 'normal', 'high', 'critical'] as const;
export const caseStatuses = ['open', 'in_progress', 'resolved', 'reopened', 'closed'] as const;
export type CaseChannel = (typeof caseChannels)[number];
export type CaseSeverity = (typeof caseSeverities)[number];
export type CaseStatus = (typeof caseStatuses)[number];

/** Every step of a case, in its history. */
export const caseSteps = [
  'opened', 'started', 'commented', 'helper_added', 'handover_offered', 'handover_accepted', 'handover_declined',
  'resolved', 'reopened', 'closed', 'auto_closed', 'warned', 'escalated',
] as const;
export type CaseStep = (typeof caseSteps)[number];

const actor = { id: { type: Schema.Types.ObjectId, ref: 'User', default: null }, name: { type: String, default: 'system' } };

const caseSchema = new Schema(
  {
    customerId: { type: Schema.Types.ObjectId, ref: 'Customer', required: true },
    contactId: { type: Schema.Types.ObjectId, ref: 'Contact', default: null },
    visitId: { type: Schema.Types.ObjectId, ref: 'Visit', default: null },
    projectId: { type: Schema.Types.ObjectId, ref: 'Project', default: null },
    channel: { type: String, enum: caseChannels, required: true },
    category: { type: String, required: true, trim: true, maxlength: 100 },
    severity: { type: String, enum: caseSeverities, required: true },
    subject: { type: String, required: true, trim: true, maxlength: 200 },
    description: { type: String, default: '', trim: true, maxlength: 8000 },
    tags: { type: [String], default: [] },
    openedById: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    ownerId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    helperIds: { type: [Schema.Types.ObjectId], ref: 'User', default: [] },
    // A handover offered and not yet answered; the owner stays accountable until the new owner accepts.
    handover: {
      type: new Schema({ toUserId: { type: Schema.Types.ObjectId, ref: 'User', required: true }, note: String, at: Date }, { _id: false }),
      default: null,
    },
    status: { type: String, enum: caseStatuses, required: true, default: 'open' },
    // The customer's tier when the case was opened, and the targets the service policy gave it then.
    tier: { type: String, default: null },
    policyVersion: { type: Number, default: null },
    respondBy: { type: Date, required: true },
    resolveBy: { type: Date, required: true },
    respondedAt: { type: Date, default: null },
    resolvedAt: { type: Date, default: null },
    closedAt: { type: Date, default: null },
    solution: { type: String, default: '', trim: true, maxlength: 8000 },
    knowledgeIds: { type: [Schema.Types.ObjectId], ref: 'Knowledge', default: [] },
    closure: {
      type: new Schema({
        confirmedBy: { type: String, default: '' }, csat: { type: Number, min: 1, max: 5, default: null }, comment: { type: String, default: '' },
        automatic: { type: Boolean, default: false },
      }, { _id: false }),
      default: null,
    },
    handovers: { type: Number, default: 0 },
    reopens: { type: Number, default: 0 },
    // Set when the case closes: closed by the person who opened it, never handed over, never reopened.
    firstContactResolution: { type: Boolean, default: null },
    comments: {
      type: [{ _id: false, at: { type: Date, required: true }, by: actor, text: { type: String, required: true, maxlength: 4000 } }],
      default: [],
    },
    history: {
      type: [{ _id: false, at: { type: Date, required: true }, by: actor, step: { type: String, enum: caseSteps, required: true }, note: { type: String, default: '' } }],
      default: [],
    },
  },
  { timestamps: true, toJSON: jsonOptions() },
);

// GET /cases?owner=me, newest first
caseSchema.index({ ownerId: 1, _id: -1 });
// A customer's cases (the customer file, GET /cases?customerId=)
caseSchema.index({ customerId: 1, _id: -1 });
// GET /cases?status=; the escalation job's open cases by target
caseSchema.index({ status: 1, resolveBy: 1 });

export type Case = InferSchemaType<typeof caseSchema>;
export type CaseDocument = HydratedDocument<Case>;
export const CaseModel = model('Case', caseSchema, 'cases');

type CaseAccess = { ownerId: Types.ObjectId | string; openedById: Types.ObjectId | string; helperIds?: Array<Types.ObjectId | string> | null };
type CustomerAccess = Parameters<typeof canRead>[1];

/**
 * How the user stands to a case: `leadership` (executives and admins see every case), `owner`, `helper` (sees and
 * comments), `team` (the customer's owner and account team follow it), or `none`.
 */
export function caseRole(user: AuthUser, kase: CaseAccess, customer: CustomerAccess): 'leadership' | 'owner' | 'helper' | 'team' | 'none' {
  if (user.role === 'executive' || user.role === 'admin') return 'leadership';
  if (String(kase.ownerId) === user.id) return 'owner';
  if ((kase.helperIds ?? []).some((id) => String(id) === user.id)) return 'helper';
  if (canRead(user, customer)) return 'team';
  return 'none';
}

/** The first-contact-resolution rule: closed by its opener, never handed over, never reopened. */
export function isFirstContactResolution(kase: { openedById: Types.ObjectId | string; ownerId: Types.ObjectId | string; handovers: number; reopens: number }): boolean {
  return String(kase.openedById) === String(kase.ownerId) && kase.handovers === 0 && kase.reopens === 0;
}

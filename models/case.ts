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

/** Bookkeeping left out of the case's JSON. */
export const caseInternalPaths = [
  'warnedRespondAt', 'warnedResolveAt', 'escalatedRespondAt', 'escalatedResolveAt', 'effectsSince', 'effectsDone',
] as const;

/** A case that still needs work: its targets run and it counts as open in the customer file. */
export const activeCaseStatuses = ['open', 'in_progress', 'reopened'] as const satisfies readonly CaseStatus[];

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
      type: [{
        _id: false, at: { type: Date, required: true }, by: actor, step: { type: String, enum: caseSteps, required: true }, note: { type: String, default: '' },
        // The other person of the step: the helper added, the user a handover is offered to, the owner handing over.
        userId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
      }],
      default: [],
    },
    // Whether each target was met, set when the case was answered or resolved (and `false` once one is missed).
    respondMet: { type: Boolean, default: null },
    resolveMet: { type: Boolean, default: null },
    // When the owner was warned of each target and when a missed one was escalated: each at most once per case.
    warnedRespondAt: { type: Date, default: null },
    warnedResolveAt: { type: Date, default: null },
    escalatedRespondAt: { type: Date, default: null },
    escalatedResolveAt: { type: Date, default: null },
    // What a step sets off (timeline, notices, satisfaction) runs after its write; `effectsSince` marks it due and
    // `effectsDone` counts the history steps done, so the worker finishes what a crash left (usecases/case-effects.ts).
    effectsSince: { type: Date, default: null },
    effectsDone: { type: Number, default: 0 },
  },
  { timestamps: true, toJSON: jsonOptions(caseInternalPaths) },
);

// GET /cases?owner=me, newest first
caseSchema.index({ ownerId: 1, _id: -1 });
// A customer's cases (the customer file, GET /cases?customerId=)
caseSchema.index({ customerId: 1, _id: -1 });
// GET /cases?status=; the escalation job's open cases by target
caseSchema.index({ status: 1, resolveBy: 1 });
// What a manager sees besides their own: the cases they opened, help with or are offered.
caseSchema.index({ openedById: 1, _id: -1 });
caseSchema.index({ helperIds: 1 });
caseSchema.index({ 'handover.toUserId': 1 });
// The worker's pass over steps whose effects a crash left undone (an index of nulls but for a moment after a step).
caseSchema.index({ effectsSince: 1 });

// The service report: the cases opened in a month or quarter
caseSchema.index({ createdAt: 1 });

export type Case = InferSchemaType<typeof caseSchema>;
export type CaseDocument = HydratedDocument<Case>;
/** A case as read with lean(). */
export type CaseRecord = Case & { _id: Types.ObjectId; __v: number; createdAt: Date; updatedAt: Date };
export const CaseModel = model('Case', caseSchema, 'cases');

type CaseAccess = {
  ownerId: Types.ObjectId | string; openedById: Types.ObjectId | string; helperIds?: Array<Types.ObjectId | string> | null;
  handover?: { toUserId: Types.ObjectId | string } | null;
};
type CustomerAccess = Parameters<typeof canRead>[1];
export type CaseRole = 'leadership' | 'owner' | 'helper' | 'team' | 'opener' | 'invitee' | 'none';

/**
 * How the user stands to a case: `leadership` (executives and admins see every case), `owner`, `helper` (sees and
 * comments), `team` (the customer's owner and account team follow it), `opener` (who took the call and handed it on
 * still sees it), `invitee` (offered the case, so they can read it before they accept), or `none`. Only the team and
 * leadership see more of the customer than its name and code.
 */
export function caseRole(user: AuthUser, kase: CaseAccess, customer: CustomerAccess): CaseRole {
  if (user.role === 'executive' || user.role === 'admin') return 'leadership';
  if (String(kase.ownerId) === user.id) return 'owner';
  if ((kase.helperIds ?? []).some((id) => String(id) === user.id)) return 'helper';
  if (canRead(user, customer)) return 'team';
  if (String(kase.openedById) === user.id) return 'opener';
  if (kase.handover && String(kase.handover.toUserId) === user.id) return 'invitee';
  return 'none';
}

type Timed = { status: string; respondBy: Date; resolveBy: Date; respondedAt?: Date | null; resolvedAt?: Date | null };

/**
 * Whether each target was met: decided once the case was answered (resolved) or the target's time passed, else null.
 * A reopened case is measured again against its first resolveBy, by its last resolution.
 */
export function targetsMet(kase: Timed, now: Date): { respondMet: boolean | null; resolveMet: boolean | null } {
  const met = (done: Date | null | undefined, due: Date) => (done ? done.getTime() <= due.getTime() : now.getTime() > due.getTime() ? false : null);
  const active = (activeCaseStatuses as readonly string[]).includes(kase.status);
  return { respondMet: met(kase.respondedAt, kase.respondBy), resolveMet: met(active ? null : kase.resolvedAt, kase.resolveBy) };
}

/** A case past a target it has not met yet: not answered by respondBy, or not resolved by resolveBy. */
export function isOverdue(kase: Timed, now: Date): boolean {
  if (!(activeCaseStatuses as readonly string[]).includes(kase.status)) return false;
  return (!kase.respondedAt && kase.respondBy.getTime() < now.getTime()) || kase.resolveBy.getTime() < now.getTime();
}

/** The condition isOverdue is, as a query. */
export const overdueFilter = (now: Date) => ({
  status: { $in: activeCaseStatuses },
  $or: [{ respondedAt: null, respondBy: { $lt: now } }, { resolveBy: { $lt: now } }],
});

/** The first-contact-resolution rule: closed by its opener, never handed over, never reopened. */
export function isFirstContactResolution(kase: { openedById: Types.ObjectId | string; ownerId: Types.ObjectId | string; handovers: number; reopens: number }): boolean {
  return String(kase.openedById) === String(kase.ownerId) && kase.handovers === 0 && kase.reopens === 0;
}

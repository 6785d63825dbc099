import { Types } from 'mongoose';
import { CaseModel, caseRole, isFirstContactResolution, type CaseRecord, type CaseStep } from '../models/case.ts';
import { canRead } from '../models/customer.ts';
import { activeUserIds, type AuthUser } from '../models/user.ts';
import type { Refusal } from '../schemas/common.ts';
import type { CloseInput, HandoverInput, ResolveInput } from '../schemas/case-input.ts';

// What may happen to a service case after it is opened: started, commented, helped, handed over (offered, then
// accepted or declined by the one offered), resolved with a solution, reopened with a reason, closed with the
// customer's confirmation and CSAT, or closed by itself days after resolution. Plain functions of the caller, the case
// as read and its customer; each writes the step into the case's history conditional on the version read and answers
// the case as written, null when another step landed first (the caller reads again and retries), or why it is refused.
//
// Status: open -> in_progress -> resolved -> closed, and resolved -> reopened -> in_progress | resolved.
// The owner's first step after opening (or anyone's resolution) answers the customer: respondedAt.

export type CaseRefusal = Refusal<403 | 409>;
export type CaseOutcome = { kase: CaseRecord } | { refused: CaseRefusal } | null;
type CaseCustomer = { ownerId: Types.ObjectId; accountTeam?: Types.ObjectId[] | null };

const refused = (status: 403 | 409, message: string) => ({ refused: { status, message } });
const invalid = (field: string, message: string) => ({ refused: { status: 400 as const, errors: [{ field, message }] } });

const runsIt = (user: AuthUser, kase: CaseRecord) => String(kase.ownerId) === user.id || user.role === 'admin';
const ownerOnly = (what: string) => refused(403, `Only the case's owner or an admin ${what}.`);
const closedIsFinal = () => refused(409, 'The case is closed; open a new case if the customer calls again.');

type Step = {
  step: CaseStep; note?: string; userId?: string | Types.ObjectId | null;
  set?: Record<string, unknown>; push?: Record<string, unknown>; inc?: Record<string, number>;
};

/**
 * Writes a step: its fields, its history entry, the version bumped and its effects marked due, conditional on the
 * version read, so two steps at once never overwrite each other. A step by the owner answers the customer if nothing
 * had yet.
 */
async function writeStep(kase: CaseRecord, by: AuthUser | null, s: Step, now: Date): Promise<CaseOutcome> {
  const set: Record<string, unknown> = { ...s.set, effectsSince: now };
  if (!kase.respondedAt && ((by && String(kase.ownerId) === by.id) || s.step === 'resolved')) {
    Object.assign(set, { respondedAt: now, respondMet: now.getTime() <= kase.respondBy.getTime() });
  }
  const entry = {
    at: now, by: by ? { id: new Types.ObjectId(by.id), name: by.name } : { id: null, name: 'system' }, step: s.step,
    note: s.note ?? '', userId: s.userId ? new Types.ObjectId(String(s.userId)) : null,
  };
  const updated = await CaseModel.findOneAndUpdate(
    { _id: kase._id, __v: kase.__v },
    { $set: set, $push: { history: entry, ...s.push }, $inc: { __v: 1, ...s.inc } },
    { returnDocument: 'after', runValidators: true },
  ).lean<CaseRecord>();
  return updated && { kase: updated };
}

/** open or reopened -> in_progress, by the owner or an admin. */
export function startCase(user: AuthUser, kase: CaseRecord, now = new Date()): Promise<CaseOutcome> | CaseOutcome {
  if (!runsIt(user, kase)) return ownerOnly('starts work on it');
  if (kase.status !== 'open' && kase.status !== 'reopened') return refused(409, `A case ${kase.status} cannot be started; only open or reopened cases.`);
  return writeStep(kase, user, { step: 'started', set: { status: 'in_progress' } }, now);
}

/** A comment by anyone who sees the case; the owner's counts as an answer to the customer. */
export function commentCase(user: AuthUser, kase: CaseRecord, text: string, now = new Date()): Promise<CaseOutcome> | CaseOutcome {
  if (kase.status === 'closed') return closedIsFinal();
  const comment = { at: now, by: { id: new Types.ObjectId(user.id), name: user.name }, text };
  return writeStep(kase, user, { step: 'commented', note: text.slice(0, 200), push: { comments: comment } }, now);
}

/** The owner (or an admin) adds a helper, who then sees and comments on the case. */
export async function addHelper(user: AuthUser, kase: CaseRecord, helperId: string, now = new Date()): Promise<CaseOutcome> {
  if (!runsIt(user, kase)) return ownerOnly('adds helpers');
  if (kase.status === 'closed') return closedIsFinal();
  if (String(kase.ownerId) === helperId) return invalid('userId', 'userId is the owner of the case');
  if (!(await activeUserIds([helperId])).has(helperId)) return invalid('userId', 'userId must be an active user');
  if (kase.helperIds.some((id) => String(id) === helperId)) return refused(409, 'This user already helps with the case.');
  return writeStep(kase, user, { step: 'helper_added', userId: helperId, push: { helperIds: new Types.ObjectId(helperId) } }, now);
}

/** The owner (or an admin) offers the case to someone; the owner stays accountable until they accept. */
export async function offerHandover(user: AuthUser, kase: CaseRecord, input: HandoverInput, now = new Date()): Promise<CaseOutcome> {
  if (!runsIt(user, kase)) return ownerOnly('hands it over');
  if (kase.status === 'closed') return closedIsFinal();
  if (String(kase.ownerId) === input.toUserId) return invalid('toUserId', 'toUserId already owns the case');
  if (!(await activeUserIds([input.toUserId])).has(input.toUserId)) return invalid('toUserId', 'toUserId must be an active user');
  const handover = { toUserId: new Types.ObjectId(input.toUserId), note: input.note ?? '', at: now };
  return writeStep(kase, user, { step: 'handover_offered', note: input.note, userId: input.toUserId, set: { handover } }, now);
}

/** The one offered the case accepts it (becoming its owner) or declines it (the owner keeps it). */
export async function answerHandover(user: AuthUser, kase: CaseRecord, answer: 'accept' | 'decline', note: string, now = new Date()): Promise<CaseOutcome> {
  if (!kase.handover) return refused(409, 'No handover of this case is waiting for an answer.');
  if (String(kase.handover.toUserId) !== user.id) return refused(403, 'Only the person the case is offered to accepts or declines it.');
  if (kase.status === 'closed') return closedIsFinal();
  if (answer === 'decline') return writeStep(kase, user, { step: 'handover_declined', note, userId: kase.ownerId, set: { handover: null } }, now);
  // The new owner no longer needs to be a helper; the one handing over keeps the case in view only as its opener.
  const helperIds = kase.helperIds.filter((id) => String(id) !== user.id);
  return writeStep(kase, user, {
    step: 'handover_accepted', note, userId: kase.ownerId, set: { ownerId: new Types.ObjectId(user.id), handover: null, helperIds }, inc: { handovers: 1 },
  }, now);
}

/** open, in_progress or reopened -> resolved, with the solution the customer was given, by the owner or an admin. */
export function resolveCase(user: AuthUser, kase: CaseRecord, input: ResolveInput, now = new Date()): Promise<CaseOutcome> | CaseOutcome {
  if (!runsIt(user, kase)) return ownerOnly('resolves it');
  if (!['open', 'in_progress', 'reopened'].includes(kase.status)) return refused(409, `A case ${kase.status} cannot be resolved.`);
  return writeStep(kase, user, {
    step: 'resolved', note: input.solution.slice(0, 200),
    set: {
      status: 'resolved', solution: input.solution, knowledgeIds: (input.knowledgeIds ?? []).map((id) => new Types.ObjectId(id)),
      resolvedAt: now, resolveMet: now.getTime() <= kase.resolveBy.getTime(),
    },
  }, now);
}

/** resolved -> reopened, with the reason, by the owner, the customer's team or leadership. */
export function reopenCase(user: AuthUser, kase: CaseRecord, customer: CaseCustomer, reason: string, now = new Date()): Promise<CaseOutcome> | CaseOutcome {
  const role = caseRole(user, kase, customer);
  if (role !== 'owner' && role !== 'leadership' && !canRead(user, customer)) {
    return refused(403, "Only the case's owner, the customer's owner and account team, executives and admins reopen a case.");
  }
  if (kase.status !== 'resolved') return refused(409, `Only a resolved case can be reopened; this one is ${kase.status}.`);
  // measured again against its first resolveBy when it is resolved again
  return writeStep(kase, user, { step: 'reopened', note: reason, set: { status: 'reopened', resolvedAt: null, resolveMet: null }, inc: { reopens: 1 } }, now);
}

/** resolved -> closed with the customer's confirmation and CSAT, by the owner or an admin. */
export function closeCase(user: AuthUser, kase: CaseRecord, input: CloseInput, now = new Date()): Promise<CaseOutcome> | CaseOutcome {
  if (!runsIt(user, kase)) return ownerOnly('closes it');
  if (kase.status !== 'resolved') return refused(409, `Only a resolved case can be closed; this one is ${kase.status}.`);
  const closure = { confirmedBy: input.confirmedBy, csat: input.csat, comment: input.comment ?? '', automatic: false };
  return writeStep(kase, user, {
    step: 'closed', note: `confirmed by ${input.confirmedBy}, CSAT ${input.csat}`,
    set: { status: 'closed', closedAt: now, closure, firstContactResolution: isFirstContactResolution(kase) },
  }, now);
}

/** resolved -> closed by itself, `days` after resolution without an answer from the customer: no CSAT. */
export function autoCloseCase(kase: CaseRecord, days: number, now = new Date()): Promise<CaseOutcome> | CaseOutcome {
  if (kase.status !== 'resolved') return refused(409, 'Only a resolved case closes by itself.');
  const closure = { confirmedBy: '', csat: null, comment: `closed by itself ${days} days after resolution without an answer`, automatic: true };
  return writeStep(kase, null, {
    step: 'auto_closed', note: closure.comment,
    set: { status: 'closed', closedAt: now, closure, firstContactResolution: isFirstContactResolution(kase) },
  }, now);
}

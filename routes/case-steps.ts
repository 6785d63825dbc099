import type Joi from 'joi';
import type { CaseRecord } from '../models/case.ts';
import { caseViews } from '../models/case-view.ts';
import { activeEntryIds } from '../models/knowledge.ts';
import { recordUse } from '../models/knowledge-uses.ts';
import type { AuthUser } from '../models/user.ts';
import { Types } from 'mongoose';
import { caseSchema } from '../schemas/case.ts';
import {
  answerSchema, closeSchema, commentSchema, handoverSchema, helperSchema, reopenSchema, resolveSchema,
} from '../schemas/case-input.ts';
import { caseFor, currentUser, type CaseCustomer } from '../server/auth.ts';
import { refusalError } from '../server/errors.ts';
import { applyToLatest, etagHeader, etagOf, ifMatchHeader, keptChanging, staleError } from '../server/etag.ts';
import { operation, type Answer, type Operation } from '../server/operation.ts';
import { applyCaseEffects } from '../usecases/case-effects.ts';
import {
  addHelper, answerHandover, closeCase, commentCase, offerHandover, reopenCase, resolveCase, startCase, type CaseOutcome,
} from '../usecases/case-transition.ts';

/** The case a step wrote, or its refusal thrown as the HTTP answer. */
function written(outcome: Exclude<CaseOutcome, null>): CaseRecord {
  if ('refused' in outcome) throw refusalError(outcome.refused);
  return outcome.kase;
}

type Run<B> = (user: AuthUser, kase: CaseRecord, customer: CaseCustomer, body: B) => CaseOutcome | Promise<CaseOutcome>;

/**
 * One step of a case as an operation: the case read (404 unless the user sees it), If-Match checked, the use case run
 * conditional on the version read (without If-Match, again on a fresh read when another step landed first), the
 * step's effects run, and the case answered with its new ETag.
 */
function step<B>(o: { path: string; summary: string; description?: string; body?: Joi.Schema<B>; bodyOptional?: boolean; forbidden?: string; conflict: string; run: Run<B> }): Operation {
  return operation<Record<string, never>, B>({
    method: 'post', path: `/api/v1/cases/:id/${o.path}`, tag: 'cases', access: 'signed-in', summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    headers: ifMatchHeader, ...(o.body ? { body: o.body } : {}), ...(o.bodyOptional ? { bodyOptional: true } : {}),
    responses: {
      200: { description: 'The case after the step', headers: etagHeader, body: caseSchema },
      404: 'No such case, or one you do not see',
      409: `${o.conflict}; or ${keptChanging('case')}`, 412: 'The case changed since the ETag was read',
      ...(o.forbidden ? { 403: o.forbidden } : {}),
    } as Record<number, Answer>,
    handler: async (req, res, { body }) => {
      const user = currentUser(req);
      const kase = await applyToLatest(req, 'case', async (version) => {
        const { kase, customer } = await caseFor(user, String(req.params.id));
        if (version !== undefined && version !== kase.__v) throw staleError('case');
        const outcome = await o.run(user, kase, customer, body as B);
        return outcome && written(outcome);
      });
      await applyCaseEffects(kase);
      const [view] = await caseViews([kase]);
      res.setHeader('ETag', etagOf(kase.__v)).json(view);
    },
  });
}

const ownerOrAdmin = "Only the case's owner or an admin takes this step";
const closed = 'The case is closed';

/** The steps of a service case, each recorded in its history. */
export const caseStepOperations = [
  step({
    path: 'start', summary: 'Start work on an open or reopened case (owner, admin)',
    description: "open or reopened -> in_progress. The owner's first step after opening (this, a comment, a handover, ...) records respondedAt.",
    forbidden: ownerOrAdmin, conflict: 'The case is not open or reopened',
    run: (user, kase) => startCase(user, kase),
  }),
  step({
    path: 'comments', summary: 'Comment on a case (anyone who sees it)', body: commentSchema,
    description: "The owner and helpers are told (`case.comment`). The owner's comment counts as an answer to the customer (respondedAt).",
    conflict: closed,
    run: (user, kase, _customer, body) => commentCase(user, kase, body.text),
  }),
  step({
    path: 'helpers', summary: 'Add a helper, who sees and comments on the case (owner, admin)', body: helperSchema,
    forbidden: ownerOrAdmin, conflict: `${closed}, or the user already helps`,
    run: (user, kase, _customer, body) => addHelper(user, kase, body.userId),
  }),
  step({
    path: 'handover', summary: 'Offer the case to someone else (owner, admin); the owner stays accountable until they accept',
    description: 'The one offered sees the case and is told (`case.handover`); a new offer replaces one still waiting.',
    body: handoverSchema, forbidden: ownerOrAdmin, conflict: closed,
    run: (user, kase, _customer, body) => offerHandover(user, kase, body),
  }),
  step({
    path: 'handover/accept', summary: 'Accept the case offered to you: you become its owner',
    body: answerSchema, bodyOptional: true, forbidden: 'Only the person the case is offered to answers the handover',
    conflict: `No handover is waiting, or ${closed.toLowerCase()}`,
    run: (user, kase, _customer, body) => answerHandover(user, kase, 'accept', body?.note ?? ''),
  }),
  step({
    path: 'handover/decline', summary: 'Decline the case offered to you: the owner keeps it',
    body: answerSchema, bodyOptional: true, forbidden: 'Only the person the case is offered to answers the handover',
    conflict: `No handover is waiting, or ${closed.toLowerCase()}`,
    run: (user, kase, _customer, body) => answerHandover(user, kase, 'decline', body?.note ?? ''),
  }),
  step({
    path: 'resolve', summary: 'Resolve the case with the solution the customer was given (owner, admin)',
    description: 'open, in_progress or reopened -> resolved. The customer\'s owner and team, the opener and the helpers are told. '
      + 'Unless the customer confirms it (close), the case closes by itself after the service policy\'s autoCloseDays.',
    body: resolveSchema, forbidden: ownerOrAdmin, conflict: 'The case is not open, in progress or reopened',
    run: async (user, kase, _customer, body) => {
      // the entries it was solved with must exist and be in use; each then counts as used in this case, once
      const ids = body.knowledgeIds ?? [];
      const known = await activeEntryIds(ids);
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length) return { refused: { status: 400, errors: [{ field: 'knowledgeIds', message: `knowledgeIds has no entry in use with id ${unknown.join(', ')}` }] } };
      const outcome = await resolveCase(user, kase, body);
      if (outcome && 'kase' in outcome) for (const id of ids) await recordUse(new Types.ObjectId(id), outcome.kase._id, user.id);
      return outcome;
    },
  }),
  step({
    path: 'reopen', summary: "Reopen a resolved case (owner, the customer's owner and team, executives, admins)",
    description: 'resolved -> reopened; the case is measured again against its first resolveBy, and is no longer a first-contact resolution.',
    body: reopenSchema, forbidden: "Only the case's owner, the customer's owner and team, executives and admins reopen a case",
    conflict: 'The case is not resolved',
    run: (user, kase, customer, body) => reopenCase(user, kase, customer, body.reason),
  }),
  step({
    path: 'close', summary: "Close a resolved case with the customer's confirmation and CSAT (owner, admin)",
    description: 'resolved -> closed. Sets firstContactResolution (closed by whoever opened it, never handed over or reopened); the CSAT '
      + "counts in the customer's satisfaction summary.",
    body: closeSchema, forbidden: ownerOrAdmin, conflict: 'The case is not resolved',
    run: (user, kase, _customer, body) => closeCase(user, kase, body),
  }),
];

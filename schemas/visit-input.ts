import Joi from 'joi';
import { actionStatuses } from '../models/action.ts';
import { severities, visitChannels, visitStatuses } from '../models/visit.ts';
import { objectId, pageKeys } from './common.ts';
import type { ActionPatch, GetActionsQuery, GetVisitsQuery, VisitComplete, VisitCreate, VisitPatch } from './inputs.gen.ts';

// The request bodies and query strings of routes/visits.ts.

const owner = Joi.alternatives(Joi.string().valid('me'), objectId()).description('`me` or a user id');
const channel = Joi.string().valid(...visitChannels);
const contactIds = Joi.array().items(objectId()).max(50).unique().description("contacts of the visit's customer");
const reason = Joi.string().trim().min(1).max(2000);
const activeUser = objectId().description('an active user');

/** One point of feedback from a visit; completing the visit turns each into an improvement action. */
export const feedbackItem = Joi.object({
  category: Joi.string().trim().min(1).max(100).required(),
  text: Joi.string().trim().min(1).max(4000).required(),
  severity: Joi.string().valid(...severities).required(),
});

export type Channel = (typeof visitChannels)[number];
// The types of the parsed inputs, generated from these schemas (scripts/input-types.ts).
export type VisitListInput = GetVisitsQuery;
export type AdhocInput = VisitCreate;
export type VisitPatchInput = VisitPatch;
export type Feedback = VisitComplete['feedback'][number];
export type CompleteInput = VisitComplete;
export type ActionListInput = GetActionsQuery;
export type ActionPatchInput = ActionPatch;

export const visitListSchema = Joi.object<VisitListInput>({
  ...pageKeys, owner, status: Joi.string().valid(...visitStatuses), customerId: objectId(),
  dueBefore: Joi.date().iso().description('dueAt before this instant'),
  dueAfter: Joi.date().iso().description('dueAt at or after this instant'),
  overdue: Joi.boolean().valid(true).description('only scheduled visits whose dueAt has passed'),
});

export const adhocSchema = Joi.object<AdhocInput>({
  scheduledFor: Joi.date().iso().required().description('also its dueAt'),
  channel: channel.description('onsite when not given'),
  contactIds,
  ownerId: objectId().description('an active user; defaults to the caller'),
}).id('VisitCreate');

// A reason goes with a reschedule or a cancellation, and each of those needs one.
export const visitPatchSchema = Joi.object<VisitPatchInput>({
  scheduledFor: Joi.date().iso().description('reschedule: needs a reason; the previous date goes to rescheduledFrom'),
  status: Joi.string().valid('cancelled')
    .messages({ 'any.only': '{#label} may only be set to cancelled here; complete a visit with POST /visits/{id}/complete' })
    .description('cancel: needs a reason'),
  // The descriptions of the conditions are for the document: two alike would be one condition written twice there.
  reason: reason.when('scheduledFor', { is: Joi.exist(), then: Joi.required().description('required with scheduledFor') })
    .when('status', { is: Joi.exist(), then: Joi.required().description('required with status') })
    .description('only with scheduledFor or status, and required with either'),
  channel, contactIds, ownerId: activeUser,
}).min(1).custom((value: VisitPatchInput, helpers) => {
  if (value.reason !== undefined && value.scheduledFor === undefined && value.status === undefined) {
    return helpers.message({ custom: 'reason goes with a new scheduledFor or with status cancelled' });
  }
  return value;
}).id('VisitPatch')
  .description('Reschedule (scheduledFor with a reason), cancel (status cancelled with a reason), or change the channel, contacts or owner');

export const completeSchema = Joi.object<CompleteInput>({
  completedAt: Joi.date().iso().max('now').messages({ 'date.max': '{#label} cannot be in the future' }).description('not in the future; defaults to now'),
  satisfaction: Joi.number().integer().min(1).max(5).strict().required().description('1 (very unhappy) to 5 (very happy)'),
  recommend: Joi.number().integer().min(0).max(10).strict().required()
    .description('how likely they would recommend us, 0 to 10: 9-10 promoter, 7-8 passive, 0-6 detractor'),
  summary: Joi.string().trim().max(8000).allow('').default(''),
  feedback: Joi.array().items(feedbackItem).max(50).default([]).description('each item becomes an open improvement action'),
  contactIds, channel,
}).id('VisitComplete');

export const actionListSchema = Joi.object<ActionListInput>({
  ...pageKeys, owner, status: Joi.string().valid(...actionStatuses), customerId: objectId(),
});

export const actionPatchSchema = Joi.object<ActionPatchInput>({
  status: Joi.string().valid(...actionStatuses), ownerId: activeUser, dueDate: Joi.date().iso().allow(null),
  resolution: Joi.string().trim().max(4000).allow('').description('how it was solved; required (here or already stored) for status done'),
}).min(1).id('ActionPatch');

import Joi from 'joi';
import { actionStatuses, type ActionStatus } from '../models/action.ts';
import { severities, visitChannels, visitStatuses, type VisitStatus } from '../models/visit.ts';
import { objectId, pageKeys } from './common.ts';

// The request bodies and query strings of routes/visits.ts.

const owner = Joi.alternatives(Joi.string().valid('me'), objectId());
const channel = Joi.string().valid(...visitChannels);
const contactIds = Joi.array().items(objectId()).max(50).unique();
const reason = Joi.string().trim().min(1).max(2000);

export type Channel = (typeof visitChannels)[number];
export type VisitListInput = {
  limit: number; cursor?: string; owner?: string; status?: VisitStatus; customerId?: string; dueBefore?: Date; dueAfter?: Date; overdue?: boolean;
};
export type AdhocInput = { scheduledFor: Date; channel?: Channel; contactIds?: string[]; ownerId?: string };
export type VisitPatchInput = {
  scheduledFor?: Date; status?: 'cancelled'; reason?: string; channel?: Channel; contactIds?: string[]; ownerId?: string;
};
export type Feedback = { category: string; text: string; severity: (typeof severities)[number] };
export type CompleteInput = {
  completedAt?: Date; satisfaction: number; recommend: number; summary: string; feedback: Feedback[]; contactIds?: string[]; channel?: Channel;
};
export type ActionListInput = { limit: number; cursor?: string; owner?: string; status?: ActionStatus; customerId?: string };
export type ActionPatchInput = { status?: ActionStatus; ownerId?: string; dueDate?: Date | null; resolution?: string };

export const visitListSchema = Joi.object<VisitListInput>({
  ...pageKeys, owner, status: Joi.string().valid(...visitStatuses), customerId: objectId(),
  dueBefore: Joi.date().iso(), dueAfter: Joi.date().iso(), overdue: Joi.boolean().valid(true),
});

export const adhocSchema = Joi.object<AdhocInput>({ scheduledFor: Joi.date().iso().required(), channel, contactIds, ownerId: objectId() });

// A reason goes with a reschedule or a cancellation, and each of those needs one.
export const visitPatchSchema = Joi.object<VisitPatchInput>({
  scheduledFor: Joi.date().iso(),
  status: Joi.string().valid('cancelled').messages({ 'any.only': '{#label} may only be set to cancelled here; complete a visit with POST /visits/{id}/complete' }),
  reason: reason.when('scheduledFor', { is: Joi.exist(), then: Joi.required() })
    .when('status', { is: Joi.exist(), then: Joi.required() }),
  channel, contactIds, ownerId: objectId(),
}).min(1).custom((value: VisitPatchInput, helpers) => {
  if (value.reason !== undefined && value.scheduledFor === undefined && value.status === undefined) {
    return helpers.message({ custom: 'reason goes with a new scheduledFor or with status cancelled' });
  }
  return value;
});

export const completeSchema = Joi.object<CompleteInput>({
  completedAt: Joi.date().iso().max('now').messages({ 'date.max': '{#label} cannot be in the future' }),
  satisfaction: Joi.number().integer().min(1).max(5).strict().required(),
  recommend: Joi.number().integer().min(0).max(10).strict().required(),
  summary: Joi.string().trim().max(8000).allow('').default(''),
  feedback: Joi.array().items(Joi.object({
    category: Joi.string().trim().min(1).max(100).required(),
    text: Joi.string().trim().min(1).max(4000).required(),
    severity: Joi.string().valid(...severities).required(),
  })).max(50).default([]),
  contactIds, channel,
});

export const actionListSchema = Joi.object<ActionListInput>({
  ...pageKeys, owner, status: Joi.string().valid(...actionStatuses), customerId: objectId(),
});

export const actionPatchSchema = Joi.object<ActionPatchInput>({
  status: Joi.string().valid(...actionStatuses), ownerId: objectId(), dueDate: Joi.date().iso().allow(null),
  resolution: Joi.string().trim().max(4000).allow(''),
}).min(1);

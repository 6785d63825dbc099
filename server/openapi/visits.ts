import { actionStatuses } from '../../models/action.ts';
import { severities, visitChannels, visitKinds, visitStatuses } from '../../models/visit.ts';
import { errors, etagHeader, idParam, ifMatchParam, json, keptChanging, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const str = (maxLength: number) => ({ type: 'string', maxLength });
const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const dateTime = { type: 'string', format: 'date-time' };
const nullableDate = { type: ['string', 'null'], format: 'date-time' };
const contactIds = { type: 'array', maxItems: 50, uniqueItems: true, items: objectIdSchema, description: "contacts of the visit's customer" };
const owner = { name: 'owner', in: 'query', description: '`me` or a user id', schema: { type: 'string' } };
const customerNotFound = problem('No such customer, or one of another team');
const visitNotFound = problem('No such visit, or one of a customer of another team');
const actionNotFound = problem('No such action, or one of a customer of another team');
const notOpen = problem('The visit is no longer scheduled (completed, missed or cancelled)');
const stale = (what: string) => problem(`The ${what} changed since the ETag was read`);

const feedback = {
  type: 'object', additionalProperties: false, required: ['category', 'text', 'severity'],
  properties: { category: { ...str(100), minLength: 1 }, text: { ...str(4000), minLength: 1 }, severity: { enum: [...severities] } },
};
const cadence = 'Every non-archived customer has exactly one open (scheduled) cadence visit, enforced by a unique index. Its '
  + '`dueAt` (an instant, UTC) is the last completed visit (or, before any, the tier assignment, or the customer\'s creation) plus the '
  + "current tier's cadence from the tier policy (C's for an untiered customer). A tier change moves it earlier when the new cadence "
  + 'is shorter, never later; archiving cancels it (reason "customer archived").';
const completion = 'Completing stores the scores and feedback, turns each feedback item into an open improvement action owned by the '
  + "visit's owner, creates the next cadence visit (for a cadence visit), and recomputes the customer's `satisfaction`: lastScore, "
  + 'average (mean of the last 4 scores), lastRecommend, npsCategory (9-10 promoter, 7-8 passive, 0-6 detractor), trend (the last '
  + 'score against the mean of up to 3 before it; null for a first visit), lastVisitAt, nextVisitDue. A score of 1-2 or a detractor '
  + "notifies the customer's owner, the visit's owner and the executives at once (kind `satisfaction.alert`). A second completion gets 409.";

const visit = {
  type: 'object',
  required: ['id', 'customerId', 'ownerId', 'kind', 'status', 'dueAt', 'scheduledFor', 'channel', 'contactIds', 'completedAt', 'satisfaction',
    'recommend', 'summary', 'feedback', 'rescheduledFrom', 'reason', 'createdAt', 'updatedAt'],
  properties: {
    id: objectIdSchema, customerId: objectIdSchema, ownerId: objectIdSchema, kind: { enum: [...visitKinds] }, status: { enum: [...visitStatuses] },
    dueAt: dateTime, scheduledFor: { ...dateTime, description: 'when it is planned; starts at dueAt' }, channel: { enum: [...visitChannels] },
    contactIds: { type: 'array', items: objectIdSchema }, completedAt: nullableDate,
    satisfaction: { type: ['integer', 'null'], minimum: 1, maximum: 5 }, recommend: { type: ['integer', 'null'], minimum: 0, maximum: 10 },
    summary: { type: 'string' }, feedback: { type: 'array', items: feedback },
    rescheduledFrom: { ...nullableDate, description: 'scheduledFor before the last reschedule' },
    reason: { type: 'string', description: 'why it was last rescheduled or cancelled' },
    createdAt: dateTime, updatedAt: dateTime,
  },
};
const action = {
  type: 'object',
  required: ['id', 'customerId', 'visitId', 'category', 'text', 'severity', 'status', 'ownerId', 'dueDate', 'resolution', 'createdAt', 'updatedAt'],
  properties: {
    id: objectIdSchema, customerId: objectIdSchema, visitId: objectIdSchema, category: { type: 'string' }, text: { type: 'string' },
    severity: { enum: [...severities] }, status: { enum: [...actionStatuses] }, ownerId: objectIdSchema, dueDate: nullableDate,
    resolution: { type: 'string' }, createdAt: dateTime, updatedAt: dateTime,
  },
};

export const visitsPart: Part = {
  paths: {
    '/api/v1/visits': {
      get: {
        tags: ['visits'], summary: 'Visits of the customers you may see, newest first', description: cadence, security: secured,
        parameters: [
          ...pageParams, owner,
          { name: 'status', in: 'query', schema: { enum: [...visitStatuses] } },
          { name: 'customerId', in: 'query', schema: objectIdSchema },
          { name: 'dueBefore', in: 'query', description: 'dueAt before this instant', schema: dateTime },
          { name: 'dueAfter', in: 'query', description: 'dueAt at or after this instant', schema: dateTime },
          { name: 'overdue', in: 'query', description: 'only scheduled visits whose dueAt has passed', schema: { enum: [true] } },
        ],
        responses: { 200: { description: 'A page of visits', content: json(page('Visit')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/customers/{id}/visits': {
      parameters: [idParam],
      post: {
        tags: ['visits'], summary: 'Plan an ad hoc visit', security: secured,
        requestBody: { required: true, content: json(ref('VisitCreate')) },
        responses: { 201: { description: 'Created', headers: etagHeader, content: json(ref('Visit')) }, ...errors, 404: customerNotFound },
      },
    },
    '/api/v1/visits/{id}': {
      parameters: [idParam],
      get: {
        tags: ['visits'], summary: 'Read a visit', security: secured,
        responses: { 200: { description: 'Visit', headers: etagHeader, content: json(ref('Visit')) }, 401: errors[401], 404: visitNotFound },
      },
      patch: {
        tags: ['visits'], summary: 'Reschedule or cancel a scheduled visit (each with a reason), or change its channel, contacts or owner',
        description: 'A cancelled cadence visit is replaced by a new one, due as the cadence says.', security: secured, parameters: [ifMatchParam],
        requestBody: { required: true, content: json(ref('VisitPatch')) },
        responses: {
          200: { description: 'Updated', headers: etagHeader, content: json(ref('Visit')) },
          ...errors, 404: visitNotFound, 409: notOpen, 412: stale('visit'),
        },
      },
    },
    '/api/v1/visits/{id}/complete': {
      parameters: [idParam],
      post: {
        tags: ['visits'], summary: 'Complete a scheduled visit with its scores and feedback', description: completion, security: secured,
        parameters: [ifMatchParam],
        requestBody: { required: true, content: json(ref('VisitComplete')) },
        responses: {
          200: { description: 'Completed', headers: etagHeader, content: json(ref('Visit')) },
          ...errors, 404: visitNotFound, 409: notOpen, 412: stale('visit'),
        },
      },
    },
    '/api/v1/actions': {
      get: {
        tags: ['visits'], summary: 'Improvement actions of the customers you may see, newest first', security: secured,
        parameters: [
          ...pageParams, owner,
          { name: 'status', in: 'query', schema: { enum: [...actionStatuses] } },
          { name: 'customerId', in: 'query', schema: objectIdSchema },
        ],
        responses: { 200: { description: 'A page of actions', content: json(page('Action')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/actions/{id}': {
      parameters: [idParam],
      patch: {
        tags: ['visits'], summary: 'Move an improvement action on; `done` needs a resolution', security: secured, parameters: [ifMatchParam],
        requestBody: { required: true, content: json(ref('ActionPatch')) },
        responses: { 200: { description: 'Updated', headers: etagHeader, content: json(ref('Action')) }, ...errors, 404: actionNotFound, 409: keptChanging('action'), 412: stale('action') },
      },
    },
  },
  schemas: {
    Visit: visit,
    VisitCreate: {
      type: 'object', additionalProperties: false, required: ['scheduledFor'],
      properties: {
        scheduledFor: { ...dateTime, description: 'also its dueAt' }, channel: { enum: [...visitChannels], default: 'onsite' }, contactIds,
        ownerId: { ...objectIdSchema, description: 'an active user; defaults to the caller' },
      },
    },
    VisitPatch: {
      type: 'object', additionalProperties: false, minProperties: 1,
      properties: {
        scheduledFor: { ...dateTime, description: 'reschedule: needs a reason; the previous date goes to rescheduledFrom' },
        status: { enum: ['cancelled'], description: 'cancel: needs a reason' },
        reason: { ...str(2000), minLength: 1, description: 'only with scheduledFor or status' },
        channel: { enum: [...visitChannels] }, contactIds, ownerId: { ...objectIdSchema, description: 'an active user' },
      },
    },
    VisitComplete: {
      type: 'object', additionalProperties: false, required: ['satisfaction', 'recommend'],
      properties: {
        completedAt: { ...dateTime, description: 'not in the future; defaults to now' },
        satisfaction: { type: 'integer', minimum: 1, maximum: 5 }, recommend: { type: 'integer', minimum: 0, maximum: 10 },
        summary: str(8000), feedback: { type: 'array', maxItems: 50, items: feedback }, contactIds, channel: { enum: [...visitChannels] },
      },
    },
    Action: action,
    ActionPatch: {
      type: 'object', additionalProperties: false, minProperties: 1,
      properties: {
        status: { enum: [...actionStatuses] }, ownerId: { ...objectIdSchema, description: 'an active user' }, dueDate: nullableDate,
        resolution: { ...str(4000), description: 'required (here or stored) for status done' },
      },
    },
  },
};

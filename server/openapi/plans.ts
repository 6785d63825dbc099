import { tiers } from '../../models/customer.ts';
import { describeMoves, objectiveStatuses, planStatuses, resourceKinds } from '../../models/plan.ts';
import { errors, etagHeader, idParam, ifMatchParam, json, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const str = (maxLength: number) => ({ type: 'string', maxLength });
const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const dateTime = { type: 'string', format: 'date-time' };
const nullable = (schema: { type: string }) => ({ ...schema, type: [schema.type, 'null'] });
const period = {
  type: 'string', pattern: '^(20[0-9]{2}|2100)(-Q[1-4])?$', examples: ['2027', '2027-Q1'],
  description: 'a year or a quarter, 2000 to 2100',
};
const customerNotFound = problem('No such customer, or one of another team');
const planNotFound = problem('No such plan, or one of a customer of another team');
const duplicate = problem('The customer already has a plan for this period');
const stale = problem('The plan changed since the ETag was read');

const moves = planStatuses.map((s) => describeMoves(s)).join('. ');
const editing = 'Only drafts accept `strategy`, `ownerId`, `resources` and objective definitions (title, metric, target, unit, '
  + 'dueDate); a submitted or approved plan accepts only its objectives\' `actual` and `status`, sent as `objectives: [{id, actual, '
  + 'status}]` listing every objective (anything else changed gets 409 "Only drafts are editable"); a closed plan accepts nothing (409). '
  + 'Arrays are whole: an item with the `id` of a stored one keeps that id and the fields it does not give, one without an id is '
  + 'new, stored items left out are removed. Executives change only the status (403 otherwise).';
const revenue = 'An objective with metric `revenue` takes its actual from the customer\'s projects won in the period (minor units '
  + "of the customer's currency, the default unit); a client never sends that actual. Closing a plan freezes it.";

const objectiveFields = {
  title: { ...str(300), minLength: 1 },
  metric: { ...str(100), minLength: 1, description: 'free text, or `revenue`' },
  target: { type: 'number', minimum: 0 },
  actual: { type: ['number', 'null'] },
  unit: str(40),
  dueDate: nullable(dateTime),
  status: { enum: [...objectiveStatuses], default: 'open' },
};
const resourceFields = {
  kind: { enum: [...resourceKinds] },
  description: str(500),
  amount: { type: 'number', minimum: 0 },
  unit: { ...str(40), description: '"FTE", "days", or a currency code for budgets (minor units)' },
  ownerId: { ...nullable(objectIdSchema), description: 'an active user' },
};
const content = (patch: boolean) => ({
  ownerId: { ...objectIdSchema, description: patch ? 'an active user' : 'an active user; defaults to the caller' },
  strategy: str(8000),
  objectives: { type: 'array', maxItems: 50, items: ref(patch ? 'PlanObjectivePatch' : 'PlanObjectiveCreate') },
  resources: { type: 'array', maxItems: 50, items: ref(patch ? 'PlanResourcePatch' : 'PlanResourceCreate') },
});
const withId = (properties: object) => ({ id: objectIdSchema, ...properties });
const attainment = {
  type: 'object', required: ['ratio', 'capped'],
  properties: { ratio: { type: ['number', 'null'], description: 'actual / target' }, capped: { type: ['number', 'null'], maximum: 1 } },
};

export const plansPart: Part = {
  paths: {
    '/api/v1/customers/{id}/plans': {
      parameters: [idParam],
      get: {
        tags: ['plans'], summary: "A customer's account plans, newest period first", security: secured, parameters: pageParams,
        responses: { 200: { description: 'A page of plans', content: json(page('Plan')) }, 400: errors[400], 401: errors[401], 404: customerNotFound },
      },
      post: {
        tags: ['plans'], summary: 'Start a draft plan for a period', description: revenue, security: secured,
        requestBody: { required: true, content: json(ref('PlanCreate')) },
        responses: {
          201: { description: 'Created', headers: etagHeader, content: json(ref('Plan')) }, ...errors, 404: customerNotFound, 409: duplicate,
        },
      },
    },
    '/api/v1/plans': {
      get: {
        tags: ['plans'], summary: 'Plans of the customers you may see, newest first', security: secured,
        parameters: [
          ...pageParams,
          { name: 'period', in: 'query', schema: period },
          { name: 'status', in: 'query', schema: { enum: [...planStatuses] } },
          { name: 'owner', in: 'query', description: "`me` or a user id: the plan's owner", schema: { type: 'string' } },
          { name: 'tier', in: 'query', description: "the customer's current tier", schema: { enum: [...tiers] } },
          { name: 'customerId', in: 'query', schema: objectIdSchema },
        ],
        responses: { 200: { description: 'A page of plans', content: json(page('Plan')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/plans/{id}': {
      parameters: [idParam],
      get: {
        tags: ['plans'], summary: 'Read a plan with its attainment', description: revenue, security: secured,
        responses: { 200: { description: 'Plan', headers: etagHeader, content: json(ref('Plan')) }, 401: errors[401], 404: planNotFound },
      },
      patch: {
        tags: ['plans'], summary: 'Edit a plan or move its status',
        description: `${editing} Status moves: ${moves}. A move not in this list gets 409, a caller who may not make it 403, `
          + 'a missing comment or review 400.',
        security: secured, parameters: [ifMatchParam],
        requestBody: { required: true, content: json(ref('PlanPatch')) },
        responses: {
          200: { description: 'Updated', headers: etagHeader, content: json(ref('Plan')) }, ...errors, 404: planNotFound,
          409: problem('Not editable in this status, or a status move that does not exist (also when another move landed a moment before)'), 412: stale,
        },
      },
    },
    '/api/v1/plans/{id}/copy': {
      parameters: [idParam],
      post: {
        tags: ['plans'], summary: "Start another period's draft from a plan",
        description: 'Copies the strategy, the resources and the objectives (targets kept, actuals empty, status open, due dates '
          + 'moved by the distance between the periods\' starts), all with new ids. The copy is owned by the source plan\'s owner, '
          + 'or by the caller when that user is no longer active.',
        security: secured,
        requestBody: { required: true, content: json(ref('PlanCopy')) },
        responses: {
          201: { description: 'Created', headers: etagHeader, content: json(ref('Plan')) }, ...errors, 404: planNotFound, 409: duplicate,
        },
      },
    },
  },
  schemas: {
    PlanObjectiveCreate: { type: 'object', additionalProperties: false, required: ['title', 'metric', 'target'], properties: objectiveFields },
    PlanObjectivePatch: {
      type: 'object', additionalProperties: false, properties: withId(objectiveFields),
      description: 'with `id`: that stored objective, changing the fields given; without: a new one needing title, metric and target',
    },
    PlanResourceCreate: { type: 'object', additionalProperties: false, required: ['kind', 'amount'], properties: resourceFields },
    PlanResourcePatch: {
      type: 'object', additionalProperties: false, properties: withId(resourceFields),
      description: 'with `id`: that stored resource, changing the fields given; without: a new one needing kind and amount',
    },
    PlanCreate: { type: 'object', additionalProperties: false, required: ['period'], properties: { period, ...content(false) } },
    PlanPatch: {
      type: 'object', additionalProperties: false, minProperties: 1,
      properties: {
        ...content(true),
        status: { enum: [...planStatuses] },
        comment: { ...str(2000), minLength: 1, description: 'with `status`; required to send a plan back to draft' },
        review: { ...str(8000), minLength: 1, description: 'with `status: closed`, and required there' },
      },
    },
    PlanCopy: { type: 'object', additionalProperties: false, required: ['period'], properties: { period } },
    Plan: {
      type: 'object',
      required: ['id', 'customerId', 'period', 'periodStart', 'periodEnd', 'status', 'ownerId', 'strategy', 'objectives', 'resources',
        'approvedBy', 'approvedAt', 'closedAt', 'review', 'statusComment', 'attainment', 'customer'],
      properties: {
        id: objectIdSchema, customerId: objectIdSchema, period, periodStart: dateTime, periodEnd: dateTime,
        status: { enum: [...planStatuses] }, ownerId: objectIdSchema, strategy: str(8000),
        objectives: {
          type: 'array',
          items: { type: 'object', required: ['id', 'title', 'metric', 'target', 'actual', 'attainment'], properties: withId({ ...objectiveFields, attainment }) },
        },
        resources: { type: 'array', items: { type: 'object', required: ['id', 'kind', 'amount'], properties: withId(resourceFields) } },
        approvedBy: nullable(objectIdSchema), approvedAt: nullable(dateTime), closedAt: nullable(dateTime),
        review: str(8000), statusComment: { ...str(2000), description: 'the comment of the last status change' },
        attainment: { type: ['number', 'null'], description: "mean of the objectives' capped attainments" },
        customer: {
          type: 'object', required: ['id', 'code', 'name', 'tier'],
          properties: { id: objectIdSchema, code: { type: 'string' }, name: { type: 'string' }, tier: { enum: [...tiers, null] } },
        },
        createdAt: dateTime, updatedAt: dateTime,
      },
    },
  },
};

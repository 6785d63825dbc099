import { errors, etagHeader, idParam, ifMatchParam, json, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const str = (maxLength: number) => ({ type: 'string', maxLength });
const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const notFound = problem('No such customer, or one of another team');

const company = {
  type: 'object', additionalProperties: false,
  properties: {
    legalName: str(300), industry: str(100), region: str(100),
    country: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166 alpha-2' },
    employees: { type: 'integer', minimum: 0 },
    annualRevenue: { type: 'integer', minimum: 0, description: 'minor units of the customer currency' },
    ownership: { enum: ['public', 'private', 'state_owned', 'government', 'cooperative', 'other'] },
    website: { type: 'string', format: 'uri' }, address: str(500), goals: str(4000), painPoints: str(4000),
    competitors: { type: 'array', items: str(200), maxItems: 50 },
    decisionProcess: str(4000), purchasingPreferences: str(4000), paymentNotes: str(4000),
  },
};
const tierInputs = {
  type: 'object', additionalProperties: false,
  properties: {
    potential: { type: 'integer', minimum: 0, description: 'estimated yearly wallet, minor units' },
    strategicValue: { type: 'integer', minimum: 1, maximum: 5 },
  },
};
const writable = {
  code: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$', description: 'unique; stored upper-case' },
  name: str(200),
  status: { enum: ['prospect', 'active', 'dormant', 'lost'] },
  ownerId: { ...objectIdSchema, description: 'admins only; defaults to the creator' },
  accountTeam: { type: 'array', items: objectIdSchema, maxItems: 50 },
  parentId: { oneOf: [objectIdSchema, { type: 'null' }] },
  tags: { type: 'array', items: str(40), maxItems: 30 },
  currency: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'ISO 4217; money fields are integers in its minor units' },
  company,
  tierInputs,
};

export const customersPart: Part = {
  paths: {
    '/api/v1/customers': {
      get: {
        tags: ['customers'], summary: 'List the customers you may see', security: secured,
        parameters: [
          ...pageParams,
          { name: 'status', in: 'query', schema: { enum: ['prospect', 'active', 'dormant', 'lost'] } },
          { name: 'tier', in: 'query', description: '`none` for customers not classified yet', schema: { enum: ['S', 'A', 'B', 'C', 'none'] } },
          { name: 'owner', in: 'query', description: '`me` or a user id', schema: { type: 'string' } },
          { name: 'industry', in: 'query', schema: { type: 'string' } },
          { name: 'region', in: 'query', schema: { type: 'string' } },
          { name: 'tag', in: 'query', schema: { type: 'string' } },
          { name: 'parentId', in: 'query', schema: objectIdSchema },
          { name: 'q', in: 'query', description: 'case-insensitive match on name or code', schema: { type: 'string' } },
          { name: 'includeArchived', in: 'query', schema: { type: 'boolean', default: false } },
          { name: 'sort', in: 'query', schema: { enum: ['name', '-updatedAt', '-revenue12m'], default: 'name' } },
        ],
        responses: { 200: { description: 'A page of customers', content: json(page('Customer')) }, 400: errors[400], 401: errors[401] },
      },
      post: {
        tags: ['customers'], summary: 'Create a customer (you become its owner unless an admin names one)', security: secured,
        requestBody: { required: true, content: json(ref('CustomerCreate')) },
        responses: {
          201: { description: 'Created; `warnings` names possible duplicates', headers: etagHeader, content: json(ref('CustomerCreated')) },
          ...errors,
          409: problem('The code is taken'),
        },
      },
    },
    '/api/v1/customers/{id}': {
      parameters: [idParam],
      get: {
        tags: ['customers'], summary: 'Read a customer', security: secured,
        responses: { 200: { description: 'Customer', headers: etagHeader, content: json(ref('Customer')) }, 401: errors[401], 404: notFound },
      },
      patch: {
        tags: ['customers'], summary: 'Change the fields given (nested objects merge)', security: secured,
        parameters: [ifMatchParam],
        requestBody: { required: true, content: json(ref('CustomerPatch')) },
        responses: {
          200: { description: 'Updated', headers: etagHeader, content: json(ref('Customer')) },
          ...errors, 404: notFound, 409: problem('The code is taken, or (without If-Match) the customer kept changing while the change was applied'),
          412: problem('The customer changed since the ETag was read'),
        },
      },
      delete: {
        tags: ['customers'], summary: 'Archive (customers are never deleted)', security: secured,
        responses: { 200: { description: 'Archived', content: json(ref('Customer')) }, 401: errors[401], 403: errors[403], 404: notFound },
      },
    },
    '/api/v1/customers/{id}/restore': {
      parameters: [idParam],
      post: {
        tags: ['customers'], summary: 'Bring an archived customer back', security: secured,
        responses: { 200: { description: 'Restored', content: json(ref('Customer')) }, 401: errors[401], 403: errors[403], 404: notFound },
      },
    },
    '/api/v1/customers/{id}/timeline': {
      parameters: [idParam],
      get: {
        tags: ['customers'], summary: 'Who changed what of the customer, its contacts and projects, newest first', security: secured,
        parameters: pageParams,
        responses: { 200: { description: 'A page of changes', content: json(page('Change')) }, 400: errors[400], 401: errors[401], 404: notFound },
      },
    },
  },
  schemas: {
    Change: {
      type: 'object', required: ['id', 'customerId', 'entity', 'entityId', 'action', 'actorId', 'actorName', 'at', 'fields'],
      properties: {
        id: objectIdSchema, customerId: objectIdSchema, entity: { enum: ['customer', 'contact', 'project'] }, entityId: objectIdSchema,
        entityName: { type: 'string' }, action: { enum: ['created', 'updated', 'archived', 'restored', 'deleted', 'imported'] },
        actorId: objectIdSchema, actorName: { type: 'string' }, at: { type: 'string', format: 'date-time' },
        fields: {
          type: 'array',
          description: "changed fields with old and new values; contacts' personal fields read [hidden] for those who may not see them",
          items: { type: 'object', required: ['field'], properties: { field: { type: 'string' }, old: {}, new: {} } },
        },
      },
    },
    CustomerCreate: { type: 'object', additionalProperties: false, required: ['code', 'name'], properties: writable },
    CustomerPatch: { type: 'object', additionalProperties: false, minProperties: 1, properties: writable },
    Customer: {
      type: 'object',
      required: ['id', 'code', 'name', 'status', 'ownerId', 'accountTeam', 'tags', 'currency', 'revenue12m', 'archived'],
      properties: {
        id: objectIdSchema, ...writable,
        revenue12m: { type: 'integer', description: 'won project value in the last 365 days, minor units' },
        tier: { enum: ['S', 'A', 'B', 'C', null], description: 'current tier; GET /api/v1/customers/{id}/tier explains it' },
        tierScore: { type: ['number', 'null'], description: 'latest score (0-100) under tierPolicyVersion' },
        tierComputed: { enum: ['S', 'A', 'B', 'C', null], description: 'the tier the score gives (differs from tier while a move awaits approval or an override holds)' },
        tierSource: { enum: ['computed', 'override', null] },
        tierPolicyVersion: { type: ['integer', 'null'] },
        tierScoredAt: { type: ['string', 'null'], format: 'date-time', description: 'when the score last changed' },
        tierUpdatedAt: { type: ['string', 'null'], format: 'date-time', description: 'when the tier last changed' },
        tierOverride: {
          type: ['object', 'null'],
          properties: {
            tier: { enum: ['S', 'A', 'B', 'C'] }, reason: { type: 'string' }, byId: objectIdSchema, byName: { type: 'string' },
            at: { type: 'string', format: 'date-time' }, expiresAt: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        satisfaction: { type: 'object', description: 'lastScore, average (last 4), lastRecommend, npsCategory, trend, lastVisitAt, nextVisitDue' },
        openActions: { type: 'array', items: { type: 'object' }, description: 'GET /customers/{id} only: improvement actions still open or in progress (at most 50)' },
        archived: { type: 'boolean' }, archivedAt: { type: ['string', 'null'], format: 'date-time' },
        createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
      },
    },
    CustomerCreated: {
      allOf: [ref('Customer'), {
        type: 'object',
        properties: {
          warnings: {
            type: 'array',
            items: { type: 'object', properties: { type: { const: 'possible-duplicate' }, message: { type: 'string' }, customerId: objectIdSchema, code: { type: 'string' }, name: { type: 'string' } } },
          },
        },
      }],
    },
  },
};

import { projectStages, revenueStages, stageTransitions, startStages } from '../../models/project.ts';
import { errors, etagHeader, idParam, ifMatchParam, json, keptChanging, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const str = (maxLength: number) => ({ type: 'string', maxLength });
const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const customerNotFound = problem('No such customer, or one of another team');
const projectNotFound = problem('No such project, or one of a customer of another team');
const stale = problem('The project changed since the ETag was read');

// Written from the table the routes enforce, so the document cannot drift from it.
const transitions = projectStages.map((s) => `${s} -> ${stageTransitions[s].join(' | ') || '(final)'}`).join('; ');
const stage = {
  enum: [...projectStages],
  description: `Allowed moves: ${transitions}. A new project starts in ${startStages.join(', ')} (lead by default). `
    + 'An invalid move gets 400 naming `stage`.',
};

const writable = {
  name: { ...str(200), minLength: 1 },
  stage,
  value: { type: 'integer', minimum: 0, description: 'minor units of the currency' },
  currency: {
    type: 'string', pattern: '^[A-Za-z]{3}$',
    description: "the customer's currency; defaults to it and any other gets 400, since revenue12m is summed in it",
  },
  expectedCloseDate: { type: ['string', 'null'], format: 'date-time' },
  wonAt: {
    type: 'string', format: 'date-time',
    description: `not in the future; only for ${revenueStages.join(', ')}. Entering won sets it to now unless given`,
  },
  ownerId: { ...objectIdSchema, description: 'an active user; defaults to the creator' },
  products: { type: 'array', items: { ...str(100), minLength: 1 }, maxItems: 50, uniqueItems: true },
};
const revenueNote = "Every change refreshes the customer's revenue12m and nothing else of the customer";

export const projectsPart: Part = {
  paths: {
    '/api/v1/customers/{id}/projects': {
      parameters: [idParam],
      get: {
        tags: ['projects'], summary: "A customer's projects, newest first", security: secured,
        parameters: pageParams,
        responses: { 200: { description: 'A page of projects', content: json(page('Project')) }, 400: errors[400], 401: errors[401], 404: customerNotFound },
      },
      post: {
        tags: ['projects'], summary: 'Add a project (deal or engagement) to a customer', description: revenueNote, security: secured,
        requestBody: { required: true, content: json(ref('ProjectCreate')) },
        responses: { 201: { description: 'Created', headers: etagHeader, content: json(ref('Project')) }, ...errors, 404: customerNotFound },
      },
    },
    '/api/v1/projects': {
      get: {
        tags: ['projects'], summary: 'Projects of the customers you may see, newest first', security: secured,
        parameters: [
          ...pageParams,
          { name: 'stage', in: 'query', schema: { enum: [...projectStages] } },
          { name: 'owner', in: 'query', description: '`me` or a user id', schema: { type: 'string' } },
          { name: 'customerId', in: 'query', schema: objectIdSchema },
        ],
        responses: { 200: { description: 'A page of projects', content: json(page('Project')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/projects/{id}': {
      parameters: [idParam],
      get: {
        tags: ['projects'], summary: 'Read a project', security: secured,
        responses: { 200: { description: 'Project', headers: etagHeader, content: json(ref('Project')) }, 401: errors[401], 404: projectNotFound },
      },
      patch: {
        tags: ['projects'], summary: 'Change the fields given; a stage change follows the transition table', description: revenueNote, security: secured,
        parameters: [ifMatchParam],
        requestBody: { required: true, content: json(ref('ProjectPatch')) },
        responses: {
          200: { description: 'Updated', headers: etagHeader, content: json(ref('Project')) },
          ...errors, 404: projectNotFound, 409: keptChanging('project'), 412: stale,
        },
      },
      delete: {
        tags: ['projects'], summary: 'Delete a project; the customer is never deleted or archived with it', description: revenueNote, security: secured,
        parameters: [ifMatchParam],
        responses: { 204: { description: 'Deleted' }, 401: errors[401], 403: errors[403], 404: projectNotFound, 412: stale },
      },
    },
  },
  schemas: {
    ProjectCreate: { type: 'object', additionalProperties: false, required: ['name'], properties: writable },
    ProjectPatch: { type: 'object', additionalProperties: false, minProperties: 1, properties: writable },
    Project: {
      type: 'object',
      required: ['id', 'customerId', 'name', 'stage', 'value', 'currency', 'expectedCloseDate', 'wonAt', 'ownerId', 'products', 'createdAt', 'updatedAt'],
      properties: {
        id: objectIdSchema, customerId: objectIdSchema, ...writable,
        wonAt: { ...writable.wonAt, type: ['string', 'null'] },
        createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
      },
    },
  },
};

import { tierSources, tiers } from '../../models/customer.ts';
import { criterionKeys } from '../../models/tier-policy.ts';
import { approvalStatuses } from '../../models/tier-change.ts';
import { errors, idParam, json, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const nullableId = { type: ['string', 'null'], pattern: '^[0-9a-f]{24}$' };
const date = { type: 'string', format: 'date-time' };
const nullableDate = { type: ['string', 'null'], format: 'date-time' };
const tier = { enum: [...tiers] };
const nullableTier = { enum: [...tiers, null] };
const nullableNumber = { type: ['number', 'null'] };

const customerNotFound = problem('No such customer, or one of another team');
const approvalNotFound = problem('No such tier approval');
const leadershipOnly = problem('Only executives and admins see and decide tier approvals');
const approvalRule = 'Moves into or out of S or A wait for an executive or admin; B <-> C moves apply at once.';

const tierViewResponse = { description: "The customer's tier", content: json(ref('TierView')) };

export const tiersPart: Part = {
  paths: {
    '/api/v1/customers/{id}/tier': {
      parameters: [idParam],
      get: {
        tags: ['tiers'], summary: "A customer's tier, its score breakdown, override, pending approval and history", security: secured,
        description: 'Reading never scores: customers are scored when they or their projects and contacts change, and nightly. '
          + 'A customer never scored yet answers the same shape with nulls.',
        responses: { 200: tierViewResponse, 401: errors[401], 404: customerNotFound },
      },
    },
    '/api/v1/customers/{id}/tier/override': {
      parameters: [idParam],
      post: {
        tags: ['tiers'], summary: 'Set a tier override (the owner, executives, admins)', security: secured,
        description: `${approvalRule} An owner's override into or out of S or A waits for approval (202); an executive's or admin's own `
          + 'override applies at once (200). A team member who is not the owner gets 403.',
        requestBody: { required: true, content: json(ref('TierOverrideInput')) },
        responses: {
          200: tierViewResponse,
          202: {
            description: 'The override waits for an executive or admin',
            headers: { Location: { description: 'the approval', schema: { type: 'string' } } },
            content: json({
              type: 'object', required: ['status', 'approval'],
              properties: { status: { const: 'pending' }, approval: ref('TierApproval') },
            }),
          },
          ...errors, 404: customerNotFound, 409: problem('The customer changed while the override was applied; try again'),
        },
      },
      delete: {
        tags: ['tiers'], summary: 'Remove the tier override; the tier follows the score through the usual rules', security: secured,
        description: approvalRule,
        responses: {
          200: tierViewResponse, 401: errors[401], 403: errors[403], 404: customerNotFound, 409: problem('The customer has no override'),
        },
      },
    },
    '/api/v1/tier-approvals': {
      get: {
        tags: ['tiers'], summary: 'Tier approvals (executives, admins): pending ones oldest first, decided ones newest first', security: secured,
        parameters: [
          ...pageParams,
          { name: 'status', in: 'query', schema: { enum: [...approvalStatuses], default: 'pending' } },
          { name: 'customerId', in: 'query', schema: objectIdSchema },
        ],
        responses: { 200: { description: 'A page of approvals', content: json(page('TierApproval')) }, ...errors },
      },
    },
    '/api/v1/tier-approvals/{id}': {
      parameters: [idParam],
      get: {
        tags: ['tiers'], summary: 'Read a tier approval (executives, admins)', security: secured,
        responses: { 200: { description: 'Approval', content: json(ref('TierApproval')) }, 401: errors[401], 403: leadershipOnly, 404: approvalNotFound },
      },
    },
    '/api/v1/tier-approvals/{id}/approve': {
      parameters: [idParam],
      post: {
        tags: ['tiers'], summary: 'Approve a pending request; the tier changes at once (executives, admins)', security: secured,
        requestBody: { required: false, content: json(ref('TierDecision')) },
        responses: {
          200: { description: 'The decided approval', content: json(ref('TierApproval')) }, ...errors, 403: leadershipOnly, 404: approvalNotFound,
          409: problem('Already decided, or the customer’s tier changed since the request (it is then superseded)'),
        },
      },
    },
    '/api/v1/tier-approvals/{id}/reject': {
      parameters: [idParam],
      post: {
        tags: ['tiers'], summary: 'Reject a pending request with a comment for the owner (executives, admins)', security: secured,
        description: 'The same computed move is not asked again under the same policy version.',
        requestBody: { required: true, content: json({ allOf: [ref('TierDecision')], required: ['comment'] }) },
        responses: {
          200: { description: 'The decided approval', content: json(ref('TierApproval')) }, ...errors, 403: leadershipOnly, 404: approvalNotFound,
          409: problem('Already decided'),
        },
      },
    },
  },
  schemas: {
    TierBreakdownLine: {
      type: 'object', required: ['criterion', 'input', 'points', 'weight', 'contribution'],
      properties: {
        criterion: { enum: [...criterionKeys] }, input: nullableNumber,
        points: { type: 'number', minimum: 0, maximum: 100 }, weight: { type: 'number' },
        contribution: { type: 'number', description: 'points x weight / 100, one decimal' },
        missing: { type: 'string', description: 'why the input is missing; the criterion then scores 0' },
      },
    },
    TierChange: {
      type: 'object', required: ['id', 'from', 'to', 'score', 'policyVersion', 'source', 'reason', 'by', 'at', 'approvalId'],
      properties: {
        id: objectIdSchema, from: nullableTier, to: tier, score: nullableNumber, policyVersion: { type: ['integer', 'null'] },
        source: { enum: [...tierSources] }, reason: { type: 'string' },
        by: { type: 'object', required: ['id', 'name'], properties: { id: { ...nullableId, description: 'null for the classification job' }, name: { type: 'string' } } },
        at: date, approvalId: nullableId,
      },
    },
    TierApproval: {
      type: 'object',
      required: ['id', 'customerId', 'from', 'to', 'source', 'score', 'policyVersion', 'reason', 'override', 'requestedById', 'requestedByName',
        'requestedAt', 'status', 'decidedById', 'decidedByName', 'decidedAt', 'comment', 'appliedAt'],
      properties: {
        id: objectIdSchema, customerId: objectIdSchema, from: nullableTier, to: tier, source: { enum: [...tierSources] },
        score: nullableNumber, policyVersion: { type: ['integer', 'null'] }, reason: { type: 'string' },
        override: {
          type: ['object', 'null'], description: 'the override asked for, set on the customer when approved',
          properties: { tier, reason: { type: 'string' }, expiresAt: nullableDate },
        },
        requestedById: { ...nullableId, description: 'null when the classification asked' }, requestedByName: { type: 'string' }, requestedAt: date,
        status: { enum: [...approvalStatuses] }, decidedById: nullableId, decidedByName: { type: ['string', 'null'] }, decidedAt: nullableDate,
        comment: { type: 'string' }, appliedAt: { ...nullableDate, description: 'when an approved move reached the customer' },
        customer: {
          type: ['object', 'null'], description: 'in lists and reads of the queue',
          properties: { id: objectIdSchema, code: { type: 'string' }, name: { type: 'string' }, tier: nullableTier },
        },
      },
    },
    TierView: {
      type: 'object',
      required: ['customerId', 'tier', 'tierSource', 'score', 'computedTier', 'policyVersion', 'scoredAt', 'updatedAt', 'breakdown', 'override',
        'pendingApproval', 'history'],
      properties: {
        customerId: objectIdSchema, tier: nullableTier, tierSource: { enum: [...tierSources, null] },
        score: { ...nullableNumber, description: '0-100, one decimal, under policyVersion' },
        computedTier: { ...nullableTier, description: 'the tier the score gives; tier differs while an override holds or an approval waits' },
        policyVersion: { type: ['integer', 'null'] }, scoredAt: nullableDate, updatedAt: { ...nullableDate, description: 'when the tier last changed' },
        breakdown: { type: 'array', items: ref('TierBreakdownLine') },
        override: {
          type: ['object', 'null'], required: ['tier', 'reason', 'byId', 'byName', 'at', 'expiresAt', 'active'],
          properties: {
            tier, reason: { type: 'string' }, byId: objectIdSchema, byName: { type: 'string' }, at: date, expiresAt: nullableDate,
            active: { type: 'boolean', description: 'false once expiresAt has passed; the next scoring then drops it' },
          },
        },
        pendingApproval: { oneOf: [ref('TierApproval'), { type: 'null' }] },
        history: { type: 'array', maxItems: 100, description: 'newest first', items: ref('TierChange') },
      },
    },
    TierOverrideInput: {
      type: 'object', additionalProperties: false, required: ['tier', 'reason'],
      properties: {
        tier, reason: { type: 'string', minLength: 3, maxLength: 500 },
        expiresAt: { ...date, description: 'in the future; the tier then falls back to the score' },
      },
    },
    TierDecision: {
      type: 'object', additionalProperties: false,
      properties: { comment: { type: 'string', maxLength: 1000, description: 'optional to approve; required (3 or more characters) to reject' } },
    },
  },
};

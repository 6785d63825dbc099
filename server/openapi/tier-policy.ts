import { criterionInputs, criterionKeys, defaultPolicyRules } from '../../models/tier-policy.ts';
import { errors, json, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const tierEnum = { enum: ['S', 'A', 'B', 'C'] };
const percent = { type: 'number', minimum: 0, maximum: 100 };
const days = { type: 'integer', minimum: 1, maximum: 730 };
const etag = { ETag: { description: 'the policy version as `"v<version>"`, for If-Match', schema: { type: 'string', pattern: '^"v[0-9]+"$' } } };
const inputsText = criterionKeys.map((k) => `${k}: ${criterionInputs[k]}`).join('; ');
const defaults = `Defaults: thresholds S ${defaultPolicyRules.thresholds.S}, A ${defaultPolicyRules.thresholds.A}, B ${defaultPolicyRules.thresholds.B}; `
  + `cadence S ${defaultPolicyRules.cadenceDays.S}, A ${defaultPolicyRules.cadenceDays.A}, B ${defaultPolicyRules.cadenceDays.B}, C ${defaultPolicyRules.cadenceDays.C} days.`;
const invalid = problem('Invalid policy: a field of the wrong shape, or weights not summing to 100, a criterion twice, '
  + 'a linear max not above its min, two bands with the same min, or thresholds not descending (S > A > B); `errors` names each');

const scale = {
  oneOf: [
    {
      type: 'object', additionalProperties: false, required: ['kind', 'bands'],
      description: 'the points of the highest band whose min the input reaches; 0 below every band',
      properties: {
        kind: { const: 'bands' },
        bands: {
          type: 'array', minItems: 1, maxItems: 20,
          items: { type: 'object', additionalProperties: false, required: ['min', 'points'], properties: { min: { type: 'number' }, points: percent } },
        },
      },
    },
    {
      type: 'object', additionalProperties: false, required: ['kind', 'min', 'max'],
      description: '0 points at min rising to 100 at max (clamped); max must be above min',
      properties: { kind: { const: 'linear' }, min: { type: 'number' }, max: { type: 'number' } },
    },
  ],
};

const criterion = {
  type: 'object', additionalProperties: false, required: ['key', 'weight', 'scale'],
  properties: {
    key: { enum: [...criterionKeys], description: inputsText },
    weight: { type: 'number', exclusiveMinimum: 0, maximum: 100, description: 'the weights of a policy sum to 100' },
    scale,
  },
};

const rules = {
  criteria: {
    type: 'array', minItems: 1, maxItems: criterionKeys.length, items: criterion,
    description: 'each criterion at most once; a criterion left out counts for nothing',
  },
  thresholds: {
    type: 'object', additionalProperties: false, required: ['S', 'A', 'B'], description: 'lowest score of each tier; below B is C; S > A > B',
    properties: { S: percent, A: percent, B: percent },
  },
  cadenceDays: {
    type: 'object', additionalProperties: false, required: ['S', 'A', 'B', 'C'], description: 'days between revisits per tier',
    properties: { S: days, A: days, B: days, C: days },
  },
};

const policy = {
  type: 'object',
  required: ['id', 'version', 'criteria', 'thresholds', 'cadenceDays', 'note', 'createdAt', 'createdById', 'createdByName'],
  properties: {
    id: { type: 'string' }, version: { type: 'integer', minimum: 1 }, ...rules, note: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    createdById: { type: ['string', 'null'], description: 'null for the default policy stored by the system' },
    createdByName: { type: 'string' },
  },
};

const tierCounts = (keys: string[]) => ({
  type: 'object', required: keys, additionalProperties: false, properties: Object.fromEntries(keys.map((k) => [k, { type: 'integer', minimum: 0 }])),
});

export const tierPolicyPart: Part = {
  paths: {
    '/api/v1/tier-policy': {
      get: {
        tags: ['tiers'], summary: 'The tier policy in force, and what each criterion reads', description: defaults, security: secured,
        responses: { 200: { description: 'Current policy', headers: etag, content: json(ref('TierPolicyCurrent')) }, 401: errors[401] },
      },
      put: {
        tags: ['tiers'], summary: 'Save a new version of the tier policy (admin)',
        description: 'Stores the policy as the next version and queues the tiers.reclassify-all job, which rescores every customer under it. '
          + 'Customers rescored before the job runs already use the new version.',
        security: secured,
        parameters: [{
          name: 'If-Match', in: 'header', schema: { type: 'string' },
          description: 'the ETag of the policy read (`"v<version>"`); when another version was saved since, 412 and nothing is stored',
        }],
        requestBody: { required: true, content: json(ref('TierPolicyInput')) },
        responses: {
          200: { description: 'The new version', headers: etag, content: json(ref('TierPolicyCurrent')) },
          400: invalid, 401: errors[401], 403: errors[403], 412: problem('Another version was saved since the ETag was read'),
        },
      },
    },
    '/api/v1/tier-policy/versions': {
      get: {
        tags: ['tiers'], summary: 'Every version of the tier policy, newest first', security: secured,
        parameters: pageParams,
        responses: { 200: { description: 'A page of versions', content: json(page('TierPolicy')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/tier-policy/simulate': {
      post: {
        tags: ['tiers'], summary: 'Where every customer would land under a candidate policy (admin, executive); writes nothing',
        description: 'Scores every non-archived customer under the candidate. A customer with an active override stays at the override tier. '
          + '`moves` lists the customers whose tier would differ from the stored one, ordered by code, at most 500 (`movesTotal` counts all). '
          + '`note` is accepted and ignored.',
        security: secured,
        requestBody: { required: true, content: json(ref('TierPolicyInput')) },
        responses: { 200: { description: 'Simulation', content: json(ref('TierSimulation')) }, 400: invalid, 401: errors[401], 403: errors[403] },
      },
    },
  },
  schemas: {
    TierPolicy: policy,
    TierPolicyCurrent: {
      allOf: [ref('TierPolicy'), {
        type: 'object', required: ['criterionInputs'],
        properties: {
          criterionInputs: {
            type: 'object', description: 'what each criterion reads, by key',
            properties: Object.fromEntries(criterionKeys.map((k) => [k, { type: 'string' }])),
          },
        },
      }],
    },
    TierPolicyInput: {
      type: 'object', additionalProperties: false, required: ['criteria', 'thresholds', 'cadenceDays'],
      properties: { ...rules, note: { type: 'string', maxLength: 500 } },
    },
    TierSimulation: {
      type: 'object', required: ['policyVersion', 'counts', 'moves', 'movesTotal'],
      properties: {
        policyVersion: { type: 'integer', description: 'the version in force, which the stored tiers come from' },
        counts: {
          type: 'object', required: ['current', 'candidate'],
          properties: { current: tierCounts(['S', 'A', 'B', 'C', 'none']), candidate: tierCounts(['S', 'A', 'B', 'C']) },
        },
        moves: {
          type: 'array', maxItems: 500,
          items: {
            type: 'object', required: ['customerId', 'code', 'name', 'from', 'to', 'score', 'needsApproval'],
            properties: {
              customerId: { type: 'string' }, code: { type: 'string' }, name: { type: 'string' },
              from: { oneOf: [tierEnum, { type: 'null' }] }, to: tierEnum,
              score: { type: 'number', description: 'the score under the candidate' },
              needsApproval: { type: 'boolean', description: 'the move goes into or out of S or A, so an executive must approve it' },
            },
          },
        },
        movesTotal: { type: 'integer', minimum: 0 },
      },
    },
  },
};

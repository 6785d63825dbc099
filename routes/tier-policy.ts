import type { Response } from 'express';
import Joi from 'joi';
import { enqueue } from '../jobs/queue.ts';
import { name as reclassifyAllJob } from '../jobs/tiers.ts';
import { CustomerModel, tiers, type Tier } from '../models/customer.ts';
import { tierInputsFor } from '../models/tier-inputs.ts';
import {
  TierPolicyModel, criterionInputs, criterionKeys, currentPolicy, defaultPolicyRules, policyJson, policyProblems, savePolicy,
  type Policy, type PolicyRules,
} from '../models/tier-policy.ts';
import { needsApproval, scoreTier } from '../models/tier-scoring.ts';
import { activeOverride, tierStateFields, type TierState } from '../models/tiering.ts';
import { answer, moment, page } from '../schemas/common.ts';
import { currentUser } from '../server/auth.ts';
import { HttpError } from '../server/errors.ts';
import { etagOfPolicy, ifMatchPolicyVersion, policyEtagHeader as policyEtag, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { objectId } from '../server/validate.ts';
import type { GetTierPolicyVersionsQuery } from '../schemas/inputs.gen.ts';

const percent = Joi.number().min(0).max(100);

const bandsScale = Joi.object({
  kind: Joi.string().valid('bands').required(),
  bands: Joi.array().items(Joi.object({ min: Joi.number().required(), points: percent.required() })).min(1).max(20).required(),
}).description('the points of the highest band whose min the input reaches; 0 below every band');
const linearScale = Joi.object({ kind: Joi.string().valid('linear').required(), min: Joi.number().required(), max: Joi.number().required() })
  .description('0 points at min rising to 100 at max (clamped); max must be above min');
const kindIs = (kind: string) => Joi.object({ kind: Joi.valid(kind).required() }).unknown();

// The kind picks the shape the rest is checked against, so a wrong field is named (`criteria.0.scale.max is required`)
// rather than reported as "matches no alternative"; a kind that is neither is named as such. The document says the
// same with if/then/else.
const scaleSchema = Joi.alternatives().conditional(kindIs('bands'), {
  then: bandsScale,
  otherwise: Joi.alternatives().conditional(kindIs('linear'), {
    then: linearScale,
    otherwise: Joi.object({ kind: Joi.string().valid('bands', 'linear').required() }),
  }),
});

const cadence = Joi.number().integer().min(1).max(730).required();

// A criterion left out of the list gets no weight: a policy may use fewer than the five.
const rulesKeys = {
  criteria: Joi.array().items(Joi.object({
    key: Joi.string().valid(...criterionKeys).required().description(criterionKeys.map((k) => `${k}: ${criterionInputs[k]}`).join('; ')),
    // positive() rather than greater(0), which joi-to-json writes as both minimum and exclusiveMinimum; same message
    weight: Joi.number().positive().max(100).messages({ 'number.positive': '{#label} must be greater than 0' }).required()
      .description('the weights of a policy sum to 100'),
    scale: scaleSchema.required(),
  }).id('TierCriterion')).min(1).max(criterionKeys.length).required()
    .description('each criterion at most once; a criterion left out counts for nothing'),
  thresholds: Joi.object({ S: percent.required(), A: percent.required(), B: percent.required() }).required()
    .description('lowest score of each tier; below B is C; S > A > B'),
  cadenceDays: Joi.object({ S: cadence, A: cadence, B: cadence, C: cadence }).required().description('days between revisits per tier'),
};

const policySchema = Joi.object<PolicyRules & { note?: string }>({
  ...rulesKeys,
  note: Joi.string().trim().max(500).allow(''),
}).id('TierPolicyInput');

const versionsSchema = Joi.object<GetTierPolicyVersionsQuery>(pageKeys);

// The answers, as policyBody, sendPolicy and simulate below build them.
const policyKeys = {
  id: objectId(), version: Joi.number().integer().min(1), ...rulesKeys, note: Joi.string().allow(''), createdAt: moment(),
  createdById: objectId().allow(null).description('null for the default policy stored by the system'), createdByName: Joi.string(),
};
const policyAnswer = answer(policyKeys).id('TierPolicy');
const currentPolicySchema = answer({
  ...policyKeys,
  criterionInputs: answer(Object.fromEntries(criterionKeys.map((k) => [k, Joi.string()]))).description('what each criterion reads, by key'),
}).id('TierPolicyCurrent');

const MAX_MOVES = 500;

const tier = () => Joi.string().valid(...tiers);
const count = () => Joi.number().integer().min(0);
const counts = (keys: readonly string[]) => answer(Object.fromEntries(keys.map((k) => [k, count()])));
const simulationSchema = answer({
  policyVersion: Joi.number().integer().description('the version in force, which the stored tiers come from'),
  counts: answer({ current: counts([...tiers, 'none']), candidate: counts(tiers) }),
  moves: Joi.array().max(MAX_MOVES).items(answer({
    customerId: objectId(), code: Joi.string(), name: Joi.string(), from: tier().allow(null), to: tier(),
    score: Joi.number().description('the score under the candidate'),
    needsApproval: Joi.boolean().description('the move goes into or out of S or A, so an executive must approve it'),
  })),
  movesTotal: count(),
}).id('TierSimulation');

/** The rules of a candidate policy whose shape passed; cross-field problems answer 400 with `errors` like shape errors. */
function consistent(input: PolicyRules & { note?: string }): { rules: PolicyRules; note: string } {
  const rules: PolicyRules = { criteria: input.criteria, thresholds: input.thresholds, cadenceDays: input.cadenceDays };
  const problems = policyProblems(rules);
  if (problems.length) throw new HttpError(400, 'Validation failed', 'The policy is not consistent.', { errors: problems });
  return { rules, note: input.note ?? '' };
}

function policyBody(policy: Policy & { id: string }) {
  const { id, version, criteria, thresholds, cadenceDays, note, createdAt, createdById, createdByName } = policy;
  return {
    id, version, criteria, thresholds: { S: thresholds.S, A: thresholds.A, B: thresholds.B },
    cadenceDays: { S: cadenceDays.S, A: cadenceDays.A, B: cadenceDays.B, C: cadenceDays.C },
    note, createdAt, createdById, createdByName,
  };
}

function sendPolicy(res: Response, policy: Policy & { id: string }) {
  res.setHeader('ETag', etagOfPolicy(policy.version)).json({ ...policyBody(policy), criterionInputs });
}

// Versions newest first, paged on the version number (unique, never reused).
const isPosition = (p: Record<string, unknown>) => Number.isInteger(p.version) && (p.version as number) > 0;

type SimulatedCustomer = TierState & { code: string; name: string };
type Move = { customerId: string; code: string; name: string; from: Tier | null; to: Tier; score: number; needsApproval: boolean };

/** Where every non-archived customer would land under `rules`, computed in memory: writes nothing. */
async function simulate(rules: PolicyRules, now: Date) {
  const customers = (await CustomerModel.find({ archived: false }, { ...tierStateFields, code: 1, name: 1 }).sort({ code: 1 }).lean()) as unknown as SimulatedCustomer[];
  const inputs = await tierInputsFor(customers, now);
  const current: Record<Tier | 'none', number> = { S: 0, A: 0, B: 0, C: 0, none: 0 };
  const candidate = Object.fromEntries(tiers.map((t) => [t, 0])) as Record<Tier, number>;
  const moves: Move[] = [];
  let movesTotal = 0;
  for (const customer of customers) {
    const scored = scoreTier(rules, inputs.get(String(customer._id))!);
    const override = activeOverride(customer, now);
    const from = customer.tier ?? null;
    const to = override ? override.tier : scored.tier;
    current[from ?? 'none']++;
    candidate[to]++;
    if (from === to) continue;
    movesTotal++;
    if (moves.length < MAX_MOVES) {
      moves.push({ customerId: String(customer._id), code: customer.code, name: customer.name, from, to, score: scored.score, needsApproval: needsApproval(from, to) });
    }
  }
  return { counts: { current, candidate }, moves, movesTotal };
}

const { thresholds: t, cadenceDays: d } = defaultPolicyRules;
const defaults = `Defaults: thresholds S ${t.S}, A ${t.A}, B ${t.B}; cadence S ${d.S}, A ${d.A}, B ${d.B}, C ${d.C} days.`;
const invalid = 'Invalid policy: a field of the wrong shape, or weights not summing to 100, a criterion twice, '
  + 'a linear max not above its min, two bands with the same min, or thresholds not descending (S > A > B); `errors` names each';

/** The tier policy (/tier-policy): the version in force, its history, saving a new one and trying a candidate. */
export const tierPolicyOperations = [
  operation({
    method: 'get', path: '/api/v1/tier-policy', tag: 'tiers', access: 'signed-in',
    summary: 'The tier policy in force, and what each criterion reads', description: defaults,
    responses: { 200: { description: 'Current policy', headers: policyEtag, body: currentPolicySchema } },
    handler: async (_req, res) => {
      sendPolicy(res, await currentPolicy());
    },
  }),

  operation({
    method: 'put', path: '/api/v1/tier-policy', tag: 'tiers', access: ['admin'],
    summary: 'Save a new version of the tier policy (admin)',
    description: 'Stores the policy as the next version and queues the tiers.reclassify-all job, which rescores every customer under it. '
      + 'Customers rescored before the job runs already use the new version.',
    headers: Joi.object({
      'If-Match': Joi.string()
        .description('the ETag of the policy read (`"v<version>"`); when another version was saved since, 412 and nothing is stored'),
    }),
    body: policySchema,
    responses: {
      200: { description: 'The new version', headers: policyEtag, body: currentPolicySchema },
      400: invalid, 412: 'Another version was saved since the ETag was read',
    },
    handler: async (req, res, { body, config }) => {
      const user = currentUser(req);
      const { rules, note } = consistent(body);
      const expected = ifMatchPolicyVersion(req);
      if (expected !== undefined && expected !== (await currentPolicy()).version) throw staleError('tier policy');
      const saved = await savePolicy(rules, note, { id: user.id, name: user.name }, expected);
      if (!saved) throw staleError('tier policy');
      // The worker rescores every customer; the new policy already applies to each customer rescored meanwhile.
      await enqueue(config, reclassifyAllJob, { reason: `policy v${saved.version} saved by ${user.name}` });
      sendPolicy(res, saved);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/tier-policy/versions', tag: 'tiers', access: 'signed-in',
    summary: 'Every version of the tier policy, newest first',
    query: versionsSchema,
    responses: { 200: { description: 'A page of versions', body: page(policyAnswer) } },
    handler: async (_req, res, { query: input }) => {
      const after = decodeCursor(input.cursor, isPosition);
      await currentPolicy(); // stores the defaults as version 1 on a database without a policy, so the list is never empty
      const rows = await TierPolicyModel.find(after ? { version: { $lt: after.version as number } } : {})
        .sort({ version: -1 }).limit(input.limit + 1).lean();
      res.json(toPage(rows, input.limit, (r) => ({ version: r.version }), (r) => policyBody(policyJson(r))));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/tier-policy/simulate', tag: 'tiers', access: ['admin', 'executive'],
    summary: 'Where every customer would land under a candidate policy (admin, executive); writes nothing',
    description: 'Scores every non-archived customer under the candidate. A customer with an active override stays at the override tier. '
      + `\`moves\` lists the customers whose tier would differ from the stored one, ordered by code, at most ${MAX_MOVES} (\`movesTotal\` counts all). `
      + '`note` is accepted and ignored.',
    body: policySchema,
    responses: { 200: { description: 'Simulation', body: simulationSchema }, 400: invalid },
    handler: async (_req, res, { body }) => {
      const { rules } = consistent(body);
      const policy = await currentPolicy();
      res.json({ policyVersion: policy.version, ...(await simulate(rules, new Date())) });
    },
  }),
];

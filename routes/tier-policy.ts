import { Router, type Request, type Response } from 'express';
import Joi from 'joi';
import { enqueue } from '../jobs/queue.ts';
import { name as reclassifyAllJob } from '../jobs/tiers.ts';
import { CustomerModel, tiers, type Tier } from '../models/customer.ts';
import { tierInputsFor } from '../models/tier-inputs.ts';
import {
  TierPolicyModel, criterionInputs, criterionKeys, currentPolicy, policyJson, policyProblems, savePolicy, type Policy, type PolicyRules,
} from '../models/tier-policy.ts';
import { needsApproval, scoreTier } from '../models/tier-scoring.ts';
import { activeOverride, tierStateFields, type TierState } from '../models/tiering.ts';
import { authenticate, authorize, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { staleError } from '../server/etag.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { parse } from '../server/validate.ts';

const percent = Joi.number().min(0).max(100);

// One shape for both kinds of scale, so a wrong field is named (`criteria.0.scale.max is required`) rather than
// reported as "matches no alternative".
const scaleSchema = Joi.object({
  kind: Joi.string().valid('bands', 'linear').required(),
  bands: Joi.when('kind', {
    is: 'bands',
    then: Joi.array().items(Joi.object({ min: Joi.number().required(), points: percent.required() })).min(1).max(20).required(),
    otherwise: Joi.forbidden(),
  }),
  min: Joi.when('kind', { is: 'linear', then: Joi.number().required(), otherwise: Joi.forbidden() }),
  max: Joi.when('kind', { is: 'linear', then: Joi.number().required(), otherwise: Joi.forbidden() }),
});

const cadence = Joi.number().integer().min(1).max(730).required();

// A criterion left out of the list gets no weight: a policy may use fewer than the five.
const policySchema = Joi.object<PolicyRules & { note?: string }>({
  criteria: Joi.array().items(Joi.object({
    key: Joi.string().valid(...criterionKeys).required(),
    weight: Joi.number().greater(0).max(100).required(),
    scale: scaleSchema.required(),
  })).min(1).max(criterionKeys.length).required(),
  thresholds: Joi.object({ S: percent.required(), A: percent.required(), B: percent.required() }).required(),
  cadenceDays: Joi.object({ S: cadence, A: cadence, B: cadence, C: cadence }).required(),
  note: Joi.string().trim().max(500).allow(''),
});

const versionsSchema = Joi.object<{ limit: number; cursor?: string }>(pageKeys);

/** The rules of a valid candidate policy; shape errors and cross-field problems both answer 400 with `errors`. */
function parsePolicy(body: unknown): { rules: PolicyRules; note: string } {
  const input = parse(policySchema, body);
  const rules: PolicyRules = { criteria: input.criteria, thresholds: input.thresholds, cadenceDays: input.cadenceDays };
  const problems = policyProblems(rules);
  if (problems.length) throw new HttpError(400, 'Validation failed', 'The policy is not consistent.', { errors: problems });
  return { rules, note: input.note ?? '' };
}

const etagOfPolicy = (version: number) => `"v${version}"`;

/** The version named by If-Match, undefined when absent or `*`; an ETag this route never issued answers 412. */
function ifMatchPolicyVersion(req: Request): number | undefined {
  const header = req.get('if-match')?.trim();
  if (header === undefined || header === '*') return undefined;
  const match = /^(?:W\/)?"v(\d{1,9})"$/.exec(header);
  if (!match) throw new HttpError(412, 'Precondition failed', 'If-Match must be an ETag this service issued, like "v3".');
  return Number(match[1]);
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

const MAX_MOVES = 500;

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

// Mounted at its own path, so authentication applies to the whole router.
export function tierPolicyRouter(config: Config): Router {
  const router = Router();
  router.use(authenticate(config));

  router.get('/', async (_req, res) => {
    sendPolicy(res, await currentPolicy());
  });

  router.put('/', authorize('admin'), async (req, res) => {
    const user = currentUser(req);
    const { rules, note } = parsePolicy(req.body);
    const expected = ifMatchPolicyVersion(req);
    if (expected !== undefined && expected !== (await currentPolicy()).version) throw staleError('tier policy');
    const saved = await savePolicy(rules, note, { id: user.id, name: user.name }, expected);
    if (!saved) throw staleError('tier policy');
    // The worker rescores every customer; the new policy already applies to each customer rescored meanwhile.
    await enqueue(config, reclassifyAllJob, { reason: `policy v${saved.version} saved by ${user.name}` });
    sendPolicy(res, saved);
  });

  router.get('/versions', async (req, res) => {
    const input = parse(versionsSchema, req.query);
    const after = decodeCursor(input.cursor, isPosition);
    await currentPolicy(); // stores the defaults as version 1 on a database without a policy, so the list is never empty
    const rows = await TierPolicyModel.find(after ? { version: { $lt: after.version as number } } : {})
      .sort({ version: -1 }).limit(input.limit + 1).lean();
    res.json(toPage(rows, input.limit, (r) => ({ version: r.version }), (r) => policyBody(policyJson(r))));
  });

  router.post('/simulate', authorize('admin', 'executive'), async (req, res) => {
    const { rules } = parsePolicy(req.body);
    const policy = await currentPolicy();
    res.json({ policyVersion: policy.version, ...(await simulate(rules, new Date())) });
  });

  return router;
}

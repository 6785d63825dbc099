import type { Request, Response } from 'express';
import Joi from 'joi';
import { caseSeverities } from '../models/case.ts';
import {
  currentServicePolicy, defaultServiceRules, saveServicePolicy, serviceRulesProblems, serviceTiers, type ServicePolicy, type ServiceRules,
} from '../models/service-policy.ts';
import { answer, moment, objectId } from '../schemas/common.ts';
import { currentUser } from '../server/auth.ts';
import { HttpError, invalidFields } from '../server/errors.ts';
import { etagOfPolicy, ifMatchPolicyVersion, policyEtagHeader, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';

// A target is at most a year, in minutes.
const minutes = Joi.number().integer().min(1).max(525_600).required();
const target = Joi.object({
  respondMinutes: minutes.description('answer the customer within this many minutes of opening'),
  resolveMinutes: minutes.description('resolve it within this many minutes of opening; not shorter than respondMinutes'),
}).required();
const bySeverity = Joi.object(Object.fromEntries(caseSeverities.map((s) => [s, target])));

const rulesKeys = {
  targets: Joi.object(Object.fromEntries(serviceTiers.map((t) => [t, bySeverity.required()]))).required()
    .description("per customer tier (`none`: not classified yet) and case severity. Whole days of a target are calendar days on the organisation's clock (TZ)"),
  warnPercent: Joi.number().integer().min(0).max(90).required().description("warn the owner when this share of a target's window is left; 0: no warnings"),
  autoCloseDays: Joi.number().integer().min(1).max(90).required().description('a resolved case the customer never answered closes by itself after this many days'),
};

type PolicyInput = ServiceRules & { note?: string };
const policyInput = Joi.object<PolicyInput>({ ...rulesKeys, note: Joi.string().trim().max(500).allow('') }).id('ServicePolicyInput');

const policySchema = answer({
  id: objectId(), version: Joi.number().integer().min(1), ...rulesKeys, note: Joi.string().allow(''), createdAt: moment(),
  createdById: objectId().allow(null).description('null for the default policy stored by the system'), createdByName: Joi.string(),
}).id('ServicePolicy');

/** The version named by If-Match; the PUT needs it (two admins editing the targets must not overwrite each other unseen). */
function requiredPolicyVersion(req: Request): number {
  if (req.get('if-match') === undefined) throw new HttpError(428, 'Precondition required', 'Send If-Match with the ETag of the policy you read, like "v3".');
  const version = ifMatchPolicyVersion(req);
  // `*` names no version
  if (version === undefined) throw new HttpError(412, 'Precondition failed', 'If-Match must be an ETag this service issued, like "v3".');
  return version;
}

function sendPolicy(res: Response, p: ServicePolicy) {
  const targets = Object.fromEntries(serviceTiers.map((t) => [t, Object.fromEntries(caseSeverities.map((s) => {
    const { respondMinutes, resolveMinutes } = p.targets[t][s];
    return [s, { respondMinutes, resolveMinutes }];
  }))]));
  res.setHeader('ETag', etagOfPolicy(p.version)).json({
    id: p.id, version: p.version, targets, warnPercent: p.warnPercent, autoCloseDays: p.autoCloseDays, note: p.note,
    createdAt: p.createdAt, createdById: p.createdById, createdByName: p.createdByName,
  });
}

const d = defaultServiceRules;
const defaults = `Defaults: S/critical respond ${d.targets.S.critical.respondMinutes} min, resolve ${d.targets.S.critical.resolveMinutes} min; `
  + `C/low ${d.targets.C.low.respondMinutes} min and ${d.targets.C.low.resolveMinutes} min; warn at ${d.warnPercent} % left; `
  + `close ${d.autoCloseDays} days after resolution. A case keeps the targets it was opened with.`;

/** The service policy (/service-policy): the targets of service cases, read by all, saved as a new version by admins. */
export const servicePolicyOperations = [
  operation({
    method: 'get', path: '/api/v1/service-policy', tag: 'cases', access: 'signed-in',
    summary: 'The service policy in force: response and resolution targets by tier and severity', description: defaults,
    responses: { 200: { description: 'Current policy', headers: policyEtagHeader, body: policySchema } },
    handler: async (_req, res) => {
      sendPolicy(res, await currentServicePolicy());
    },
  }),

  operation({
    method: 'put', path: '/api/v1/service-policy', tag: 'cases', access: ['admin'],
    summary: 'Save a new version of the service policy (admin)',
    description: 'Applies to cases opened from now on; open cases keep their targets.',
    headers: Joi.object({ 'If-Match': Joi.string().required().description('the ETag of the policy read (`"v<version>"`)') }),
    body: policyInput,
    responses: {
      200: { description: 'The new version', headers: policyEtagHeader, body: policySchema },
      400: 'Invalid policy: a field of the wrong shape, or a resolve target shorter than its respond target; `errors` names each',
      412: 'Another version was saved since the ETag was read',
      428: 'If-Match is missing',
    },
    handler: async (req, res, { body }) => {
      const user = currentUser(req);
      const rules: ServiceRules = { targets: body.targets, warnPercent: body.warnPercent, autoCloseDays: body.autoCloseDays };
      const problems = serviceRulesProblems(rules);
      if (problems.length) throw invalidFields(problems);
      const expected = requiredPolicyVersion(req);
      if (expected !== (await currentServicePolicy()).version) throw staleError('service policy');
      const saved = await saveServicePolicy(rules, body.note ?? '', { id: user.id, name: user.name }, expected);
      if (!saved) throw staleError('service policy');
      sendPolicy(res, saved);
    },
  }),
];

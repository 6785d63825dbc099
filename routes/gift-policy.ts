import type { Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { GiftModel, monthIn, type GiftStatus } from '../models/gift.ts';
import { spentOf } from '../models/gift-allowance.ts';
import { allowancesOf, currentGiftPolicy, defaultGiftPolicyRules, giftPolicyProblems, saveGiftPolicy, type GiftPolicy, type GiftPolicyRules } from '../models/gift-policy.ts';
import { activeUserIds } from '../models/user.ts';
import { allowanceAnswer, allowanceQuery, giftPolicyAnswer, giftPolicyInput } from '../schemas/gift-input.ts';
import { currentUser } from '../server/auth.ts';
import { invalidFields } from '../server/errors.ts';
import { etagOfPolicy, ifMatchPolicyVersion, policyEtagHeader as policyEtag, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';

function sendPolicy(res: Response, p: GiftPolicy) {
  res.setHeader('ETag', etagOfPolicy(p.version)).json({
    id: p.id, version: p.version, roles: p.roles, users: p.users, note: p.note, createdAt: p.createdAt, createdById: p.createdById, createdByName: p.createdByName,
  });
}

/** The rules of a policy whose shape passed; a currency not in use, a person twice or one who is not active answer 400. */
async function consistent(input: GiftPolicyRules): Promise<GiftPolicyRules> {
  const rules = { roles: input.roles, users: input.users.map((u) => ({ userId: u.userId, allowances: u.allowances, note: u.note ?? '' })) };
  const problems = giftPolicyProblems(rules);
  const active = await activeUserIds(rules.users.map((u) => u.userId));
  rules.users.forEach((u, i) => {
    if (!active.has(u.userId)) problems.push({ field: `users.${i}.userId`, message: 'userId must be an active user' });
  });
  if (problems.length) throw invalidFields(problems);
  return rules;
}

/** The sum of the person's entries of a month in a status, per currency (reversals net). */
async function sumsOf(userId: string, month: string, status: GiftStatus): Promise<Map<string, number>> {
  const rows = await GiftModel.find({ giverId: new Types.ObjectId(userId), month, status }, { currency: 1, cost: 1 }).lean();
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(r.currency, (sums.get(r.currency) ?? 0) + r.cost);
  return sums;
}

const { manager } = defaultGiftPolicyRules.roles;
const defaults = `Defaults per month: managers ${Object.entries(manager).map(([c, n]) => `${n} ${c}`).join(', ')} (minor units); `
  + 'executives and admins likewise. A currency a role or exception leaves out allows nothing: every gift in it waits for approval.';

/** The gift policy (/gift-policy) and what is left of one's own allowance (/me/allowance). */
export const giftPolicyOperations = [
  operation({
    method: 'get', path: '/api/v1/gift-policy', tag: 'gifts', access: ['executive', 'admin'],
    summary: 'The gift policy in force: monthly allowances per role and currency, and exceptions per person (executives, admins)',
    description: defaults,
    responses: { 200: { description: 'Current policy', headers: policyEtag, body: giftPolicyAnswer } },
    handler: async (_req, res) => {
      sendPolicy(res, await currentGiftPolicy());
    },
  }),

  operation({
    method: 'put', path: '/api/v1/gift-policy', tag: 'gifts', access: ['admin'],
    summary: 'Save a new version of the gift policy (admin)',
    description: `${defaults} The new allowances apply to every gift given after it is saved, what was spent this month included.`,
    headers: Joi.object({
      'If-Match': Joi.string()
        .description('the ETag of the policy read (`"v<version>"`); when another version was saved since, 412 and nothing is stored'),
    }),
    body: giftPolicyInput,
    responses: {
      200: { description: 'The new version', headers: policyEtag, body: giftPolicyAnswer },
      400: 'Invalid policy: a field of the wrong shape, a currency not in use, a person twice or not an active user; `errors` names each',
      412: 'Another version was saved since the ETag was read',
    },
    handler: async (req, res, { body }) => {
      const user = currentUser(req);
      const rules = await consistent(body);
      const expected = ifMatchPolicyVersion(req);
      if (expected !== undefined && expected !== (await currentGiftPolicy()).version) throw staleError('gift policy');
      const saved = await saveGiftPolicy(rules, body.note, { id: user.id, name: user.name }, expected);
      if (!saved) throw staleError('gift policy');
      sendPolicy(res, saved);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/me/allowance', tag: 'gifts', access: 'signed-in',
    summary: 'Your gift allowance of a month per currency: the allowance, spent, pending, approved beyond it, and what is left',
    description: "Months are counted on the organisation's clock (TZ). The allowance is the policy's in force now.",
    query: allowanceQuery,
    responses: { 200: { description: 'Your allowance', body: allowanceAnswer } },
    handler: async (req, res, { query, config }) => {
      const user = currentUser(req);
      const month = query.month ?? monthIn(config.timezone, new Date());
      const policy = await currentGiftPolicy();
      const allowances = allowancesOf(policy, user);
      const [spent, pending, approved] = await Promise.all([
        spentOf(user.id, month), sumsOf(user.id, month, 'pending_approval'), sumsOf(user.id, month, 'approved'),
      ]);
      const currencies = [...new Set([...Object.keys(allowances), ...spent.keys(), ...pending.keys(), ...approved.keys()])].sort();
      res.json({
        month, timezone: config.timezone, policyVersion: policy.version,
        items: currencies.map((currency) => {
          const allowance = allowances[currency] ?? 0;
          const used = spent.get(currency) ?? 0;
          return { currency, allowance, spent: used, left: Math.max(0, allowance - used), pending: pending.get(currency) ?? 0, approved: approved.get(currency) ?? 0 };
        }),
      });
    },
  }),
];

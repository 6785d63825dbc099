import Joi from 'joi';
import { entryKinds, giftStatuses, reasonCategories, type EntryKind, type GiftStatus, type ReasonCategory } from '../models/gift.ts';
import { isCurrency } from '../models/money.ts';
import type { GiftPolicyRules } from '../models/gift-policy.ts';
import { roles } from '../models/user.ts';
import { answer, moment, objectId, pageKeys } from './common.ts';

// The inputs and answers of the gift ledger (routes/gifts.ts) and of its policy and allowances (routes/gift-policy.ts).

const text = (max: number) => Joi.string().trim().min(1).max(max);
export const monthKey = () => Joi.string().pattern(/^\d{4}-(0[1-9]|1[0-2])$/).messages({ 'string.pattern.base': '{#label} must be a month as YYYY-MM' });
const money = () => Joi.number().strict().integer().max(1e12);

export const currencyCode = () => Joi.string().trim().uppercase().pattern(/^[A-Za-z]{3}$/)
  // joi runs this after a failed pattern too (abortEarly off): one error per field is enough
  .custom((code: string, helpers) => (!/^[A-Z]{3}$/.test(code) || isCurrency(code) ? code : helpers.error('any.invalid')))
  .messages({ 'string.pattern.base': '{#label} must be a three-letter ISO 4217 code', 'any.invalid': '{#label} must be an ISO 4217 currency code in use' })
  .description('ISO 4217, stored upper-case');

export type GiftCreate = {
  customerId: string; contactId?: string; caseId?: string; item: string; cost: number; currency: string; reasonCategory: ReasonCategory; reason: string;
};
export const giftCreateSchema = Joi.object<GiftCreate>({
  customerId: objectId().required().description('a customer you may read, or the customer of a case you own or help on'),
  contactId: objectId().description('a contact of that customer'),
  caseId: objectId().description('a case of that customer'),
  item: text(200).required().description('what was given: a voucher, a dinner, a service credit...'),
  cost: money().min(1).required().messages({ 'number.base': '{#label} must be an integer in minor units of the currency' })
    .description('integer minor units of `currency`, above 0'),
  currency: currencyCode().required(),
  reasonCategory: Joi.string().valid(...reasonCategories).required(),
  reason: text(2000).required(),
}).id('GiftCreate');

export type GiftListQuery = {
  limit: number; cursor?: string; customerId?: string; giverId?: string; status?: GiftStatus; month?: string; caseId?: string; kind?: EntryKind;
};
export const giftListSchema = Joi.object<GiftListQuery>({
  ...pageKeys,
  customerId: objectId(),
  giverId: Joi.string().pattern(/^(me|[0-9a-fA-F]{24})$/).messages({ 'string.pattern.base': '{#label} must be `me` or a user id' })
    .description('`me` or a user id: the gifts they gave and the reversals of those'),
  status: Joi.string().valid(...giftStatuses).description('a reversal carries the status of the spend it takes back (applied or approved)'),
  month: monthKey().description('the month the spend counts in (a reversal counts in its gift\'s month)'),
  caseId: objectId(),
  kind: Joi.string().valid(...entryKinds),
});

export const approveSchema = Joi.object<{ comment?: string }>({ comment: Joi.string().trim().max(2000).allow('') }).id('GiftApprove');
export const rejectSchema = Joi.object<{ comment: string }>({ comment: text(2000).required().description('why, for the giver') }).id('GiftReject');
export const reverseSchema = Joi.object<{ reason: string }>({ reason: text(2000).required().description('why the gift is taken back') }).id('GiftReverse');

const person = { id: objectId(), name: Joi.string() };
export const giftAnswer = answer({
  id: objectId(), kind: Joi.string().valid(...entryKinds),
  customerId: objectId(), customer: answer({ id: objectId(), code: Joi.string(), name: Joi.string() }).allow(null).description('null if it no longer exists'),
  contactId: objectId().allow(null), caseId: objectId().allow(null),
  item: Joi.string(), cost: Joi.number().integer().description('minor units; negative for a reversal'), currency: Joi.string().pattern(/^[A-Z]{3}$/),
  reasonCategory: Joi.string().valid(...reasonCategories), reason: Joi.string().description('why it was given; for a reversal, why it was reversed'),
  month: Joi.string().pattern(/^\d{4}-\d{2}$/).description("the month the spend counts in, on the organisation's clock (TZ)"),
  status: Joi.string().valid(...giftStatuses),
  giver: answer({ ...person, team: Joi.string().allow('').description("the giver's team when the gift was given") }),
  by: answer(person).description('who wrote this entry: the giver, or who reversed the gift'),
  reversesId: objectId().allow(null).description('on a reversal, the gift it takes back'),
  reversedById: objectId().allow(null).description('on a gift, its reversal'),
  decision: answer({ ...person, at: moment(), comment: Joi.string().allow('') }).allow(null).description('on a gift that waited for approval, once decided'),
  createdAt: moment(),
}).id('Gift');

// --- the policy and the allowances ------------------------------------------------------------------------------

const allowances = () => Joi.object().pattern(/^[A-Z]{3}$/, money().min(0))
  .messages({ 'object.unknown': '{#label} is not an upper-case ISO 4217 code' })
  .description('per ISO 4217 currency (upper case), minor units per month; a currency left out allows nothing: every gift in it waits for approval');

const roleAllowances = () => Joi.object(Object.fromEntries(roles.map((r) => [r, allowances().required()]))).description("each role's monthly allowance");
const exceptionsNote = "exceptions: for the currencies named, a person's allowance replaces their role's";
const policyNote = () => Joi.string().trim().max(500).allow('');

export const giftPolicyInput = Joi.object<GiftPolicyRules & { note: string }>({
  roles: roleAllowances().required(),
  users: Joi.array().max(1000).items(Joi.object({ userId: objectId().required().description('an active user'), allowances: allowances().required(), note: policyNote() }))
    .default([]).description(`${exceptionsNote}; each person at most once`),
  note: policyNote().default(''),
}).id('GiftPolicyInput');

export const giftPolicyAnswer = answer({
  id: objectId(), version: Joi.number().integer().min(1), roles: roleAllowances(),
  users: Joi.array().items(answer({ userId: objectId(), allowances: allowances(), note: policyNote() })).description(exceptionsNote),
  note: policyNote(), createdAt: moment(),
  createdById: objectId().allow(null).description('null for the default policy stored by the system'), createdByName: Joi.string(),
}).id('GiftPolicy');

export const allowanceQuery = Joi.object<{ month?: string }>({ month: monthKey().description("default: this month on the organisation's clock") });
export const allowanceAnswer = answer({
  month: Joi.string().pattern(/^\d{4}-\d{2}$/), timezone: Joi.string().description("the organisation's clock (TZ) months are counted on"),
  policyVersion: Joi.number().integer(),
  items: Joi.array().items(answer({
    currency: Joi.string().pattern(/^[A-Z]{3}$/),
    allowance: Joi.number().integer().description('the monthly allowance, minor units'),
    spent: Joi.number().integer().description('applied gifts, less those reversed'),
    left: Joi.number().integer().min(0).description('allowance - spent, at least 0: a gift up to this applies at once'),
    pending: Joi.number().integer().description('gifts waiting for approval'),
    approved: Joi.number().integer().description('gifts approved beyond the allowance, less those reversed; they do not use it'),
  })).description('one item per currency of the allowance or of the month\'s gifts, by currency; amounts never added across currencies'),
}).id('GiftAllowance');

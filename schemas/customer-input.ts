import Joi from 'joi';
import { customerStatuses, ownerships, tiers } from '../models/customer.ts';
import { objectId } from './common.ts';

// The customer fields a client may send, shared by the JSON routes and the CSV import.

const text = (max: number) => Joi.string().trim().max(max).allow('');
const money = Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER);

export const companySchema = Joi.object({
  legalName: text(300),
  industry: text(100),
  region: text(100),
  country: Joi.string().trim().uppercase().pattern(/^[A-Z]{2}$/).allow('').messages({ 'string.pattern.base': '{#label} must be a two-letter ISO 3166 country code' }),
  employees: Joi.number().integer().min(0).max(10_000_000),
  annualRevenue: money,
  ownership: Joi.string().valid(...ownerships),
  website: Joi.string().trim().max(300).uri({ scheme: ['http', 'https'] }).allow(''),
  address: text(500),
  goals: text(4000),
  painPoints: text(4000),
  competitors: Joi.array().items(Joi.string().trim().min(1).max(200)).max(50),
  decisionProcess: text(4000),
  purchasingPreferences: text(4000),
  paymentNotes: text(4000),
});

export const tierInputsSchema = Joi.object({
  potential: money,
  strategicValue: Joi.number().integer().min(1).max(5),
});

const fields = {
  code: Joi.string().trim().uppercase().pattern(/^[A-Z0-9][A-Z0-9._-]{0,39}$/)
    .messages({ 'string.pattern.base': '{#label} must be 1-40 letters, digits, dots, dashes or underscores' }),
  name: Joi.string().trim().min(1).max(200),
  status: Joi.string().valid(...customerStatuses),
  ownerId: objectId(),
  accountTeam: Joi.array().items(objectId()).max(50).unique(),
  parentId: objectId().allow(null),
  tags: Joi.array().items(Joi.string().trim().lowercase().min(1).max(40)).max(30).unique(),
  currency: Joi.string().trim().uppercase().pattern(/^[A-Z]{3}$/).messages({ 'string.pattern.base': '{#label} must be a three-letter ISO 4217 code' }),
  company: companySchema,
  tierInputs: tierInputsSchema,
};

export const createCustomerSchema = Joi.object({
  ...fields,
  code: fields.code.required(),
  name: fields.name.required(),
});

export const patchCustomerSchema = Joi.object(fields).min(1);

export type CustomerInput = {
  code: string; name: string; status?: (typeof customerStatuses)[number]; ownerId?: string; accountTeam?: string[]; parentId?: string | null;
  tags?: string[]; currency?: string; company?: Record<string, unknown>; tierInputs?: Record<string, unknown>;
};

/** The filters of the customer list, which the CSV export takes too. */
export const customerFilterKeys = {
  status: Joi.string().valid(...customerStatuses),
  tier: Joi.string().valid(...tiers, 'none'),
  owner: Joi.alternatives(Joi.string().valid('me'), objectId()),
  industry: Joi.string().trim().max(100),
  region: Joi.string().trim().max(100),
  tag: Joi.string().trim().lowercase().max(40),
  parentId: objectId(),
  q: Joi.string().trim().min(1).max(100),
  includeArchived: Joi.boolean().default(false),
};

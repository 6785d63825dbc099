import Joi from 'joi';
import { customerStatuses, ownerships, tiers } from '../models/customer.ts';
import { customerSorts, type CustomerFilters, type CustomerSort } from '../models/customer-query.ts';
import { objectId } from './common.ts';
import type { CustomerCreate, CustomerPatch } from './inputs.gen.ts';

// The customer fields a client may send, shared by the JSON routes and the CSV import. Letters are upper-cased before
// a pattern is checked, so the patterns take either case (the document then says what the service accepts).

const text = (max: number) => Joi.string().trim().max(max).allow('');
const money = (description: string) => Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER).description(description);

export const companySchema = Joi.object({
  legalName: text(300),
  industry: text(100),
  region: text(100),
  country: Joi.string().trim().uppercase().pattern(/^[A-Za-z]{2}$/).allow('')
    .messages({ 'string.pattern.base': '{#label} must be a two-letter ISO 3166 country code' }).description('ISO 3166 alpha-2; stored upper-case'),
  employees: Joi.number().integer().min(0).max(10_000_000),
  annualRevenue: money('minor units of the customer currency'),
  ownership: Joi.string().valid(...ownerships),
  website: Joi.string().trim().max(300).uri({ scheme: ['http', 'https'] }).allow('').description('an http or https address'),
  address: text(500),
  goals: text(4000),
  painPoints: text(4000),
  competitors: Joi.array().items(Joi.string().trim().min(1).max(200)).max(50),
  decisionProcess: text(4000),
  purchasingPreferences: text(4000),
  paymentNotes: text(4000),
}).id('CustomerCompany').description('The company profile; a PATCH changes only the fields it names');

export const tierInputsSchema = Joi.object({
  potential: money('estimated yearly wallet, minor units of the customer currency'),
  strategicValue: Joi.number().integer().min(1).max(5),
}).id('CustomerTierInputs').description('What the tier policy scores besides the revenue; a PATCH changes only the fields it names');

const fields = {
  code: Joi.string().trim().uppercase().pattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/)
    .messages({ 'string.pattern.base': '{#label} must be 1-40 letters, digits, dots, dashes or underscores' })
    .description('unique; stored upper-case'),
  name: Joi.string().trim().min(1).max(200),
  status: Joi.string().valid(...customerStatuses),
  ownerId: objectId().description('an active user; defaults to the creator. Only admins create a customer for another owner, '
    + 'and only the owner or an admin hands it to another'),
  accountTeam: Joi.array().items(objectId()).max(50).unique()
    .description('active users who work the account with its owner; only the owner or an admin changes it'),
  parentId: objectId().allow(null).description('the group company: a customer you can see, not this one nor one of its subsidiaries'),
  tags: Joi.array().items(Joi.string().trim().lowercase().min(1).max(40)).max(30).unique().description('stored lower-case'),
  currency: Joi.string().trim().uppercase().pattern(/^[A-Za-z]{3}$/).messages({ 'string.pattern.base': '{#label} must be a three-letter ISO 4217 code' })
    .description('ISO 4217, stored upper-case (USD when not given); money fields are integers in its minor units. '
      + 'It cannot change while the customer has projects'),
  company: companySchema,
  tierInputs: tierInputsSchema,
};

/** A new customer as parsed (its type is generated from these schemas: scripts/input-types.ts). */
export type CustomerInput = CustomerCreate;

export const createCustomerSchema = Joi.object<CustomerInput>({
  ...fields,
  code: fields.code.required(),
  name: fields.name.required(),
}).id('CustomerCreate');

export const patchCustomerSchema = Joi.object<CustomerPatch>(fields).min(1).id('CustomerPatch')
  .description('The fields to change; nested objects (company, tierInputs) merge into the stored ones');

/** The customer fields as answered: what a client sends, as stored. */
export const customerFields = fields;

/** The filters of the customer list, which the CSV export takes too. */
export const customerFilterKeys = {
  status: Joi.string().valid(...customerStatuses),
  tier: Joi.string().valid(...tiers, 'none').description('`none` for customers not classified yet'),
  owner: Joi.alternatives(Joi.string().valid('me'), objectId()).description('`me` or a user id'),
  industry: Joi.string().trim().max(100).description('company.industry, exactly'),
  region: Joi.string().trim().max(100).description('company.region, exactly'),
  tag: Joi.string().trim().lowercase().max(40),
  parentId: objectId().description('the direct subsidiaries of this customer'),
  q: Joi.string().trim().min(1).max(100).description('case-insensitive match on name or code'),
  includeArchived: Joi.boolean().default(false),
};

export type CustomerListQuery = CustomerFilters & { limit: number; cursor?: string; sort: CustomerSort };

/** The list's query: its filters, a page and an order. */
export const customerListKeys = { ...customerFilterKeys, sort: Joi.string().valid(...customerSorts).default('name') };

import Joi from 'joi';
import { tiers, type Tier } from '../models/customer.ts';
import { objectiveStatuses, periodPattern, planStatuses, resourceKinds, type PlanStatus } from '../models/plan.ts';
import { objectId, pageKeys } from './common.ts';

// The request bodies and query strings of routes/plans.ts.

const period = Joi.string().pattern(periodPattern)
  .messages({ 'string.pattern.base': '{#label} must be a year ("2027") or a quarter ("2027-Q1") from 2000 to 2100' });
const quantity = Joi.number().min(0).max(1e15).strict();
const text = (max: number) => Joi.string().trim().max(max).allow('');
// In a PATCH an item with an `id` changes that stored item; one without is new and needs the required fields.
const required = (schema: Joi.Schema, patch: boolean) => (patch ? schema.when('id', { not: Joi.exist(), then: Joi.required() }) : schema.required());
const objective = (patch: boolean) => Joi.object({
  ...(patch ? { id: objectId() } : {}),
  title: required(Joi.string().trim().min(1).max(300), patch),
  metric: required(Joi.string().trim().min(1).max(100), patch),
  target: required(quantity, patch),
  actual: Joi.number().min(-1e15).max(1e15).strict().allow(null),
  unit: text(40),
  dueDate: Joi.date().iso().allow(null),
  status: Joi.string().valid(...objectiveStatuses),
});
const resource = (patch: boolean) => Joi.object({
  ...(patch ? { id: objectId() } : {}),
  kind: required(Joi.string().valid(...resourceKinds), patch),
  description: text(500),
  amount: required(quantity, patch),
  unit: text(40),
  ownerId: objectId().allow(null),
});
const content = (patch: boolean) => ({
  ownerId: objectId(),
  strategy: text(8000),
  objectives: Joi.array().items(objective(patch)).max(50),
  resources: Joi.array().items(resource(patch)).max(50),
});

export type Given = Record<string, unknown> & { id?: string; ownerId?: string | null; metric?: string; actual?: number | null };
export type Content = { ownerId?: string; strategy?: string; objectives?: Given[]; resources?: Given[] };
export type PatchInput = Content & { status?: PlanStatus; comment?: string; review?: string };
export type ListInput = { limit: number; cursor?: string; period?: string; status?: PlanStatus; owner?: string; tier?: Tier; customerId?: string };

export const createSchema = Joi.object<Content & { period: string }>({ period: period.required(), ...content(false) });
const withStatus = (schema: Joi.Schema) => Joi.when('status', { is: Joi.exist(), then: schema, otherwise: Joi.forbidden() })
  .messages({ 'any.unknown': '{#label} goes with a status change' });
export const patchSchema = Joi.object<PatchInput>({
  ...content(true),
  status: Joi.string().valid(...planStatuses),
  comment: withStatus(Joi.string().trim().min(1).max(2000)),
  review: withStatus(Joi.string().trim().min(1).max(8000)),
}).min(1);
export const copySchema = Joi.object<{ period: string }>({ period: period.required() });
export const customerPageSchema = Joi.object<{ limit: number; cursor?: string }>(pageKeys);
export const listSchema = Joi.object<ListInput>({
  ...pageKeys, period, status: Joi.string().valid(...planStatuses), tier: Joi.string().valid(...tiers),
  owner: Joi.alternatives(Joi.string().valid('me'), objectId()), customerId: objectId(),
});


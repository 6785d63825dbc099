import Joi from 'joi';
import { tiers } from '../models/customer.ts';
import { objectiveStatuses, periodPattern, planStatuses, resourceKinds, type PlanStatus } from '../models/plan.ts';
import { objectId, pageKeys } from './common.ts';
import type { GetCustomersIdPlansQuery, GetPlansQuery, PlanCopy } from './inputs.gen.ts';

// The request bodies and query strings of routes/plans.ts.

export const period = Joi.string().pattern(periodPattern)
  .messages({ 'string.pattern.base': '{#label} must be a year ("2027") or a quarter ("2027-Q1") from 2000 to 2100' })
  .description('a year or a quarter, 2000 to 2100').example('2027').example('2027-Q1');
const quantity = Joi.number().min(0).max(1e15).strict();
const text = (max: number) => Joi.string().trim().max(max).allow('');

/** The fields of an objective and of a resource, none required: a PATCH item with an `id` changes only those it gives. */
export const objectiveFields = {
  title: Joi.string().trim().min(1).max(300),
  metric: Joi.string().trim().min(1).max(100).description('free text, or `revenue`'),
  target: quantity,
  actual: Joi.number().min(-1e15).max(1e15).strict().allow(null),
  unit: text(40),
  dueDate: Joi.date().iso().allow(null),
  status: Joi.string().valid(...objectiveStatuses).description('a new objective is open unless given'),
};
export const resourceFields = {
  kind: Joi.string().valid(...resourceKinds),
  description: text(500),
  amount: quantity,
  unit: text(40).description('"FTE", "days", or a currency code for budgets (minor units)'),
  ownerId: objectId().allow(null).description('an active user'),
};

const objectiveCreate = Joi.object({
  ...objectiveFields, title: objectiveFields.title.required(), metric: objectiveFields.metric.required(), target: objectiveFields.target.required(),
});
const resourceCreate = Joi.object({ ...resourceFields, kind: resourceFields.kind.required(), amount: resourceFields.amount.required() });

// In a PATCH an item with an `id` changes that stored item; one without is new and needs the fields a new one needs.
const orNew = (fields: Record<string, Joi.Schema>, created: Joi.ObjectSchema) => Joi.alternatives()
  .conditional('.id', { is: Joi.exist(), then: Joi.object({ id: objectId().required(), ...fields }), otherwise: created });

const content = (patch: boolean) => ({
  ownerId: objectId().description(patch ? 'an active user' : 'an active user; defaults to the caller'),
  strategy: text(8000),
  objectives: Joi.array().max(50).items(patch
    ? orNew(objectiveFields, objectiveCreate).id('PlanObjectivePatch')
      .description('with `id`: that stored objective, changing the fields given; without: a new one needing title, metric and target')
    : objectiveCreate.id('PlanObjectiveCreate')),
  resources: Joi.array().max(50).items(patch
    ? orNew(resourceFields, resourceCreate).id('PlanResourcePatch')
      .description('with `id`: that stored resource, changing the fields given; without: a new one needing kind and amount')
    : resourceCreate.id('PlanResourceCreate')),
});

export type Given = Record<string, unknown> & { id?: string; ownerId?: string | null; metric?: string; actual?: number | null };
export type Content = { ownerId?: string; strategy?: string; objectives?: Given[]; resources?: Given[] };
export type PatchInput = Content & { status?: PlanStatus; comment?: string; review?: string };
// Content and PatchInput stay loose records: the merge by id (models/plan.ts) works on objectives and resources as
// records, and the generated PlanPatch is a union (a status move, or an edit) that the use case does not narrow.
export type ListInput = GetPlansQuery;

export const createSchema = Joi.object<Content & { period: string }>({ period: period.required(), ...content(false) }).id('PlanCreate');

// A comment or a review goes with a status move; without one the body is an edit, and either of them is refused.
const edit = Joi.object({
  ...content(true),
  comment: Joi.forbidden().messages({ 'any.unknown': '{#label} goes with a status change' }),
  review: Joi.forbidden().messages({ 'any.unknown': '{#label} goes with a status change' }),
}).min(1);
const move = Joi.object({
  ...content(true),
  status: Joi.string().valid(...planStatuses).required(),
  comment: Joi.string().trim().min(1).max(2000).description('required to send a plan back to draft'),
  review: Joi.string().trim().min(1).max(8000).description('with `status: closed`, and required there'),
});
export const patchSchema = Joi.alternatives().conditional<PatchInput, PatchInput>('.status', { is: Joi.exist(), then: move, otherwise: edit }).id('PlanPatch')
  .description('An edit (no `status`), or a status move with its `comment` or `review` and any edit beside it');

export const copySchema = Joi.object<PlanCopy>({ period: period.required() }).id('PlanCopy');
export const customerPageSchema = Joi.object<GetCustomersIdPlansQuery>(pageKeys);
export const listSchema = Joi.object<ListInput>({
  ...pageKeys, period, status: Joi.string().valid(...planStatuses), tier: Joi.string().valid(...tiers).description("the customer's current tier"),
  owner: Joi.alternatives(Joi.string().valid('me'), objectId()).description("`me` or a user id: the plan's owner"), customerId: objectId(),
});

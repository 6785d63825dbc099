import type { Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { CustomerModel, tiers, visibleTo } from '../models/customer.ts';
import { allOf, newestOfCustomers } from '../models/customer-scope.ts';
import { toPublicJson } from '../models/json.ts';
import { PlanModel, attainmentOf, describeMoves, planAttainment, planStatuses, withRevenueActuals, type PlanRecord } from '../models/plan.ts';
import { answer, moment, page } from '../schemas/common.ts';
import {
  copySchema, createSchema, customerPageSchema, listSchema, objectiveFields, patchSchema, period, resourceFields,
} from '../schemas/plan-input.ts';
import { currentUser, customerFor, customerRecordFor, type AuthUser } from '../server/auth.ts';
import { refusalError } from '../server/errors.ts';
import { applyToLatest, etagHeader, etagOf, ifMatchHeader, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { decodeCursor, idsBefore, toPage } from '../server/paging.ts';
import { idParam, objectId } from '../server/validate.ts';
import { changePlan, copyPlan, startPlan, type PlanOutcome } from '../usecases/plan-transition.ts';

type CustomerCard = { _id: Types.ObjectId; code: string; name: string; tier?: string | null };

/** A plan as every route answers it: revenue actuals filled in, attainment per objective and overall, its customer. */
async function plansJson(rows: PlanRecord[], customers?: CustomerCard[]) {
  const cards = customers ?? await CustomerModel.find({ _id: { $in: [...new Set(rows.map((r) => String(r.customerId)))] } }, { code: 1, name: 1, tier: 1 }).lean();
  const byId = new Map(cards.map((c) => [String(c._id), c]));
  return (await withRevenueActuals(rows)).map((plan) => {
    const { approvedById, objectives, resources, ...rest } = toPublicJson(plan) as PlanRecord & Record<string, unknown>;
    const customer = byId.get(String(plan.customerId));
    return {
      ...rest,
      approvedBy: approvedById ?? null,
      objectives: objectives.map((o) => ({ ...toPublicJson(o), attainment: attainmentOf(o) })),
      resources: resources.map((r) => toPublicJson(r)),
      attainment: planAttainment(objectives),
      customer: customer ? { id: String(customer._id), code: customer.code, name: customer.name, tier: customer.tier ?? null } : null,
    };
  });
}

async function sendPlan(res: Response, plan: PlanRecord, customer: CustomerCard, status = 200) {
  const [body] = await plansJson([plan], [customer]);
  res.status(status).setHeader('ETag', etagOf(plan.__v ?? 0)).json(body);
}

/** The plan and its customer if the user may read (or change) that customer; otherwise 404 exactly as for a missing plan. */
async function planFor(user: AuthUser, id: string | undefined, mode: 'read' | 'change') {
  const { record, customer } = await customerRecordFor(user, 'plan', async () => PlanModel.findById(idParam(id, 'plan')).lean<PlanRecord>().exec(), mode);
  return { plan: record, customer };
}

/** The plan a use case wrote, or its refusal thrown as the HTTP answer. */
function written(outcome: PlanOutcome): PlanRecord {
  if ('refused' in outcome) throw refusalError(outcome.refused);
  return outcome.plan;
}

const samePeriodBefore = (cursor?: string) => {
  const after = decodeCursor(cursor, (p) => typeof p.period === 'string' && /^\d{4}(-Q[1-4])?$/.test(p.period));
  return after ? { period: { $lt: after.period as string } } : {};
};

const text = (max: number) => Joi.string().max(max).allow('');
const attainment = answer({
  ratio: Joi.number().allow(null).description('actual / target; null without an actual or with a target of 0'),
  capped: Joi.number().max(1).allow(null).description('the ratio, at most 1'),
});
const planSchema = answer({
  id: objectId(), customerId: objectId(), period, periodStart: moment(), periodEnd: moment().description('the start of the next period'),
  status: Joi.string().valid(...planStatuses), ownerId: objectId(), strategy: text(8000),
  objectives: Joi.array().items(answer({
    id: objectId(), ...objectiveFields,
    actual: Joi.number().allow(null).description("for a `revenue` objective, the customer's revenue won in the period"),
    attainment,
  })),
  resources: Joi.array().items(answer({ id: objectId(), ...resourceFields })),
  approvedBy: objectId().allow(null), approvedAt: moment().allow(null), closedAt: moment().allow(null),
  review: text(8000), statusComment: text(2000).description('the comment of the last status change'),
  attainment: Joi.number().allow(null).description("mean of the objectives' capped attainments"),
  customer: answer({ id: objectId(), code: Joi.string(), name: Joi.string(), tier: Joi.string().valid(...tiers).allow(null) }).allow(null),
  createdAt: moment(), updatedAt: moment(),
}).id('Plan');

const customerNotFound = 'No such customer, or one of another team';
const notFound = 'No such plan, or one of a customer of another team';
const duplicatePeriod = 'The customer already has a plan for this period';
const readOnly = 'You may read this customer but not change it';

const moves = planStatuses.map((s) => describeMoves(s)).join('. ');
const editing = 'Only drafts accept `strategy`, `ownerId`, `resources` and objective definitions (title, metric, target, unit, '
  + 'dueDate); a submitted or approved plan accepts only its objectives\' `actual` and `status`, sent as `objectives: [{id, actual, '
  + 'status}]` listing every objective (anything else changed gets 409 "Only drafts are editable"); a closed plan accepts nothing (409). '
  + 'Arrays are whole: an item with the `id` of a stored one keeps that id and the fields it does not give, one without an id is '
  + 'new, stored items left out are removed. Executives change only the status (403 otherwise).';
const revenue = 'An objective with metric `revenue` takes its actual from the customer\'s projects won in the period (minor units '
  + "of the customer's currency, the default unit); a client never sends that actual. Closing a plan freezes it.";

/** Account plans per customer and period, under /customers/:id/plans and at /plans/:id. */
export const planOperations = [
  operation({
    method: 'get', path: '/api/v1/customers/:id/plans', tag: 'plans', access: 'signed-in',
    summary: "A customer's account plans, newest period first",
    query: customerPageSchema,
    responses: { 200: { description: 'A page of plans', body: page(planSchema) }, 404: customerNotFound },
    handler: async (req, res, { query }) => {
      const customer = await customerFor(currentUser(req), String(req.params.id), 'read');
      const rows = await PlanModel.find({ customerId: customer._id, ...samePeriodBefore(query.cursor) }).sort({ period: -1 }).limit(query.limit + 1).lean<PlanRecord[]>();
      const page = toPage(rows, query.limit, (r) => ({ period: r.period }), (r) => r);
      res.json({ items: await plansJson(page.items, [customer]), nextCursor: page.nextCursor });
    },
  }),

  operation({
    method: 'post', path: '/api/v1/customers/:id/plans', tag: 'plans', access: 'signed-in',
    summary: 'Start a draft plan for a period', description: revenue,
    body: createSchema,
    responses: {
      201: { description: 'Created', headers: etagHeader, body: planSchema }, 403: readOnly, 404: customerNotFound, 409: duplicatePeriod,
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const customer = await customerFor(user, String(req.params.id), 'change');
      const plan = written(await startPlan(user, customer, input));
      res.location(`/api/v1/plans/${String(plan._id)}`);
      await sendPlan(res, plan, customer, 201);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/plans', tag: 'plans', access: 'signed-in',
    summary: 'Plans of the customers you may see, newest first',
    query: listSchema,
    responses: { 200: { description: 'A page of plans', body: page(planSchema) } },
    handler: async (req, res, { query }) => {
      const user = currentUser(req);
      const filter: Record<string, unknown> = { ...idsBefore(query.cursor) };
      if (query.customerId) filter.customerId = new Types.ObjectId(query.customerId);
      if (query.period) filter.period = query.period;
      if (query.status) filter.status = query.status;
      if (query.owner) filter.ownerId = new Types.ObjectId(query.owner === 'me' ? user.id : query.owner);
      // Access first (models/customer-scope.ts), whatever the other filters; ?tier= is a condition on the customers too.
      const rows = await newestOfCustomers(allOf(visibleTo(user), query.tier ? { tier: query.tier } : {}), [filter],
        Boolean(query.customerId || query.owner), (f, n) => PlanModel.find(f).sort({ _id: -1 }).limit(n).lean<PlanRecord[]>(), query.limit);
      const page = toPage(rows, query.limit, (r) => ({ id: String(r._id) }), (r) => r);
      res.json({ items: await plansJson(page.items), nextCursor: page.nextCursor });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/plans/:id', tag: 'plans', access: 'signed-in',
    summary: 'Read a plan with its attainment', description: revenue,
    responses: { 200: { description: 'Plan', headers: etagHeader, body: planSchema }, 404: notFound },
    handler: async (req, res) => {
      const { plan, customer } = await planFor(currentUser(req), String(req.params.id), 'read');
      await sendPlan(res, plan, customer);
    },
  }),

  operation({
    method: 'patch', path: '/api/v1/plans/:id', tag: 'plans', access: 'signed-in',
    summary: 'Edit a plan or move its status',
    description: `${editing} Status moves: ${moves}. A move not in this list gets 409, a caller who may not make it 403, `
      + 'a missing comment or review 400.',
    headers: ifMatchHeader, body: patchSchema,
    responses: {
      200: { description: 'Updated', headers: etagHeader, body: planSchema },
      403: 'Executives change only the status, or the caller may not make this status move',
      404: notFound,
      409: 'Not editable in this status, or a status move that does not exist (also when another move landed a moment before), '
        + 'or the plan kept changing while the change was applied (sent without If-Match)',
      412: 'The plan changed since the ETag was read',
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const { plan, customer } = await applyToLatest(req, 'plan', async (version) => {
        const { plan, customer } = await planFor(user, String(req.params.id), 'read');
        if (version !== undefined && version !== plan.__v) throw staleError('plan');
        const outcome = await changePlan(user, plan, customer, input);
        return outcome && { plan: written(outcome), customer };
      });
      await sendPlan(res, plan, customer);
    },
  }),

  operation({
    method: 'post', path: '/api/v1/plans/:id/copy', tag: 'plans', access: 'signed-in',
    summary: "Start another period's draft from a plan",
    description: 'Copies the strategy, the resources and the objectives (targets kept, actuals empty, status open, due dates '
      + 'moved by the distance between the periods\' starts), all with new ids. The copy is owned by the source plan\'s owner, '
      + 'or by the caller when that user is no longer active.',
    body: copySchema,
    responses: {
      201: { description: 'Created', headers: etagHeader, body: planSchema }, 403: readOnly, 404: notFound, 409: duplicatePeriod,
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const { plan, customer } = await planFor(user, String(req.params.id), 'change');
      const copy = written(await copyPlan(user, plan, customer, input.period));
      res.location(`/api/v1/plans/${String(copy._id)}`);
      await sendPlan(res, copy, customer, 201);
    },
  }),
];

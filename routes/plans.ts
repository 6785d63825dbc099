import { Router, type Response } from 'express';
import { Types } from 'mongoose';
import { CustomerModel, canChange, visibleTo } from '../models/customer.ts';
import { allOf, newestOfCustomers } from '../models/customer-scope.ts';
import { isDuplicateKeyError } from '../models/db-compat.ts';
import { toPublicJson } from '../models/json.ts';
import {
  PlanModel, attainmentOf, copiedContent, definitionOf, mergeById, moveRefusal, periodBounds, planAttainment, withRevenueActuals,
  type PlanRecord,
} from '../models/plan.ts';
import { activeUserIds } from '../models/user.ts';
import { authenticate, currentUser, customerFor, customerRecordFor, type AuthUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError, invalidFields, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagOf, staleError } from '../server/etag.ts';
import { decodeCursor, idsBefore, toPage } from '../server/paging.ts';
import { idParam, parse } from '../server/validate.ts';
import {
  copySchema, createSchema, customerPageSchema, listSchema, patchSchema, type Content, type Given,
} from '../schemas/plan-input.ts';

const invalid = invalidFields;
const duplicate = (p: string) => new HttpError(409, 'Conflict', `The customer already has a plan for ${p}.`);
const notEditable = () => new HttpError(409, 'Conflict', 'Only drafts are editable; actuals stay editable until the plan is closed.');

type PlanRow = PlanRecord;
type CustomerCard = { _id: Types.ObjectId; code: string; name: string; tier?: string | null };

/** A plan as every route answers it: revenue actuals filled in, attainment per objective and overall, its customer. */
async function plansJson(rows: PlanRow[], customers?: CustomerCard[]) {
  const cards = customers ?? await CustomerModel.find({ _id: { $in: [...new Set(rows.map((r) => String(r.customerId)))] } }, { code: 1, name: 1, tier: 1 }).lean();
  const byId = new Map(cards.map((c) => [String(c._id), c]));
  return (await withRevenueActuals(rows)).map((plan) => {
    const { approvedById, objectives, resources, ...rest } = toPublicJson(plan) as PlanRow & Record<string, unknown>;
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

async function sendPlan(res: Response, plan: PlanRow, customer: CustomerCard, status = 200) {
  const [body] = await plansJson([plan], [customer]);
  res.status(status).setHeader('ETag', etagOf(plan.__v ?? 0)).json(body);
}

/** The plan and its customer if the user may read (or change) that customer; otherwise 404 exactly as for a missing plan. */
async function planFor(user: AuthUser, id: string | undefined, mode: 'read' | 'change') {
  const { record, customer } = await customerRecordFor(user, 'plan', async () => PlanModel.findById(idParam(id, 'plan')).lean<PlanRow>().exec(), mode);
  return { plan: record, customer };
}

/** Owners named in the input must be active users. */
async function checkOwners(input: Content) {
  const named: Array<[string, string]> = [
    ...(input.ownerId ? [['ownerId', input.ownerId] as [string, string]] : []),
    ...(input.resources ?? []).flatMap((r, i) => (r.ownerId ? [[`resources.${i}.ownerId`, r.ownerId] as [string, string]] : [])),
  ];
  const active = await activeUserIds([...new Set(named.map(([, id]) => id))]);
  const errors = named.filter(([, id]) => !active.has(id)).map(([field]) => ({ field, message: `${field} must be an active user` }));
  if (errors.length) throw invalid(errors);
}

/** Revenue actuals come from the customer's won projects, so a client never sets one. */
function revenueErrors(objectives: Given[] | undefined, merged: Array<Record<string, unknown>>): FieldError[] {
  return (objectives ?? []).flatMap((o, i) => (merged[i]?.metric === 'revenue' && o.actual !== undefined && o.actual !== null
    ? [{ field: `objectives.${i}.actual`, message: "the actual of a revenue objective is the customer's won revenue in the period; leave it out" }]
    : []));
}

async function insertPlan(fields: Record<string, unknown> & { period: string }): Promise<PlanRow> {
  const created = await PlanModel.create(fields).catch((err: unknown) => {
    throw isDuplicateKeyError(err) ? duplicate(fields.period) : err;
  });
  return created.toObject() as PlanRow;
}

// A revenue objective counts the customer's currency unless the client names another unit, and no stored actual.
const asRevenue = (currency: string) => <O extends Record<string, unknown>>(o: O): O =>
  (o.metric === 'revenue' ? { ...o, actual: null, unit: o.unit || currency } : o);

const samePeriodBefore = (cursor?: string) => {
  const after = decodeCursor(cursor, (p) => typeof p.period === 'string' && /^\d{4}(-Q[1-4])?$/.test(p.period));
  return after ? { period: { $lt: after.period as string } } : {};
};

// Shares its mount point with other routers, so authentication is attached per route, not with router.use.
export function plansRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);

  router.get('/customers/:id/plans', auth, async (req, res) => {
    const customer = await customerFor(currentUser(req), String(req.params.id), 'read');
    const input = parse(customerPageSchema, req.query);
    const rows = await PlanModel.find({ customerId: customer._id, ...samePeriodBefore(input.cursor) }).sort({ period: -1 }).limit(input.limit + 1).lean<PlanRow[]>();
    const page = toPage(rows, input.limit, (r) => ({ period: r.period }), (r) => r);
    res.json({ items: await plansJson(page.items, [customer]), nextCursor: page.nextCursor });
  });

  router.post('/customers/:id/plans', auth, async (req, res) => {
    const user = currentUser(req);
    const customer = await customerFor(user, String(req.params.id), 'change');
    const input = parse(createSchema, req.body);
    await checkOwners(input);
    const errors = revenueErrors(input.objectives, input.objectives ?? []);
    if (errors.length) throw invalid(errors);
    const { start, end } = periodBounds(input.period);
    const plan = await insertPlan({
      ...input, customerId: customer._id, ownerId: input.ownerId ?? user.id, periodStart: start, periodEnd: end, status: 'draft',
      objectives: (input.objectives ?? []).map(asRevenue(customer.currency)),
    });
    res.location(`${req.baseUrl}/plans/${String(plan._id)}`);
    await sendPlan(res, plan, customer, 201);
  });

  router.get('/plans', auth, async (req, res) => {
    const user = currentUser(req);
    const input = parse(listSchema, req.query);
    const filter: Record<string, unknown> = { ...idsBefore(input.cursor) };
    if (input.customerId) filter.customerId = new Types.ObjectId(input.customerId);
    if (input.period) filter.period = input.period;
    if (input.status) filter.status = input.status;
    if (input.owner) filter.ownerId = new Types.ObjectId(input.owner === 'me' ? user.id : input.owner);
    // Access first (models/customer-scope.ts), whatever the other filters; ?tier= is a condition on the customers too.
    const rows = await newestOfCustomers(allOf(visibleTo(user), input.tier ? { tier: input.tier } : {}), [filter],
      Boolean(input.customerId || input.owner), (f, n) => PlanModel.find(f).sort({ _id: -1 }).limit(n).lean<PlanRow[]>(), input.limit);
    const page = toPage(rows, input.limit, (r) => ({ id: String(r._id) }), (r) => r);
    res.json({ items: await plansJson(page.items), nextCursor: page.nextCursor });
  });

  router.get('/plans/:id', auth, async (req, res) => {
    const { plan, customer } = await planFor(currentUser(req), String(req.params.id), 'read');
    await sendPlan(res, plan, customer);
  });

  router.patch('/plans/:id', auth, async (req, res) => {
    const user = currentUser(req);
    const { updated, customer } = await applyToLatest(req, 'plan', async (version) => {
      const { plan, customer } = await planFor(user, String(req.params.id), 'read');
      const input = parse(patchSchema, req.body);
      if (version !== undefined && version !== plan.__v) throw staleError('plan');
      if (plan.status === 'closed') throw new HttpError(409, 'Conflict', 'A closed plan is final; copy it to start the next period.');
      const editor = canChange(user, customer);
      const actor = { ownerSide: editor || String(plan.ownerId) === user.id, leadership: user.role === 'executive' || user.role === 'admin' };
      const { status, comment, review, ...changes } = input;
      if (Object.keys(changes).length && !editor) throw new HttpError(403, 'Forbidden', 'Executives read plans and move their status; they change nothing else.');
      if (status !== undefined) {
        const refusal = moveRefusal(plan.status, status, actor, { comment, review });
        if (refusal?.status === 400) throw invalid([{ field: refusal.field!, message: refusal.message }]);
        if (refusal) throw new HttpError(refusal.status, refusal.status === 403 ? 'Forbidden' : 'Conflict', refusal.message);
      }
      await checkOwners(changes);
      const objectives = mergeById(plan.objectives, changes.objectives ?? [], 'objectives', { actual: null, unit: '', dueDate: null, status: 'open' });
      const resources = mergeById(plan.resources, changes.resources ?? [], 'resources', { description: '', unit: '', ownerId: null });
      const errors = [...objectives.errors, ...resources.errors, ...revenueErrors(changes.objectives, objectives.items)];
      if (errors.length) throw invalid(errors);
      const next = {
        ...plan, ...changes,
        objectives: changes.objectives ? objectives.items.map(plan.status === 'draft' ? asRevenue(customer.currency) : (o) => o) : plan.objectives,
        resources: changes.resources ? resources.items : plan.resources,
      };
      if (plan.status !== 'draft' && definitionOf(next) !== definitionOf(plan)) throw notEditable();
      const set: Record<string, unknown> = { ...changes, objectives: next.objectives, resources: next.resources };
      if (status !== undefined) Object.assign(set, { status, statusComment: comment ?? '' });
      if (status === 'approved') Object.assign(set, { approvedById: new Types.ObjectId(user.id), approvedAt: new Date() });
      if (status === 'closed') {
        // The revenue actuals are frozen as they stand at closing; later wins or corrections no longer move them.
        const [frozen] = await withRevenueActuals([{ ...next, status: 'approved' } as PlanRow]);
        Object.assign(set, { review, closedAt: new Date(), objectives: frozen!.objectives });
      }
      // Conditional on the version read above, so a write that slipped in meanwhile is never overwritten.
      const updated = await PlanModel.findOneAndUpdate({ _id: plan._id, __v: plan.__v }, { $set: set, $inc: { __v: 1 } }, { returnDocument: 'after', runValidators: true })
        .lean<PlanRow>();
      return updated && { updated, customer };
    });
    await sendPlan(res, updated, customer);
  });

  router.post('/plans/:id/copy', auth, async (req, res) => {
    const user = currentUser(req);
    const { plan, customer } = await planFor(user, String(req.params.id), 'change');
    const input = parse(copySchema, req.body);
    const { start, end } = periodBounds(input.period);
    const ownerActive = (await activeUserIds([String(plan.ownerId)])).size > 0;
    const copy = await insertPlan({
      ...copiedContent(plan, input.period), customerId: customer._id, period: input.period, periodStart: start, periodEnd: end,
      status: 'draft', ownerId: ownerActive ? plan.ownerId : user.id,
    });
    res.location(`${req.baseUrl}/plans/${String(copy._id)}`);
    await sendPlan(res, copy, customer, 201);
  });

  return router;
}

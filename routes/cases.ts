import { Types } from 'mongoose';
import { CaseModel, overdueFilter, type CaseRecord } from '../models/case.ts';
import { caseViews } from '../models/case-view.ts';
import { allOf } from '../models/customer-scope.ts';
import { CustomerModel, visibleTo } from '../models/customer.ts';
import { suggestionsFor } from '../models/knowledge.ts';
import type { AuthUser } from '../models/user.ts';
import { caseDetailSchema, caseSchema } from '../schemas/case.ts';
import { listSchema, openSchema } from '../schemas/case-input.ts';
import { page } from '../schemas/common.ts';
import { caseFor, currentUser } from '../server/auth.ts';
import { invalidFields } from '../server/errors.ts';
import { etagHeader, etagOf } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { idsBefore, newestPage } from '../server/paging.ts';
import { applyCaseEffects } from '../usecases/case-effects.ts';
import { openCase } from '../usecases/case-open.ts';

/** The cases a manager sees: theirs, the ones they opened, help with or are offered, and their customers'. */
async function visibleCases(user: AuthUser): Promise<Record<string, unknown>> {
  if (user.role !== 'manager') return {};
  const me = new Types.ObjectId(user.id);
  const customers = (await CustomerModel.find(visibleTo(user), { _id: 1 }).lean()).map((c) => c._id);
  return { $or: [{ ownerId: me }, { openedById: me }, { helperIds: me }, { 'handover.toUserId': me }, { customerId: { $in: customers } }] };
}

export const access = 'Executives and admins see every case. A manager sees the cases they own, opened, help with or are offered, '
  + "and the cases of the customers they own or are on the account team of. Seeing a case shows the customer's code and name, "
  + "never more of another team's customer file.";

/** Service cases: opened by whoever the customer reached, listed and read. The steps are routes/case-steps.ts. */
export const caseOperations = [
  operation({
    method: 'get', path: '/api/v1/cases', tag: 'cases', access: 'signed-in',
    summary: 'The cases you may see, newest first', description: access,
    query: listSchema,
    responses: { 200: { description: 'A page of cases', body: page(caseSchema) } },
    handler: async (req, res, { query }) => {
      const user = currentUser(req);
      const now = new Date();
      const filters: Array<Record<string, unknown>> = [await visibleCases(user), idsBefore(query.cursor)];
      if (query.status) filters.push({ status: query.status });
      if (query.owner) filters.push({ ownerId: new Types.ObjectId(query.owner === 'me' ? user.id : query.owner) });
      if (query.customerId) filters.push({ customerId: new Types.ObjectId(query.customerId) });
      if (query.severity) filters.push({ severity: query.severity });
      if (query.overdue !== undefined) filters.push(query.overdue ? overdueFilter(now) : { $nor: [overdueFilter(now)] });
      const rows = await CaseModel.find(allOf(...filters)).sort({ _id: -1 }).limit(query.limit + 1).lean<CaseRecord[]>();
      const shaped = newestPage(rows, query.limit, (r) => r);
      res.json({ items: await caseViews(shaped.items, now), nextCursor: shaped.nextCursor });
    },
  }),

  operation({
    method: 'post', path: '/api/v1/cases', tag: 'cases', access: 'signed-in',
    summary: 'Open a case for any customer: you own it until it is closed',
    description: 'Whoever the customer reached first owns the case, also for a customer of another team (whose file they still do not '
      + "see). The customer's tier now and the service policy (GET /api/v1/service-policy) set respondBy and resolveBy, whole days on "
      + "the organisation's clock (TZ). The customer's owner and account team are told (`case.opened`) and the case is on the customer's "
      + 'timeline.',
    body: openSchema,
    responses: {
      201: {
        description: 'Opened',
        headers: { ...etagHeader, Location: { description: '/api/v1/cases/{id}', schema: { type: 'string' } } },
        body: caseSchema,
      },
    },
    handler: async (req, res, { body: input, config }) => {
      const user = currentUser(req);
      const outcome = await openCase(user, input, config.timezone);
      if ('refused' in outcome) throw invalidFields(outcome.refused.errors);
      await applyCaseEffects(outcome.kase);
      const [view] = await caseViews([outcome.kase]);
      res.status(201).location(`/api/v1/cases/${String(outcome.kase._id)}`).setHeader('ETag', etagOf(outcome.kase.__v)).json(view);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/cases/:id', tag: 'cases', access: 'signed-in',
    summary: 'Read a case with its comments, history and the knowledge entries that may solve it', description: access,
    responses: { 200: { description: 'Case', headers: etagHeader, body: caseDetailSchema }, 404: 'No such case, or one you do not see' },
    handler: async (req, res) => {
      const { kase } = await caseFor(currentUser(req), String(req.params.id));
      const [[view], suggestions] = await Promise.all([caseViews([kase]), suggestionsFor(kase)]);
      res.setHeader('ETag', etagOf(kase.__v)).json({ ...view, suggestions });
    },
  }),
];

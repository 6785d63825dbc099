import type { Response } from 'express';
import Joi from 'joi';
import { ActionModel } from '../models/action.ts';
import { OPEN_CASES_SHOWN, serviceSummary } from '../models/case-summary.ts';
import { caseSeverities, caseStatuses } from '../models/case.ts';
import { CustomerModel, canAssign, canCreateFor, customerInternalPaths, tierSources, tiers, type CustomerDocument } from '../models/customer.ts';
import { afterPosition, customerFilter, isPosition, positionOf, sortOf } from '../models/customer-query.ts';
import { toPublicJson } from '../models/json.ts';
import { answer, moment, objectId, page } from '../schemas/common.ts';
import { createCustomerSchema, customerFields, customerListKeys, patchCustomerSchema, type CustomerListQuery } from '../schemas/customer-input.ts';
import { currentUser, customerFor } from '../server/auth.ts';
import { HttpError, invalidFields, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagHeader, etagOf, ifMatchHeader, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam } from '../server/validate.ts';
import { changeCustomer, changeProblems, createCustomer, newCustomerProblems, reassigns, setArchived } from '../usecases/customer-write.ts';

const listSchema = Joi.object<CustomerListQuery>({ ...pageKeys, ...customerListKeys });

const tier = () => Joi.string().valid(...tiers);
const customerKeys = {
  id: objectId(),
  ...customerFields,
  company: customerFields.company.optional(),
  tierInputs: customerFields.tierInputs.optional(),
  revenue12m: Joi.number().integer().description('won project value in the last 365 days, minor units'),
  tier: tier().allow(null).description('current tier; GET /api/v1/customers/{id}/tier explains it'),
  tierScore: Joi.number().allow(null).description('latest score (0-100) under tierPolicyVersion'),
  tierComputed: tier().allow(null)
    .description('the tier the score gives (differs from tier while a move awaits approval or an override holds)'),
  tierSource: Joi.string().valid(...tierSources).allow(null),
  tierPolicyVersion: Joi.number().integer().allow(null),
  tierScoredAt: moment().allow(null).description('when the score last changed'),
  tierUpdatedAt: moment().allow(null).description('when the tier last changed'),
  tierOverride: answer({
    tier: tier(), reason: Joi.string(), byId: objectId(), byName: Joi.string(), at: moment(), expiresAt: moment().allow(null),
  }).allow(null).description('a tier set by hand, which holds until it expires or is lifted'),
  satisfaction: answer({
    lastScore: Joi.number().allow(null).description("of the last completed visit or closed case's CSAT, 1-5"),
    average: Joi.number().allow(null).description('of the last 4 scores: completed visits and closed cases\' CSATs'),
    lastRecommend: Joi.number().allow(null).description('0-10'),
    npsCategory: Joi.string().valid('promoter', 'passive', 'detractor').allow(null),
    trend: Joi.string().valid('up', 'flat', 'down').allow(null),
    lastVisitAt: moment().allow(null),
    nextVisitDue: moment().allow(null),
  }).description("derived from the completed visits and the CSAT of closed service cases (the likelihood to recommend from visits only)"),
  archived: Joi.boolean(),
  archivedAt: moment().allow(null),
  createdAt: moment(),
  updatedAt: moment(),
};

// The improvement actions are visits' (GET /api/v1/actions answers them); they are named there.
const openActions = Joi.array().items(Joi.link('#Action')).max(50)
  .description('GET /api/v1/customers/{id} only: improvement actions still open or in progress (at most 50)');

const serviceSchema = answer({
  openCount: Joi.number().integer().min(0).description('cases still open, in progress or reopened'),
  openCases: Joi.array().max(OPEN_CASES_SHOWN).items(answer({
    id: objectId(), subject: Joi.string(), category: Joi.string(), severity: Joi.string().valid(...caseSeverities),
    status: Joi.string().valid(...caseStatuses), ownerId: objectId(), respondBy: moment(), resolveBy: moment(), overdue: Joi.boolean(),
  })).description(`the newest ${OPEN_CASES_SHOWN} of them (GET /api/v1/cases?customerId= lists all)`),
  complaints12m: answer({
    since: moment(), count: Joi.number().integer().min(0),
    byCategory: Joi.array().items(answer({ category: Joi.string(), count: Joi.number().integer().min(1) })).description('most frequent first'),
  }).description('the cases opened in the last 12 months, by category'),
}).description('GET /api/v1/customers/{id} only: the service cases of the customer');

const customerSchema = answer({ ...customerKeys, openActions: openActions.optional(), service: serviceSchema.optional() }).id('Customer')
  .description('A customer: the company apart from its projects, with its owner, account team, tier and satisfaction');

const warning = answer({
  type: Joi.string().valid('possible-duplicate'),
  message: Joi.string(),
  customerId: objectId().optional(), code: Joi.string().optional(), name: Joi.string().optional(),
}).description('the customer, unless it is of another team');

const createdSchema = answer({ ...customerKeys, warnings: Joi.array().items(warning).min(1).optional() }).id('CustomerCreated')
  .description('The customer created; `warnings` names customers with a similar name');

const notFound = 'No such customer, or one of another team';
const readOnly = 'You may read this customer but not change it';

function sendCustomer(res: Response, customer: CustomerDocument, status = 200, extra: Record<string, unknown> = {}) {
  res.status(status).setHeader('ETag', etagOf(customer.__v ?? 0)).json({ ...customer.toJSON(), ...extra });
}

function rejectIfAny(errors: FieldError[]) {
  if (errors.length) throw invalidFields(errors);
}

/** Customers never deleted: DELETE archives, and restore brings them back. */
function archiveOperation(archived: boolean) {
  return operation({
    method: archived ? 'delete' : 'post', path: archived ? '/api/v1/customers/:id' : '/api/v1/customers/:id/restore', tag: 'customers',
    access: 'signed-in',
    summary: archived ? 'Archive (customers are never deleted)' : 'Bring an archived customer back',
    description: archived
      ? 'An archived customer is left out of lists unless asked for, is not scored, and its open visit is cancelled. Archiving one already archived answers it as it is.'
      : 'A restored customer is scored and gets its cadence visit at once. Restoring one not archived answers it as it is.',
    responses: {
      200: { description: archived ? 'Archived' : 'Restored', headers: etagHeader, body: customerSchema },
      403: readOnly, 404: notFound,
    },
    handler: async (req, res) => {
      const user = currentUser(req);
      const customer = await customerFor(user, String(req.params.id), 'change');
      sendCustomer(res, await setArchived(user, customer, archived));
    },
  });
}

/** Customers: the company file apart from its projects. The CSV export and import come before /customers/:id. */
export const customerOperations = [
  operation({
    method: 'get', path: '/api/v1/customers', tag: 'customers', access: 'signed-in',
    summary: 'List the customers you may see',
    description: 'Managers see the customers they own or are on the account team of; executives and admins see all.',
    query: listSchema,
    responses: { 200: { description: 'A page of customers', body: page(customerSchema) } },
    handler: async (req, res, { query }) => {
      const sort = query.sort;
      const after = decodeCursor(query.cursor, isPosition(sort));
      const filter = customerFilter(currentUser(req), query);
      const condition = after ? { $and: [filter, afterPosition(sort, after)] } : filter;
      const rows = await CustomerModel.find(condition).sort(sortOf(sort)).limit(query.limit + 1).lean();
      res.json(toPage(rows, query.limit, (row) => positionOf(sort, row), (row) => toPublicJson(row, customerInternalPaths)));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/customers', tag: 'customers', access: ['admin', 'manager'],
    summary: 'Create a customer (you become its owner unless an admin names one)',
    description: 'The customer is scored at once and gets its first satisfaction visit.',
    body: createCustomerSchema,
    responses: {
      201: {
        description: 'Created; `warnings` names possible duplicates',
        headers: { ...etagHeader, Location: { description: '/api/v1/customers/{id}', schema: { type: 'string' } } },
        body: createdSchema,
      },
      403: 'Needs one of the roles: admin, manager; only admins create customers for another owner',
      409: 'The code is taken',
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      if (!canCreateFor(user, input.ownerId)) throw new HttpError(403, 'Forbidden', 'Only admins create customers for another owner.');
      rejectIfAny(await newCustomerProblems(user, input));
      const { customer, warnings } = await createCustomer(user, input);
      res.location(`/api/v1/customers/${customer.id}`);
      sendCustomer(res, customer, 201, warnings.length ? { warnings } : {});
    },
  }),

  // The file shows the improvement actions still open, so nobody reads a customer without seeing what it asked of us.
  operation({
    method: 'get', path: '/api/v1/customers/:id', tag: 'customers', access: 'signed-in',
    summary: 'Read a customer, with its improvement actions still open and its service cases',
    responses: { 200: { description: 'Customer', headers: etagHeader, body: customerSchema }, 404: notFound },
    handler: async (req, res) => {
      const id = idParam(String(req.params.id), 'customer');
      // Read beside the access check (and dropped if it fails), saving a round trip.
      const [customer, open, service] = await Promise.all([
        customerFor(currentUser(req), id, 'read'),
        ActionModel.find({ customerId: id, status: { $in: ['open', 'in_progress'] } }).sort({ _id: 1 }).limit(50).lean(),
        serviceSummary(id),
      ]);
      sendCustomer(res, customer, 200, { openActions: open.map((a) => toPublicJson(a, ['key'])), service });
    },
  }),

  operation({
    method: 'patch', path: '/api/v1/customers/:id', tag: 'customers', access: 'signed-in',
    summary: 'Change the fields given (nested objects merge)',
    description: 'A new owner or account team hands the open visits of people no longer on the customer to its owner; '
      + 'new tier inputs rescore it at once.',
    headers: ifMatchHeader, body: patchCustomerSchema,
    responses: {
      200: { description: 'Updated', headers: etagHeader, body: customerSchema },
      403: `${readOnly}; or only the owner or an admin changes the owner or the account team`,
      404: notFound,
      409: 'The code is taken, or (without If-Match) the customer kept changing while the change was applied',
      412: 'The customer changed since the ETag was read',
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const updated = await applyToLatest(req, 'customer', async (version) => {
        const customer = await customerFor(user, String(req.params.id), 'change');
        if (reassigns(input) && !canAssign(user, customer)) {
          throw new HttpError(403, 'Forbidden', 'Only the owner or an admin changes the owner or the account team.');
        }
        if (version !== undefined && version !== customer.__v) throw staleError('customer');
        rejectIfAny(await changeProblems(user, customer, input));
        // Conditional on the version read above, so a write that slipped in meanwhile is never overwritten.
        return changeCustomer(user, customer, input);
      });
      sendCustomer(res, updated);
    },
  }),

  archiveOperation(true),
  archiveOperation(false),
];

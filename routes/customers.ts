import type { Response } from 'express';
import Joi from 'joi';
import { ActionModel } from '../models/action.ts';
import { recordChange, diffFields } from '../models/change.ts';
import {
  CustomerModel, canAssign, customerInternalPaths, nameKeyOf, tierSources, tiers, wouldCycle, type CustomerDocument,
} from '../models/customer.ts';
import { afterPosition, customerFilter, isPosition, positionOf, sortOf } from '../models/customer-query.ts';
import { toPublicJson } from '../models/json.ts';
import { ProjectModel } from '../models/project.ts';
import { rescore } from '../models/tiering.ts';
import { keepCadenceVisits, reassignOpenVisits } from '../models/visit.ts';
import { activeUserIds } from '../models/user.ts';
import { answer, moment, objectId, page } from '../schemas/common.ts';
import {
  createCustomerSchema, customerFields, customerListKeys, patchCustomerSchema, type CustomerInput, type CustomerListQuery,
} from '../schemas/customer-input.ts';
import { currentUser, customerFor, type AuthUser } from '../server/auth.ts';
import { HttpError, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagHeader, etagOf, ifMatchHeader, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam } from '../server/validate.ts';

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
    lastScore: Joi.number().allow(null).description('of the last completed visit, 1-5'),
    average: Joi.number().allow(null).description('of the last 4 completed visits'),
    lastRecommend: Joi.number().allow(null).description('0-10'),
    npsCategory: Joi.string().valid('promoter', 'passive', 'detractor').allow(null),
    trend: Joi.string().valid('up', 'flat', 'down').allow(null),
    lastVisitAt: moment().allow(null),
    nextVisitDue: moment().allow(null),
  }).description('derived from the completed visits'),
  archived: Joi.boolean(),
  archivedAt: moment().allow(null),
  createdAt: moment(),
  updatedAt: moment(),
};

// The improvement actions are visits' (GET /api/v1/actions answers them); they are named there.
const openActions = Joi.array().items(Joi.link('#Action')).max(50)
  .description('GET /api/v1/customers/{id} only: improvement actions still open or in progress (at most 50)');

const customerSchema = answer({ ...customerKeys, openActions: openActions.optional() }).id('Customer')
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

/** Owner and team members must be active users; answers the field errors, empty when all is well. */
async function checkPeople(input: Partial<CustomerInput>): Promise<FieldError[]> {
  const ids = [...(input.ownerId ? [input.ownerId] : []), ...(input.accountTeam ?? [])];
  const found = await activeUserIds(ids);
  const errors: FieldError[] = [];
  if (input.ownerId && !found.has(input.ownerId)) errors.push({ field: 'ownerId', message: 'ownerId must be an active user' });
  (input.accountTeam ?? []).forEach((id, i) => {
    if (!found.has(id)) errors.push({ field: `accountTeam.${i}`, message: `accountTeam.${i} must be an active user` });
  });
  return errors;
}

async function checkParent(user: AuthUser, customerId: string | undefined, parentId: string | null | undefined): Promise<FieldError[]> {
  if (!parentId) return [];
  const parent = await CustomerModel.findById(parentId, { ownerId: 1, accountTeam: 1 }).lean();
  // A parent the caller cannot see is reported as missing, like any other customer of another team.
  if (!parent || (user.role === 'manager' && ![String(parent.ownerId), ...parent.accountTeam.map(String)].includes(user.id))) {
    return [{ field: 'parentId', message: 'parentId must be a customer you can see' }];
  }
  if (customerId && (await wouldCycle(customerId, parentId))) {
    return [{ field: 'parentId', message: 'parentId cannot be the customer itself or one of its subsidiaries' }];
  }
  return [];
}

// revenue12m sums project values in the customer's currency, so it cannot change under existing projects.
async function checkCurrency(customer: CustomerDocument, currency: string | undefined): Promise<FieldError[]> {
  if (!currency || currency === customer.currency || !(await ProjectModel.exists({ customerId: customer._id }))) return [];
  return [{ field: 'currency', message: 'currency cannot change while the customer has projects' }];
}

function rejectIfAny(errors: FieldError[]) {
  if (errors.length) throw new HttpError(400, 'Validation failed', 'The request has invalid fields.', { errors });
}

/** Other customers with the same normalized name, named only when the caller may see them. */
async function duplicateWarnings(user: AuthUser, customer: CustomerDocument) {
  const twins = await CustomerModel.find({ nameKey: customer.nameKey, _id: { $ne: customer._id } }, { code: 1, name: 1, ownerId: 1, accountTeam: 1 }).limit(5).lean();
  return twins.map((t) => (user.role !== 'manager' || String(t.ownerId) === user.id || t.accountTeam.some((m) => String(m) === user.id)
    ? { type: 'possible-duplicate', message: `A customer with a similar name exists: ${t.name} (${t.code}).`, customerId: String(t._id), code: t.code, name: t.name }
    : { type: 'possible-duplicate', message: 'A customer with a similar name exists in another team; check with an administrator before you go on.' }));
}

/** `{company: {industry: 'x'}}` to `{'company.industry': 'x'}`, so a PATCH changes only the fields it names. */
function flatten(input: Record<string, unknown>, nested = new Set(['company', 'tierInputs'])): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (nested.has(key) && value && typeof value === 'object') {
      for (const [inner, v] of Object.entries(value)) out[`${key}.${inner}`] = v;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The stored customer after a rescoring, whose derived tier fields the document in hand does not have. */
async function reread(customer: CustomerDocument, rescoring: () => Promise<unknown>): Promise<CustomerDocument> {
  await rescoring();
  return (await CustomerModel.findById(customer._id)) ?? customer;
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
      // Conditional on the state it leaves: of two requests at once exactly one archives (or restores) and tells the
      // timeline; the other finds it done and answers the same state.
      const changed = customer.archived !== archived && await CustomerModel.findOneAndUpdate(
        { _id: customer._id, archived: !archived },
        { $set: { archived, archivedAt: archived ? new Date() : null }, $inc: { __v: 1 } },
        { returnDocument: 'after' },
      );
      if (!changed) return sendCustomer(res, customer.archived === archived ? customer : (await CustomerModel.findById(customer._id)) ?? customer);
      await recordChange({
        customerId: changed._id, entity: 'customer', entityId: changed._id, entityName: changed.name,
        action: archived ? 'archived' : 'restored', actor: user, fields: [{ field: 'archived', old: !archived, new: archived }],
      });
      // Archived customers are not scored or visited (their open visit is cancelled); a restored one is at once.
      if (archived) await keepCadenceVisits([changed._id]);
      else return sendCustomer(res, await reread(changed, async () => { await rescore(changed._id, 'restored'); await keepCadenceVisits([changed._id]); }));
      sendCustomer(res, changed);
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
      if (input.ownerId && input.ownerId !== user.id && user.role !== 'admin') {
        throw new HttpError(403, 'Forbidden', 'Only admins create customers for another owner.');
      }
      rejectIfAny([...(await checkPeople(input)), ...(await checkParent(user, undefined, input.parentId))]);
      const customer = await CustomerModel.create({ ...input, ownerId: input.ownerId ?? user.id, nameKey: nameKeyOf(input.name) });
      await recordChange({ customerId: customer._id, entity: 'customer', entityId: customer._id, entityName: customer.name, action: 'created', actor: user });
      const warnings = await duplicateWarnings(user, customer);
      res.location(`/api/v1/customers/${customer.id}`);
      const scored = await reread(customer, async () => {
        await rescore(customer._id, 'new customer');
        await keepCadenceVisits([customer._id]); // its first satisfaction visit
      });
      sendCustomer(res, scored, 201, warnings.length ? { warnings } : {});
    },
  }),

  // The file shows the improvement actions still open, so nobody reads a customer without seeing what it asked of us.
  operation({
    method: 'get', path: '/api/v1/customers/:id', tag: 'customers', access: 'signed-in',
    summary: 'Read a customer, with its improvement actions still open',
    responses: { 200: { description: 'Customer', headers: etagHeader, body: customerSchema }, 404: notFound },
    handler: async (req, res) => {
      const id = idParam(String(req.params.id), 'customer');
      // Read beside the access check (and dropped if it fails), saving a round trip.
      const [customer, open] = await Promise.all([
        customerFor(currentUser(req), id, 'read'),
        ActionModel.find({ customerId: id, status: { $in: ['open', 'in_progress'] } }).sort({ _id: 1 }).limit(50).lean(),
      ]);
      sendCustomer(res, customer, 200, { openActions: open.map((a) => toPublicJson(a, ['key'])) });
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
      const { before, updated } = await applyToLatest(req, 'customer', async (version) => {
        const customer = await customerFor(user, String(req.params.id), 'change');
        if ((input.ownerId !== undefined || input.accountTeam !== undefined) && !canAssign(user, customer)) {
          throw new HttpError(403, 'Forbidden', 'Only the owner or an admin changes the owner or the account team.');
        }
        if (version !== undefined && version !== customer.__v) throw staleError('customer');
        rejectIfAny([
          ...(await checkPeople(input)),
          ...(await checkParent(user, customer.id, input.parentId)),
          ...(await checkCurrency(customer, input.currency)),
        ]);
        const set = flatten({ ...input, ...(input.name ? { nameKey: nameKeyOf(input.name) } : {}) });
        // Conditional on the version read above, so a write that slipped in meanwhile is never overwritten.
        const updated = await CustomerModel.findOneAndUpdate(
          { _id: customer._id, __v: customer.__v },
          { $set: set, $inc: { __v: 1 } },
          { returnDocument: 'after', runValidators: true },
        );
        return updated && { before: customer.toObject(), updated };
      });
      await recordChange({
        customerId: updated._id, entity: 'customer', entityId: updated._id, entityName: updated.name, action: 'updated', actor: user,
        fields: diffFields(before, updated.toObject()),
      });
      // A new owner or team: open visits of people no longer on the customer go to its owner.
      if (input.ownerId !== undefined || input.accountTeam !== undefined) await reassignOpenVisits([updated]);
      if (input.tierInputs) return sendCustomer(res, await reread(updated, () => rescore(updated._id, 'tier inputs changed')));
      sendCustomer(res, updated);
    },
  }),

  archiveOperation(true),
  archiveOperation(false),
];

import { Router, type Response } from 'express';
import Joi from 'joi';
import { ActionModel } from '../models/action.ts';
import { recordChange, diffFields } from '../models/change.ts';
import { CustomerModel, canAssign, customerInternalPaths, nameKeyOf, wouldCycle, type CustomerDocument } from '../models/customer.ts';
import { afterPosition, customerFilter, customerSorts, isPosition, positionOf, sortOf, type CustomerSort } from '../models/customer-query.ts';
import { toPublicJson } from '../models/json.ts';
import { ProjectModel } from '../models/project.ts';
import { rescore } from '../models/tiering.ts';
import { keepCadenceVisits, reassignOpenVisits } from '../models/visit.ts';
import { activeUserIds } from '../models/user.ts';
import { authenticate, authorize, currentUser, customerFor, type AuthUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagOf, staleError } from '../server/etag.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam, parse } from '../server/validate.ts';
import { createCustomerSchema, customerFilterKeys, patchCustomerSchema, type CustomerInput } from '../schemas/customer-input.ts';

const listSchema = Joi.object({ ...pageKeys, ...customerFilterKeys, sort: Joi.string().valid(...customerSorts).default('name') });

export function sendCustomer(res: Response, customer: CustomerDocument, status = 200, extra: Record<string, unknown> = {}) {
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

export function customersRouter(config: Config): Router {
  const router = Router();
  router.use(authenticate(config));

  router.get('/', async (req, res) => {
    const input = parse(listSchema, req.query);
    const sort = input.sort as CustomerSort;
    const after = decodeCursor(input.cursor, isPosition(sort));
    const filter = customerFilter(currentUser(req), input);
    const query = after ? { $and: [filter, afterPosition(sort, after)] } : filter;
    const rows = await CustomerModel.find(query).sort(sortOf(sort)).limit(input.limit + 1).lean();
    res.json(toPage(rows, input.limit, (row) => positionOf(sort, row), (row) => toPublicJson(row, customerInternalPaths)));
  });

  router.post('/', authorize('admin', 'manager'), async (req, res) => {
    const user = currentUser(req);
    const input = parse(createCustomerSchema, req.body) as CustomerInput;
    if (input.ownerId && input.ownerId !== user.id && user.role !== 'admin') {
      throw new HttpError(403, 'Forbidden', 'Only admins create customers for another owner.');
    }
    rejectIfAny([...(await checkPeople(input)), ...(await checkParent(user, undefined, input.parentId))]);
    const customer = await CustomerModel.create({ ...input, ownerId: input.ownerId ?? user.id, nameKey: nameKeyOf(input.name) });
    await recordChange({ customerId: customer._id, entity: 'customer', entityId: customer._id, entityName: customer.name, action: 'created', actor: user });
    const warnings = await duplicateWarnings(user, customer);
    res.location(`${req.baseUrl}/${customer.id}`);
    const scored = await reread(customer, async () => {
      await rescore(customer._id, 'new customer');
      await keepCadenceVisits([customer._id]); // its first satisfaction visit
    });
    sendCustomer(res, scored, 201, warnings.length ? { warnings } : {});
  });

  // The file shows the improvement actions still open, so nobody reads a customer without seeing what it asked of us.
  router.get('/:id', async (req, res) => {
    const id = idParam(req.params.id, 'customer');
    // Read beside the access check (and dropped if it fails), saving a round trip.
    const [customer, open] = await Promise.all([
      customerFor(currentUser(req), id, 'read'),
      ActionModel.find({ customerId: id, status: { $in: ['open', 'in_progress'] } }).sort({ _id: 1 }).limit(50).lean(),
    ]);
    sendCustomer(res, customer, 200, { openActions: open.map((a) => toPublicJson(a, ['key'])) });
  });

  router.patch('/:id', async (req, res) => {
    const user = currentUser(req);
    const { before, updated, input } = await applyToLatest(req, 'customer', async (version) => {
      const customer = await customerFor(user, req.params.id, 'change');
      const input = parse(patchCustomerSchema, req.body) as Partial<CustomerInput>;
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
      return updated && { before: customer.toObject(), updated, input };
    });
    await recordChange({
      customerId: updated._id, entity: 'customer', entityId: updated._id, entityName: updated.name, action: 'updated', actor: user,
      fields: diffFields(before, updated.toObject()),
    });
    // A new owner or team: open visits of people no longer on the customer go to its owner.
    if (input.ownerId !== undefined || input.accountTeam !== undefined) await reassignOpenVisits([updated]);
    if (input.tierInputs) return sendCustomer(res, await reread(updated, () => rescore(updated._id, 'tier inputs changed')));
    sendCustomer(res, updated);
  });

  // Customers are never deleted: DELETE archives, and restore brings them back.
  for (const [path, archived] of [['/:id', true], ['/:id/restore', false]] as const) {
    router[archived ? 'delete' : 'post'](path, async (req, res) => {
      const user = currentUser(req);
      const customer = await customerFor(user, req.params.id, 'change');
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
    });
  }

  return router;
}


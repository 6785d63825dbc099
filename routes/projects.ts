import { Router, type Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { diffFields, recordChange } from '../models/change.ts';
import { visibleTo, type CustomerDocument } from '../models/customer.ts';
import { newestOfCustomers } from '../models/customer-scope.ts';
import { toPublicJson } from '../models/json.ts';
import {
  ProjectModel, isStageProblem, nextStage, projectStages, refreshRevenue12m, type ProjectDocument, type ProjectStage,
} from '../models/project.ts';
import { rescore } from '../models/tiering.ts';
import { activeUserIds } from '../models/user.ts';
import { authenticate, currentUser, customerFor, type AuthUser, customerRecordFor } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagOf, ifMatchVersion, staleError } from '../server/etag.ts';
import { idsBefore, pageKeys, toPage } from '../server/paging.ts';
import { idParam, objectId, parse } from '../server/validate.ts';

const fields = {
  name: Joi.string().trim().min(1).max(200),
  stage: Joi.string().valid(...projectStages),
  value: Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER).strict()
    .messages({ 'number.base': '{#label} must be an integer in minor units of the currency' }),
  currency: Joi.string().trim().uppercase().pattern(/^[A-Z]{3}$/).messages({ 'string.pattern.base': '{#label} must be a three-letter ISO 4217 code' }),
  expectedCloseDate: Joi.date().iso().allow(null),
  wonAt: Joi.date().iso().max('now').messages({ 'date.max': '{#label} cannot be in the future' }),
  ownerId: objectId(),
  products: Joi.array().items(Joi.string().trim().min(1).max(100)).max(50).unique(),
};

type ProjectInput = {
  name: string; stage?: ProjectStage; value?: number; currency?: string; expectedCloseDate?: Date | null; wonAt?: Date;
  ownerId?: string; products?: string[];
};

const createSchema = Joi.object<ProjectInput>({ ...fields, name: fields.name.required() });
const patchSchema = Joi.object<Partial<ProjectInput>>(fields).min(1);
const pageSchema = Joi.object<{ limit: number; cursor?: string }>(pageKeys);
const listSchema = Joi.object<{ limit: number; cursor?: string; stage?: ProjectStage; owner?: string; customerId?: string }>({
  ...pageKeys,
  stage: fields.stage,
  owner: Joi.alternatives(Joi.string().valid('me'), objectId()),
  customerId: objectId(),
});

// Newest first, paged by _id: rows added between pages fall before the cursor and never shift later pages.

/** Revenue and tier follow every project change: a win, a loss, a deletion or a corrected value or date. */
async function afterProjectChange(customerId: Types.ObjectId, project: { name: string; stage: string }, action: string) {
  await refreshRevenue12m(customerId);
  await rescore(customerId, `project "${project.name}" ${action} (${project.stage})`);
}

const projectNotFound = () => new HttpError(404, 'Not found', 'No project with this id.');

function sendProject(res: Response, project: ProjectDocument, status = 200) {
  res.status(status).setHeader('ETag', etagOf(project.__v ?? 0)).json(project.toJSON());
}

/** The project and its customer, if the user may read or change that customer; otherwise 404 exactly as for a missing project. */
async function projectFor(user: AuthUser, id: string | undefined, mode: 'read' | 'change') {
  const { record, customer } = await customerRecordFor(user, 'project', () => ProjectModel.findById(idParam(id, 'project')).exec(), mode);
  return { project: record, customer };
}

/**
 * The stage, wonAt and currency the write leads to, after checking the rules that need the stored project and its
 * customer: the stage table, money in the customer's currency, an active owner.
 */
async function checkRules(input: Partial<ProjectInput>, customer: CustomerDocument, project?: ProjectDocument) {
  const errors: FieldError[] = [];
  const stage = nextStage(project ? { stage: project.stage, wonAt: project.wonAt ?? null } : undefined, input);
  if (isStageProblem(stage)) errors.push(stage);
  if (input.currency !== undefined && input.currency !== customer.currency) {
    errors.push({ field: 'currency', message: `currency must be the customer's currency, ${customer.currency}: revenue is summed in it` });
  }
  if (input.ownerId && !(await activeUserIds([input.ownerId])).has(input.ownerId)) {
    errors.push({ field: 'ownerId', message: 'ownerId must be an active user' });
  }
  if (errors.length || isStageProblem(stage)) throw new HttpError(400, 'Validation failed', 'The request has invalid fields.', { errors });
  return { ...stage, currency: customer.currency };
}

// Shares its mount point with other routers, so authentication is attached per route, not with router.use:
// a request for a path no router has must still reach the 404 handler.
export function projectsRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);

  router.get('/customers/:id/projects', auth, async (req, res) => {
    const customer = await customerFor(currentUser(req), String(req.params.id), 'read');
    const input = parse(pageSchema, req.query);
    const rows = await ProjectModel.find({ customerId: customer._id, ...idsBefore(input.cursor) }).sort({ _id: -1 }).limit(input.limit + 1).lean();
    res.json(toPage(rows, input.limit, (r) => ({ id: String(r._id) }), (r) => toPublicJson(r)));
  });

  router.post('/customers/:id/projects', auth, async (req, res) => {
    const user = currentUser(req);
    const customer = await customerFor(user, String(req.params.id), 'change');
    const input = parse(createSchema, req.body);
    const derived = await checkRules(input, customer);
    const project = await ProjectModel.create({ ...input, ...derived, customerId: customer._id, ownerId: input.ownerId ?? user.id });
    await recordChange({ customerId: customer._id, entity: 'project', entityId: project._id, entityName: project.name, action: 'created', actor: user });
    await afterProjectChange(customer._id, project, 'created');
    res.location(`${req.baseUrl}/projects/${project.id}`);
    sendProject(res, project, 201);
  });

  router.get('/projects', auth, async (req, res) => {
    const user = currentUser(req);
    const input = parse(listSchema, req.query);
    const and: Record<string, unknown>[] = [];
    if (input.customerId) and.push({ customerId: new Types.ObjectId(input.customerId) });
    if (input.stage) and.push({ stage: input.stage });
    if (input.owner) and.push({ ownerId: new Types.ObjectId(input.owner === 'me' ? user.id : input.owner) });
    and.push(idsBefore(input.cursor));
    // Access first: only projects of customers the user sees (models/customer-scope.ts), whatever the other filters.
    const rows = await newestOfCustomers(visibleTo(user), and, Boolean(input.customerId || input.owner),
      (filter, n) => ProjectModel.find(filter).sort({ _id: -1 }).limit(n).lean(), input.limit);
    res.json(toPage(rows, input.limit, (r) => ({ id: String(r._id) }), (r) => toPublicJson(r)));
  });

  router.get('/projects/:id', auth, async (req, res) => {
    const { project } = await projectFor(currentUser(req), String(req.params.id), 'read');
    sendProject(res, project);
  });

  router.patch('/projects/:id', auth, async (req, res) => {
    const user = currentUser(req);
    const { previous, updated, customer } = await applyToLatest(req, 'project', async (version) => {
      const { project, customer } = await projectFor(user, String(req.params.id), 'change');
      const input = parse(patchSchema, req.body);
      if (version !== undefined && version !== project.__v) throw staleError('project');
      const derived = await checkRules(input, customer, project);
      // Conditional on the version read above, so a write that slipped in meanwhile is never overwritten.
      const updated = await ProjectModel.findOneAndUpdate(
        { _id: project._id, __v: project.__v },
        { $set: { ...input, ...derived }, $inc: { __v: 1 } },
        { returnDocument: 'after', runValidators: true },
      );
      return updated && { previous: project.toObject(), updated, customer };
    });
    await recordChange({
      customerId: customer._id, entity: 'project', entityId: updated._id, entityName: updated.name, action: 'updated', actor: user,
      fields: diffFields(previous, updated.toObject()),
    });
    await afterProjectChange(customer._id, updated, 'updated');
    sendProject(res, updated);
  });

  // A project is really deleted; its customer stays exactly as it was, apart from the revenue the project brought.
  router.delete('/projects/:id', auth, async (req, res) => {
    const user = currentUser(req);
    const { project, customer } = await projectFor(user, String(req.params.id), 'change');
    const version = ifMatchVersion(req);
    if (version !== undefined && version !== project.__v) throw staleError('project');
    const { deletedCount } = await ProjectModel.deleteOne({ _id: project._id, ...(version === undefined ? {} : { __v: version }) });
    if (!deletedCount) throw version === undefined ? projectNotFound() : staleError('project');
    await recordChange({ customerId: customer._id, entity: 'project', entityId: project._id, entityName: project.name, action: 'deleted', actor: user });
    await afterProjectChange(customer._id, project, 'deleted');
    res.status(204).end();
  });

  return router;
}

import type { Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { diffFields, recordChange } from '../models/change.ts';
import { visibleTo, type CustomerDocument } from '../models/customer.ts';
import { newestOfCustomers } from '../models/customer-scope.ts';
import { toPublicJson } from '../models/json.ts';
import {
  ProjectModel, isStageProblem, nextStage, projectStages, refreshRevenue12m, revenueStages, stageTransitions, startStages,
  type ProjectDocument,
} from '../models/project.ts';
import { rescore } from '../models/tiering.ts';
import { activeUserIds } from '../models/user.ts';
import { answer, moment, page } from '../schemas/common.ts';
import { currentUser, customerFor, type AuthUser, customerRecordFor } from '../server/auth.ts';
import { HttpError, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagHeader, etagOf, ifMatchHeader, ifMatchVersion, keptChanging, staleError } from '../server/etag.ts';
import type { GetCustomersIdProjectsQuery, GetProjectsQuery, ProjectCreate, ProjectPatch } from '../schemas/inputs.gen.ts';
import { operation } from '../server/operation.ts';
import { idsBefore, pageKeys, toPage } from '../server/paging.ts';
import { idParam, objectId } from '../server/validate.ts';

// Written from the table the routes enforce, so the document cannot drift from it.
const transitions = projectStages.map((s) => `${s} -> ${stageTransitions[s].join(' | ') || '(final)'}`).join('; ');

const fields = {
  name: Joi.string().trim().min(1).max(200),
  stage: Joi.string().valid(...projectStages).description(`Allowed moves: ${transitions}. A new project starts in ${startStages.join(', ')} `
    + '(lead by default). An invalid move gets 400 naming `stage`.'),
  value: Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER).strict()
    .messages({ 'number.base': '{#label} must be an integer in minor units of the currency' }).description('minor units of the currency'),
  // Upper-cased before the pattern is checked, so the pattern may say what a client can send.
  currency: Joi.string().trim().uppercase().pattern(/^[A-Za-z]{3}$/).messages({ 'string.pattern.base': '{#label} must be a three-letter ISO 4217 code' })
    .description("the customer's currency (stored in upper case); defaults to it and any other gets 400, since revenue12m is summed in it"),
  expectedCloseDate: Joi.date().iso().allow(null),
  wonAt: Joi.date().iso().max('now').messages({ 'date.max': '{#label} cannot be in the future' })
    .description(`not in the future; only for ${revenueStages.join(', ')}. Entering won sets it to now unless given`),
  ownerId: objectId().description('an active user; defaults to the creator'),
  products: Joi.array().items(Joi.string().trim().min(1).max(100)).max(50).unique(),
};

const createSchema = Joi.object<ProjectCreate>({ ...fields, name: fields.name.required() }).id('ProjectCreate');
const patchSchema = Joi.object<ProjectPatch>(fields).min(1).id('ProjectPatch');
const pageSchema = Joi.object<GetCustomersIdProjectsQuery>(pageKeys);
const listSchema = Joi.object<GetProjectsQuery>({
  ...pageKeys,
  stage: Joi.string().valid(...projectStages),
  owner: Joi.alternatives(Joi.string().valid('me'), objectId()).description('`me` or a user id'),
  customerId: objectId(),
});

const projectSchema = answer({
  id: objectId(), customerId: objectId(), ...fields,
  currency: Joi.string().pattern(/^[A-Z]{3}$/).description("the customer's currency"),
  wonAt: fields.wonAt.allow(null),
  createdAt: moment(), updatedAt: moment(),
}).id('Project');

const customerNotFound = 'No such customer, or one of another team';
const notFound = 'No such project, or one of a customer of another team';
const readOnly = 'You may read this customer but not change it';
const changed = 'The project changed since the ETag was read';
const revenueNote = "Every change refreshes the customer's revenue12m and nothing else of the customer";

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
async function checkRules(input: ProjectPatch, customer: CustomerDocument, project?: ProjectDocument) {
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

// Newest first, paged by _id: rows added between pages fall before the cursor and never shift later pages.

/** A customer's deals and engagements, under /customers/:id/projects and at /projects/:id. */
export const projectOperations = [
  operation({
    method: 'get', path: '/api/v1/customers/:id/projects', tag: 'projects', access: 'signed-in',
    summary: "A customer's projects, newest first",
    query: pageSchema,
    responses: { 200: { description: 'A page of projects', body: page(projectSchema) }, 404: customerNotFound },
    handler: async (req, res, { query }) => {
      const customer = await customerFor(currentUser(req), String(req.params.id), 'read');
      const rows = await ProjectModel.find({ customerId: customer._id, ...idsBefore(query.cursor) }).sort({ _id: -1 }).limit(query.limit + 1).lean();
      res.json(toPage(rows, query.limit, (r) => ({ id: String(r._id) }), (r) => toPublicJson(r)));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/customers/:id/projects', tag: 'projects', access: 'signed-in',
    summary: 'Add a project (deal or engagement) to a customer', description: revenueNote,
    body: createSchema,
    responses: { 201: { description: 'Created', headers: etagHeader, body: projectSchema }, 403: readOnly, 404: customerNotFound },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const customer = await customerFor(user, String(req.params.id), 'change');
      const derived = await checkRules(input, customer);
      const project = await ProjectModel.create({ ...input, ...derived, customerId: customer._id, ownerId: input.ownerId ?? user.id });
      await recordChange({ customerId: customer._id, entity: 'project', entityId: project._id, entityName: project.name, action: 'created', actor: user });
      await afterProjectChange(customer._id, project, 'created');
      res.location(`/api/v1/projects/${project.id}`);
      sendProject(res, project, 201);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/projects', tag: 'projects', access: 'signed-in',
    summary: 'Projects of the customers you may see, newest first',
    query: listSchema,
    responses: { 200: { description: 'A page of projects', body: page(projectSchema) } },
    handler: async (req, res, { query }) => {
      const user = currentUser(req);
      const and: Record<string, unknown>[] = [];
      if (query.customerId) and.push({ customerId: new Types.ObjectId(query.customerId) });
      if (query.stage) and.push({ stage: query.stage });
      if (query.owner) and.push({ ownerId: new Types.ObjectId(query.owner === 'me' ? user.id : query.owner) });
      and.push(idsBefore(query.cursor));
      // Access first: only projects of customers the user sees (models/customer-scope.ts), whatever the other filters.
      const rows = await newestOfCustomers(visibleTo(user), and, Boolean(query.customerId || query.owner),
        (filter, n) => ProjectModel.find(filter).sort({ _id: -1 }).limit(n).lean(), query.limit);
      res.json(toPage(rows, query.limit, (r) => ({ id: String(r._id) }), (r) => toPublicJson(r)));
    },
  }),

  operation({
    method: 'get', path: '/api/v1/projects/:id', tag: 'projects', access: 'signed-in',
    summary: 'Read a project',
    responses: { 200: { description: 'Project', headers: etagHeader, body: projectSchema }, 404: notFound },
    handler: async (req, res) => {
      const { project } = await projectFor(currentUser(req), String(req.params.id), 'read');
      sendProject(res, project);
    },
  }),

  operation({
    method: 'patch', path: '/api/v1/projects/:id', tag: 'projects', access: 'signed-in',
    summary: 'Change the fields given; a stage change follows the transition table', description: revenueNote,
    headers: ifMatchHeader, body: patchSchema,
    responses: {
      200: { description: 'Updated', headers: etagHeader, body: projectSchema },
      403: readOnly, 404: notFound, 409: keptChanging('project'), 412: changed,
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const { previous, updated, customer } = await applyToLatest(req, 'project', async (version) => {
        const { project, customer } = await projectFor(user, String(req.params.id), 'change');
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
    },
  }),

  // A project is really deleted; its customer stays exactly as it was, apart from the revenue the project brought.
  operation({
    method: 'delete', path: '/api/v1/projects/:id', tag: 'projects', access: 'signed-in',
    summary: 'Delete a project; the customer is never deleted or archived with it', description: revenueNote,
    headers: ifMatchHeader,
    responses: { 204: { description: 'Deleted' }, 403: readOnly, 404: notFound, 412: changed },
    handler: async (req, res) => {
      const user = currentUser(req);
      const { project, customer } = await projectFor(user, String(req.params.id), 'change');
      const version = ifMatchVersion(req);
      if (version !== undefined && version !== project.__v) throw staleError('project');
      const { deletedCount } = await ProjectModel.deleteOne({ _id: project._id, ...(version === undefined ? {} : { __v: version }) });
      if (!deletedCount) throw version === undefined ? projectNotFound() : staleError('project');
      await recordChange({ customerId: customer._id, entity: 'project', entityId: project._id, entityName: project.name, action: 'deleted', actor: user });
      await afterProjectChange(customer._id, project, 'deleted');
      res.status(204).end();
    },
  }),
];

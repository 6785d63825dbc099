import type { Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { ActionModel, actionStatuses } from '../models/action.ts';
import { ContactModel } from '../models/contact.ts';
import { visibleTo } from '../models/customer.ts';
import { newestOfCustomers } from '../models/customer-scope.ts';
import { toPublicJson } from '../models/json.ts';
import { activeUserIds } from '../models/user.ts';
import { VisitModel, closedKey, keepCadenceVisits, severities, visitChannels, visitKinds, visitStatuses, type VisitDocument } from '../models/visit.ts';
import { answer, moment, page } from '../schemas/common.ts';
import {
  actionListSchema, actionPatchSchema, adhocSchema, completeSchema, feedbackItem, visitListSchema, visitPatchSchema,
  type ActionListInput, type VisitListInput,
} from '../schemas/visit-input.ts';
import { currentUser, customerFor, customerRecordFor, type AuthUser } from '../server/auth.ts';
import { HttpError, invalidFields, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagHeader, etagOf, ifMatchHeader, keptChanging, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { idsBefore, toPage } from '../server/paging.ts';
import { idParam, objectId } from '../server/validate.ts';
import { followUpVisit } from '../usecases/visit-follow-up.ts';

const cadence = 'Every non-archived customer has exactly one open (scheduled) cadence visit, enforced by a unique index. Its '
  + '`dueAt` (an instant, UTC) is the last completed visit (or, before any, the tier assignment, or the customer\'s creation) plus the '
  + "current tier's cadence from the tier policy (C's for an untiered customer). A tier change moves it earlier when the new cadence "
  + 'is shorter, never later; archiving cancels it (reason "customer archived").';
const completion = 'Completing stores the scores and feedback, turns each feedback item into an open improvement action owned by the '
  + "visit's owner, creates the next cadence visit (for a cadence visit), and recomputes the customer's `satisfaction`: lastScore, "
  + 'average (mean of the last 4 scores), lastRecommend, npsCategory (9-10 promoter, 7-8 passive, 0-6 detractor), trend (the last '
  + 'score against the mean of up to 3 before it; null for a first visit), lastVisitAt, nextVisitDue. A score of 1-2 or a detractor '
  + "notifies the customer's owner, the visit's owner and the executives at once (kind `satisfaction.alert`). A second completion gets 409.";

const visitSchema = answer({
  id: objectId(), customerId: objectId(), ownerId: objectId(),
  kind: Joi.string().valid(...visitKinds).description('cadence: planned from the tier cadence; adhoc: planned by hand'),
  status: Joi.string().valid(...visitStatuses),
  dueAt: moment().description('an instant (UTC); for a cadence visit the last completed visit plus the tier\'s cadence'),
  scheduledFor: moment().description('when it is planned; starts at dueAt'),
  channel: Joi.string().valid(...visitChannels),
  contactIds: Joi.array().items(objectId()),
  completedAt: moment().allow(null),
  satisfaction: Joi.number().integer().min(1).max(5).allow(null),
  recommend: Joi.number().integer().min(0).max(10).allow(null),
  summary: Joi.string().max(8000).allow(''),
  feedback: Joi.array().items(feedbackItem),
  rescheduledFrom: moment().allow(null).description('scheduledFor before the last reschedule'),
  reason: Joi.string().max(2000).allow('').description('why it was last rescheduled or cancelled'),
  createdAt: moment(), updatedAt: moment(),
}).id('Visit').description('A satisfaction visit to a customer, planned from the tier cadence or ad hoc; scores and feedback once completed');

const actionSchema = answer({
  id: objectId(), customerId: objectId(), visitId: objectId().description('the completed visit whose feedback it follows'),
  category: Joi.string().max(100), text: Joi.string().max(4000), severity: Joi.string().valid(...severities),
  status: Joi.string().valid(...actionStatuses), ownerId: objectId(), dueDate: moment().allow(null),
  resolution: Joi.string().max(4000).allow('').description('how it was solved'),
  createdAt: moment(), updatedAt: moment(),
}).id('Action').description('An improvement action: one feedback item of a completed visit, followed until done');

const customerNotFound = 'No such customer, or one of another team';
const visitNotFound = 'No such visit, or one of a customer of another team';
const actionNotFound = 'No such action, or one of a customer of another team';
const readOnly = 'You may read this customer but not change it';
const notOpenAnswer = 'The visit is no longer scheduled (completed, missed or cancelled), or it kept changing while the change was applied '
  + '(sent without If-Match; try again)';
const changed = (what: string) => `The ${what} changed since the ETag was read`;

const invalid = invalidFields;
const notOpen = (status: string) => new HttpError(409, 'Conflict', `The visit is ${status}; only a scheduled visit can change or be completed.`);
const visitJson = (row: Record<string, unknown>) => toPublicJson(row, ['cadenceKey', 'followUpSince']);
const actionJson = (row: Record<string, unknown>) => toPublicJson(row, ['key']);

function send(res: Response, row: { __v?: number } & Record<string, unknown>, shape: (r: Record<string, unknown>) => unknown, status = 200) {
  res.status(status).setHeader('ETag', etagOf(row.__v ?? 0)).json(shape(row));
}

/** The list's own filter; access is applied by rowsOfCustomers, before any other condition can widen it. */
function listFilter(user: AuthUser, input: VisitListInput | ActionListInput, extra: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const and: Array<Record<string, unknown>> = [];
  if (input.customerId) and.push({ customerId: new Types.ObjectId(input.customerId) });
  if (input.status) and.push({ status: input.status });
  if (input.owner) and.push({ ownerId: new Types.ObjectId(input.owner === 'me' ? user.id : input.owner) });
  and.push(...extra, idsBefore(input.cursor));
  return and;
}

/** Newest first, only of customers the user sees. */
function newestOfVisible<T extends { _id: Types.ObjectId; customerId: unknown }>(
  user: AuthUser, input: VisitListInput | ActionListInput, and: Array<Record<string, unknown>>, find: (filter: Record<string, unknown>, n: number) => Promise<T[]>,
) {
  return newestOfCustomers(visibleTo(user), and, Boolean(input.customerId || input.owner), find, input.limit);
}

/** Contacts named must belong to the visit's customer; owners must be active users. */
async function checkPeople(customerId: Types.ObjectId, input: { contactIds?: string[]; ownerId?: string }) {
  const errors: FieldError[] = [];
  if (input.contactIds?.length) {
    const found = await ContactModel.countDocuments({ _id: { $in: input.contactIds.map((id) => new Types.ObjectId(id)) }, customerId });
    if (found !== input.contactIds.length) errors.push({ field: 'contactIds', message: 'contactIds must be contacts of the visit\'s customer' });
  }
  if (input.ownerId && !(await activeUserIds([input.ownerId])).has(input.ownerId)) {
    errors.push({ field: 'ownerId', message: 'ownerId must be an active user' });
  }
  if (errors.length) throw invalid(errors);
}

const visitFor = (user: AuthUser, id: string | undefined, mode: 'read' | 'change') =>
  customerRecordFor(user, 'visit', () => VisitModel.findById(idParam(id, 'visit')).exec(), mode);

/**
 * A write conditional on the version read, so a change that slipped in meanwhile is never overwritten. Answers null
 * when the visit changed but is still open (see applyToLatest); one that was closed meanwhile is a 409 either way.
 */
async function updateVisit(visit: VisitDocument, set: Record<string, unknown>) {
  const updated = await VisitModel.findOneAndUpdate(
    { _id: visit._id, __v: visit.__v }, { $set: set, $inc: { __v: 1 } }, { returnDocument: 'after', runValidators: true },
  ).lean();
  if (updated) return updated;
  const now = await VisitModel.findById(visit._id, { status: 1 }).lean();
  if (now && now.status !== 'scheduled') throw notOpen(now.status);
  return null;
}

function checkVersion(version: number | undefined, visit: VisitDocument) {
  if (version !== undefined && version !== visit.__v) throw staleError('visit');
  if (visit.status !== 'scheduled') throw notOpen(visit.status);
}

/** Satisfaction visits (listed, planned ad hoc, read, rescheduled or cancelled, completed) and their improvement actions. */
export const visitsOperations = [
  operation({
    method: 'get', path: '/api/v1/visits', tag: 'visits', access: 'signed-in',
    summary: 'Visits of the customers you may see, newest first', description: cadence,
    query: visitListSchema,
    responses: { 200: { description: 'A page of visits', body: page(visitSchema) } },
    handler: async (req, res, { query: input }) => {
      const due: Record<string, Date> = {};
      if (input.dueBefore) due.$lt = input.dueBefore;
      if (input.dueAfter) due.$gte = input.dueAfter;
      const extra: Array<Record<string, unknown>> = [Object.keys(due).length ? { dueAt: due } : {}];
      if (input.overdue) extra.push({ status: 'scheduled', dueAt: { $lt: new Date() } });
      const user = currentUser(req);
      const rows = await newestOfVisible(user, input, listFilter(user, input, extra), (filter, n) => VisitModel.find(filter).sort({ _id: -1 }).limit(n).lean());
      res.json(toPage(rows, input.limit, (r) => ({ id: String(r._id) }), visitJson));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/customers/:id/visits', tag: 'visits', access: 'signed-in',
    summary: 'Plan an ad hoc visit',
    body: adhocSchema,
    responses: {
      201: { description: 'Created', headers: etagHeader, body: visitSchema },
      403: readOnly, 404: customerNotFound,
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const customer = await customerFor(user, String(req.params.id), 'change');
      await checkPeople(customer._id, input);
      const _id = new Types.ObjectId();
      const visit = await VisitModel.create({
        _id, customerId: customer._id, ownerId: input.ownerId ?? user.id, kind: 'adhoc', status: 'scheduled',
        dueAt: input.scheduledFor, scheduledFor: input.scheduledFor, channel: input.channel, contactIds: input.contactIds ?? [],
        cadenceKey: closedKey({ _id, customerId: customer._id, kind: 'adhoc' }),
      });
      res.location(`/api/v1/visits/${visit.id}`);
      send(res, visit.toObject(), visitJson, 201);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/visits/:id', tag: 'visits', access: 'signed-in',
    summary: 'Read a visit',
    responses: { 200: { description: 'Visit', headers: etagHeader, body: visitSchema }, 404: visitNotFound },
    handler: async (req, res) => {
      const { record } = await visitFor(currentUser(req), String(req.params.id), 'read');
      send(res, record.toObject(), visitJson);
    },
  }),

  operation({
    method: 'patch', path: '/api/v1/visits/:id', tag: 'visits', access: 'signed-in',
    summary: 'Reschedule or cancel a scheduled visit (each with a reason), or change its channel, contacts or owner',
    description: 'A cancelled cadence visit is replaced by a new one, due as the cadence says.',
    headers: ifMatchHeader, body: visitPatchSchema,
    responses: {
      200: { description: 'Updated', headers: etagHeader, body: visitSchema },
      403: readOnly, 404: visitNotFound, 409: notOpenAnswer, 412: changed('visit'),
    },
    handler: async (req, res, { body: input }) => {
      const { visit, customer, updated, status } = await applyToLatest(req, 'visit', async (version) => {
        const { record: visit, customer } = await visitFor(currentUser(req), String(req.params.id), 'change');
        checkVersion(version, visit);
        await checkPeople(customer._id, input);
        const { status, scheduledFor, ...rest } = input;
        const set: Record<string, unknown> = { ...rest };
        if (scheduledFor) Object.assign(set, { scheduledFor, rescheduledFrom: visit.scheduledFor });
        if (status === 'cancelled') Object.assign(set, { status, cadenceKey: closedKey(visit) });
        const updated = await updateVisit(visit, set);
        return updated && { visit, customer, updated, status };
      });
      // The customer keeps one open cadence visit: a cancelled one is replaced, due as the cadence says.
      if (status === 'cancelled' && visit.kind === 'cadence') await keepCadenceVisits([customer._id]);
      send(res, updated, visitJson);
    },
  }),

  operation({
    method: 'post', path: '/api/v1/visits/:id/complete', tag: 'visits', access: 'signed-in',
    summary: 'Complete a scheduled visit with its scores and feedback', description: completion,
    headers: ifMatchHeader, body: completeSchema,
    responses: {
      200: { description: 'Completed', headers: etagHeader, body: visitSchema },
      403: readOnly, 404: visitNotFound, 409: notOpenAnswer, 412: changed('visit'),
    },
    handler: async (req, res, { body: input }) => {
      const { customer, updated } = await applyToLatest(req, 'visit', async (version) => {
        const { record: visit, customer } = await visitFor(currentUser(req), String(req.params.id), 'change');
        checkVersion(version, visit);
        await checkPeople(customer._id, input);
        // Only the request whose write lands here goes on to the steps below, so what follows comes from its body alone.
        const updated = await updateVisit(visit, {
          ...input, completedAt: input.completedAt ?? new Date(), status: 'completed', cadenceKey: closedKey(visit), followUpSince: new Date(),
        });
        return updated && { customer, updated };
      });
      // Actions, satisfaction summary, next visit, alert; what a crash leaves undone, the worker finishes.
      await followUpVisit(updated, customer);
      send(res, updated, visitJson);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/actions', tag: 'visits', access: 'signed-in',
    summary: 'Improvement actions of the customers you may see, newest first',
    query: actionListSchema,
    responses: { 200: { description: 'A page of actions', body: page(actionSchema) } },
    handler: async (req, res, { query: input }) => {
      const user = currentUser(req);
      const rows = await newestOfVisible(user, input, listFilter(user, input, []), (filter, n) => ActionModel.find(filter).sort({ _id: -1 }).limit(n).lean());
      res.json(toPage(rows, input.limit, (r) => ({ id: String(r._id) }), actionJson));
    },
  }),

  operation({
    method: 'patch', path: '/api/v1/actions/:id', tag: 'visits', access: 'signed-in',
    summary: 'Move an improvement action on; `done` needs a resolution',
    headers: ifMatchHeader, body: actionPatchSchema,
    responses: {
      200: { description: 'Updated', headers: etagHeader, body: actionSchema },
      403: readOnly, 404: actionNotFound, 409: keptChanging('action'), 412: changed('action'),
    },
    handler: async (req, res, { body: input }) => {
      const updated = await applyToLatest(req, 'action', async (version) => {
        const { record: action, customer } = await customerRecordFor(
          currentUser(req), 'action', () => ActionModel.findById(idParam(String(req.params.id), 'action')).exec(), 'change',
        );
        if (version !== undefined && version !== action.__v) throw staleError('action');
        await checkPeople(customer._id, input);
        const resolution = input.resolution ?? action.resolution;
        if ((input.status ?? action.status) === 'done' && !resolution) {
          throw invalid([{ field: 'resolution', message: 'resolution is required to mark an action done' }]);
        }
        return ActionModel.findOneAndUpdate(
          { _id: action._id, __v: action.__v }, { $set: input, $inc: { __v: 1 } }, { returnDocument: 'after', runValidators: true },
        ).lean();
      });
      send(res, updated, actionJson);
    },
  }),
];

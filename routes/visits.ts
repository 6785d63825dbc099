import { Router, type Response } from 'express';
import { Types } from 'mongoose';
import { ActionModel } from '../models/action.ts';
import { ContactModel } from '../models/contact.ts';
import { visibleTo } from '../models/customer.ts';
import { newestOfCustomers } from '../models/customer-scope.ts';
import { toPublicJson } from '../models/json.ts';
import { activeUserIds } from '../models/user.ts';
import { VisitModel, closedKey, keepCadenceVisits, type VisitDocument } from '../models/visit.ts';
import { authenticate, currentUser, customerFor, customerRecordFor, type AuthUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError, invalidFields, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagOf, staleError } from '../server/etag.ts';
import { idsBefore, toPage } from '../server/paging.ts';
import { idParam, parse } from '../server/validate.ts';
import {
  actionListSchema, actionPatchSchema, adhocSchema, completeSchema, visitListSchema, visitPatchSchema, type ActionListInput, type VisitListInput,
} from '../schemas/visit-input.ts';
import { followUpVisit } from '../usecases/visit-follow-up.ts';

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

// Shares its mount point with other routers, so authentication is attached per route, not with router.use.
export function visitsRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);

  router.get('/visits', auth, async (req, res) => {
    const input = parse(visitListSchema, req.query);
    const due: Record<string, Date> = {};
    if (input.dueBefore) due.$lt = input.dueBefore;
    if (input.dueAfter) due.$gte = input.dueAfter;
    const extra: Array<Record<string, unknown>> = [Object.keys(due).length ? { dueAt: due } : {}];
    if (input.overdue) extra.push({ status: 'scheduled', dueAt: { $lt: new Date() } });
    const user = currentUser(req);
    const rows = await newestOfVisible(user, input, listFilter(user, input, extra), (filter, n) => VisitModel.find(filter).sort({ _id: -1 }).limit(n).lean());
    res.json(toPage(rows, input.limit, (r) => ({ id: String(r._id) }), visitJson));
  });

  router.post('/customers/:id/visits', auth, async (req, res) => {
    const user = currentUser(req);
    const customer = await customerFor(user, String(req.params.id), 'change');
    const input = parse(adhocSchema, req.body);
    await checkPeople(customer._id, input);
    const _id = new Types.ObjectId();
    const visit = await VisitModel.create({
      _id, customerId: customer._id, ownerId: input.ownerId ?? user.id, kind: 'adhoc', status: 'scheduled',
      dueAt: input.scheduledFor, scheduledFor: input.scheduledFor, channel: input.channel, contactIds: input.contactIds ?? [],
      cadenceKey: closedKey({ _id, customerId: customer._id, kind: 'adhoc' }),
    });
    res.location(`${req.baseUrl}/visits/${visit.id}`);
    send(res, visit.toObject(), visitJson, 201);
  });

  router.get('/visits/:id', auth, async (req, res) => {
    const { record } = await visitFor(currentUser(req), String(req.params.id), 'read');
    send(res, record.toObject(), visitJson);
  });

  router.patch('/visits/:id', auth, async (req, res) => {
    const { visit, customer, updated, status } = await applyToLatest(req, 'visit', async (version) => {
      const { record: visit, customer } = await visitFor(currentUser(req), String(req.params.id), 'change');
      const input = parse(visitPatchSchema, req.body);
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
  });

  router.post('/visits/:id/complete', auth, async (req, res) => {
    const { customer, updated } = await applyToLatest(req, 'visit', async (version) => {
      const { record: visit, customer } = await visitFor(currentUser(req), String(req.params.id), 'change');
      const input = parse(completeSchema, req.body);
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
  });

  router.get('/actions', auth, async (req, res) => {
    const input = parse(actionListSchema, req.query);
    const user = currentUser(req);
    const rows = await newestOfVisible(user, input, listFilter(user, input, []), (filter, n) => ActionModel.find(filter).sort({ _id: -1 }).limit(n).lean());
    res.json(toPage(rows, input.limit, (r) => ({ id: String(r._id) }), actionJson));
  });

  router.patch('/actions/:id', auth, async (req, res) => {
    const updated = await applyToLatest(req, 'action', async (version) => {
      const { record: action, customer } = await customerRecordFor(
        currentUser(req), 'action', () => ActionModel.findById(idParam(String(req.params.id), 'action')).exec(), 'change',
      );
      const input = parse(actionPatchSchema, req.body);
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
  });

  return router;
}

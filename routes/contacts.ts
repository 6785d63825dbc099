import { Router, type Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { diffFields, recordChange } from '../models/change.ts';
import {
  ContactModel, attitudes, contactView, decisionRoles, detachReports, isBirthday, reportsToProblem, type ContactDocument,
} from '../models/contact.ts';
import { canSeePersonal } from '../models/customer.ts';
import { rescore } from '../models/tiering.ts';
import { activeUserIds } from '../models/user.ts';
import { authenticate, currentUser, customerFor, type AuthUser, customerRecordFor } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagOf, ifMatchVersion, staleError } from '../server/etag.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam, objectId, parse } from '../server/validate.ts';

const text = (max: number) => Joi.string().trim().max(max).allow('');

const fields = {
  name: Joi.string().trim().min(1).max(200),
  title: text(200),
  department: text(200),
  reportsToId: objectId().allow(null),
  decisionRole: Joi.string().valid(...decisionRoles).allow(null),
  influence: Joi.number().integer().min(1).max(5).allow(null),
  attitude: Joi.string().valid(...attitudes).allow(null),
  needs: text(4000),
  preferences: text(4000),
  interests: text(4000),
  notes: text(4000),
  birthday: Joi.string().trim().custom((day: string, helpers) => (isBirthday(day) ? day : helpers.error('any.invalid')))
    .allow(null).messages({ 'any.invalid': '{#label} must be a past date as YYYY-MM-DD' }),
  email: Joi.string().trim().lowercase().max(254).email({ tlds: false }).allow(''), // no TLD list: company domains such as corp.local or acme.example are real addresses here
  phone: Joi.string().trim().max(40).allow('').pattern(/^\+?[\d\s().\/-]{3,30}(?:\s*(?:x|ext\.?)\s*\d{1,6})?$/i)
    .messages({ 'string.pattern.base': '{#label} must be a phone number: digits, spaces, + ( ) . / - and an optional extension' }),
  ownerId: objectId().allow(null),
  lastContactedAt: Joi.date().iso().allow(null),
};

type ContactInput = {
  name: string; title?: string; department?: string; reportsToId?: string | null; decisionRole?: (typeof decisionRoles)[number] | null;
  influence?: number | null; attitude?: (typeof attitudes)[number] | null; needs?: string; preferences?: string; interests?: string;
  notes?: string; birthday?: string | null; email?: string; phone?: string; ownerId?: string | null; lastContactedAt?: Date | null;
};

const createSchema = Joi.object<ContactInput>({ ...fields, name: fields.name.required() });
const patchSchema = Joi.object<Partial<ContactInput>>(fields).min(1);
const listSchema = Joi.object<{ limit: number; cursor?: string }>(pageKeys);

const isPosition = (p: Record<string, unknown>) => typeof p.n === 'string' && typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id);

// The relationship criterion of the tier policy reads these.
const scoredFields = ['decisionRole', 'influence', 'attitude'] as const;
const rescoreAfter = (customerId: Types.ObjectId, name: string, action: string) => rescore(customerId, `contact ${name} ${action}`);

const contactNotFound = () => new HttpError(404, 'Not found', 'No contact with this id.');

function sendContact(res: Response, contact: ContactDocument, showPersonal: boolean, status = 200) {
  res.status(status).setHeader('ETag', etagOf(contact.__v ?? 0)).json(contactView(contact.toObject(), showPersonal));
}

/** The contact and its customer, if the user may read or change that customer; otherwise 404 exactly as for a missing contact. */
async function contactFor(user: AuthUser, id: string | undefined, mode: 'read' | 'change') {
  const { record, customer } = await customerRecordFor(user, 'contact', () => ContactModel.findById(idParam(id, 'contact')).exec(), mode);
  return { contact: record, customer };
}

/** The links a contact holds to others: its manager at the customer and its owner on our side. */
async function checkLinks(input: Partial<ContactInput>, customerId: string, contactId?: string) {
  const errors: FieldError[] = [];
  if (input.reportsToId) {
    const problem = await reportsToProblem(customerId, contactId, input.reportsToId);
    if (problem) errors.push({ field: 'reportsToId', message: problem });
  }
  if (input.ownerId && !(await activeUserIds([input.ownerId])).has(input.ownerId)) {
    errors.push({ field: 'ownerId', message: 'ownerId must be an active user' });
  }
  if (errors.length) throw new HttpError(400, 'Validation failed', 'The request has invalid fields.', { errors });
}

// Shares its mount point with other routers, so authentication is attached per route, not with router.use:
// a request for a path no router has must still reach the 404 handler.
export function contactsRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);

  router.get('/customers/:id/contacts', auth, async (req, res) => {
    const user = currentUser(req);
    const customer = await customerFor(user, String(req.params.id), 'read');
    const input = parse(listSchema, req.query);
    const after = decodeCursor(input.cursor, isPosition);
    const position = after && { name: after.n as string, id: new Types.ObjectId(after.id as string) };
    const rows = await ContactModel.find({
      customerId: customer._id,
      ...(position ? { $or: [{ name: { $gt: position.name } }, { name: position.name, _id: { $gt: position.id } }] } : {}),
    }).sort({ name: 1, _id: 1 }).limit(input.limit + 1).lean();
    const showPersonal = canSeePersonal(user, customer);
    res.json(toPage(rows, input.limit, (r) => ({ n: r.name, id: String(r._id) }), (r) => contactView(r, showPersonal)));
  });

  router.post('/customers/:id/contacts', auth, async (req, res) => {
    const user = currentUser(req);
    const customer = await customerFor(user, String(req.params.id), 'change');
    const input = parse(createSchema, req.body);
    await checkLinks(input, customer.id);
    // Whoever enters a key person usually holds the relationship; an admin entering on someone's behalf names the owner.
    const contact = await ContactModel.create({ ...input, customerId: customer._id, ownerId: input.ownerId === undefined ? user.id : input.ownerId });
    await recordChange({ customerId: customer._id, entity: 'contact', entityId: contact._id, entityName: contact.name, action: 'created', actor: user });
    if (scoredFields.some((f) => contact[f] !== null)) await rescoreAfter(customer._id, contact.name, 'added');
    res.location(`${req.baseUrl}/contacts/${contact.id}`);
    sendContact(res, contact, canSeePersonal(user, customer), 201);
  });

  router.get('/contacts/:id', auth, async (req, res) => {
    const user = currentUser(req);
    const { contact, customer } = await contactFor(user, String(req.params.id), 'read');
    sendContact(res, contact, canSeePersonal(user, customer));
  });

  router.patch('/contacts/:id', auth, async (req, res) => {
    const user = currentUser(req);
    const { before, updated, customer } = await applyToLatest(req, 'contact', async (version) => {
      const { contact, customer } = await contactFor(user, String(req.params.id), 'change');
      const input = parse(patchSchema, req.body);
      if (version !== undefined && version !== contact.__v) throw staleError('contact');
      await checkLinks(input, customer.id, contact.id);
      // Conditional on the version read above, so a write that slipped in meanwhile is never overwritten.
      const updated = await ContactModel.findOneAndUpdate(
        { _id: contact._id, __v: contact.__v },
        { $set: input, $inc: { __v: 1 } },
        { returnDocument: 'after', runValidators: true },
      );
      return updated && { before: contact.toObject(), updated, customer };
    });
    await recordChange({
      customerId: customer._id, entity: 'contact', entityId: updated._id, entityName: updated.name, action: 'updated', actor: user,
      fields: diffFields(before, updated.toObject()),
    });
    if (scoredFields.some((f) => before[f] !== updated[f])) await rescoreAfter(customer._id, updated.name, 'changed');
    sendContact(res, updated, canSeePersonal(user, customer));
  });

  // Unlike customers, a contact is really deleted (people leave); the timeline keeps that they were there.
  router.delete('/contacts/:id', auth, async (req, res) => {
    const user = currentUser(req);
    const { contact, customer } = await contactFor(user, String(req.params.id), 'change');
    const version = ifMatchVersion(req);
    if (version !== undefined && version !== contact.__v) throw staleError('contact');
    const { deletedCount } = await ContactModel.deleteOne({ _id: contact._id, ...(version === undefined ? {} : { __v: version }) });
    if (!deletedCount) throw version === undefined ? contactNotFound() : staleError('contact');
    await recordChange({ customerId: customer._id, entity: 'contact', entityId: contact._id, entityName: contact.name, action: 'deleted', actor: user });
    if (scoredFields.some((f) => contact[f] !== null)) await rescoreAfter(customer._id, contact.name, 'deleted');
    for (const report of await detachReports(contact._id)) {
      await recordChange({
        customerId: customer._id, entity: 'contact', entityId: report._id, entityName: report.name, action: 'updated', actor: user,
        fields: [{ field: 'reportsToId', old: contact.id, new: null }],
      });
    }
    res.status(204).end();
  });

  return router;
}

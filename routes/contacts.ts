import type { Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { diffFields, recordChange } from '../models/change.ts';
import {
  ContactModel, attitudes, contactView, decisionRoles, detachReports, isBirthday, personalFields, reportsToProblem, type ContactDocument,
} from '../models/contact.ts';
import { canSeePersonal } from '../models/customer.ts';
import { rescore } from '../models/tiering.ts';
import { activeUserIds } from '../models/user.ts';
import { answer, moment, page } from '../schemas/common.ts';
import type { ContactCreate, ContactPatch, GetCustomersIdContactsQuery } from '../schemas/inputs.gen.ts';
import { currentUser, customerFor, type AuthUser, customerRecordFor } from '../server/auth.ts';
import { HttpError, type FieldError } from '../server/errors.ts';
import { applyToLatest, etagHeader, etagOf, ifMatchHeader, ifMatchVersion, keptChanging, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam, objectId } from '../server/validate.ts';

const text = (max: number) => Joi.string().trim().max(max).allow('');

const personal = 'personal: answered only to the customer\'s owner and team, executives and admins';

const fields = {
  name: Joi.string().trim().min(1).max(200),
  title: text(200),
  department: text(200),
  reportsToId: objectId().allow(null).description('another contact of the same customer, not one who reports to this contact'),
  decisionRole: Joi.string().valid(...decisionRoles).allow(null),
  influence: Joi.number().integer().min(1).max(5).allow(null),
  attitude: Joi.string().valid(...attitudes).allow(null).description('attitude towards us'),
  needs: text(4000).description('needs and motivations'),
  preferences: text(4000),
  interests: text(4000),
  notes: text(4000).description(personal),
  birthday: Joi.string().trim().custom((day: string, helpers) => (isBirthday(day) ? day : helpers.error('any.invalid')))
    .allow(null).messages({ 'any.invalid': '{#label} must be a past date as YYYY-MM-DD' }).meta({ format: 'date' }).description(`YYYY-MM-DD; ${personal}`),
  // no TLD list: company domains such as corp.local or acme.example are real addresses here
  email: Joi.string().trim().lowercase().max(254).email({ tlds: false }).allow('').description(`an address or empty; ${personal}`),
  phone: Joi.string().trim().max(40).allow('').pattern(/^\+?[\d\s().\/-]{3,30}(?:\s*(?:[xX]|[eE][xX][tT]\.?)\s*\d{1,6})?$/)
    .messages({ 'string.pattern.base': '{#label} must be a phone number: digits, spaces, + ( ) . / - and an optional extension' }).description(personal),
  ownerId: objectId().allow(null).description('relationship owner on our side, an active user; defaults to the creator'),
  lastContactedAt: Joi.date().iso().allow(null),
};

const createSchema = Joi.object<ContactCreate>({ ...fields, name: fields.name.required() }).id('ContactCreate');
const patchSchema = Joi.object<ContactPatch>(fields).min(1).id('ContactPatch')
  .description('The fields to change; null clears a link, a rating or the birthday');
const listSchema = Joi.object<GetCustomersIdContactsQuery>(pageKeys);

const contactSchema = answer({
  id: objectId(), customerId: objectId(), ...fields,
  ...Object.fromEntries(personalFields.map((f) => [f, fields[f].optional()])),
  createdAt: moment(), updatedAt: moment(),
}).id('Contact')
  .description(`A key person at a customer. email, phone, birthday and notes are left out for those who may not see them (${personal}).`);

const customerNotFound = 'No such customer, or one of another team';
const notFound = 'No such contact, or one of a customer of another team';
const changed = 'The contact changed since the ETag was read';

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
async function checkLinks(input: ContactPatch, customerId: string, contactId?: string) {
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

/** The contacts of a customer, under /customers/:id/contacts and at /contacts/:id. */
export const contactOperations = [
  operation({
    method: 'get', path: '/api/v1/customers/:id/contacts', tag: 'contacts', access: 'signed-in',
    summary: "A customer's key people, in name order",
    query: listSchema,
    responses: { 200: { description: 'A page of contacts', body: page(contactSchema) }, 404: customerNotFound },
    handler: async (req, res, { query }) => {
      const user = currentUser(req);
      const customer = await customerFor(user, String(req.params.id), 'read');
      const after = decodeCursor(query.cursor, isPosition);
      const position = after && { name: after.n as string, id: new Types.ObjectId(after.id as string) };
      const rows = await ContactModel.find({
        customerId: customer._id,
        ...(position ? { $or: [{ name: { $gt: position.name } }, { name: position.name, _id: { $gt: position.id } }] } : {}),
      }).sort({ name: 1, _id: 1 }).limit(query.limit + 1).lean();
      const showPersonal = canSeePersonal(user, customer);
      res.json(toPage(rows, query.limit, (r) => ({ n: r.name, id: String(r._id) }), (r) => contactView(r, showPersonal)));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/customers/:id/contacts', tag: 'contacts', access: 'signed-in',
    summary: 'Add a key person to a customer',
    body: createSchema,
    responses: {
      201: { description: 'Created', headers: etagHeader, body: contactSchema },
      403: 'You may read this customer but not change it', 404: customerNotFound,
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const customer = await customerFor(user, String(req.params.id), 'change');
      await checkLinks(input, customer.id);
      // Whoever enters a key person usually holds the relationship; an admin entering on someone's behalf names the owner.
      const contact = await ContactModel.create({ ...input, customerId: customer._id, ownerId: input.ownerId === undefined ? user.id : input.ownerId });
      await recordChange({ customerId: customer._id, entity: 'contact', entityId: contact._id, entityName: contact.name, action: 'created', actor: user });
      if (scoredFields.some((f) => contact[f] !== null)) await rescoreAfter(customer._id, contact.name, 'added');
      res.location(`/api/v1/contacts/${contact.id}`);
      sendContact(res, contact, canSeePersonal(user, customer), 201);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/contacts/:id', tag: 'contacts', access: 'signed-in',
    summary: 'Read a contact',
    responses: { 200: { description: 'Contact', headers: etagHeader, body: contactSchema }, 404: notFound },
    handler: async (req, res) => {
      const user = currentUser(req);
      const { contact, customer } = await contactFor(user, String(req.params.id), 'read');
      sendContact(res, contact, canSeePersonal(user, customer));
    },
  }),

  operation({
    method: 'patch', path: '/api/v1/contacts/:id', tag: 'contacts', access: 'signed-in',
    summary: 'Change the fields given; null clears a link, a rating or the birthday',
    headers: ifMatchHeader, body: patchSchema,
    responses: {
      200: { description: 'Updated', headers: etagHeader, body: contactSchema },
      403: 'You may read this customer but not change it', 404: notFound, 409: keptChanging('contact'), 412: changed,
    },
    handler: async (req, res, { body: input }) => {
      const user = currentUser(req);
      const { before, updated, customer } = await applyToLatest(req, 'contact', async (version) => {
        const { contact, customer } = await contactFor(user, String(req.params.id), 'change');
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
    },
  }),

  // Unlike customers, a contact is really deleted (people leave); the timeline keeps that they were there.
  operation({
    method: 'delete', path: '/api/v1/contacts/:id', tag: 'contacts', access: 'signed-in',
    summary: 'Delete a contact; those who reported to it no longer do. The timeline keeps the record',
    headers: ifMatchHeader,
    responses: { 204: { description: 'Deleted' }, 403: 'You may read this customer but not change it', 404: notFound, 412: changed },
    handler: async (req, res) => {
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
    },
  }),
];

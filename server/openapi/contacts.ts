import { errors, etagHeader, idParam, ifMatchParam, json, keptChanging, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const str = (maxLength: number) => ({ type: 'string', maxLength });
const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const nullableId = (description: string) => ({ oneOf: [objectIdSchema, { type: 'null' }], description });
const customerNotFound = problem('No such customer, or one of another team');
const contactNotFound = problem('No such contact, or one of a customer of another team');
const personal = 'personal: returned only to the customer\'s owner and team, executives and admins';

const writable = {
  name: { ...str(200), minLength: 1 },
  title: str(200),
  department: str(200),
  reportsToId: nullableId('another contact of the same customer, not one who reports to this contact'),
  decisionRole: { enum: ['decision_maker', 'influencer', 'user', 'gatekeeper', 'coach', null] },
  influence: { type: ['integer', 'null'], minimum: 1, maximum: 5 },
  attitude: { enum: ['supporter', 'neutral', 'opponent', null], description: 'attitude towards us' },
  needs: { ...str(4000), description: 'needs and motivations' },
  preferences: str(4000),
  interests: str(4000),
  notes: { ...str(4000), description: personal },
  birthday: { type: ['string', 'null'], format: 'date', description: `YYYY-MM-DD; ${personal}` },
  email: { type: 'string', maxLength: 254, description: `an address or empty; ${personal}` },
  phone: { ...str(40), description: personal },
  ownerId: nullableId('relationship owner on our side, an active user; defaults to the creator'),
  lastContactedAt: { type: ['string', 'null'], format: 'date-time' },
};

export const contactsPart: Part = {
  paths: {
    '/api/v1/customers/{id}/contacts': {
      parameters: [idParam],
      get: {
        tags: ['contacts'], summary: "A customer's key people, in name order", security: secured,
        parameters: pageParams,
        responses: { 200: { description: 'A page of contacts', content: json(page('Contact')) }, 400: errors[400], 401: errors[401], 404: customerNotFound },
      },
      post: {
        tags: ['contacts'], summary: 'Add a key person to a customer', security: secured,
        requestBody: { required: true, content: json(ref('ContactCreate')) },
        responses: {
          201: { description: 'Created', headers: etagHeader, content: json(ref('Contact')) },
          ...errors, 404: customerNotFound,
        },
      },
    },
    '/api/v1/contacts/{id}': {
      parameters: [idParam],
      get: {
        tags: ['contacts'], summary: 'Read a contact', security: secured,
        responses: { 200: { description: 'Contact', headers: etagHeader, content: json(ref('Contact')) }, 401: errors[401], 404: contactNotFound },
      },
      patch: {
        tags: ['contacts'], summary: 'Change the fields given; null clears a link, a rating or the birthday', security: secured,
        parameters: [ifMatchParam],
        requestBody: { required: true, content: json(ref('ContactPatch')) },
        responses: {
          200: { description: 'Updated', headers: etagHeader, content: json(ref('Contact')) },
          ...errors, 404: contactNotFound, 409: keptChanging('contact'), 412: problem('The contact changed since the ETag was read'),
        },
      },
      delete: {
        tags: ['contacts'], summary: 'Delete a contact; those who reported to it no longer do. The timeline keeps the record', security: secured,
        parameters: [ifMatchParam],
        responses: {
          204: { description: 'Deleted' }, 401: errors[401], 403: errors[403], 404: contactNotFound,
          412: problem('The contact changed since the ETag was read'),
        },
      },
    },
  },
  schemas: {
    ContactCreate: { type: 'object', additionalProperties: false, required: ['name'], properties: writable },
    ContactPatch: { type: 'object', additionalProperties: false, minProperties: 1, properties: writable },
    Contact: {
      type: 'object',
      description: `A key person at a customer. email, phone, birthday and notes are left out for those who may not see them (${personal}).`,
      required: ['id', 'customerId', 'name', 'title', 'department', 'reportsToId', 'decisionRole', 'influence', 'attitude',
        'needs', 'preferences', 'interests', 'ownerId', 'lastContactedAt', 'createdAt', 'updatedAt'],
      properties: {
        id: objectIdSchema, customerId: objectIdSchema, ...writable,
        createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
      },
    },
  },
};

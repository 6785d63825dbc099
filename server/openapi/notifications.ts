import { notificationKinds } from '../../models/notification.ts';
import { DELIVERY_TIMEOUT_MS, MAX_ATTEMPTS, deliveryStates } from '../../models/webhook.ts';
import { errors, idParam, json, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const date = { type: 'string', format: 'date-time' };
const nullableDate = { type: ['string', 'null'], format: 'date-time' };
const kind = { enum: [...notificationKinds] };
const notificationNotFound = problem('No such notification, or one of another user');
const webhookNotFound = problem('No such webhook');
const adminOnly = { 401: errors[401], 403: errors[403] };

const deliveryNote = `Each notification created at or after a webhook's creation, of a kind it takes, is POSTed to its URL once as
JSON \`{deliveryId, notification: {id, kind, title, body, data, userId, createdAt}}\` with the headers
\`X-KA-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the secret>\` and
\`X-KA-Delivery: <deliveryId>\`. Verify it by computing the HMAC over \`t\`, a dot and the raw body, comparing in
constant time, and refusing a \`t\` more than 5 minutes from your clock (a captured request cannot be replayed later).
Any 2xx answer within ${DELIVERY_TIMEOUT_MS / 1000} s accepts it; anything else (another status, a redirect, no answer, a
refused connection) is retried with exponential backoff (30 s, 1 min, 2 min ... at most 2 h apart) up to ${MAX_ATTEMPTS}
attempts, after which the delivery ends \`failed\`. Delivery is at least once: an attempt whose outcome was lost (a
crash) is sent again with the same X-KA-Delivery, so receivers de-duplicate by it. The URL must reach a public address:
loopback, private, link-local (cloud metadata), multicast and reserved addresses are refused in every spelling, at
registration and again at each delivery (the address connected to), unless an operator allowed the network
(WEBHOOK_ALLOWED_NETWORKS).`;

const webhookProperties = {
  id: objectIdSchema,
  url: { type: 'string', format: 'uri', maxLength: 2000 },
  kinds: { type: 'array', items: kind, description: 'the kinds this webhook takes; empty takes every kind, including kinds added later' },
  description: { type: 'string', maxLength: 500 },
  active: { type: 'boolean', description: 'false once deleted' },
  createdById: objectIdSchema,
  createdAt: date,
  deactivatedAt: nullableDate,
};

export const notificationsPart: Part = {
  paths: {
    '/api/v1/notifications': {
      get: {
        tags: ['notifications'], summary: 'Your own notifications, newest first', security: secured,
        parameters: [...pageParams, { name: 'unread', in: 'query', description: '`true`: only those not read yet', schema: { type: 'boolean' } }],
        responses: { 200: { description: 'A page of notifications', content: json(page('Notification')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/notifications/read-all': {
      post: {
        tags: ['notifications'], summary: 'Mark all your unread notifications read', security: secured,
        responses: {
          200: { description: 'How many were marked', content: json({ type: 'object', required: ['updated'], properties: { updated: { type: 'integer', minimum: 0 } } }) },
          401: errors[401],
        },
      },
    },
    '/api/v1/notifications/{id}/read': {
      parameters: [idParam],
      post: {
        tags: ['notifications'], summary: 'Mark one of your notifications read', description: 'Idempotent: a read notification keeps its first readAt.', security: secured,
        responses: { 200: { description: 'The notification', content: json(ref('Notification')) }, 401: errors[401], 404: notificationNotFound },
      },
    },
    '/api/v1/webhooks': {
      get: {
        tags: ['webhooks'], summary: 'Webhooks, newest first (admin)', security: secured,
        parameters: [...pageParams, { name: 'active', in: 'query', schema: { type: 'boolean' } }],
        responses: { 200: { description: 'A page of webhooks (never with their secret)', content: json(page('Webhook')) }, 400: errors[400], ...adminOnly },
      },
      post: {
        tags: ['webhooks'], summary: 'Register a webhook (admin); the signing secret is answered once, here', description: deliveryNote, security: secured,
        requestBody: { required: true, content: json(ref('WebhookCreate')) },
        responses: { 201: { description: 'Created, with its secret', content: json(ref('WebhookCreated')) }, 400: errors[400], ...adminOnly },
      },
    },
    '/api/v1/webhooks/{id}': {
      parameters: [idParam],
      get: {
        tags: ['webhooks'], summary: 'Read a webhook (admin), without its secret', security: secured,
        responses: { 200: { description: 'Webhook', content: json(ref('Webhook')) }, ...adminOnly, 404: webhookNotFound },
      },
      delete: {
        tags: ['webhooks'], summary: 'Deactivate a webhook (admin)',
        description: 'It receives nothing more; its deliveries stay for the record, and those still pending end `failed`. Idempotent.',
        security: secured,
        responses: { 204: { description: 'Deactivated' }, ...adminOnly, 404: webhookNotFound },
      },
    },
    '/api/v1/webhooks/{id}/deliveries': {
      parameters: [idParam],
      get: {
        tags: ['webhooks'], summary: "A webhook's deliveries and their state, newest first (admin)", security: secured,
        parameters: [...pageParams, { name: 'state', in: 'query', schema: { enum: [...deliveryStates] } }],
        responses: { 200: { description: 'A page of deliveries', content: json(page('WebhookDelivery')) }, 400: errors[400], ...adminOnly, 404: webhookNotFound },
      },
    },
  },
  schemas: {
    Notification: {
      type: 'object', required: ['id', 'userId', 'kind', 'title', 'body', 'data', 'readAt', 'createdAt'],
      properties: {
        id: objectIdSchema, userId: objectIdSchema, kind, title: { type: 'string' }, body: { type: 'string' },
        data: { type: 'object', description: 'ids a client follows: customerId, visitId, approvalId ...' },
        readAt: nullableDate, createdAt: date,
      },
    },
    WebhookCreate: {
      type: 'object', additionalProperties: false, required: ['url'],
      properties: {
        url: { type: 'string', format: 'uri', maxLength: 2000, description: 'http or https; no user name or password in it' },
        kinds: { type: 'array', items: kind, minItems: 1, uniqueItems: true, description: 'default: every kind' },
        description: { type: 'string', maxLength: 500 },
      },
    },
    Webhook: { type: 'object', required: Object.keys(webhookProperties), properties: webhookProperties },
    WebhookCreated: {
      type: 'object', required: [...Object.keys(webhookProperties), 'secret'],
      properties: {
        ...webhookProperties,
        secret: { type: 'string', description: 'HMAC-SHA256 signing key (32 random bytes, base64url); shown only in this response' },
      },
    },
    WebhookDelivery: {
      type: 'object',
      required: ['id', 'key', 'webhookId', 'notificationId', 'kind', 'state', 'attempts', 'lastStatus', 'lastError', 'nextAttemptAt', 'deliveredAt', 'createdAt'],
      properties: {
        id: { ...objectIdSchema, description: 'also the X-KA-Delivery header' },
        key: { type: 'string', description: '`<notificationId>:<webhookId>`, unique' },
        webhookId: objectIdSchema, notificationId: objectIdSchema, kind,
        state: { enum: [...deliveryStates] },
        attempts: { type: 'integer', minimum: 0, maximum: MAX_ATTEMPTS },
        lastStatus: { type: ['integer', 'null'], description: "the receiver's HTTP status at the last attempt" },
        lastError: { type: ['string', 'null'] },
        lastAttemptAt: nullableDate,
        nextAttemptAt: { ...nullableDate, description: 'when a pending delivery is tried next' },
        deliveredAt: nullableDate,
        createdAt: date,
      },
    },
  },
};

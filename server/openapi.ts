import { errors, idParam, json, pageParams, problem, ref, secured, type Part } from './openapi/common.ts';
import { customersPart } from './openapi/customers.ts';
import { customersCsvPart } from './openapi/customers-csv.ts';
import { notificationsPart } from './openapi/notifications.ts';
import { mailPart } from './openapi/mail.ts';
import { reportsPart } from './openapi/reports.ts';
import { tierPolicyPart } from './openapi/tier-policy.ts';
import { tiersPart } from './openapi/tiers.ts';
import { documentOperations } from './openapi-operations.ts';
import { operations } from './operations.ts';
import { visitsPart } from './openapi/visits.ts';

// The OpenAPI 3.1 document served at /api/openapi.json. test/server/openapi.test.ts fails when a route
// registered in app.ts is missing here, and validates the document against the OpenAPI 3.1 schema.

const base = {
  openapi: '3.1.0',
  info: {
    title: 'Key Account Relationship Service',
    version: '0.1.0',
    description: 'Customers kept apart from projects, S/A/B/C tiers, company and personal profiles, satisfaction revisits. '
      + 'Every error is RFC 9457 application/problem+json. '
      + 'For REST clients: [the Postman collection](/api/postman.json) (Postman, Bruno, Insomnia; sign-in done for you, '
      + 'with an account manager walk-through).',
    license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
  },
  servers: [{ url: '/' }],
  tags: [
    { name: 'auth', description: 'Sign in, refresh the access token, sign out' },
    { name: 'users', description: 'Accounts and roles (admins), and your own account' },
    { name: 'customers', description: 'Customers apart from projects: company profile, owner, account team, hierarchy, CSV import and export' },
    { name: 'contacts', description: "A customer's people, with their personal profiles" },
    { name: 'projects', description: "A customer's opportunities and deliveries" },
    { name: 'tiers', description: 'S/A/B/C classification: policy, scores, overrides and approvals' },
    { name: 'plans', description: 'Account plans per customer and period: objectives, resources, attainment' },
    { name: 'visits', description: 'Satisfaction visits on the tier cadence, their completion and improvement actions' },
    { name: 'notifications', description: 'Your feed of reminders and alerts, where they reach you (feed, e-mail, digest), and the e-mail outbox' },
    { name: 'webhooks', description: 'Deliveries of notifications to other systems (admins)' },
    { name: 'reports', description: 'Tier distribution, movements and plan attainment for leadership' },
    { name: 'operations', description: 'Health, readiness, this document and its pages' },
  ],
  paths: {
    '/api/v1/auth/login': {
      post: {
        tags: ['auth'], summary: 'Sign in with email and password',
        requestBody: { required: true, content: json(ref('LoginRequest')) },
        responses: {
          200: { description: 'Tokens', content: json(ref('TokenPair')) },
          400: errors[400],
          401: problem('Wrong email or password (the same answer for both)'),
          429: problem('Too many attempts from this address or for this account'),
        },
      },
    },
    '/api/v1/auth/refresh': {
      post: {
        tags: ['auth'], summary: 'Rotate a refresh token; a reused token revokes its whole family',
        requestBody: { required: true, content: json(ref('RefreshRequest')) },
        responses: { 200: { description: 'New tokens', content: json(ref('TokenPair')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/auth/logout': {
      post: {
        tags: ['auth'], summary: 'Revoke a refresh token and every token rotated from the same login',
        requestBody: { required: true, content: json(ref('RefreshRequest')) },
        responses: { 204: { description: 'Signed out' }, 400: errors[400] },
      },
    },
    '/api/v1/me': {
      get: {
        tags: ['auth'], summary: 'The signed-in user', security: secured,
        responses: { 200: { description: 'User', content: json(ref('User')) }, 401: errors[401] },
      },
    },
    '/api/v1/me/calendar-token': {
      post: {
        tags: ['visits'], summary: 'A new private iCalendar feed address for your visits; the previous one stops working',
        description: 'The token is shown once, in this answer: keep the URL like a password. Subscribe to it from Outlook, Google or Apple Calendar.',
        security: secured,
        responses: {
          201: { description: 'The feed address', content: json({ type: 'object', required: ['token', 'url'], properties: { token: { type: 'string' }, url: { type: 'string' } } }) },
          401: errors[401],
        },
      },
    },
    '/api/v1/calendar/{file}': {
      get: {
        tags: ['visits'], summary: "iCalendar feed of the token owner's scheduled visits (no Bearer token: the address is the credential)",
        parameters: [{ name: 'file', in: 'path', required: true, description: '`<token>.ics` from POST /api/v1/me/calendar-token', schema: { type: 'string' } }],
        responses: {
          200: { description: 'text/calendar feed (VCALENDAR with one VEVENT per scheduled visit, overdue ones included)', content: { 'text/calendar': {} } },
          404: problem('Unknown, rotated or deactivated calendar address'),
        },
      },
    },
    '/api/v1/users': {
      get: {
        tags: ['users'], summary: 'List users (admin)', security: secured,
        parameters: [
          ...pageParams,
          { name: 'role', in: 'query', schema: ref('Role') },
          { name: 'team', in: 'query', schema: { type: 'string' } },
          { name: 'active', in: 'query', schema: { type: 'boolean' } },
        ],
        responses: { 200: { description: 'A page of users', content: json(ref('UserPage')) }, ...errors },
      },
      post: {
        tags: ['users'], summary: 'Create a user (admin)', security: secured,
        requestBody: { required: true, content: json(ref('UserCreate')) },
        responses: {
          201: { description: 'Created', headers: { ETag: { schema: { type: 'string' } } }, content: json(ref('User')) },
          ...errors,
          409: problem('The email is taken'),
        },
      },
    },
    '/api/v1/users/{id}': {
      parameters: [idParam],
      get: {
        tags: ['users'], summary: 'Read a user (admin)', security: secured,
        responses: {
          200: { description: 'User', headers: { ETag: { schema: { type: 'string' } } }, content: json(ref('User')) },
          401: errors[401], 403: errors[403], 404: problem('No such user'),
        },
      },
      patch: {
        tags: ['users'], summary: 'Change, deactivate or reactivate a user (admin)', security: secured,
        parameters: [{ name: 'If-Match', in: 'header', description: 'ETag from a previous read; a stale one gets 412', schema: { type: 'string' } }],
        requestBody: { required: true, content: json(ref('UserPatch')) },
        responses: {
          200: { description: 'Updated', content: json(ref('User')) },
          ...errors,
          404: problem('No such user'),
          409: problem('An admin cannot deactivate or demote themselves'),
          412: problem('The user changed since the ETag was read'),
        },
      },
    },
    '/healthz': {
      get: { tags: ['operations'], summary: 'Liveness: the process is up', responses: { 200: { description: 'Up', content: json(ref('Health')) } } },
    },
    '/readyz': {
      get: {
        tags: ['operations'], summary: 'Readiness: the database answers and a job worker runs',
        responses: {
          200: { description: 'Ready', content: json(ref('Readiness')) },
          503: { description: 'Not ready', content: json(ref('Readiness')) },
        },
      },
    },
    '/metrics': {
      get: {
        tags: ['operations'], summary: 'Prometheus metrics: requests by route, job runs, webhook and e-mail outcomes, engine restarts, rate-limit refusals',
        description: 'Served here only when METRICS_TOKEN is set, to a bearer of that token (not a user token); METRICS_PORT serves the same without a token on a port of its own, in every process.',
        security: [{ metrics: [] }],
        responses: {
          200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          401: problem('Missing or wrong METRICS_TOKEN'),
          404: problem('Metrics are not served on the API (no METRICS_TOKEN)'),
        },
      },
    },
    '/api/postman.json': {
      get: {
        tags: ['operations'], summary: 'This API as a Postman collection (v2.1), with sign-in done for you and an account manager walk-through',
        description: 'Import it in Postman, Bruno or Insomnia, set the collection variables `baseUrl`, `email` and `password`, and run the folder "Account manager walk-through"; `newman run` takes it too.',
        responses: { 200: { description: 'Postman collection v2.1', content: json({ type: 'object' }) } },
      },
    },
    '/api/openapi.json': {
      get: { tags: ['operations'], summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } },
    },
    '/docs': {
      get: { tags: ['operations'], summary: 'Interactive API documentation', responses: { 200: { description: 'HTML page', content: { 'text/html': {} } } } },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      metrics: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics only' },
    },
    schemas: {
      Role: { type: 'string', enum: ['admin', 'executive', 'manager'] },
      Problem: {
        type: 'object', required: ['type', 'title', 'status'],
        properties: {
          type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
          instance: { type: 'string' }, requestId: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
      LoginRequest: {
        type: 'object', required: ['email', 'password'], additionalProperties: false,
        properties: { email: { type: 'string', format: 'email' }, password: { type: 'string' } },
      },
      RefreshRequest: { type: 'object', required: ['refreshToken'], additionalProperties: false, properties: { refreshToken: { type: 'string' } } },
      TokenPair: {
        type: 'object', required: ['accessToken', 'refreshToken', 'tokenType', 'expiresIn'],
        properties: {
          accessToken: { type: 'string' }, refreshToken: { type: 'string' }, tokenType: { const: 'Bearer' },
          expiresIn: { type: 'integer', description: 'seconds' },
        },
      },
      User: {
        type: 'object', required: ['id', 'email', 'name', 'role', 'team', 'active'],
        properties: {
          id: { type: 'string' }, email: { type: 'string', format: 'email' }, name: { type: 'string' }, role: ref('Role'),
          team: { type: 'string' }, active: { type: 'boolean' },
          createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
        },
      },
      UserCreate: {
        type: 'object', required: ['email', 'name', 'role', 'password'], additionalProperties: false,
        properties: {
          email: { type: 'string', format: 'email' }, name: { type: 'string' }, role: ref('Role'), team: { type: 'string' },
          password: { type: 'string', minLength: 12 },
        },
      },
      UserPatch: {
        type: 'object', minProperties: 1, additionalProperties: false,
        properties: { name: { type: 'string' }, role: ref('Role'), team: { type: 'string' }, active: { type: 'boolean' }, password: { type: 'string', minLength: 12 } },
      },
      UserPage: {
        type: 'object', required: ['items', 'nextCursor'],
        properties: { items: { type: 'array', items: ref('User') }, nextCursor: { type: ['string', 'null'] } },
      },
      Health: { type: 'object', properties: { status: { type: 'string' } } },
      Readiness: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['ready', 'not ready'] },
          checks: { type: 'object', properties: { database: { enum: ['up', 'down'] }, jobs: { enum: ['up', 'down'] } } },
          mail: { enum: ['on', 'off'], description: '`off` when SMTP_URL is not set: no e-mail is sent (readiness does not depend on it)' },
        },
      },
    },
  },
};

// Each resource describes its own paths and schemas beside the shared ones above.
const parts: Part[] = [customersPart, customersCsvPart, tiersPart, tierPolicyPart, visitsPart, notificationsPart, mailPart, reportsPart];

const declared = documentOperations(operations);

const methods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

type Operation = { responses?: Record<string, unknown>; security?: unknown[]; operationId?: string };

/**
 * The paths with every operation finished (see `finished`). Every operation may also answer what no route decides
 * itself, always as a problem: 413 (body too large), 415, 429, 503 (the database is away) and 500; the document says
 * so once for each, as its `default` response.
 */
function finishedPaths(paths: Record<string, Record<string, Operation>>): Record<string, object> {
  const answered = problem('Any other error (413 body too large, 415 wrong content type, 429 too many requests, 503 database away, 500)');
  return Object.fromEntries(Object.entries(paths).map(([path, operations]) => [path, Object.fromEntries(Object.entries(operations)
    .map(([method, operation]) => [method, !methods.has(method) ? operation
      : finished(method, path, { ...operation, responses: { default: answered, ...operation.responses } })]))]));
}

const rateLimitHeaders = {
  'RateLimit-Policy': { description: 'the limit: `"per-user";q=<requests>;w=<seconds>` (RATE_LIMIT_PER_MINUTE)', schema: { type: 'string' } },
  RateLimit: { description: 'what is left: `"per-user";r=<remaining>;t=<seconds until the window resets>`', schema: { type: 'string' } },
};
const tooManyRequests = {
  ...problem('More requests in a minute than RATE_LIMIT_PER_MINUTE allows this user; wait Retry-After seconds'),
  headers: { ...rateLimitHeaders, 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } },
};

/** The operations anyone may call: they take no bearer token (the calendar feed carries its own token in its URL). */
const publicOperations = new Set([
  'post /api/v1/auth/login', 'post /api/v1/auth/refresh', 'post /api/v1/auth/logout', 'get /api/v1/calendar/{file}',
  'get /healthz', 'get /readyz', 'get /api/openapi.json', 'get /api/postman.json', 'get /docs',
]);

/**
 * Each operation says who may call it (a public one says so with `security: []`; any other without `security` is a
 * mistake and fails at start) and gets an operationId from its method and path (`get /api/v1/customers/{id}/tier` is
 * `getCustomersIdTier`), for client generators and REST clients.
 */
function finished(method: string, path: string, operation: Operation): Operation {
  const key = `${method} ${path}`;
  if (publicOperations.has(key)) operation = { ...operation, security: [] };
  else if (!operation.security) throw new Error(`openapi: ${key} says nothing about security`);
  const words = path.replace(/^\/api(\/v1)?/, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  const operationId = operation.operationId ?? method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  // Every signed-in request counts against its user's limit (server/auth.ts).
  const limited = Array.isArray(operation.security) && operation.security.some((s) => 'bearer' in (s as object)) && !operation.responses?.['429'];
  return { ...operation, operationId, ...(limited ? { responses: { ...operation.responses, 429: tooManyRequests } } : {}) };
}

export const openapiDocument = {
  ...base,
  paths: { ...finishedPaths(Object.assign({ ...base.paths }, ...parts.map((p) => p.paths))), ...declared.paths },
  components: {
    ...base.components,
    schemas: Object.assign({ ...base.components.schemas }, ...parts.map((p) => p.schemas), declared.schemas) as Record<string, object>,
  },
};

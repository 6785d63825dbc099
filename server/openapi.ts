import { problem, type Part } from './openapi/common.ts';
import { plansPart } from './openapi/plans.ts';
import { projectsPart } from './openapi/projects.ts';
import { documentOperations } from './openapi-operations.ts';
import { operations } from './operations.ts';

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
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      metrics: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics only' },
    },
    schemas: {
      Problem: {
        type: 'object', required: ['type', 'title', 'status'],
        properties: {
          type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
          instance: { type: 'string' }, requestId: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  },
};

// Each resource describes its own paths and schemas beside the shared ones above.
const parts: Part[] = [projectsPart, plansPart];

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

/** The operations anyone may call: they take no bearer token. */
const publicOperations = new Set([
  'post /api/v1/auth/login', 'post /api/v1/auth/refresh', 'post /api/v1/auth/logout',
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

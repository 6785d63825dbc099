import { documentOperations } from './openapi-operations.ts';
import { operations } from './operations.ts';

// The OpenAPI 3.1 document served at /api/openapi.json: what is said once for the whole API (its title, tags, security
// schemes and the problem shape), and every operation from its one declaration (server/operation.ts), documented by
// server/openapi-operations.ts. test/routes/docs.test.ts checks it describes every route and validates it.

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
    { name: 'cases', description: 'Service cases owned by whoever the customer reached first: handover, targets by tier and severity, resolution, CSAT' },
    { name: 'notifications', description: 'Your feed of reminders and alerts, where they reach you (feed, e-mail, digest), and the e-mail outbox' },
    { name: 'webhooks', description: 'Deliveries of notifications to other systems (admins)' },
    { name: 'knowledge', description: 'Problems and their solutions, shared by everyone: search in any script, versions, entries from resolved cases' },
    { name: 'gifts', description: 'Goodwill gifts and compensation: an append-only ledger, personal monthly allowances, approvals beyond them' },
    { name: 'reports', description: 'Tier distribution, movements, plan attainment and gift spend for leadership' },
    { name: 'operations', description: 'Health, readiness, this document and its pages' },
  ],
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

const declared = documentOperations(operations);

export const openapiDocument = {
  ...base,
  paths: declared.paths,
  components: { ...base.components, schemas: { ...base.components.schemas, ...declared.schemas } as Record<string, object> },
};

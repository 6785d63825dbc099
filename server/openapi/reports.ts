import { tiers } from '../../models/customer.ts';
import { planCsvColumns } from '../../models/plan-report.ts';
import { resourceKinds } from '../../models/plan.ts';
import { movementCsvColumns, reportTiers, tierCsvColumns } from '../../models/tier-report.ts';
import { errors, json, ref, secured, type Part } from './common.ts';

const str = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });
const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const share = { type: 'number', minimum: 0, maximum: 1, description: '0..1, rounded to 4 decimals' };
const reportTier = { enum: [...reportTiers], description: '`none`: not classified yet' };

const filterParams = [
  { name: 'region', in: 'query', description: "the customer's company.region", schema: str(100) },
  { name: 'industry', in: 'query', description: "the customer's company.industry", schema: str(100) },
  { name: 'team', in: 'query', description: "the team of the customer's owner", schema: str(100) },
];
const filtersNote = 'Archived customers are left out. Executives and admins only. `asOf` is the moment the numbers are true at: '
  + 'the tier distribution, and the plans of this and next year and quarter, are what the worker last added up (every minute); '
  + 'the movements, and the plans of other periods, hold every write committed before the request. '
  + 'Answers CSV (UTF-8 with BOM, a header row) when the Accept header prefers text/csv; a text cell starting with '
  + '= + - @, tab or CR is prefixed with an apostrophe so spreadsheets do not run it.';
const csv = (description: string) => ({ 'text/csv': { schema: { type: 'string', description } } });
const refusals = { 400: errors[400], 401: errors[401], 403: errors[403] };

const byCurrency = (description: string, value: object) => ({
  type: 'object', description, propertyNames: { pattern: '^[A-Z]{3}$' }, additionalProperties: value,
});
const revenue = byCurrency('minor units per ISO 4217 currency; amounts in different currencies are never added', { type: 'integer' });
const revenueShare = byCurrency("per currency, the share of that currency's total revenue", share);
const count = { type: 'integer', minimum: 0 };
const coverage = { ...share, description: 'withApprovedPlan / customers, 0 without customers; 0..1, rounded to 4 decimals' };
const meanAttainment = {
  type: ['number', 'null'], minimum: 0, maximum: 1,
  description: "mean of the approved and closed plans' attainments (each the mean of its objectives' actual / target capped at 1; "
    + 'revenue objectives measured from the won projects of the period until the plan is closed), plans without one left out; '
    + 'null when none has one; rounded to 4 decimals',
};
const planResources = {
  type: 'array', items: ref('PlanReportResource'),
  description: `the resources of the approved and closed plans summed per kind and unit, in the order ${resourceKinds.join(', ')}, then by unit`,
};
const asOf = { type: 'string', format: 'date-time', description: 'the numbers hold every customer write committed before this moment' };
const tierCounts = { type: 'object', required: [...tiers], properties: Object.fromEntries(tiers.map((t) => [t, { type: 'integer', minimum: 0 }])) };

export const reportsPart: Part = {
  paths: {
    '/api/v1/reports/tiers': {
      get: {
        tags: ['reports'], summary: 'Customers and revenue per tier (S, A, B, C and none), revenue per currency', security: secured,
        description: filtersNote,
        parameters: filterParams,
        responses: {
          200: {
            description: `The distribution. As CSV: columns ${tierCsvColumns.join(',')}, one row per tier and currency (count and share `
              + 'of the customers of that tier in that currency) and a `total` row per currency.',
            content: { ...json(ref('TierReport')), ...csv('CSV with a header row') },
          },
          ...refusals,
        },
      },
    },
    '/api/v1/reports/tier-movements': {
      get: {
        tags: ['reports'], summary: 'Tier changes applied in a period [from, to): a from/to matrix, counts and the changes', security: secured,
        description: filtersNote,
        parameters: [
          { name: 'from', in: 'query', description: 'ISO 8601, inclusive; defaults to 30 days before `to`', schema: { type: 'string', format: 'date-time' } },
          { name: 'to', in: 'query', description: 'ISO 8601, exclusive; defaults to now; after `from` and at most 3 years later', schema: { type: 'string', format: 'date-time' } },
          ...filterParams,
        ],
        responses: {
          200: {
            description: `The movements. As CSV: every change of the period, newest first, columns ${movementCsvColumns.join(',')}.`,
            content: { ...json(ref('TierMovementReport')), ...csv('CSV with a header row') },
          },
          ...refusals,
        },
      },
    },
    '/api/v1/reports/plans': {
      get: {
        tags: ['reports'], summary: 'Account plans of a period per tier: coverage by approved plans, resources, attainment; key accounts without one',
        security: secured,
        description: `${filtersNote} A plan counts as approved when its status is approved or closed; drafts and submitted plans do not.`,
        parameters: [
          {
            name: 'period', in: 'query', required: true, description: 'a year or a quarter; a year counts only yearly plans',
            schema: { type: 'string', pattern: '^[0-9]{4}(-Q[1-4])?$', examples: ['2027', '2027-Q1'] },
          },
          ...filterParams,
        ],
        responses: {
          200: {
            description: `The report. As CSV: columns ${planCsvColumns.join(',')} and then one column per resource kind and unit present `
              + '(e.g. `people FTE`, `budget EUR`; 0 where a tier has none), one row per tier (S, A, B, C, none) and a `total` row; '
              + 'the key accounts without an approved plan are in the JSON answer only.',
            content: { ...json(ref('PlanReport')), ...csv('CSV with a header row') },
          },
          ...refusals,
        },
      },
    },
  },
  schemas: {
    PlanReportResource: {
      type: 'object', required: ['kind', 'unit', 'amount'],
      properties: {
        kind: { enum: [...resourceKinds] }, unit: { type: 'string', description: 'FTE, days, a currency code (minor units)...; may be empty' },
        amount: { type: 'number', minimum: 0 },
      },
    },
    PlanReportTier: {
      type: 'object', required: ['tier', 'keyAccount', 'customers', 'withApprovedPlan', 'coverage', 'resources', 'meanAttainment'],
      properties: {
        tier: reportTier, keyAccount: { type: 'boolean', description: 'S and A' }, customers: count,
        withApprovedPlan: { ...count, description: 'customers whose plan for the period is approved or closed' },
        coverage, resources: planResources, meanAttainment,
      },
    },
    PlanReport: {
      type: 'object', required: ['asOf', 'period', 'filters', 'tiers', 'totals', 'keyAccountsWithoutApprovedPlan'],
      properties: {
        asOf,
        period: { type: 'string' },
        filters: ref('ReportFilters'),
        tiers: { type: 'array', items: ref('PlanReportTier'), description: 'S, A, B, C, none, in this order' },
        totals: {
          type: 'object', required: ['customers', 'withApprovedPlan', 'coverage', 'resources', 'meanAttainment'],
          description: 'over all customers of the report; the mean is over all measured plans, not of the tiers\' means',
          properties: { customers: count, withApprovedPlan: count, coverage, resources: planResources, meanAttainment },
        },
        keyAccountsWithoutApprovedPlan: {
          type: 'array', description: 'S and A customers whose plan for the period is missing or not approved yet, by tier then code',
          items: {
            type: 'object', required: ['customerId', 'code', 'name', 'tier', 'ownerId', 'planStatus'],
            properties: {
              customerId: objectIdSchema, code: { type: 'string' }, name: { type: 'string' }, tier: { enum: ['S', 'A'] }, ownerId: objectIdSchema,
              planStatus: { enum: ['draft', 'submitted', null], description: 'null: no plan for the period' },
            },
          },
        },
      },
    },
    ReportFilters: {
      type: 'object', description: 'the filters applied',
      properties: { region: { type: 'string' }, industry: { type: 'string' }, team: { type: 'string' } },
    },
    TierReportRow: {
      type: 'object', required: ['tier', 'count', 'share', 'revenue12m', 'revenueShare', 'keyAccount'],
      properties: {
        tier: reportTier, count: { type: 'integer', minimum: 0 }, share: { ...share, description: 'of all customers in the report' },
        revenue12m: revenue, revenueShare, keyAccount: { type: 'boolean', description: 'S and A' },
      },
    },
    TierReport: {
      type: 'object', required: ['asOf', 'filters', 'tiers', 'totals'],
      properties: {
        asOf,
        filters: ref('ReportFilters'),
        tiers: { type: 'array', items: ref('TierReportRow'), description: 'S, A, B, C, none, in this order' },
        totals: {
          type: 'object', required: ['count', 'revenue12m', 'keyAccounts'],
          properties: {
            count: { type: 'integer', minimum: 0 }, revenue12m: revenue,
            keyAccounts: {
              type: 'object', required: ['count', 'share', 'revenue12m', 'revenueShare'],
              properties: { count: { type: 'integer', minimum: 0 }, share, revenue12m: revenue, revenueShare },
            },
          },
        },
      },
    },
    TierMovement: {
      type: 'object',
      required: ['id', 'customerId', 'code', 'name', 'from', 'to', 'score', 'policyVersion', 'source', 'reason', 'by', 'at'],
      properties: {
        id: objectIdSchema, customerId: objectIdSchema, code: { type: 'string' }, name: { type: 'string' },
        from: reportTier, to: { enum: [...tiers] }, score: { type: ['number', 'null'] }, policyVersion: { type: ['integer', 'null'] },
        source: { enum: ['computed', 'override'] }, reason: { type: 'string' },
        by: {
          type: 'object', required: ['id', 'name'],
          properties: { id: { ...objectIdSchema, type: ['string', 'null'], description: 'null for the system' }, name: { type: 'string' } },
        },
        at: { type: 'string', format: 'date-time' },
      },
    },
    TierMovementReport: {
      type: 'object', required: ['asOf', 'from', 'to', 'filters', 'matrix', 'totals', 'items', 'itemsTotal'],
      properties: {
        asOf,
        from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' }, filters: ref('ReportFilters'),
        matrix: {
          type: 'array', description: 'one row per from-tier (S, A, B, C, none), every cell present, with the count of moves to each tier',
          items: { type: 'object', required: ['from', 'counts'], properties: { from: reportTier, counts: tierCounts } },
        },
        totals: {
          type: 'object', required: ['changes', 'up', 'down', 'intoKeyAccounts', 'outOfKeyAccounts'],
          description: 'up is towards S; a first classification (from none) is neither up nor down',
          properties: Object.fromEntries(['changes', 'up', 'down', 'intoKeyAccounts', 'outOfKeyAccounts'].map((k) => [k, { type: 'integer', minimum: 0 }])),
        },
        items: { type: 'array', maxItems: 1000, items: ref('TierMovement'), description: 'newest first, at most 1000' },
        itemsTotal: { type: 'integer', minimum: 0, description: 'all changes of the period, items included' },
      },
    },
  },
};

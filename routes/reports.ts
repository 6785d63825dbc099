import Joi from 'joi';
import { tierSources, tiers } from '../models/customer.ts';
import { periodPattern, resourceKinds } from '../models/plan.ts';
import { planCsv, planCsvColumns, readPlanReport } from '../models/plan-report.ts';
import {
  movementCsvColumns, movementCsvRow, movementSummary, movesIn, named, reportRows, reportTiers, tierCsvColumns, tierCsvRows, tierDistribution,
  type ReportFilters,
} from '../models/tier-report.ts';
import { planReportFrom, planSnapshotFor } from '../models/plan-snapshot.ts';
import { cellsWithin, currentTierSnapshot } from '../models/tier-snapshot.ts';
import { cellsOfRows, visibleIds } from '../models/report-scope.ts';
import { answer, moment, objectId } from '../schemas/common.ts';
import { csvContent as csv, sendCsv, wantsCsv } from '../server/csv.ts';
import { HttpError } from '../server/errors.ts';
import type { GetReportsPlansQuery, GetReportsTierMovementsQuery, GetReportsTiersQuery } from '../schemas/inputs.gen.ts';
import { currentUser } from '../server/auth.ts';
import { operation } from '../server/operation.ts';
import { filterKeys } from '../schemas/report-filters.ts';

type MovementsQuery = GetReportsTierMovementsQuery;
const tiersSchema = Joi.object<GetReportsTiersQuery>(filterKeys);
const movementsSchema = Joi.object<MovementsQuery>({
  ...filterKeys,
  from: Joi.date().iso().description('ISO 8601, inclusive; defaults to 30 days before `to`'),
  to: Joi.date().iso().description('ISO 8601, exclusive; defaults to now; after `from` and at most 3 years later'),
});
type PlansQuery = GetReportsPlansQuery;
const plansSchema = Joi.object<PlansQuery>({
  ...filterKeys,
  period: Joi.string().pattern(periodPattern).required().messages({ 'string.pattern.base': 'period must be a year (2027) or a quarter (2027-Q1)' })
    .example('2027').example('2027-Q1').description('a year or a quarter; a year counts only yearly plans'),
});

// --- answers ------------------------------------------------------------------------------------------------------

const reportFilters = Joi.object<ReportFilters>(filterKeys).id('ReportFilters').description('the filters applied');
const reportTier = () => Joi.string().valid(...reportTiers).description('`none`: not classified yet');
const count = () => Joi.number().integer().min(0);
const share = (description = '0..1, rounded to 4 decimals') => Joi.number().min(0).max(1).description(description);
const asOfMoment = moment().description('the numbers hold every customer write committed before this moment');
const byCurrency = (description: string, value: Joi.Schema) => Joi.object().pattern(/^[A-Z]{3}$/, value).description(description);
const revenue = () => byCurrency('minor units per ISO 4217 currency; amounts in different currencies are never added', Joi.number().integer());
const revenueShare = () => byCurrency("per currency, the share of that currency's total revenue", share());
const tierOrder = 'S, A, B, C, none, in this order';

const tierReportRow = answer({
  tier: reportTier(), count: count(), share: share('of all customers in the report'),
  revenue12m: revenue(), revenueShare: revenueShare(), keyAccount: Joi.boolean().description('S and A'),
}).id('TierReportRow');
const tierReport = answer({
  asOf: asOfMoment, filters: reportFilters,
  tiers: Joi.array().items(tierReportRow).description(tierOrder),
  totals: answer({
    count: count(), revenue12m: revenue(),
    keyAccounts: answer({ count: count(), share: share(), revenue12m: revenue(), revenueShare: revenueShare() }),
  }),
}).id('TierReport');

const MAX_ITEMS = 1000;
const tierMovement = answer({
  id: objectId(), customerId: objectId(), code: Joi.string().allow(''), name: Joi.string().allow(''),
  from: reportTier(), to: Joi.string().valid(...tiers), score: Joi.number().allow(null), policyVersion: Joi.number().integer().allow(null),
  source: Joi.string().valid(...tierSources), reason: Joi.string().allow(''),
  by: answer({ id: objectId().allow(null).description('null for the system'), name: Joi.string().allow('') }),
  at: moment(),
}).id('TierMovement');
const movementTotals = ['changes', 'up', 'down', 'intoKeyAccounts', 'outOfKeyAccounts'] as const;
const tierMovementReport = answer({
  asOf: asOfMoment, from: moment(), to: moment(), filters: reportFilters,
  matrix: Joi.array().items(answer({ from: reportTier(), counts: answer(Object.fromEntries(tiers.map((t) => [t, count()]))) }))
    .description('one row per from-tier (S, A, B, C, none), every cell present, with the count of moves to each tier'),
  totals: answer(Object.fromEntries(movementTotals.map((k) => [k, count()])))
    .description('up is towards S; a first classification (from none) is neither up nor down'),
  items: Joi.array().items(tierMovement).max(MAX_ITEMS).description(`newest first, at most ${MAX_ITEMS}`),
  itemsTotal: count().description('all changes of the period, items included'),
}).id('TierMovementReport');

const planReportResource = answer({
  kind: Joi.string().valid(...resourceKinds), unit: Joi.string().allow('').description('FTE, days, a currency code (minor units)...; may be empty'),
  amount: Joi.number().min(0),
}).id('PlanReportResource');
const planResources = () => Joi.array().items(planReportResource)
  .description(`the resources of the approved and closed plans summed per kind and unit, in the order ${resourceKinds.join(', ')}, then by unit`);
const coverage = () => share('withApprovedPlan / customers, 0 without customers; 0..1, rounded to 4 decimals');
const meanAttainment = () => Joi.number().min(0).max(1).allow(null)
  .description("mean of the approved and closed plans' attainments (each the mean of its objectives' actual / target capped at 1; "
    + 'revenue objectives measured from the won projects of the period until the plan is closed), plans without one left out; '
    + 'null when none has one; rounded to 4 decimals');
const planReportTier = answer({
  tier: reportTier(), keyAccount: Joi.boolean().description('S and A'), customers: count(),
  withApprovedPlan: count().description('customers whose plan for the period is approved or closed'),
  coverage: coverage(), resources: planResources(), meanAttainment: meanAttainment(),
}).id('PlanReportTier');
const planReport = answer({
  asOf: asOfMoment, period: Joi.string().pattern(periodPattern), filters: reportFilters,
  tiers: Joi.array().items(planReportTier).description(tierOrder),
  totals: answer({ customers: count(), withApprovedPlan: count(), coverage: coverage(), resources: planResources(), meanAttainment: meanAttainment() })
    .description("over all customers of the report; the mean is over all measured plans, not of the tiers' means"),
  keyAccountsWithoutApprovedPlan: Joi.array().items(answer({
    customerId: objectId(), code: Joi.string(), name: Joi.string(), tier: Joi.string().valid('S', 'A'), ownerId: objectId(),
    planStatus: Joi.string().valid('draft', 'submitted', null).description('null: no plan for the period'),
  })).description('S and A customers whose plan for the period is missing or not approved yet, by tier then code'),
}).id('PlanReport');

const filtersNote = 'Archived customers are left out. Executives and admins see every customer; a manager gets the same report for the customers they own or are on the account team of (read from the customers, every write before the request included). `asOf` is the moment the numbers are true at: '
  + 'the tier distribution, and the plans of this and next year and quarter, are what the worker last added up (every minute); '
  + 'the movements, and the plans of other periods, hold every write committed before the request. '
  + 'Answers CSV (UTF-8 with BOM, a header row) when the Accept header prefers text/csv; a text cell starting with '
  + '= + - @, tab or CR is prefixed with an apostrophe so spreadsheets do not run it.';

// --- handlers -----------------------------------------------------------------------------------------------------

const DEFAULT_DAYS = 30;
const MAX_YEARS = 3;

/** The filters as given, for the answer to say what it covers. */
const appliedFilters = (input: ReportFilters): ReportFilters => Object.fromEntries(
  (['region', 'industry', 'team'] as const).flatMap((key) => (input[key] === undefined ? [] : [[key, input[key]]])),
);

/** [from, to): by default the 30 days ending at `to`, which defaults to now. */
function periodOf(input: MovementsQuery, now: Date): { from: Date; to: Date } {
  const to = input.to ?? now;
  const from = input.from ?? new Date(to.getTime() - DEFAULT_DAYS * 86_400_000);
  const invalid = (field: string, message: string) =>
    new HttpError(400, 'Validation failed', 'The request has invalid fields.', { errors: [{ field, message }] });
  if (from >= to) throw invalid('from', 'from must be before to');
  const latest = new Date(from);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_YEARS);
  if (to > latest) throw invalid('to', `to must be at most ${MAX_YEARS} years after from`);
  return { from, to };
}

const leadership = ['executive', 'admin', 'manager'] as const;
const mine = <T>(ids: Set<string> | null, items: T[], id: (item: T) => string) => (ids ? items.filter((i) => ids.has(id(i))) : items);

/** The reports for leadership (and each manager for their own book), each as JSON or, when the Accept header prefers it, CSV. */
export const reportOperations = [
  operation({
    method: 'get', path: '/api/v1/reports/tiers', tag: 'reports', access: leadership,
    summary: 'Customers and revenue per tier (S, A, B, C and none), revenue per currency',
    description: filtersNote,
    query: tiersSchema,
    responses: {
      200: {
        description: `The distribution. As CSV: columns ${tierCsvColumns.join(',')}, one row per tier and currency (count and share `
          + 'of the customers of that tier in that currency) and a `total` row per currency.',
        body: tierReport, content: csv,
      },
    },
    handler: async (req, res, { query: filters }) => {
      // The whole book's distribution as the worker last added it up (every minute); asOf says when.
      const ids = await visibleIds(currentUser(req));
      // A manager's book is small and read from the rows, every write before now included.
      const { asOf, cells } = ids
        ? await reportRows(filters).then(({ asOf: at, rows }) => ({ asOf: at, cells: cellsOfRows(mine(ids, rows, (r) => String(r._id))) }))
        : await currentTierSnapshot().then(({ asOf: at, ...snapshot }) => ({ asOf: at, cells: cellsWithin({ asOf: at, ...snapshot }, filters) }));
      if (wantsCsv(req, res)) return sendCsv(res, 'tier-report', tierCsvColumns, tierCsvRows(cells));
      res.json({ asOf, filters: appliedFilters(filters), ...tierDistribution(cells) });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/reports/tier-movements', tag: 'reports', access: leadership,
    summary: 'Tier changes applied in a period [from, to): a from/to matrix, counts and the changes',
    description: filtersNote,
    query: movementsSchema,
    responses: {
      200: {
        description: `The movements. As CSV: every change of the period, newest first, columns ${movementCsvColumns.join(',')}.`,
        body: tierMovementReport, content: csv,
      },
    },
    handler: async (req, res, { query: input }) => {
      const { from, to } = periodOf(input, new Date());
      const ids = await visibleIds(currentUser(req));
      const { asOf, moves: all } = await movesIn(input, from, to);
      const moves = mine(ids, all, (m) => m.customerId);
      // The CSV is a download for spreadsheets: every change of the period, not only the first page of items.
      if (wantsCsv(req, res)) return sendCsv(res, 'tier-movements', movementCsvColumns, (await named(moves)).map(movementCsvRow));
      res.json({
        asOf, from, to, filters: appliedFilters(input), ...movementSummary(moves),
        items: await named(moves.slice(0, MAX_ITEMS)), itemsTotal: moves.length,
      });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/reports/plans', tag: 'reports', access: leadership,
    summary: 'Account plans of a period per tier: coverage by approved plans, resources, attainment; key accounts without one',
    description: `${filtersNote} A plan counts as approved when its status is approved or closed; drafts and submitted plans do not.`,
    query: plansSchema,
    responses: {
      200: {
        description: `The report. As CSV: columns ${planCsvColumns.join(',')} and then one column per resource kind and unit present `
          + '(e.g. `people FTE`, `budget EUR`; 0 where a tier has none), one row per tier (S, A, B, C, none) and a `total` row; '
          + 'the key accounts without an approved plan are in the JSON answer only.',
        body: planReport, content: csv,
      },
    },
    handler: async (req, res, { query: input }) => {
      // This and next year's and quarter's report as the worker last added it up (every minute); other periods from the plans.
      const ids = await visibleIds(currentUser(req));
      const snapshot = ids ? null : await planSnapshotFor(input.period);
      const { asOf, report } = snapshot
        ? { asOf: snapshot.asOf, report: planReportFrom(snapshot, input) }
        : await reportRows(input).then(async ({ asOf, rows }) => ({ asOf, report: await readPlanReport(mine(ids, rows, (r) => String(r._id)), input.period) }));
      if (wantsCsv(req, res)) {
        const { columns, rows } = planCsv(report);
        return sendCsv(res, `plan-report-${input.period}`, columns, rows);
      }
      res.json({ asOf, period: input.period, filters: appliedFilters(input), ...report });
    },
  }),
];

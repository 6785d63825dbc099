import Joi from 'joi';
import { atRiskCsvColumns, atRiskCsvRows, currentPlanPeriods, keyAccountsAtRisk, riskReasons } from '../models/at-risk-report.ts';
import { monthPeriodPattern, periodOf, scopedCustomers, type ScopeFilters } from '../models/report-scope.ts';
import { satisfactionCsvColumns, satisfactionCsvRows, satisfactionReport, scoredVisits } from '../models/satisfaction-report.ts';
import { reportTiers } from '../models/tier-report.ts';
import { dueVisits, visitCsvColumns, visitCsvRows, visitReport } from '../models/visit-report.ts';
import { answer, moment, objectId } from '../schemas/common.ts';
import type { GetReportsKeyAccountsAtRiskQuery, GetReportsSatisfactionQuery, GetReportsVisitsQuery } from '../schemas/inputs.gen.ts';
import { currentUser } from '../server/auth.ts';
import { csvContent as csv, sendCsv, wantsCsv } from '../server/csv.ts';
import { operation } from '../server/operation.ts';
import { filterKeys } from '../schemas/report-filters.ts';

// The service-level reports behind the leadership dashboard: satisfaction, revisit discipline, key accounts at risk.
// Unlike the tier reports, managers may read them too, for their own book (the customers they own or are on the team of).

const tierKey = { tier: Joi.string().valid(...reportTiers).description('S, A, B, C or none (not classified yet)') };
const periodKey = {
  period: Joi.string().pattern(monthPeriodPattern).messages({ 'string.pattern.base': 'period must be a year (2027), a quarter (2027-Q1) or a month (2027-03)' })
    .example('2027').example('2027-Q1').example('2027-03')
    .description('whole UTC months; compared with the period of the same length before it; defaults to the 12 months ending with the current month'),
};
const satisfactionQuery = Joi.object<GetReportsSatisfactionQuery>({ ...filterKeys, ...tierKey, ...periodKey });
const visitsQuery = Joi.object<GetReportsVisitsQuery>({ ...filterKeys, ...tierKey, ...periodKey });
const atRiskQuery = Joi.object<GetReportsKeyAccountsAtRiskQuery>({
  ...filterKeys, tier: Joi.string().valid('S', 'A').description('S or A'),
});

// --- answers ------------------------------------------------------------------------------------------------------

const count = () => Joi.number().integer().min(0);
const nullable = (schema: Joi.Schema, description: string) => schema.allow(null).description(description);
const mean = () => nullable(Joi.number().min(1).max(5), 'mean score 1-5, 2 decimals; null without visits');
const nps = () => nullable(Joi.number().min(-100).max(100), '(promoters - detractors) / visits * 100, 1 decimal; null without visits');
const change = () => nullable(Joi.number(), 'this period minus the previous one; null when either has no visits');
const filtersAnswer = answer({
  region: Joi.string().optional(), industry: Joi.string().optional(), team: Joi.string().optional(), tier: Joi.string().optional(),
}).id('ServiceReportFilters').description('the filters applied');
const periodAnswer = answer({ label: Joi.string(), from: moment(), to: moment().description('exclusive'), previous: answer({ from: moment(), to: moment() }) })
  .id('ReportPeriod');
const satNumbers = { visits: count(), meanSatisfaction: mean(), promoters: count().description('recommend 9-10'), passives: count().description('7-8'), detractors: count().description('0-6'), nps: nps() };
const satComparedKeys = {
  ...satNumbers, previous: answer({ visits: count(), meanSatisfaction: mean(), nps: nps() }),
  change: answer({ meanSatisfaction: change(), nps: change() }),
};
const satisfactionAnswer = answer({
  asOf: moment(), period: periodAnswer, filters: filtersAnswer,
  months: Joi.array().items(answer({ month: Joi.string().pattern(/^\d{4}-\d\d$/), tier: Joi.string().valid(...reportTiers), ...satNumbers }).id('SatisfactionMonth'))
    .description('every month of the period times every tier (S, A, B, C, none)'),
  tiers: Joi.array().items(answer({ tier: Joi.string().valid(...reportTiers), ...satComparedKeys }).id('SatisfactionTier'))
    .description('S, A, B, C, none in this order, over the whole period'),
  totals: answer(satComparedKeys),
  fallers: Joi.array().items(answer({
    customerId: objectId(), code: Joi.string(), name: Joi.string(), tier: Joi.string().valid(...reportTiers),
    before: Joi.number(), after: Joi.number(), change: Joi.number().description('after - before, negative'),
  }).id('SatisfactionFaller')).max(10).description("at most 10 customers whose mean score fell most from the previous period; largest fall first"),
}).id('SatisfactionReport');

const disciplineKeys = {
  due: count().description('cadence visits due in the period, cancelled ones left out'), onTime: count().description('completed by the due date'),
  late: count().description('completed after the due date'), missed: count(), overdue: count().description('still open past the due date'),
  upcoming: count().description('still open, not due yet'),
  onCadence: nullable(Joi.number().min(0).max(1), 'onTime / (due - upcoming), 4 decimals; null when none is due yet'),
};
const visitsAnswer = answer({
  asOf: moment(), period: periodAnswer, filters: filtersAnswer,
  tiers: Joi.array().items(answer({ tier: Joi.string().valid(...reportTiers), ...disciplineKeys })).description('S, A, B, C, none in this order'),
  teams: Joi.array().items(answer({ team: Joi.string().allow('').description("the visit owner's team; empty: no team"), ...disciplineKeys })),
  owners: Joi.array().items(answer({ ownerId: objectId(), name: Joi.string().allow(''), team: Joi.string().allow(''), ...disciplineKeys })),
  totals: answer(disciplineKeys),
}).id('VisitDisciplineReport');

const atRiskAnswer = answer({
  asOf: moment(), filters: filtersAnswer, planPeriods: Joi.array().items(Joi.string()).description('the current year and quarter: an approved or closed plan for either counts'),
  items: Joi.array().items(answer({
    customerId: objectId(), code: Joi.string(), name: Joi.string(), tier: Joi.string().valid('S', 'A'), ownerId: objectId(), ownerName: Joi.string().allow(''),
    satisfaction: answer({ lastScore: Joi.number().allow(null), average: Joi.number().allow(null), trend: Joi.string().valid('up', 'flat', 'down').allow(null) }),
    nextVisitDue: moment().allow(null), planStatus: Joi.string().valid('draft', 'submitted', 'approved', 'closed').allow(null),
    reasons: Joi.array().items(answer({ code: Joi.string().valid(...riskReasons), detail: Joi.string() })).min(1),
  }).id('KeyAccountAtRisk')).description('S first, then most reasons, then by code'),
}).id('KeyAccountsAtRiskReport');

const note = 'Archived customers are left out. Executives and admins see every customer; a manager gets the same report for the customers '
  + 'they own or are on the account team of. The numbers hold every write committed before `asOf`. Answers CSV (UTF-8 with BOM) when the '
  + 'Accept header prefers text/csv.';
const signedIn = ['executive', 'admin', 'manager'] as const;
const applied = (f: ScopeFilters) => Object.fromEntries((['region', 'industry', 'team', 'tier'] as const).flatMap((k) => (f[k] === undefined ? [] : [[k, f[k]]])));
const periodOut = (p: ReturnType<typeof periodOf>) => ({ label: p.label, from: p.from, to: p.to, previous: p.previous });

export const serviceLevelReportOperations = [
  operation({
    method: 'get', path: '/api/v1/reports/satisfaction', tag: 'reports', access: signedIn,
    summary: 'Satisfaction and NPS per tier and month, the change against the previous period, the customers whose score fell most',
    description: `${note} A visit counts in the tier its customer has now.`,
    query: satisfactionQuery,
    responses: { 200: { description: `The report. As CSV: columns ${satisfactionCsvColumns.join(',')}, one row per month and tier.`, body: satisfactionAnswer, content: csv } },
    handler: async (req, res, { query }) => {
      const asOf = new Date();
      const period = periodOf(query.period, asOf);
      const customers = await scopedCustomers(currentUser(req), query);
      const report = satisfactionReport(customers, await scoredVisits(customers, period), period);
      if (wantsCsv(req, res)) return sendCsv(res, 'satisfaction', satisfactionCsvColumns, satisfactionCsvRows(report));
      res.json({ asOf, period: periodOut(period), filters: applied(query), ...report });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/reports/visits', tag: 'reports', access: signedIn,
    summary: 'Revisit discipline per tier, team and owner: cadence visits due, on time, late, missed, overdue, the share on cadence',
    description: `${note} A visit counts in the tier its customer has now and for the owner it has now.`,
    query: visitsQuery,
    responses: { 200: { description: `The report. As CSV: columns ${visitCsvColumns.join(',')}; group is tier, team, owner or total.`, body: visitsAnswer, content: csv } },
    handler: async (req, res, { query }) => {
      const asOf = new Date();
      const period = periodOf(query.period, asOf);
      const customers = await scopedCustomers(currentUser(req), query);
      const { visits, owners } = await dueVisits(customers, period);
      const report = visitReport(customers, visits, owners, asOf);
      if (wantsCsv(req, res)) return sendCsv(res, 'visit-discipline', visitCsvColumns, visitCsvRows(report));
      res.json({ asOf, period: periodOut(period), filters: applied(query), ...report });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/reports/key-accounts-at-risk', tag: 'reports', access: signedIn,
    summary: 'S and A customers at risk, each with its reasons',
    description: `${note} Reasons: ${riskReasons.join(', ')}. Low satisfaction is a last score of 2 or less or a mean below 3; falling is the `
      + "summary's trend down; a missed visit counts until a visit is completed after it; a case counts while it is high or critical and "
      + 'neither resolved nor closed.',
    query: atRiskQuery,
    responses: { 200: { description: `The key accounts at risk. As CSV: columns ${atRiskCsvColumns.join(',')}.`, body: atRiskAnswer, content: csv } },
    handler: async (req, res, { query }) => {
      const asOf = new Date();
      const items = await keyAccountsAtRisk(await scopedCustomers(currentUser(req), query), asOf);
      if (wantsCsv(req, res)) return sendCsv(res, 'key-accounts-at-risk', atRiskCsvColumns, atRiskCsvRows(items));
      res.json({ asOf, filters: applied(query), planPeriods: currentPlanPeriods(asOf), items });
    },
  }),
];

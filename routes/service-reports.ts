import Joi from 'joi';
import { monthIn, reasonCategories } from '../models/gift.ts';
import { serviceCsvColumns, serviceCsvRows, serviceReport, type ServiceReportFilters } from '../models/service-report.ts';
import { reportTiers } from '../models/tier-report.ts';
import { answer, moment, objectId } from '../schemas/common.ts';
import { monthOrQuarter } from '../schemas/report-filters.ts';
import { csvContent, sendCsv, wantsCsv } from '../server/csv.ts';
import { operation } from '../server/operation.ts';

type Query = ServiceReportFilters & { period?: string };
const querySchema = Joi.object<Query>({
  period: monthOrQuarter.description("the cases opened in this month or quarter; default: this month on the organisation's clock (TZ)"),
  tier: Joi.string().valid(...reportTiers).description("the customer's tier when the case was opened; `none`: not classified"),
  region: Joi.string().trim().min(1).max(100).description("the customer's company.region"),
  team: Joi.string().trim().min(1).max(100).description("the team of the case's owner"),
});

const count = () => Joi.number().integer().min(0);
const rate = (of: string) => Joi.number().min(0).max(1).allow(null).description(`0..1 of ${of}; null when there are none`);
const figures = {
  opened: count().description('cases opened in the period'),
  open: count().description('of them, not resolved yet (open, in progress, reopened)'),
  resolved: count().description('of them, resolved at some time (closed ones included)'),
  closed: count(),
  firstContactResolutions: count().description('closed by the person who opened them, never handed over nor reopened'),
  firstContactResolutionRate: rate('the closed cases'),
  respondMetRate: rate('the cases whose response target is decided (answered, or missed)'),
  resolveMetRate: rate('the cases whose resolution target is decided (resolved, or missed)'),
  medianHoursToResolve: Joi.number().min(0).allow(null).description('from opening to resolution, of the resolved ones'),
  csat: Joi.number().min(1).max(5).allow(null).description("the customers' mean CSAT (1-5) at closing"),
  csatAnswers: count(),
};

const reportSchema = answer({
  period: Joi.string(), from: moment(), to: moment().description('exclusive'),
  filters: answer({ tier: Joi.string().optional(), region: Joi.string().optional(), team: Joi.string().optional() }),
  totals: answer(figures),
  byTier: Joi.array().items(answer({ tier: Joi.string().valid(...reportTiers), ...figures })).description('S, A, B, C, none'),
  byTeam: Joi.array().items(answer({ team: Joi.string().allow(''), ...figures })).description("by the owner's team, by name"),
  giftSpendByReason: Joi.array().items(answer({
    reasonCategory: Joi.string().valid(...reasonCategories), currency: Joi.string().pattern(/^[A-Z]{3}$/),
    spend: Joi.number().integer(), gifts: count(), reversals: count(),
  })).description('goodwill gifts of the period per reason and currency (minor units, never added across currencies); GET /reports/gifts has the rest'),
  knowledgeUsedMost: Joi.array().items(answer({ knowledgeId: objectId(), problem: Joi.string(), category: Joi.string(), cases: count() }))
    .description('the ten entries used in most cases in the period'),
}).id('ServiceReport');

/** The service report for leadership, as JSON or CSV. */
export const serviceReportOperations = [
  operation({
    method: 'get', path: '/api/v1/reports/service', tag: 'reports', access: ['executive', 'admin'],
    summary: 'Service cases of a month or quarter: first-contact resolution, targets met, time to resolve and CSAT by tier and team',
    description: 'The cases opened in the period, answered however far they have come; gift spend by reason and the knowledge used most '
      + 'in the period beside them. Answers CSV (one row for the totals, each tier and each team) when the Accept header prefers text/csv.',
    query: querySchema,
    responses: { 200: { description: `The report. As CSV: columns ${serviceCsvColumns.join(',')}.`, body: reportSchema, content: csvContent } },
    handler: async (req, res, { query, config }) => {
      const { period = monthIn(config.timezone, new Date()), ...filters } = query;
      const report = await serviceReport(config.timezone, period, filters);
      if (wantsCsv(req, res)) return sendCsv(res, `service-report-${period}`, serviceCsvColumns, serviceCsvRows(report));
      res.json({ period, filters, ...report });
    },
  }),
];

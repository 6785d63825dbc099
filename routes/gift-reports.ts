import Joi from 'joi';
import { customerStatuses } from '../models/customer.ts';
import { monthIn, reasonCategories } from '../models/gift.ts';
import { giftCsvColumns, giftCsvRows, giftReport, satisfactionBands, type GiftReportFilters } from '../models/gift-report.ts';
import { reportTiers } from '../models/tier-report.ts';
import { answer, objectId } from '../schemas/common.ts';
import { monthOrQuarter } from '../schemas/report-filters.ts';
import { csvContent, sendCsv, wantsCsv } from '../server/csv.ts';
import { operation } from '../server/operation.ts';

type Query = GiftReportFilters & { period?: string };
const querySchema = Joi.object<Query>({
  period: monthOrQuarter.description("a month or a quarter; default: this month on the organisation's clock (TZ)"),
  team: Joi.string().trim().min(1).max(100).description("the giver's team when the gift was given"),
  tier: Joi.string().valid(...reportTiers).description("the customer's tier when the gift was given; `none`: not classified"),
  region: Joi.string().trim().min(1).max(100).description("the customer's company.region when the gift was given"),
});

const count = () => Joi.number().integer().min(0);
const sums = {
  currency: Joi.string().pattern(/^[A-Z]{3}$/),
  spend: Joi.number().integer().description('minor units: applied and approved gifts less their reversals'),
  gifts: count().description('gifts counted (applied or approved)'), reversals: count().description('reversals netted'),
};
const withCustomers = { ...sums, customers: count().description('customers the spend went to') };
const group = (keys: Record<string, Joi.Schema>, totals = sums) => Joi.array().items(answer({ ...keys, ...totals }));

const reportSchema = answer({
  period: Joi.string(), months: Joi.array().items(Joi.string()),
  filters: answer({ team: Joi.string().optional(), tier: Joi.string().optional(), region: Joi.string().optional() }).description('the filters applied'),
  totals: group({}, withCustomers).description('per currency'),
  pending: Joi.array().items(answer({ currency: Joi.string(), amount: Joi.number().integer(), gifts: count() }))
    .description('gifts of the period waiting for approval, per currency: not spend'),
  byReason: group({ reasonCategory: Joi.string().valid(...reasonCategories) }),
  byTier: group({ tier: Joi.string().valid(...reportTiers) }).description('S, A, B, C, none'),
  byGiver: group({ giverId: objectId(), name: Joi.string(), team: Joi.string().allow('') }).description('by name'),
  byTeam: group({ team: Joi.string().allow('') }),
  byMonth: group({ month: Joi.string() }),
  bySatisfaction: group({ band: Joi.string().valid(...satisfactionBands) }, withCustomers)
    .description("by the customer's satisfaction now (the mean score of its last visits): high from 4, medium from 3, low below, none without visits"),
  byRetention: group({ status: Joi.string().valid(...customerStatuses).allow(null), retained: Joi.boolean().description('status active') }, withCustomers)
    .description("by the customer's status now: active (retained) against dormant and lost"),
  byCustomer: group({
    customerId: objectId(), code: Joi.string().allow(''), name: Joi.string().allow(''), status: Joi.string().valid(...customerStatuses).allow(null),
    satisfaction: answer({ average: Joi.number().allow(null), npsCategory: Joi.string().allow(null), trend: Joi.string().allow(null) }),
  }).description('each customer the spend went to, with its satisfaction and status now, by code'),
}).id('GiftReport');

/** The gift spend report for leadership, as JSON or CSV. */
export const giftReportOperations = [
  operation({
    method: 'get', path: '/api/v1/reports/gifts', tag: 'reports', access: ['executive', 'admin'],
    summary: 'Goodwill gift spend of a month or quarter by reason, tier, giver, team and month, and against satisfaction and retention',
    description: 'Every amount is per currency (minor units), never added across currencies. Spend is the applied and approved '
      + "gifts with their reversals netted (a reversal counts in its gift's month). Tier and region are the customer's when the gift "
      + "was given, team the giver's; satisfaction and status are the customer's now. Answers CSV (UTF-8 with BOM, a header row) "
      + 'when the Accept header prefers text/csv.',
    query: querySchema,
    responses: {
      200: { description: `The report. As CSV: columns ${giftCsvColumns.join(',')}, one row per dimension, group and currency.`, body: reportSchema, content: csvContent },
    },
    handler: async (req, res, { query, config }) => {
      const { period = monthIn(config.timezone, new Date()), ...filters } = query;
      const report = await giftReport(period, filters);
      if (wantsCsv(req, res)) return sendCsv(res, `gift-report-${period}`, giftCsvColumns, giftCsvRows(report));
      res.json({ period, filters, ...report });
    },
  }),
];

import { stringify } from 'csv-stringify/sync';
import { Router, type Request, type Response } from 'express';
import Joi from 'joi';
import { guardFormula } from '../models/customer-csv.ts';
import { periodPattern } from '../models/plan.ts';
import { planCsv, readPlanReport } from '../models/plan-report.ts';
import {
  movementCsvColumns, movementCsvRow, movementSummary, movesIn, named, reportRows, tierCsvColumns, tierCsvRows, tierDistribution,
  type ReportFilters,
} from '../models/tier-report.ts';
import { planReportFrom, planSnapshotFor } from '../models/plan-snapshot.ts';
import { cellsWithin, currentTierSnapshot } from '../models/tier-snapshot.ts';
import { authenticate, authorize } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { parse } from '../server/validate.ts';

const filterKeys = {
  region: Joi.string().trim().min(1).max(100),
  industry: Joi.string().trim().min(1).max(100),
  team: Joi.string().trim().min(1).max(100),
};
type MovementsQuery = ReportFilters & { from?: Date; to?: Date };
const tiersSchema = Joi.object<ReportFilters>(filterKeys);
const movementsSchema = Joi.object<MovementsQuery>({ ...filterKeys, from: Joi.date().iso(), to: Joi.date().iso() });
type PlansQuery = ReportFilters & { period: string };
const plansSchema = Joi.object<PlansQuery>({
  ...filterKeys,
  period: Joi.string().pattern(periodPattern).required().messages({ 'string.pattern.base': 'period must be a year (2027) or a quarter (2027-Q1)' }),
});

const DEFAULT_DAYS = 30;
const MAX_YEARS = 3;
const MAX_ITEMS = 1000;

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

function wantsCsv(req: Request, res: Response): boolean {
  res.vary('Accept');
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

const csvCell = (value: string | number | null) => (typeof value === 'string' ? guardFormula(value) : value ?? '');

function sendCsv(res: Response, name: string, columns: readonly string[], rows: Array<Array<string | number | null>>) {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}-${new Date().toISOString().slice(0, 10)}.csv"`);
  res.setHeader('Cache-Control', 'no-store');
  // The BOM makes Excel read the file as UTF-8.
  res.send(stringify(rows.map((row) => row.map(csvCell)), { bom: true, header: true, columns: [...columns] }));
}

// Mounted at its own path, so authenticating every request here sends nothing else through it.
export function reportsRouter(config: Config): Router {
  const router = Router();
  router.use(authenticate(config));
  const leadership = authorize('executive', 'admin');

  router.get('/tiers', leadership, async (req, res) => {
    const filters = parse(tiersSchema, req.query);
    // The whole book's distribution as the worker last added it up (every minute); asOf says when.
    const { asOf, ...snapshot } = await currentTierSnapshot();
    const cells = cellsWithin({ asOf, ...snapshot }, filters);
    if (wantsCsv(req, res)) return sendCsv(res, 'tier-report', tierCsvColumns, tierCsvRows(cells));
    res.json({ asOf, filters: appliedFilters(filters), ...tierDistribution(cells) });
  });

  router.get('/tier-movements', leadership, async (req, res) => {
    const input = parse(movementsSchema, req.query);
    const { from, to } = periodOf(input, new Date());
    const { asOf, moves } = await movesIn(input, from, to);
    // The CSV is a download for spreadsheets: every change of the period, not only the first page of items.
    if (wantsCsv(req, res)) return sendCsv(res, 'tier-movements', movementCsvColumns, (await named(moves)).map(movementCsvRow));
    res.json({
      asOf, from, to, filters: appliedFilters(input), ...movementSummary(moves),
      items: await named(moves.slice(0, MAX_ITEMS)), itemsTotal: moves.length,
    });
  });

  router.get('/plans', leadership, async (req, res) => {
    const input = parse(plansSchema, req.query);
    // This and next year's and quarter's report as the worker last added it up (every minute); other periods from the plans.
    const snapshot = await planSnapshotFor(input.period);
    const { asOf, report } = snapshot
      ? { asOf: snapshot.asOf, report: planReportFrom(snapshot, input) }
      : await reportRows(input).then(async ({ asOf, rows }) => ({ asOf, report: await readPlanReport(rows, input.period) }));
    if (wantsCsv(req, res)) {
      const { columns, rows } = planCsv(report);
      return sendCsv(res, `plan-report-${input.period}`, columns, rows);
    }
    res.json({ asOf, period: input.period, filters: appliedFilters(input), ...report });
  });

  return router;
}

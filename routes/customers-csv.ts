import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import express, { type Request, type Response } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { enqueue } from '../jobs/queue.ts';
import { name as importJob } from '../jobs/customers-import.ts';
import { csvColumns, customersByName, exportRecords } from '../models/customer-csv.ts';
import { CustomerImportFileModel, CustomerImportModel, INLINE_IMPORT_ROWS, MAX_IMPORT_ROWS, importJson } from '../models/customer-import-job.ts';
import { customerFilter, type CustomerFilters } from '../models/customer-query.ts';
import { answer, objectId } from '../schemas/common.ts';
import { customerFilterKeys } from '../schemas/customer-input.ts';
import { customerImportSchema } from '../schemas/customer-import.ts';
import { currentUser } from '../server/auth.ts';
import { HttpError } from '../server/errors.ts';
import { operation } from '../server/operation.ts';
import { importCustomers } from '../usecases/customer-import.ts';
import type { PostCustomersImportQuery } from '../schemas/inputs.gen.ts';

const columns = csvColumns.join(',');

const exportSchema = Joi.object<CustomerFilters>(customerFilterKeys);
const importSchema = Joi.object<PostCustomersImportQuery>({ dryRun: Joi.boolean().default(false).description('check only, write nothing') });
const preferHeader = Joi.object({ Prefer: Joi.string().description('`respond-async`: import by the worker whatever the size') });

const importResultSchema = answer({
  dryRun: Joi.boolean(),
  created: Joi.number().integer().min(0), updated: Joi.number().integer().min(0), unchanged: Joi.number().integer().min(0),
  rows: Joi.array().items(answer({
    line: Joi.number().integer().description('the line of the file (the header is line 1)'),
    code: Joi.string(),
    action: Joi.string().valid('created', 'updated', 'unchanged'),
    id: objectId().optional().description('absent for a new customer in a dry run'),
  })),
}).id('CustomerImportResult');

const readCsvBody = express.text({ type: 'text/csv', limit: '5mb' });

/** The CSV text of the request (415 for another type, 413 above 5 MB). */
async function csvText(req: Request, res: Response): Promise<string> {
  if (!req.is('text/csv')) throw new HttpError(415, 'Unsupported media type', 'Send the file as Content-Type: text/csv.');
  await new Promise<void>((resolve, reject) => {
    void readCsvBody(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  });
  return typeof req.body === 'string' ? req.body : '';
}

/** The customer file as CSV, out and in; declared before /customers/:id, which would take their paths. */
export const customerCsvOperations = [
  operation({
    method: 'get', path: '/api/v1/customers/export', tag: 'customers', access: 'signed-in',
    summary: 'Download the customers you may see as CSV (UTF-8 with BOM, sorted by name)',
    description: 'Takes the filters of the customer list, without its paging and order.',
    query: exportSchema,
    responses: {
      200: {
        description: `One row per customer. Columns: ${columns}. Lists are joined with \`;\`, people are e-mail addresses, the parent `
          + 'is its code; a text cell starting with = + - @, tab or CR is prefixed with an apostrophe so spreadsheets do not run it.',
        headers: { 'Content-Disposition': { description: 'attachment; filename="customers-YYYY-MM-DD.csv"', schema: { type: 'string' } } },
        content: { 'text/csv': { description: 'CSV with a header row' } },
      },
    },
    handler: async (req, res, { query: filters }) => {
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="customers-${new Date().toISOString().slice(0, 10)}.csv"`);
      res.setHeader('Cache-Control', 'no-store');
      // The BOM makes Excel read the file as UTF-8 (names such as 华为技术 stay intact).
      const csv = stringify({ bom: true, header: true, columns: [...csvColumns] });
      try {
        // Page by page, so the export holds one page in memory however many customers there are.
        await pipeline(Readable.from(exportRecords(customersByName(customerFilter(currentUser(req), filters)))), csv, res);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') return; // the client went away
        throw err;
      }
    },
  }),

  operation({
    method: 'post', path: '/api/v1/customers/import', tag: 'customers', access: ['admin', 'manager'],
    summary: 'Create or update customers by code from CSV (managers and admins)',
    description: 'Takes the export\'s columns (`code` and `name` required; `revenue12m` and `archived` are ignored). '
      + 'A column left out keeps the stored value; an empty cell clears it, except status, currency and ownerEmail which keep it. '
      + 'Every row is checked before anything is written: if one is bad, nothing is written. '
      + `A file of at most ${INLINE_IMPORT_ROWS} rows is imported while the request waits (200); a larger one, or any sent with `
      + '`Prefer: respond-async`, is imported by the worker: the answer is 202 with the import record, whose `Location` '
      + `reports progress and the outcome. At most ${MAX_IMPORT_ROWS} rows (lines) per file.`,
    query: importSchema, headers: preferHeader,
    rawBody: { 'text/csv': { description: `CSV with a header row naming some of: ${columns}` } },
    responses: {
      200: { description: 'Imported (or, with dryRun, what would be)', body: importResultSchema },
      202: {
        description: 'Queued for the worker; follow the Location', body: customerImportSchema,
        headers: { Location: { description: '/api/v1/imports/{id}', schema: { type: 'string' } } },
      },
      400: 'Bad rows: `errors` lists each with its `line` (the header is line 1; none when the query string itself is wrong) '
        + 'and its `field` (the column, empty for the row as a whole); nothing was written',
      409: 'Some customers changed while the import ran; those are named and were not written, the other rows were',
      413: `The file is larger than 5 MB, or has more than ${MAX_IMPORT_ROWS} rows`,
      415: 'The body is not text/csv',
    },
    handler: async (req, res, { query: { dryRun }, config }) => {
      const text = await csvText(req, res);
      const lines = dataLines(text);
      if (lines > MAX_IMPORT_ROWS) {
        throw new HttpError(413, 'Payload too large', `An import takes at most ${MAX_IMPORT_ROWS.toLocaleString('en')} rows; this file has ${lines.toLocaleString('en')}. Split it.`);
      }
      // A large file (or any, on `Prefer: respond-async`) goes to the worker: the answer says where to follow it.
      if (lines > INLINE_IMPORT_ROWS || /\brespond-async\b/.test(req.get('prefer') ?? '')) {
        // The file first: a record without its file is never queued.
        const id = new Types.ObjectId();
        await CustomerImportFileModel.create({ _id: id, text });
        const job = await CustomerImportModel.create({ _id: id, userId: currentUser(req).id, dryRun, rows: lines, createdAt: new Date() });
        await enqueue(config, importJob, {});
        res.status(202).location(`/api/v1/imports/${job.id}`).json(importJson(job.toObject()));
        return;
      }
      const { issues, rows, summary, notWritten } = await importCustomers(currentUser(req), text, { dryRun });
      if (issues.length) {
        throw new HttpError(400, 'Validation failed', `The file has ${issues.length} problem(s); nothing was written.`, { errors: issues });
      }
      if (notWritten.length) {
        throw new HttpError(409, 'Conflict', `These customers changed while the import ran and were not written: ${notWritten.join(', ')}. `
          + `The other rows were written (${summary.created} new, ${summary.updated} updated, less those named). Export again, check and re-import.`);
      }
      res.json({
        dryRun, ...summary,
        rows: rows.map((r) => ({ line: r.line, code: r.code, action: r.action, ...(dryRun && r.action === 'created' ? {} : { id: r.id }) })),
      });
    },
  }),
];

/** Data lines of a CSV text (not counting the header or empty lines): the row count, or more where a quoted cell spans lines. */
function dataLines(text: string): number {
  let lines = 0;
  let start = 0;
  for (let end = text.indexOf('\n'); ; end = text.indexOf('\n', start)) {
    const line = text.slice(start, end === -1 ? undefined : end);
    if (line.trim()) lines += 1;
    if (end === -1) break;
    start = end + 1;
  }
  return Math.max(0, lines - 1);
}

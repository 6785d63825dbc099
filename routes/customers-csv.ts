import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import express, { Router, type RequestHandler } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { enqueue } from '../jobs/queue.ts';
import { name as importJob } from '../jobs/customers-import.ts';
import { csvColumns, customersByName, exportRecords } from '../models/customer-csv.ts';
import { CustomerImportFileModel, CustomerImportModel, INLINE_IMPORT_ROWS, MAX_IMPORT_ROWS, importJson } from '../models/customer-import-job.ts';
import { customerFilter } from '../models/customer-query.ts';
import { customerFilterKeys } from '../schemas/customer-input.ts';
import { authenticate, authorize, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { parse } from '../server/validate.ts';
import { importCustomers } from '../usecases/customer-import.ts';

const exportSchema = Joi.object(customerFilterKeys);
const importSchema = Joi.object({ dryRun: Joi.boolean().default(false) });

const requireCsv: RequestHandler = (req, _res, next) => {
  if (!req.is('text/csv')) throw new HttpError(415, 'Unsupported media type', 'Send the file as Content-Type: text/csv.');
  next();
};

// Shares its mount point with other routers, so authentication is attached per route, not with router.use:
// a request for a path no router has must still reach the 404 handler.
export function customersCsvRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);

  router.get('/export', auth, async (req, res) => {
    const filters = parse(exportSchema, req.query);
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
  });

  router.post('/import', auth, authorize('admin', 'manager'), requireCsv, express.text({ type: 'text/csv', limit: '5mb' }), async (req, res) => {
    const { dryRun } = parse(importSchema, req.query);
    const text = typeof req.body === 'string' ? req.body : '';
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
  });

  return router;
}

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

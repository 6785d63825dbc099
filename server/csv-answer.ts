import { stringify } from 'csv-stringify/sync';
import type { Request, Response } from 'express';
import { guardFormula } from '../models/customer-csv.ts';

// The reports answer CSV instead of JSON when the Accept header prefers it.

export function wantsCsv(req: Request, res: Response): boolean {
  res.vary('Accept');
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

const csvCell = (value: string | number | null) => (typeof value === 'string' ? guardFormula(value) : value ?? '');

export function sendCsv(res: Response, name: string, columns: readonly string[], rows: Array<Array<string | number | null>>) {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}-${new Date().toISOString().slice(0, 10)}.csv"`);
  res.setHeader('Cache-Control', 'no-store');
  // The BOM makes Excel read the file as UTF-8.
  res.send(stringify(rows.map((row) => row.map(csvCell)), { bom: true, header: true, columns: [...columns] }));
}

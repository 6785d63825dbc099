import { stringify } from 'csv-stringify/sync';
import type { Request, Response } from 'express';
import { guardFormula } from '../models/customer-csv.ts';

// The reports' CSV answers: chosen by the Accept header, written for spreadsheets.

/** True when the Accept header prefers CSV to JSON; the answer then varies by Accept either way. */
export function wantsCsv(req: Request, res: Response): boolean {
  res.vary('Accept');
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

const csvCell = (value: string | number | null) => (typeof value === 'string' ? guardFormula(value) : value ?? '');

/** A CSV download named `<name>-<today>.csv`: UTF-8 with a BOM and a header row, formula-like text cells defused. */
export function sendCsv(res: Response, name: string, columns: readonly string[], rows: Array<Array<string | number | null>>) {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${name}-${new Date().toISOString().slice(0, 10)}.csv"`);
  res.setHeader('Cache-Control', 'no-store');
  // The BOM makes Excel read the file as UTF-8.
  res.send(stringify(rows.map((row) => row.map(csvCell)), { bom: true, header: true, columns: [...columns] }));
}

/** The answer's content for an operation's declaration. */
export const csvContent = { 'text/csv': { description: 'CSV with a header row' } };

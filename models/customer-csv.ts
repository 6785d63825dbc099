import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError, parse as parseCsvStream } from 'csv-parse';
import type { Types } from 'mongoose';
import { CustomerModel, type Customer } from './customer.ts';
import { afterPosition, positionOf, sortOf } from './customer-query.ts';
import { UserModel } from './user.ts';

// The customer file as CSV, for spreadsheets: nested fields as dotted columns, people as e-mail addresses,
// the parent as its code, lists joined with `;`. Export and import share these columns.

export const csvColumns = [
  'code', 'name', 'status', 'ownerEmail', 'accountTeamEmails', 'parentCode', 'tags', 'currency',
  'company.legalName', 'company.industry', 'company.region', 'company.country', 'company.employees', 'company.annualRevenue',
  'company.ownership', 'company.website', 'company.address', 'company.goals', 'company.painPoints', 'company.competitors',
  'company.decisionProcess', 'company.purchasingPreferences', 'company.paymentNotes',
  'tierInputs.potential', 'tierInputs.strategicValue', 'revenue12m', 'archived',
] as const;
export type CsvColumn = (typeof csvColumns)[number];

const LIST_SEPARATOR = ';';
const listColumns: ReadonlySet<string> = new Set(['accountTeamEmails', 'tags', 'company.competitors']);
// revenue12m is derived from won projects and archived has its own routes, so an import never sets them.
const ignoredOnImport: ReadonlySet<string> = new Set(['revenue12m', 'archived']);
// Fields every customer has: an empty cell keeps the stored value, or the default for a new customer.
const keptWhenEmpty: ReadonlySet<string> = new Set(['status', 'currency', 'ownerEmail']);
// Fields with no empty value of their own (numbers, enums): an empty cell removes the value.
const removedWhenEmpty: ReadonlySet<string> = new Set([
  'company.employees', 'company.annualRevenue', 'company.ownership', 'tierInputs.potential', 'tierInputs.strategicValue',
]);

// A spreadsheet runs a cell starting with one of these as a formula; the apostrophe makes it plain text.
const formulaStart = /^[=+\-@\t\r]/;
export const guardFormula = (cell: string) => (formulaStart.test(cell) ? `'${cell}` : cell);
const unguardFormula = (cell: string) => (cell.startsWith("'") && formulaStart.test(cell.slice(1)) ? cell.slice(1) : cell);

export type StoredCustomer = Customer & { _id: Types.ObjectId; __v?: number };

function valueAt(doc: object, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), doc);
}

function toCell(value: unknown): string | number {
  if (typeof value === 'number') return value;
  if (value === undefined || value === null) return '';
  return guardFormula(Array.isArray(value) ? value.join(LIST_SEPARATOR) : String(value));
}

function exportRow(c: StoredCustomer, emailOf: (id: unknown) => string, codeOf: Map<string, string>): Array<string | number> {
  return csvColumns.map((column) => {
    switch (column) {
      case 'ownerEmail': return toCell(emailOf(c.ownerId));
      case 'accountTeamEmails': return toCell(c.accountTeam.map(emailOf));
      case 'parentCode': return toCell(c.parentId ? codeOf.get(String(c.parentId)) : '');
      case 'archived': return String(c.archived);
      default: return toCell(valueAt(c, column));
    }
  });
}

// Rows are read and go out a page at a time: small enough that the answer starts within a second, large enough that
// the engine, which sorts what is left of the range on every page, does so a few times only.
const EXPORT_BATCH = 1000;

/** The customer fields the export's columns read: the rest (tier breakdowns, history) never crosses the wire. */
export const exportFields = {
  code: 1, name: 1, status: 1, ownerId: 1, accountTeam: 1, parentId: 1, tags: 1, currency: 1, company: 1, tierInputs: 1, revenue12m: 1, archived: 1,
} as const;

/**
 * The customers of a filter in name order, a page at a time from the last name sent: with a limit and one range on
 * the name the engine reads the name index in order (a plain cursor had it read and sort the whole book before its
 * first batch, and the exact `$or` after (name, _id) makes SQLite sort the rest of the book on every page). Rows of the
 * last name already sent are dropped; a whole page of one name falls back to the exact position.
 */
export async function* customersByName(filter: Record<string, unknown>): AsyncGenerator<StoredCustomer> {
  const page = (from?: Record<string, unknown>) => CustomerModel.find(from ? { $and: [filter, from] } : filter, exportFields)
    .sort(sortOf('name')).limit(EXPORT_BATCH).lean<StoredCustomer[]>();
  let last: StoredCustomer | undefined;
  for (;;) {
    let read = await page(last ? { name: { $gte: last.name } } : undefined);
    const sent = last;
    let rows = sent ? read.filter((c) => c.name !== sent.name || String(c._id) > String(sent._id)) : read;
    if (sent && !rows.length && read.length === EXPORT_BATCH) rows = read = await page(afterPosition('name', positionOf('name', sent)));
    yield* rows;
    if (read.length < EXPORT_BATCH || !rows.length) return;
    last = rows.at(-1);
  }
}

/**
 * CSV records for the customers in the order given. Owners, team members and parents are resolved per batch with
 * `$in` (no $lookup on FerretDB), each only the first time this export meets it: user e-mails and parent codes are
 * kept for the rest of the export (a book has few users and parents; in name order a parent's children are spread
 * over every batch, and reading each parent again per batch read 5,000 parents for 10,000 rows in groups of 20).
 */
export async function* exportRecords(customers: AsyncIterable<StoredCustomer>): AsyncGenerator<Array<string | number>> {
  const emails = new Map<string, string>();
  const emailOf = (id: unknown) => emails.get(String(id)) ?? '';
  const codeOf = new Map<string, string>();
  async function* flush(batch: StoredCustomer[]) {
    const userIds = [...new Set(batch.flatMap((c) => [c.ownerId, ...c.accountTeam].map(String)))].filter((id) => !emails.has(id));
    if (userIds.length) {
      for (const u of await UserModel.find({ _id: { $in: userIds } }, { email: 1 }).lean()) emails.set(String(u._id), u.email);
    }
    const parentIds = [...new Set(batch.flatMap((c) => (c.parentId ? [String(c.parentId)] : [])))].filter((id) => !codeOf.has(id));
    if (parentIds.length) {
      for (const p of await CustomerModel.find({ _id: { $in: parentIds } }, { code: 1 }).lean()) codeOf.set(String(p._id), p.code);
    }
    for (const c of batch) yield exportRow(c, emailOf, codeOf);
  }
  let batch: StoredCustomer[] = [];
  for await (const customer of customers) {
    batch.push(customer);
    if (batch.length === EXPORT_BATCH) {
      yield* flush(batch);
      batch = [];
    }
  }
  yield* flush(batch);
}

// --- import -------------------------------------------------------------------------------------------------------

export type CsvIssue = { line: number; field: string; message: string };
export type CsvRow = { line: number; cells: Map<string, string> };

type Parsed = { record: string[]; info: { lines: number } };
const PARSE_CHUNK = 64 * 1024;

/**
 * The file's records, parsed 64 KB at a time with a turn of the event loop between the pieces: a file of 100,000
 * rows takes seconds to parse, and the process (the worker, or the API beside it) goes on answering meanwhile.
 */
async function parseRecords(source: string): Promise<Parsed[]> {
  const options = { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_empty_values: true };
  const parser = parseCsvStream(options); // `info: true` wraps each record with its position
  const records: Parsed[] = [];
  parser.on('readable', () => {
    for (let record = parser.read() as Parsed | null; record; record = parser.read() as Parsed | null) records.push(record);
  });
  const ended = new Promise<void>((resolve, reject) => {
    parser.once('end', resolve);
    parser.once('error', reject);
  });
  for (let at = 0; at < source.length && !parser.destroyed; at += PARSE_CHUNK) {
    parser.write(source.slice(at, at + PARSE_CHUNK));
    await nextTurn();
  }
  parser.end();
  await ended;
  return records;
}

/** The data rows of an import with their line numbers (the header is line 1), or what is wrong with the file as a whole. */
export async function readCsv(text: string): Promise<{ columns: string[]; rows: CsvRow[]; issues: CsvIssue[] }> {
  // Line breaks unified first so line numbers count CRLF once (csv-parse counts a CRLF inside quotes twice).
  const source = text.replace(/\r\n?/g, '\n');
  let records: Parsed[];
  try {
    records = await parseRecords(source);
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return { columns: [], rows: [], issues: [{ line: Number(err.lines) || 1, field: '', message: err.message }] };
  }
  // info.lines is where a record ends; a quoted cell may span lines, and people look for where it starts.
  const lineOf = (r: Parsed) => r.info.lines - r.record.join('').split('\n').length + 1;
  const [header, ...data] = records;
  if (!header) return { columns: [], rows: [], issues: [{ line: 1, field: '', message: 'the file needs a header row naming its columns' }] };
  const columns = header.record.map((name) => name.trim());
  const issues: CsvIssue[] = [];
  columns.forEach((name, i) => {
    if (!(csvColumns as readonly string[]).includes(name)) issues.push({ line: 1, field: name, message: `unknown column "${name}"; the columns are those of the export` });
    else if (columns.indexOf(name) !== i) issues.push({ line: 1, field: name, message: `column "${name}" appears twice` });
  });
  for (const required of ['code', 'name']) {
    if (!columns.includes(required)) issues.push({ line: 1, field: required, message: `the column "${required}" is required` });
  }
  if (issues.length) return { columns, rows: [], issues };
  const rows: CsvRow[] = [];
  for (const [i, r] of data.entries()) {
    if (i % 2000 === 1999) await nextTurn();
    const line = lineOf(r);
    if (r.record.length !== columns.length) {
      issues.push({ line, field: '', message: `the row has ${r.record.length} cells, the header ${columns.length}` });
    } else {
      rows.push({ line, cells: new Map(columns.map((name, i) => [name, r.record[i]!])) });
    }
  }
  return { columns, rows, issues };
}

/** What one row asks for, before the people and the parent are looked up. */
export type RowRequest = {
  input: Record<string, unknown>; // nested like the JSON body, for createCustomerSchema
  remove: string[]; // dotted paths whose cell was empty and that have no empty value
  ownerEmail?: string;
  teamEmails?: string[];
  parentCode?: string | null;
};

export function rowRequest(cells: Map<string, string>): RowRequest {
  const request: RowRequest = { input: {}, remove: [] };
  for (const [column, raw] of cells) {
    if (ignoredOnImport.has(column)) continue;
    const cell = unguardFormula(raw).trim();
    const list = cell.split(LIST_SEPARATOR).map((item) => item.trim()).filter(Boolean);
    if (!cell && keptWhenEmpty.has(column)) continue;
    if (!cell && removedWhenEmpty.has(column)) {
      request.remove.push(column);
    } else if (column === 'ownerEmail') {
      request.ownerEmail = cell.toLowerCase();
    } else if (column === 'accountTeamEmails') {
      request.teamEmails = list.map((email) => email.toLowerCase());
    } else if (column === 'parentCode') {
      request.parentCode = cell ? cell.toUpperCase() : null;
    } else {
      const [outer, inner] = column.split('.') as [string, string | undefined];
      const value = listColumns.has(column) ? list : cell;
      if (inner) ((request.input[outer] ??= {}) as Record<string, unknown>)[inner] = value;
      else request.input[outer] = value;
    }
  }
  return request;
}

// --- applying a row -----------------------------------------------------------------------------------------------

const comparable = (v: unknown) => (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length) ? '' : JSON.stringify(v));

/**
 * The `$set` and `$unset` that bring a stored customer to the values a row asks for (dotted paths). An empty text
 * and a missing one count as equal, so exporting and importing again changes nothing.
 */
export function changesOf(stored: StoredCustomer, wanted: Record<string, unknown>, remove: string[]) {
  const set = Object.fromEntries(Object.entries(wanted).filter(([path, value]) => comparable(valueAt(stored, path)) !== comparable(value)));
  const unset = remove.filter((path) => comparable(valueAt(stored, path)) !== '');
  return { set, unset };
}

/** The stored customer as it is after the changes, for the timeline's diff. */
export function withChanges(stored: StoredCustomer, set: Record<string, unknown>, unset: string[]): Record<string, unknown> {
  const after: Record<string, unknown> = { ...stored, company: { ...stored.company }, tierInputs: { ...stored.tierInputs } };
  for (const [path, value] of [...Object.entries(set), ...unset.map((path) => [path, undefined] as const)]) {
    const [outer, inner] = path.split('.') as [string, string | undefined];
    if (inner) (after[outer] as Record<string, unknown>)[inner] = value;
    else after[outer] = value;
  }
  return after;
}

const IN_CHUNK = 1000;

/** `find({[field]: {$in: values}})` in chunks, so a large file does not make one huge query. */
export async function customersWhereIn(field: '_id' | 'code', values: string[], projection?: Record<string, 1>): Promise<StoredCustomer[]> {
  const found: StoredCustomer[] = [];
  for (let i = 0; i < values.length; i += IN_CHUNK) {
    found.push(...await CustomerModel.find({ [field]: { $in: values.slice(i, i + IN_CHUNK) } }, projection).lean<StoredCustomer[]>());
  }
  return found;
}

const MAX_DEPTH = 50;

/**
 * Rows whose new parent would close a loop once the file is applied: each row's chain is walked through the file's
 * parents first and the stored ones beyond, all walkers one level per round so each level is one `$in` query.
 */
export async function cycleIssues(rows: Array<{ line: number; id: string; parentId: string | null }>, changed: Set<string>): Promise<CsvIssue[]> {
  const parentOf = new Map(rows.map((r) => [r.id, r.parentId]));
  let walkers = rows.filter((r) => r.parentId && changed.has(r.id)).map((row) => ({ row, at: row.parentId! }));
  const issues: CsvIssue[] = [];
  for (let depth = 0; walkers.length && depth < MAX_DEPTH; depth++) {
    const unknown = [...new Set(walkers.map((w) => w.at).filter((id) => !parentOf.has(id)))];
    for (const c of await customersWhereIn('_id', unknown, { parentId: 1 })) parentOf.set(String(c._id), c.parentId ? String(c.parentId) : null);
    const next: typeof walkers = [];
    for (const w of walkers) {
      const up = parentOf.get(w.at);
      if (w.at === w.row.id) issues.push({ line: w.row.line, field: 'parentCode', message: 'parentCode cannot be the customer itself or one of its subsidiaries' });
      else if (up) next.push({ row: w.row, at: up });
    }
    walkers = next;
  }
  // Deeper than any real group: refused rather than followed further.
  for (const w of walkers) issues.push({ line: w.row.line, field: 'parentCode', message: `the group would be deeper than ${MAX_DEPTH} levels` });
  return issues;
}

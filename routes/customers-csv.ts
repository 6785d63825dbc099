import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import express, { Router, type RequestHandler } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { recordChange, diffFields } from '../models/change.ts';
import { reclassify } from '../models/tiering.ts';
import { CustomerModel, canAssign, canChange, canRead, nameKeyOf } from '../models/customer.ts';
import {
  changesOf, csvColumns, customersWhereIn, cycleIssues, dotted, exportRecords, readCsv, rowRequest, withChanges,
  type CsvIssue, type RowRequest, type StoredCustomer,
} from '../models/customer-csv.ts';
import { customerFilter } from '../models/customer-query.ts';
import { isDuplicateKeyError } from '../models/engine.ts';
import { UserModel } from '../models/user.ts';
import { authenticate, authorize, currentUser, type AuthUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError, fieldErrors } from '../server/errors.ts';
import { parse } from '../server/validate.ts';
import { createCustomerSchema, type CustomerInput } from './customer-input.ts';
import { customerFilterKeys } from './customers.ts';

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
    // A cursor, so the export holds one batch in memory however many customers there are.
    const customers = CustomerModel.find(customerFilter(currentUser(req), filters)).sort({ name: 1, _id: 1 }).lean<StoredCustomer[]>().cursor();
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="customers-${new Date().toISOString().slice(0, 10)}.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    // The BOM makes Excel read the file as UTF-8 (names such as 华为技术 stay intact).
    const csv = stringify({ bom: true, header: true, columns: [...csvColumns] });
    try {
      await pipeline(Readable.from(exportRecords(customers)), csv, res);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') return; // the client went away
      throw err;
    }
  });

  router.post('/import', auth, authorize('admin', 'manager'), requireCsv, express.text({ type: 'text/csv', limit: '5mb' }), async (req, res) => {
    const user = currentUser(req);
    const { dryRun } = parse(importSchema, req.query);
    const { rows, issues } = await planImport(user, typeof req.body === 'string' ? req.body : '');
    if (issues.length) {
      throw new HttpError(400, 'Validation failed', `The file has ${issues.length} problem(s); nothing was written.`, { errors: issues });
    }
    const count = (action: PlannedRow['action']) => rows.filter((r) => r.action === action).length;
    const summary = { created: count('created'), updated: count('updated'), unchanged: count('unchanged') };
    const notWritten = dryRun ? [] : await applyImport(user, rows);
    const written = rows.filter((r) => r.action !== 'unchanged' && !notWritten.includes(r.code)).map((r) => r.id);
    // Imported tier inputs (and new customers) are scored at once, like edits through the API.
    if (!dryRun && written.length) await reclassify({ customerIds: written, trigger: 'CSV import' });
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

type PlannedRow = {
  line: number; code: string; name: string; id: string; action: 'created' | 'updated' | 'unchanged'; parentId: string | null;
  create?: Record<string, unknown>; stored?: StoredCustomer; set: Record<string, unknown>; unset: string[];
};
type ValidRow = { line: number; request: RowRequest; value: CustomerInput };
type Lookups = { stored: Map<string, StoredCustomer>; people: Map<string, { id: string; active: boolean }>; idOfCode: Map<string, string> };

/** Checks every row of the file against the customer rules and the caller's rights, and plans its write; writes nothing. */
async function planImport(user: AuthUser, text: string): Promise<{ rows: PlannedRow[]; issues: CsvIssue[] }> {
  const { rows, issues } = readCsv(text);
  const valid: ValidRow[] = [];
  const lineOfCode = new Map<string, number>();
  for (const { line, cells } of rows) {
    const request = rowRequest(cells);
    let value: CustomerInput;
    try {
      value = parse(createCustomerSchema, request.input) as CustomerInput;
    } catch (err) {
      if (!Joi.isError(err)) throw err;
      issues.push(...fieldErrors(err).map((e) => ({ line, field: e.field.replace(/\.\d+$/, ''), message: e.message })));
      continue;
    }
    const seen = lineOfCode.get(value.code);
    if (seen) issues.push({ line, field: 'code', message: `code ${value.code} is also on line ${seen}; a file names each customer once` });
    else valid.push({ line, request, value });
    lineOfCode.set(value.code, seen ?? line);
  }
  const parentCodes = valid.flatMap((v) => (v.request.parentCode ? [v.request.parentCode] : []));
  const stored = new Map((await customersWhereIn('code', [...new Set([...lineOfCode.keys(), ...parentCodes])])).map((c) => [c.code, c]));
  const emails = [...new Set(valid.flatMap((v) => [...(v.request.ownerEmail ? [v.request.ownerEmail] : []), ...(v.request.teamEmails ?? [])]))];
  const users = emails.length ? await UserModel.find({ email: { $in: emails } }, { email: 1, active: 1 }).lean() : [];
  const people = new Map(users.map((u) => [u.email, { id: String(u._id), active: u.active }]));
  // New customers get their ids now, so a row can name as parent a customer that is new in the same file.
  const idOfCode = new Map(valid.map((v) => [v.value.code, String(stored.get(v.value.code)?._id ?? new Types.ObjectId())]));
  const planned: PlannedRow[] = [];
  for (const row of valid) {
    const plan = planRow(user, row, { stored, people, idOfCode });
    if (Array.isArray(plan)) issues.push(...plan);
    else planned.push(plan);
  }
  const parentChanged = new Set(planned.filter((r) => (r.action === 'created' ? r.parentId : 'parentId' in r.set)).map((r) => r.id));
  issues.push(...await cycleIssues(planned, parentChanged));
  return { rows: planned, issues: issues.sort((a, b) => a.line - b.line) };
}

function planRow(user: AuthUser, { line, request, value }: ValidRow, ctx: Lookups): PlannedRow | CsvIssue[] {
  const issues: CsvIssue[] = [];
  const issue = (field: string, message: string) => issues.push({ line, field, message });
  const existing = ctx.stored.get(value.code);
  if (existing && !canChange(user, existing)) return [{ line, field: 'code', message: `code ${value.code} belongs to a customer you may not change` }];
  // Someone who already holds the place may stay there though inactive, so an unchanged exported row stays valid.
  const person = (email: string, field: string, holders: unknown[]) => {
    const found = ctx.people.get(email);
    if (found && (found.active || holders.some((id) => String(id) === found.id))) return [found.id];
    issue(field, `${email} is not an active user`);
    return [];
  };
  const ownerId = request.ownerEmail ? person(request.ownerEmail, 'ownerEmail', existing ? [existing.ownerId] : [])[0] : undefined;
  const accountTeam = request.teamEmails?.flatMap((email) => person(email, 'accountTeamEmails', existing?.accountTeam ?? []));
  if (accountTeam && (new Set(accountTeam).size !== accountTeam.length || accountTeam.length > 50)) {
    issue('accountTeamEmails', 'accountTeamEmails must name at most 50 different users');
  }
  let parentId: string | null | undefined = request.parentCode === null ? null : undefined;
  if (request.parentCode) {
    const parent = ctx.stored.get(request.parentCode);
    // A parent the caller cannot see is reported as missing, as the JSON routes do; an unchanged one stays.
    const allowed = parent ? canRead(user, parent) || String(parent._id) === String(existing?.parentId) : ctx.idOfCode.has(request.parentCode);
    if (allowed) parentId = parent ? String(parent._id) : ctx.idOfCode.get(request.parentCode)!;
    else issue('parentCode', 'parentCode must be a customer you can see or a code in this file');
  }
  if (!existing && ownerId && ownerId !== user.id && user.role !== 'admin') issue('ownerEmail', 'only admins import customers for another owner');
  const teamChanged = accountTeam && [...accountTeam].sort().join() !== existing?.accountTeam.map(String).sort().join();
  if (existing && ((ownerId && ownerId !== String(existing.ownerId)) || teamChanged) && !canAssign(user, existing)) {
    issue(ownerId && ownerId !== String(existing.ownerId) ? 'ownerEmail' : 'accountTeamEmails', 'only the owner or an admin changes the owner or the account team');
  }
  if (issues.length) return issues;
  const id = ctx.idOfCode.get(value.code)!;
  // The same team in another order is no change (and needs no right to assign).
  const wanted = { ...value, ...(ownerId ? { ownerId } : {}), ...(teamChanged ? { accountTeam } : {}), ...(parentId !== undefined ? { parentId } : {}) };
  const row = { line, code: value.code, name: value.name, id, set: {}, unset: [] };
  if (!existing) {
    const create = { ...wanted, _id: id, ownerId: ownerId ?? user.id, nameKey: nameKeyOf(value.name) };
    return { ...row, action: 'created', parentId: parentId ?? null, create };
  }
  const { set, unset } = changesOf(existing, dotted(wanted), request.remove);
  if ('name' in set) set.nameKey = nameKeyOf(value.name);
  const action = Object.keys(set).length || unset.length ? 'updated' : 'unchanged';
  return { ...row, action, parentId: parentId === undefined ? (existing.parentId ? String(existing.parentId) : null) : parentId, stored: existing, set, unset };
}

/**
 * Writes the planned rows, parents before their children. There are no transactions (FerretDB has none), so each
 * row is its own atomic write: an update applies only if the customer still has the version read while planning,
 * a create only if nobody took the code meanwhile. Rows that lost such a race are skipped and named (a new child of
 * a skipped new parent too); the rows before and after them stay written, and importing the file again is harmless.
 */
async function applyImport(user: AuthUser, rows: PlannedRow[]): Promise<string[]> {
  const notCreated = new Set<string>();
  const notWritten: string[] = [];
  for (const row of parentsFirst(rows)) {
    if (row.action === 'unchanged') continue;
    const written = row.parentId && notCreated.has(row.parentId) ? false : row.create ? await create(row.create) : await update(row.stored!, row);
    if (!written) {
      if (row.action === 'created') notCreated.add(row.id);
      notWritten.push(row.code);
      continue;
    }
    await recordChange({
      customerId: row.id, entity: 'customer', entityId: row.id, entityName: row.name, action: 'imported', actor: user,
      ...(row.stored ? { fields: diffFields(row.stored, withChanges(row.stored, row.set, row.unset)) } : {}),
    });
  }
  return notWritten;
}

async function create(customer: Record<string, unknown>): Promise<boolean> {
  try {
    await CustomerModel.create(customer);
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

async function update(stored: StoredCustomer, row: PlannedRow): Promise<boolean> {
  const unset = row.unset.length ? { $unset: Object.fromEntries(row.unset.map((path) => [path, 1])) } : {};
  const result = await CustomerModel.updateOne(
    { _id: stored._id, __v: stored.__v ?? 0 },
    { $set: row.set, ...unset, $inc: { __v: 1 } },
    { runValidators: true },
  );
  return result.matchedCount === 1;
}

/** New parents are created before the new children that point at them. */
function parentsFirst(rows: PlannedRow[]): PlannedRow[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const depth = (row: PlannedRow, limit = rows.length): number => {
    const parent = row.parentId ? byId.get(row.parentId) : undefined;
    return parent && limit > 0 ? 1 + depth(parent, limit - 1) : 0;
  };
  const depths = new Map(rows.map((r) => [r, depth(r)]));
  return [...rows].sort((a, b) => depths.get(a)! - depths.get(b)!);
}

import { setImmediate as nextTurn } from 'node:timers/promises';
import Joi from 'joi';
import { Types } from 'mongoose';
import { canAssign, canChange, canCreateFor, canRead, dotted, nameKeyOf } from '../models/customer.ts';
import {
  changesOf, customersWhereIn, cycleIssues, readCsv, rowRequest, type CsvIssue, type RowRequest, type StoredCustomer,
} from '../models/customer-csv.ts';
import { reclassify } from '../models/tiering.ts';
import { UserModel, type AuthUser } from '../models/user.ts';
import { fieldErrors, parse } from '../schemas/common.ts';
import { createCustomerSchema, type CustomerInput } from '../schemas/customer-input.ts';
import { writeImport, type ImportRow } from './customer-import-write.ts';

// Importing the customer file: every row checked against the customer rules and the caller's rights first, then the
// whole file written in batches. A plain function of the caller and the text, so a job could run it as well as a route.

export type ImportOutcome = {
  issues: CsvIssue[];
  rows: ImportRow[];
  summary: { created: number; updated: number; unchanged: number };
  /** Codes of rows not written because their customer changed (or their code was taken) while the import ran. */
  notWritten: string[];
};

/** Where a long import has got to, for its import record (usecases/customer-import-run.ts). */
export type ImportProgress = {
  checked?: (rows: number) => Promise<void>;
  writing?: () => Promise<void>;
  written?: (rows: number) => Promise<void>;
};

/** Rows checked between two turns of the event loop (and two progress reports). */
const CHECK_SLICE = 500;

/** Checks the file and, unless it has problems or this is a dry run, writes it and scores what it wrote. */
export async function importCustomers(user: AuthUser, text: string, { dryRun, progress = {} }: { dryRun: boolean; progress?: ImportProgress }): Promise<ImportOutcome> {
  const { rows, issues } = await checkImport(user, text, progress);
  const count = (action: ImportRow['action']) => rows.filter((r) => r.action === action).length;
  const summary = { created: count('created'), updated: count('updated'), unchanged: count('unchanged') };
  if (issues.length || dryRun) return { issues, rows, summary, notWritten: [] };
  await progress.writing?.();
  const notWritten = await writeImport(user, rows, progress.written);
  const skipped = new Set(notWritten);
  // Imported tier inputs are scored at once, like edits through the API (new customers were created classified).
  const updated = rows.filter((r) => r.action === 'updated' && !skipped.has(r.code)).map((r) => r.id);
  if (updated.length) await reclassify({ customerIds: updated, trigger: 'CSV import' });
  return { issues, rows, summary, notWritten };
}

type ValidRow = { line: number; request: RowRequest; value: CustomerInput };
type Lookups = { stored: Map<string, StoredCustomer>; people: Map<string, { id: string; active: boolean }>; idOfCode: Map<string, string> };

/**
 * Checks every row of the file and plans its write; writes nothing. What exists is read once for the whole file (the
 * customers by code, the people by e-mail), never per row.
 */
async function checkImport(user: AuthUser, text: string, progress: ImportProgress): Promise<{ rows: ImportRow[]; issues: CsvIssue[] }> {
  const { rows, issues } = await readCsv(text);
  const valid: ValidRow[] = [];
  const lineOfCode = new Map<string, number>();
  let seenRows = 0;
  for (const { line, cells } of rows) {
    if (++seenRows % CHECK_SLICE === 0) await nextTurn();
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
  const checked: ImportRow[] = [];
  for (const [i, row] of valid.entries()) {
    if (i % CHECK_SLICE === 0) {
      await progress.checked?.(i);
      await nextTurn();
    }
    const outcome = checkRow(user, row, { stored, people, idOfCode });
    if (Array.isArray(outcome)) issues.push(...outcome);
    else checked.push(outcome);
  }
  const parentChanged = new Set(checked.filter((r) => (r.action === 'created' ? r.parentId : 'parentId' in r.set)).map((r) => r.id));
  issues.push(...await cycleIssues(checked, parentChanged));
  await progress.checked?.(rows.length);
  return { rows: checked, issues: issues.sort((a, b) => a.line - b.line) };
}

function checkRow(user: AuthUser, { line, request, value }: ValidRow, ctx: Lookups): ImportRow | CsvIssue[] {
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
  if (!existing && !canCreateFor(user, ownerId)) issue('ownerEmail', 'only admins import customers for another owner');
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

import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { toPublicJson } from './json.ts';

// A CSV import run by the worker (usecases/customer-import-run.ts): the file as it was sent, who sent it, how far the
// run has got, and its outcome. A run holds a lease it renews as it goes; a worker that dies leaves it to expire, and
// the next run starts the import again from the file (writing a row twice is writing the same values: the customers
// written before the interruption count as unchanged the second time), reporting that it was resumed.

export const importStates = ['queued', 'checking', 'writing', 'done', 'failed'] as const;
export type ImportState = (typeof importStates)[number];

/** Rows in one import at most; a larger file is refused with 413. */
export const MAX_IMPORT_ROWS = 100_000;
/** Files of at most this many rows are imported while the request waits (200); larger ones by the worker (202). */
export const INLINE_IMPORT_ROWS = 500;
/** How long a run may go without reporting progress before another takes the import over. */
export const IMPORT_LEASE_MS = 2 * 60_000;
/** Problems kept on the import (the count is complete). */
export const MAX_REPORTED_ISSUES = 1000;

const importSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    dryRun: { type: Boolean, required: true },
    rows: { type: Number, required: true },
    state: { type: String, enum: importStates, required: true, default: 'queued' },
    checked: { type: Number, required: true, default: 0 },
    written: { type: Number, required: true, default: 0 },
    attempts: { type: Number, required: true, default: 0 },
    leaseUntil: { type: Date, default: null },
    summary: { type: Schema.Types.Mixed, default: null },
    issueCount: { type: Number, required: true, default: 0 },
    issues: { type: [Schema.Types.Mixed], default: [] },
    notWritten: { type: [String], default: [] },
    error: { type: String, default: null },
    createdAt: { type: Date, required: true },
    startedAt: { type: Date, default: null },
    finishedAt: { type: Date, default: null },
  },
  { versionKey: false },
);

// The worker takes queued imports and those whose run's lease ran out, oldest first.
importSchema.index({ state: 1, leaseUntil: 1, _id: 1 });
// A user's imports, newest first.
importSchema.index({ userId: 1, _id: -1 });

// The file itself, apart from the record whose progress is written every few hundred rows (rewriting a 3 MB document
// each time made a 100,000-row check take 50 s instead of 3), kept until the import ends.
const fileSchema = new Schema({ _id: Schema.Types.ObjectId, text: { type: String, required: true } }, { versionKey: false });
export const CustomerImportFileModel = model('CustomerImportFile', fileSchema, 'customer_import_files');

export type CustomerImport = InferSchemaType<typeof importSchema> & { _id: Types.ObjectId };
export const CustomerImportModel = model('CustomerImport', importSchema, 'customer_imports');
const importHiddenPaths = ['leaseUntil'] as const;

/** An import as the API answers it: without the lease. */
export const importJson = (job: Record<string, unknown>) => toPublicJson(job, importHiddenPaths);

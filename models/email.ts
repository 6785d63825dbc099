import { Schema, model, type InferSchemaType } from 'mongoose';
import { jsonOptions, toPublicJson } from './json.ts';

// The e-mail outbox. Every e-mail is written here first, keyed by what it is about and who gets it, then sent by the
// worker (jobs/mail-send.ts): a re-run, a crash or a second worker never makes a second e-mail for the same key.
// Sending is recorded before the relay is asked (state `sending`, attempts + 1) and the answer after (`sent`); a
// worker killed between the relay's acceptance and that record leaves the e-mail `sending`, and it is sent again
// when its lease runs out, with the same Message-ID (the one edge where SMTP allows no better than at least once).

export const emailStates = ['pending', 'sending', 'sent', 'failed', 'skipped'] as const;
export type EmailState = (typeof emailStates)[number];
export const emailTypes = ['notification', 'digest'] as const;

/** Attempts before an e-mail the relay keeps refusing for now (4xx, no connection) ends `failed`. */
export const MAX_EMAIL_ATTEMPTS = 8;
/** How long a worker may take over one send before another takes the e-mail up again. */
export const SEND_LEASE_MS = 2 * 60_000;
const BACKOFF_BASE_MS = 60_000;
const BACKOFF_CAP_MS = 2 * 60 * 60_000;

/** The wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, capped at 2 h (about 5 h in all). */
export function emailBackoffMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_CAP_MS);
}

const emailSchema = new Schema(
  {
    // `notification:<notificationId>:<userId>` or `digest:<userId>:<local date>`.
    key: { type: String, required: true },
    type: { type: String, enum: emailTypes, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    // The address when the e-mail was made; what every attempt sends is fixed then too.
    to: { type: String, required: true },
    notificationKind: { type: String, default: null },
    notificationId: { type: Schema.Types.ObjectId, ref: 'Notification', default: null },
    subject: { type: String, required: true, maxlength: 500 },
    text: { type: String, required: true },
    html: { type: String, required: true },
    state: { type: String, enum: emailStates, required: true, default: 'pending' },
    // Why a digest was not sent (nothing to tell), or why an e-mail failed.
    note: { type: String, default: null, maxlength: 500 },
    attempts: { type: Number, required: true, default: 0 },
    lastError: { type: String, default: null, maxlength: 500 },
    lastAttemptAt: { type: Date, default: null },
    nextAttemptAt: { type: Date, default: null },
    leaseUntil: { type: Date, default: null },
    sentAt: { type: Date, default: null },
    messageId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, toJSON: jsonOptions(['text', 'html', 'leaseUntil']) },
);

emailSchema.index({ key: 1 }, { unique: true });
// The sender's queue: pending e-mails by when they are due, and `sending` ones whose lease ran out.
emailSchema.index({ state: 1, nextAttemptAt: 1 });
emailSchema.index({ state: 1, leaseUntil: 1 });
// A user's e-mails and the admin list, newest first.
emailSchema.index({ userId: 1, _id: -1 });
emailSchema.index({ state: 1, _id: -1 });

export type Email = InferSchemaType<typeof emailSchema>;
export const EmailModel = model('Email', emailSchema, 'emails');
export const emailHiddenPaths = ['text', 'html', 'leaseUntil'] as const;
/** An e-mail as answered (a lean row): the content and the sender's lease are left out. */
export const emailJson = (row: Record<string, unknown>) => toPublicJson(row, emailHiddenPaths);

// How far the outbox has read the notifications: e-mails for notifications created since then are still to be made.
const mailScanSchema = new Schema({ _id: String, scannedTo: { type: Date, required: true } }, { versionKey: false });
export const MailScanModel = model('MailScan', mailScanSchema, 'mail_scans');

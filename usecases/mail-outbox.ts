import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { CustomerModel } from '../models/customer.ts';
import { insertUnlessTaken, isDuplicateKeyError } from '../models/db-compat.ts';
import { EmailModel, MAX_EMAIL_ATTEMPTS, MailScanModel, SEND_LEASE_MS, emailBackoffMs, type Email } from '../models/email.ts';
import { NotificationModel, type NotificationKind } from '../models/notification.ts';
import { preferencesOf, type Preferences } from '../models/preferences.ts';
import { TierApprovalModel } from '../models/tier-change.ts';
import { UserModel } from '../models/user.ts';
import { VisitModel } from '../models/visit.ts';
import { dayIn, localClock, startOfDay } from '../models/time-zone.ts';
import { failpoint } from './failpoint.ts';
import { digestCount, digestEmail, notificationEmail, type DigestFacts, type DigestVisit, type NotificationFacts } from './mail-compose.ts';

// The e-mail outbox's three steps, run by the worker every minute (jobs/mail-send.ts): e-mails for new notifications
// whose kind the user wants at once, each user's daily digest once their local hour has come, and the sending of
// what is due. Each step is idempotent: keys are unique, and a send is claimed by a conditional update.

const DAY = 86_400_000;
// A notification written with a clock a little behind the last scan's is still found: each scan looks back this far.
const SCAN_OVERLAP_MS = 10 * 60_000;
// E-mail switched on after a pause (or for the first time) does not mail more than a day of old notifications.
const MAX_BACKLOG_MS = DAY;
const SEND_BATCH = 200;
// The newest requests waiting for a decision a digest lists (the queue itself is GET /tier-approvals).
const DIGEST_APPROVALS = 50;

export type MailContext = { now: Date; publicUrl: string; timezone: string };
type UserRow = { _id: Types.ObjectId; email: string; name: string; role: string; preferences?: unknown };

const userFields = { email: 1, name: 1, role: 1, preferences: 1 };
// A stable Message-ID per e-mail: a resend after a lost outcome carries the same one, so mail clients can merge them.
const messageIdOf = (key: string) => `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@key-accounts>`;

type NotificationRow = { kind: string; title: string; body?: string | null; data?: unknown };
const dataOf = (n: NotificationRow) => (n.data ?? {}) as Record<string, unknown>;
const customerIdOf = (n: NotificationRow) => String(dataOf(n).customerId ?? '');
/** A notification as the e-mails tell it, with the name of its customer. */
const factsOf = (n: NotificationRow, names: Map<string, string>): NotificationFacts => ({
  kind: n.kind as NotificationKind, title: n.title, body: n.body ?? '', data: dataOf(n), customerName: names.get(customerIdOf(n)) ?? null,
});

async function customerNames(ids: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(ids)].filter((id) => Types.ObjectId.isValid(id));
  if (!unique.length) return new Map();
  const rows = await CustomerModel.find({ _id: { $in: unique } }, { name: 1 }).lean();
  return new Map(rows.map((c) => [String(c._id), c.name]));
}

/** Makes the e-mails of the notifications created since the last scan whose kind their user wants by e-mail at once. */
export async function queueNotificationEmails(ctx: MailContext): Promise<number> {
  const scan = await MailScanModel.findById('notifications').lean();
  const floor = ctx.now.getTime() - MAX_BACKLOG_MS;
  const from = new Date(Math.max(floor, (scan?.scannedTo.getTime() ?? ctx.now.getTime()) - SCAN_OVERLAP_MS));
  const notifications = await NotificationModel.find({ createdAt: { $gte: from } }).lean();
  let made = 0;
  if (notifications.length) {
    const users = await UserModel.find({ _id: { $in: [...new Set(notifications.map((n) => String(n.userId)))] }, active: true }, userFields).lean<UserRow[]>();
    const byId = new Map(users.map((u) => [String(u._id), { user: u, prefs: preferencesOf(u) }]));
    const wanted = notifications.filter((n) => byId.get(String(n.userId))?.prefs.kinds[n.kind as NotificationKind]?.email === 'now');
    const names = await customerNames(wanted.map(customerIdOf));
    const docs = wanted.map((n) => {
      const { user, prefs } = byId.get(String(n.userId))!;
      const composed = notificationEmail(prefs.language, ctx.publicUrl, factsOf(n, names));
      const key = `notification:${String(n._id)}:${String(user._id)}`;
      return {
        key, type: 'notification', userId: user._id, to: user.email, notificationKind: n.kind, notificationId: n._id, ...composed,
        state: 'pending', attempts: 0, nextAttemptAt: ctx.now, messageId: messageIdOf(key), createdAt: ctx.now,
      };
    });
    made = docs.length - (await insertUnlessTaken(EmailModel, docs)).size;
  }
  // Only forward, so a run with an earlier clock never makes the next one rescan less.
  if (!scan) {
    await MailScanModel.create({ _id: 'notifications', scannedTo: ctx.now }).catch((err: unknown) => {
      if (!isDuplicateKeyError(err)) throw err; // another worker's first scan
    });
  }
  else await MailScanModel.updateOne({ _id: 'notifications', scannedTo: { $lt: ctx.now } }, { $set: { scannedTo: ctx.now } });
  return made;
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/** What the digest of this user for this local day lists. */
async function digestFacts(user: UserRow, prefs: Preferences, timezone: string, day: string): Promise<DigestFacts> {
  const todayStart = startOfDay(timezone, day);
  const tomorrowStart = startOfDay(timezone, addDays(day, 1));
  const weekEnd = startOfDay(timezone, addDays(day, 8));
  const inDigest = (kind: NotificationKind) => prefs.kinds[kind].email === 'digest';
  const visits = inDigest('visit.reminder')
    ? await VisitModel.find({ ownerId: user._id, status: 'scheduled', dueAt: { $lt: weekEnd } }).sort({ dueAt: 1, _id: 1 }).limit(200).lean()
    : [];
  const approvals = inDigest('tier.approval') && (user.role === 'executive' || user.role === 'admin')
    ? await TierApprovalModel.find({ status: 'pending' }).sort({ requestedAt: -1, _id: -1 }).limit(DIGEST_APPROVALS).lean()
    : [];
  // The digest-kind notifications other than reminders and approvals (those are listed from the records above),
  // since this user's previous digest, or of the last day.
  const others = (Object.keys(prefs.kinds) as NotificationKind[]).filter((k) => inDigest(k) && k !== 'visit.reminder' && k !== 'tier.approval');
  const previous = await EmailModel.findOne({ userId: user._id, type: 'digest' }).sort({ _id: -1 }).lean();
  const since = previous?.createdAt ?? new Date(todayStart.getTime() - DAY);
  const notifications = others.length
    ? await NotificationModel.find({ userId: user._id, kind: { $in: others }, createdAt: { $gte: since } }).sort({ _id: 1 }).limit(100).lean()
    : [];
  const names = await customerNames([
    ...visits.map((v) => String(v.customerId)), ...approvals.map((a) => String(a.customerId)),
    ...notifications.map(customerIdOf),
  ]);
  const visitOf = (v: (typeof visits)[number]): DigestVisit => {
    const dueDay = dayIn(timezone, v.dueAt);
    return {
      id: String(v._id), customerId: String(v.customerId), customerName: names.get(String(v.customerId)) ?? '?', kind: v.kind, dueDay,
      overdueDays: Math.max(0, Math.round((todayStart.getTime() - startOfDay(timezone, dueDay).getTime()) / DAY)),
    };
  };
  return {
    userName: user.name, day,
    overdue: visits.filter((v) => v.dueAt < todayStart).map(visitOf),
    today: visits.filter((v) => v.dueAt >= todayStart && v.dueAt < tomorrowStart).map(visitOf),
    week: visits.filter((v) => v.dueAt >= tomorrowStart).map(visitOf),
    approvals: approvals.map((a) => ({
      id: String(a._id), customerId: String(a.customerId), customerName: names.get(String(a.customerId)) ?? '?', from: a.from ?? null, to: a.to,
      requestedBy: a.requestedByName, requestedDay: dayIn(timezone, a.requestedAt),
    })),
    notifications: notifications.map((n) => ({ ...factsOf(n, names), day: dayIn(timezone, n.createdAt) })),
  };
}

/**
 * Makes today's digest of every active user whose local digest hour has come and who has none for that local day yet.
 * A digest with nothing to tell is recorded `skipped`, so it is neither sent nor composed again that day.
 */
export async function queueDigests(ctx: MailContext): Promise<number> {
  const users = await UserModel.find({ active: true }, userFields).lean<UserRow[]>();
  const due = users.flatMap((user) => {
    const prefs = preferencesOf(user);
    if (!prefs.digest || !Object.values(prefs.kinds).some((k) => k.email === 'digest')) return [];
    const timezone = prefs.timezone ?? ctx.timezone;
    const { day, hour } = localClock(timezone, ctx.now);
    return hour >= prefs.digestHour ? [{ user, prefs, timezone, day, key: `digest:${String(user._id)}:${day}` }] : [];
  });
  if (!due.length) return 0;
  const made = new Set((await EmailModel.find({ key: { $in: due.map((d) => d.key) } }, { key: 1 }).lean()).map((e) => e.key));
  let count = 0;
  for (const d of due.filter((x) => !made.has(x.key))) {
    const facts = await digestFacts(d.user, d.prefs, d.timezone, d.day);
    const composed = digestEmail(d.prefs.language, ctx.publicUrl, facts);
    const empty = digestCount(facts) === 0;
    const doc = {
      key: d.key, type: 'digest', userId: d.user._id, to: d.user.email, ...composed,
      state: empty ? 'skipped' : 'pending', note: empty ? 'nothing to tell' : null,
      attempts: 0, nextAttemptAt: empty ? null : ctx.now, messageId: messageIdOf(d.key), createdAt: ctx.now,
    };
    if ((await insertUnlessTaken(EmailModel, [doc])).size === 0 && !empty) count += 1;
  }
  return count;
}

export type OutgoingEmail = { from: string; to: string; subject: string; text: string; html: string; messageId: string; headers: Record<string, string> };
export type SendResult = { sent: number; retried: number; failed: number };

/**
 * An error the relay will give again for this message: a 5xx reply to its envelope or content (unknown mailbox,
 * refused sender, message refused), or a message nodemailer itself cannot send. Anything else (4xx, no connection,
 * a refused login, no STARTTLS where TLS is required) is the relay's state or configuration and is retried.
 */
function isPermanent(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  if (e.code !== 'EENVELOPE' && e.code !== 'EMESSAGE') return false;
  return e.responseCode === undefined || (e.responseCode >= 500 && e.responseCode < 600);
}

const errorText = (err: unknown) => {
  const e = err as { response?: string; code?: string; message?: string };
  return String(e.response ?? (e.code ? `${e.code}: ${e.message ?? ''}` : e.message ?? err)).slice(0, 500);
};

/**
 * Sends the e-mails that are due: pending ones whose next attempt has come, and `sending` ones whose lease ran out (a
 * worker died mid-send). Each is claimed by a conditional update before the relay is asked, so two workers never
 * both send it, and its outcome written after: sent, retried later (4xx, no connection) or failed (5xx, or too
 * many attempts).
 */
export async function sendDueEmails(ctx: { now: Date; from: string }, send: (mail: OutgoingEmail) => Promise<unknown>): Promise<SendResult> {
  const now = ctx.now;
  const due = await EmailModel.find({
    $or: [{ state: 'pending', nextAttemptAt: { $lte: now } }, { state: 'sending', leaseUntil: { $lte: now } }],
  }).sort({ _id: 1 }).limit(SEND_BATCH).lean<Array<Email & { _id: Types.ObjectId }>>();
  const result: SendResult = { sent: 0, retried: 0, failed: 0 };
  for (const email of due) {
    const claimed = await EmailModel.findOneAndUpdate(
      { _id: email._id, state: email.state, attempts: email.attempts },
      { $set: { state: 'sending', leaseUntil: new Date(now.getTime() + SEND_LEASE_MS), lastAttemptAt: now }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    ).lean<Email & { _id: Types.ObjectId }>();
    if (!claimed) continue; // another worker took it
    failpoint('mail.before-send');
    let outcome: Record<string, unknown>;
    try {
      await send({
        from: ctx.from, to: claimed.to, subject: claimed.subject, text: claimed.text, html: claimed.html, messageId: claimed.messageId,
        headers: { 'X-KA-Email': String(claimed._id), 'Auto-Submitted': 'auto-generated' },
      });
      failpoint('mail.after-send');
      outcome = { state: 'sent', sentAt: now, lastError: null, leaseUntil: null, nextAttemptAt: null };
      result.sent += 1;
    } catch (err) {
      const final = isPermanent(err) || claimed.attempts >= MAX_EMAIL_ATTEMPTS;
      outcome = final
        ? { state: 'failed', lastError: errorText(err), leaseUntil: null, nextAttemptAt: null }
        : { state: 'pending', lastError: errorText(err), leaseUntil: null, nextAttemptAt: new Date(now.getTime() + emailBackoffMs(claimed.attempts)) };
      if (final) result.failed += 1;
      else result.retried += 1;
    }
    await EmailModel.updateOne({ _id: claimed._id, attempts: claimed.attempts }, { $set: outcome });
  }
  return result;
}

import type { Agenda } from 'agenda';
import nodemailer from 'nodemailer';
import type { Config } from '../server/config.ts';
import { emailsSent } from '../server/metrics.ts';
import { queueDigests, queueNotificationEmails, sendDueEmails, type OutgoingEmail, type SendResult } from '../usecases/mail-outbox.ts';
import { jobClock } from './clock.ts';

export const name = 'mail.send';

/** `now` (ISO date-time) fixes the clock for digests, due attempts and backoff; absent, the time the job runs. */
export type Data = { now?: string };

export type Result = { queued: number; digests: number } & SendResult;

/** How long the relay may take to greet, and to answer one command, before the attempt counts as a temporary failure. */
const SMTP_TIMEOUT_MS = 20_000;

export type Transport = (mail: OutgoingEmail) => Promise<unknown>;

/**
 * The relay from SMTP_URL: `smtps://` speaks TLS from the start; `smtp://` upgrades with STARTTLS whenever the relay
 * offers it (add `?requireTLS=true` to refuse a relay that does not). Credentials come from the URL.
 */
export function smtpTransport(config: Config): Transport | undefined {
  if (!config.mail) return undefined;
  const transporter = nodemailer.createTransport({
    url: config.mail.smtpUrl,
    connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS,
    disableFileAccess: true, disableUrlAccess: true,
  });
  return (mail) => transporter.sendMail(mail);
}

/** One pass: e-mails for new notifications, due digests, then every due send. Without SMTP_URL it does nothing. */
export async function handler(config: Config, data: Data = {}, transport = smtpTransport(config)): Promise<Result | null> {
  if (!config.mail || !transport) return null;
  const now = jobClock(name, 'now', data.now);
  const ctx = { now, publicUrl: config.publicUrl, timezone: config.timezone };
  const queued = await queueNotificationEmails(ctx);
  const digests = await queueDigests(ctx);
  const sent = await sendDueEmails({ now, from: config.mail.from }, transport);
  for (const outcome of ['sent', 'retried', 'failed'] as const) if (sent[outcome]) emailsSent.inc({ outcome }, sent[outcome]);
  return { queued, digests, ...sent };
}

export function define(agenda: Agenda, config: Config): void {
  const transport = smtpTransport(config);
  agenda.define<Data>(name, async (job) => {
    await handler(config, job.attrs.data ?? {}, transport);
  });
}

/** Every minute: an alert is in the mailbox a minute or two after it is made, a digest within a minute of its hour. */
export async function schedule(agenda: Agenda, config: Config): Promise<void> {
  if (config.mail) await agenda.every('1 minute', name);
}

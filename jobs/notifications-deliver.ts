import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Agenda } from 'agenda';
import { Types } from 'mongoose';
import { insertUnlessTaken } from '../models/db-compat.ts';
import { NotificationModel } from '../models/notification.ts';
import {
  DELIVERY_TIMEOUT_MS, DeliveryModel, WebhookModel, afterAttempt, deliveryKey, signatureOf, takesKind,
} from '../models/webhook.ts';
import { jobClock } from './clock.ts';
import type { Config } from '../server/config.ts';
import { webhookDeliveries } from '../server/metrics.ts';
import { RefusedDestination, guardedLookup, refusedAddress, type AllowedNetworks } from '../server/outbound.ts';

export const name = 'notifications.deliver';

/** `now` (ISO date-time) fixes the clock for due attempts and backoff; absent, the job uses the time it runs. */
export type Data = { now?: string };

export type Result = { created: number; attempted: number; delivered: number; failed: number };

// A notification written with a `now` computed just before this run's read may land after it: each scan looks back
// this far past the last one. Re-inserting a delivery that exists is refused by its unique key.
const SCAN_OVERLAP_MS = 10 * 60_000;
// Due deliveries taken per run (the job runs every minute), and how many POSTs are in flight at once.
const BATCH = 500;
const PARALLEL = 8;

type ActiveWebhook = { _id: Types.ObjectId; url: string; kinds: string[]; secret: string; createdAt: Date; scannedTo: Date | null };

/** Makes the deliveries not made yet: one read of the notifications since the oldest active webhook's last scan. */
async function createDeliveries(webhooks: ActiveWebhook[], now: Date): Promise<number> {
  if (!webhooks.length) return 0;
  const fromOf = (w: ActiveWebhook) => new Date(Math.max(w.createdAt.getTime(), (w.scannedTo?.getTime() ?? 0) - SCAN_OVERLAP_MS));
  const from = new Date(Math.min(...webhooks.map((w) => fromOf(w).getTime())));
  const notifications = await NotificationModel.find({ createdAt: { $gte: from } }).lean();
  const docs = webhooks.flatMap((w) => {
    const since = fromOf(w).getTime();
    return notifications.filter((n) => n.createdAt.getTime() >= since && takesKind(w, n.kind)).map((n) => ({
      key: deliveryKey(n._id, w._id), webhookId: w._id, notificationId: n._id, kind: n.kind,
      payload: { id: String(n._id), kind: n.kind, title: n.title, body: n.body, data: n.data ?? {}, userId: String(n.userId), createdAt: n.createdAt },
      state: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now,
    }));
  });
  const taken = await insertUnlessTaken(DeliveryModel, docs);
  // Only moves forward, so a run with an earlier clock never makes a later one rescan less.
  for (const w of webhooks) {
    if (!w.scannedTo || w.scannedTo < now) await WebhookModel.updateOne({ _id: w._id }, { $set: { scannedTo: now } });
  }
  return docs.length - taken.size;
}

type Outcome = { ok: boolean; status: number | null; error: string | null };

/**
 * One POST: the signed body, a timeout, no redirects followed (the receiver is the URL the admin registered), and
 * only to an address server/outbound.ts allows: an IP literal is checked here, a name in the connection's own lookup.
 */
function post(webhook: ActiveWebhook, deliveryId: string, payload: unknown, now: Date, timeoutMs: number, allowed: AllowedNetworks): Promise<Outcome> {
  const body = JSON.stringify({ deliveryId, notification: payload });
  const url = new URL(webhook.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) ? refusedAddress(host, allowed) : undefined;
  if (literal) return Promise.resolve({ ok: false, status: null, error: `refused: ${literal}` });
  return new Promise((resolve) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      lookup: guardedLookup(allowed) as never,
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'User-Agent': 'key-accounts-webhooks/2',
        'X-KA-Signature': signatureOf(webhook.secret, Math.floor(now.getTime() / 1000), body),
        'X-KA-Delivery': deliveryId,
      },
    }, (res) => {
      res.resume(); // the answer's body is not read
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      resolve({ ok, status, error: ok ? null : `receiver answered HTTP ${status}` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      resolve({ ok: false, status: null, error: timedOut ? `no answer within ${timeoutMs} ms` : err instanceof RefusedDestination ? err.message : (err.code ?? err.message) });
    });
    req.end(body);
  });
}

/**
 * Makes missing deliveries for recent notifications, then attempts every pending delivery that is due. A receiver that
 * is down loses nothing: its deliveries stay pending with the next attempt scheduled, until MAX_ATTEMPTS.
 */
export async function deliver(options: { now?: Date; timeoutMs?: number; allowedNetworks?: AllowedNetworks } = {}): Promise<Result> {
  const now = options.now ?? new Date();
  const allowed = options.allowedNetworks ?? [];
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const webhooks = (await WebhookModel.find({ active: true }).lean()) as ActiveWebhook[];
  const created = await createDeliveries(webhooks, now);
  const byId = new Map(webhooks.map((w) => [String(w._id), w]));
  const due = (await DeliveryModel.find({ state: 'pending', nextAttemptAt: { $lte: now } }).sort({ nextAttemptAt: 1 }).limit(BATCH).lean())
    // A deactivated webhook's deliveries were closed when it was deleted; never POST to it again.
    .filter((d) => byId.has(String(d.webhookId)));
  const result: Result = { created, attempted: 0, delivered: 0, failed: 0 };
  let next = 0;
  const work = async () => {
    while (next < due.length) {
      const d = due[next++]!;
      const outcome = await post(byId.get(String(d.webhookId))!, String(d._id), d.payload, now, timeoutMs, allowed);
      const update = afterAttempt(d.attempts, now, outcome);
      await DeliveryModel.updateOne({ _id: d._id }, { $set: update });
      result.attempted += 1;
      if (update.state === 'delivered') result.delivered += 1;
      if (update.state === 'failed') result.failed += 1;
      webhookDeliveries.inc({ outcome: update.state === 'pending' ? 'retried' : update.state });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, due.length) }, work));
  return result;
}

export async function handler(config: Config, data: Data = {}): Promise<Result> {
  const now = jobClock(name, 'now', data.now);
  return deliver({ now, allowedNetworks: config.webhookAllowedNetworks });
}

export function define(agenda: Agenda, config: Config): void {
  agenda.define<Data>(name, async (job) => {
    await handler(config, job.attrs.data ?? {});
  });
}

/** Every minute: a new notification reaches its webhooks within about a minute. */
export async function schedule(agenda: Agenda): Promise<void> {
  await agenda.every('1 minute', name);
}

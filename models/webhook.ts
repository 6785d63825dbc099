import { createHmac, randomBytes } from 'node:crypto';
import { Schema, model, type HydratedDocument, type InferSchemaType } from 'mongoose';
import { jsonOptions } from './json.ts';
import { notificationKinds } from './notification.ts';

// Webhooks (admin-registered receivers) and their deliveries: each notification a webhook takes is POSTed to it once,
// retried with backoff until it is accepted or the attempts run out. Delivery is at-least-once: a POST whose outcome
// was never written (a crash between the two) is sent again, so receivers de-duplicate by X-KA-Delivery.

export const deliveryStates = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

/** Attempts per delivery before it ends `failed`. */
export const MAX_ATTEMPTS = 10;
/** How long a receiver has to answer one attempt. */
export const DELIVERY_TIMEOUT_MS = 5_000;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_CAP_MS = 2 * 60 * 60_000;

/** The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min ... capped at 2 h (about 4 h in all). */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_CAP_MS);
}

/** A signing secret: 32 random bytes, base64url. */
export const newSecret = () => randomBytes(32).toString('base64url');

/**
 * The value of X-KA-Signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the webhook's secret>`.
 * The time is signed with the body, so a captured delivery cannot be replayed later under a new time; receivers
 * refuse a `t` too far from their clock (README: 5 minutes) and de-duplicate by the deliveryId in the body.
 */
export function signatureOf(secret: string, unixSeconds: number, rawBody: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex')}`;
}

const webhookSchema = new Schema(
  {
    url: { type: String, required: true, maxlength: 2000 },
    // Empty means every kind, including kinds added later.
    kinds: { type: [{ type: String, enum: notificationKinds }], default: [] },
    description: { type: String, default: '', maxlength: 500 },
    // Needed in clear to sign; answered once at creation, never in JSON afterwards (stripped by toJSON and toPublicJson).
    secret: { type: String, required: true },
    active: { type: Boolean, required: true, default: true },
    createdById: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    createdAt: { type: Date, required: true },
    deactivatedAt: { type: Date, default: null },
    // The delivery job has made deliveries for every notification created before this (less a safety overlap).
    scannedTo: { type: Date, default: null },
  },
  { versionKey: false, toJSON: jsonOptions(['secret', 'scannedTo']) },
);

// The admin list, newest first; the delivery job reads the few active ones.
webhookSchema.index({ active: 1, _id: -1 });

export type Webhook = InferSchemaType<typeof webhookSchema>;
export type WebhookDocument = HydratedDocument<Webhook>;
export const WebhookModel = model('Webhook', webhookSchema, 'webhooks');
export const webhookSecretPaths = ['secret', 'scannedTo'] as const;

/** Whether a webhook takes notifications of this kind. */
export const takesKind = (webhook: { kinds?: readonly string[] | null }, kind: string) => !webhook.kinds?.length || webhook.kinds.includes(kind);

const deliverySchema = new Schema(
  {
    // `${notificationId}:${webhookId}`: a second job run, a crash or a second worker never makes a second delivery.
    key: { type: String, required: true },
    webhookId: { type: Schema.Types.ObjectId, ref: 'Webhook', required: true },
    notificationId: { type: Schema.Types.ObjectId, ref: 'Notification', required: true },
    kind: { type: String, required: true },
    // What is POSTed as `notification`, fixed when the delivery is made so every attempt sends the same content.
    payload: { type: Schema.Types.Mixed, required: true },
    state: { type: String, enum: deliveryStates, required: true, default: 'pending' },
    attempts: { type: Number, required: true, default: 0 },
    lastStatus: { type: Number, default: null },
    lastError: { type: String, default: null, maxlength: 500 },
    lastAttemptAt: { type: Date, default: null },
    nextAttemptAt: { type: Date, default: null },
    deliveredAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, toJSON: jsonOptions(['payload']) },
);

deliverySchema.index({ key: 1 }, { unique: true });
// GET /webhooks/:id/deliveries, newest first.
deliverySchema.index({ webhookId: 1, _id: -1 });
// The delivery job: pending deliveries whose next attempt is due.
deliverySchema.index({ state: 1, nextAttemptAt: 1 });

export type Delivery = InferSchemaType<typeof deliverySchema>;
export const DeliveryModel = model('WebhookDelivery', deliverySchema, 'webhook_deliveries');
export const deliverySecretPaths = ['payload'] as const;

export const deliveryKey = (notificationId: unknown, webhookId: unknown) => `${String(notificationId)}:${String(webhookId)}`;

/** The outcome of one attempt, as stored: delivered on a 2xx, else pending with the next attempt, or failed at the last. */
export function afterAttempt(attempts: number, now: Date, outcome: { ok: boolean; status: number | null; error: string | null }) {
  const tried = attempts + 1;
  const common = { attempts: tried, lastStatus: outcome.status, lastError: outcome.error?.slice(0, 500) ?? null, lastAttemptAt: now };
  if (outcome.ok) return { ...common, state: 'delivered' as const, deliveredAt: now, nextAttemptAt: null };
  if (tried >= MAX_ATTEMPTS) return { ...common, state: 'failed' as const, nextAttemptAt: null };
  return { ...common, state: 'pending' as const, nextAttemptAt: new Date(now.getTime() + backoffMs(tried)) };
}

import { Schema, Types, model, type InferSchemaType } from 'mongoose';
import { insertUnlessTaken } from './db-compat.ts';
import { UserModel } from './user.ts';

// The in-app feed: one notification per user and natural key. Webhook deliveries (models/webhook.ts) fan out from here.

export const notificationKinds = [
  'visit.reminder', 'visit.overdue', 'visit.missed', 'satisfaction.alert', 'tier.approval',
  'case.opened', 'case.handover', 'case.helper', 'case.comment', 'case.warning', 'case.escalated', 'case.resolved', 'case.reopened', 'case.closed', 'gift.approval', 'gift.decided',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

const notificationSchema = new Schema(
  {
    // The effect's natural key, e.g. `visit.reminder:7d:<visitId>:<userId>`: a re-run, a crash or a second worker
    // that notifies again hits this unique index instead of notifying twice.
    key: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    kind: { type: String, enum: notificationKinds, required: true },
    title: { type: String, required: true, maxlength: 300 },
    body: { type: String, default: '', maxlength: 4000 },
    // Ids a client follows: customerId, visitId, approvalId, caseId...
    data: { type: Schema.Types.Mixed, default: {} },
    readAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

notificationSchema.index({ key: 1 }, { unique: true });
// A user's feed, newest first (and ?unread=true).
notificationSchema.index({ userId: 1, _id: -1 });
// The webhook delivery job: notifications created since its last pass.
notificationSchema.index({ createdAt: 1, _id: 1 });

export type Notification = InferSchemaType<typeof notificationSchema>;
export const NotificationModel = model('Notification', notificationSchema, 'notifications');

export type NotificationInput = {
  userId: Types.ObjectId | string; kind: NotificationKind; key: string; title: string; body?: string; data?: Record<string, unknown>;
};

/** Creates the notifications not created before (by key); answers how many are new. */
export async function notify(items: NotificationInput[], now = new Date()): Promise<number> {
  if (!items.length) return 0;
  const docs = items.map((n) => ({ ...n, userId: new Types.ObjectId(String(n.userId)), body: n.body ?? '', data: n.data ?? {}, createdAt: now }));
  const taken = await insertUnlessTaken(NotificationModel, docs);
  return docs.length - taken.size;
}

/** The active executives, whom escalations and satisfaction alerts also reach. */
export async function executiveIds(): Promise<Types.ObjectId[]> {
  return (await UserModel.find({ role: 'executive', active: true }, { _id: 1 }).lean()).map((u) => u._id);
}

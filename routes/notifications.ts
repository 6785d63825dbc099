import Joi from 'joi';
import { Types } from 'mongoose';
import { toPublicJson } from '../models/json.ts';
import { NotificationModel, notificationKinds } from '../models/notification.ts';
import { kindsOutOfFeed, preferencesOf } from '../models/preferences.ts';
import { UserModel } from '../models/user.ts';
import { answer, moment, objectId, page } from '../schemas/common.ts';
import { currentUser } from '../server/auth.ts';
import { HttpError } from '../server/errors.ts';
import { operation } from '../server/operation.ts';
import { idsBefore, newestPage, pageKeys } from '../server/paging.ts';
import { idParam } from '../server/validate.ts';
import type { GetNotificationsQuery } from '../schemas/inputs.gen.ts';

const listSchema = Joi.object<GetNotificationsQuery>({
  ...pageKeys, unread: Joi.boolean().description('`true`: only those not read yet'),
});

const notificationSchema = answer({
  id: objectId(),
  userId: objectId(),
  kind: Joi.string().valid(...notificationKinds),
  title: Joi.string(),
  body: Joi.string().allow(''),
  data: Joi.object().unknown().description('ids a client follows: customerId, visitId, approvalId ...'),
  readAt: moment().allow(null),
  createdAt: moment(),
}).id('Notification');

const notificationJson = (row: Record<string, unknown>) => toPublicJson(row, ['key']);

// Everyone's own feed: a notification of another user answers 404 exactly as a missing one.
export const notificationOperations = [
  operation({
    method: 'get', path: '/api/v1/notifications', tag: 'notifications', access: 'signed-in',
    summary: 'Your own notifications, newest first',
    description: 'Kinds you keep out of the feed (GET /api/v1/me/preferences) are left out; they may still reach you by e-mail.',
    query: listSchema,
    responses: { 200: { description: 'A page of notifications', body: page(notificationSchema) } },
    handler: async (req, res, { query }) => {
      const user = currentUser(req);
      const filter: Record<string, unknown> = { userId: new Types.ObjectId(user.id), ...idsBefore(query.cursor) };
      if (query.unread === true) filter.readAt = null;
      // Kinds the user keeps out of the feed (GET/PATCH /me/preferences) are still made, for e-mail and webhooks.
      const hidden = kindsOutOfFeed(preferencesOf(await UserModel.findById(user.id, { preferences: 1 }).lean()));
      if (hidden.length) filter.kind = { $nin: hidden };
      const rows = await NotificationModel.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean();
      res.json(newestPage(rows, query.limit, notificationJson));
    },
  }),

  // Before /:id/read only for readability: the paths cannot collide.
  operation({
    method: 'post', path: '/api/v1/notifications/read-all', tag: 'notifications', access: 'signed-in',
    summary: 'Mark all your unread notifications read',
    responses: { 200: { description: 'How many were marked', body: answer({ updated: Joi.number().integer().min(0) }) } },
    handler: async (req, res) => {
      const user = currentUser(req);
      const { modifiedCount } = await NotificationModel.updateMany({ userId: new Types.ObjectId(user.id), readAt: null }, { $set: { readAt: new Date() } });
      res.json({ updated: modifiedCount });
    },
  }),

  // Idempotent: reading a read notification keeps its first readAt.
  operation({
    method: 'post', path: '/api/v1/notifications/:id/read', tag: 'notifications', access: 'signed-in',
    summary: 'Mark one of your notifications read', description: 'Idempotent: a read notification keeps its first readAt.',
    responses: { 200: { description: 'The notification', body: notificationSchema }, 404: 'No such notification, or one of another user' },
    handler: async (req, res) => {
      const user = currentUser(req);
      const notification = await NotificationModel.findById(idParam(String(req.params.id), 'notification')).lean();
      if (!notification || String(notification.userId) !== user.id) throw new HttpError(404, 'Not found', 'No notification with this id.');
      if (!notification.readAt) {
        notification.readAt = new Date();
        await NotificationModel.updateOne({ _id: notification._id }, { $set: { readAt: notification.readAt } });
      }
      res.json(notificationJson(notification));
    },
  }),
];

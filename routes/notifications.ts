import { Router } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { toPublicJson } from '../models/json.ts';
import { NotificationModel } from '../models/notification.ts';
import { kindsOutOfFeed, preferencesOf } from '../models/preferences.ts';
import { UserModel } from '../models/user.ts';
import { authenticate, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { idsBefore, newestPage, pageKeys } from '../server/paging.ts';
import { idParam, parse } from '../server/validate.ts';

const listSchema = Joi.object<{ limit: number; cursor?: string; unread?: boolean }>({ ...pageKeys, unread: Joi.boolean() });

const notificationJson = (row: Record<string, unknown>) => toPublicJson(row, ['key']);

// Everyone's own feed: a notification of another user answers 404 exactly as a missing one.
export function notificationsRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);

  router.get('/', auth, async (req, res) => {
    const user = currentUser(req);
    const input = parse(listSchema, req.query);
    const filter: Record<string, unknown> = { userId: new Types.ObjectId(user.id), ...idsBefore(input.cursor) };
    if (input.unread === true) filter.readAt = null;
    // Kinds the user keeps out of the feed (GET/PATCH /me/preferences) are still made, for e-mail and webhooks.
    const hidden = kindsOutOfFeed(preferencesOf(await UserModel.findById(user.id, { preferences: 1 }).lean()));
    if (hidden.length) filter.kind = { $nin: hidden };
    const rows = await NotificationModel.find(filter).sort({ _id: -1 }).limit(input.limit + 1).lean();
    res.json(newestPage(rows, input.limit, notificationJson));
  });

  // Before /:id/read only for readability: the paths cannot collide.
  router.post('/read-all', auth, async (req, res) => {
    const user = currentUser(req);
    const { modifiedCount } = await NotificationModel.updateMany({ userId: new Types.ObjectId(user.id), readAt: null }, { $set: { readAt: new Date() } });
    res.json({ updated: modifiedCount });
  });

  // Idempotent: reading a read notification keeps its first readAt.
  router.post('/:id/read', auth, async (req, res) => {
    const user = currentUser(req);
    const notification = await NotificationModel.findById(idParam(String(req.params.id), 'notification')).lean();
    if (!notification || String(notification.userId) !== user.id) throw new HttpError(404, 'Not found', 'No notification with this id.');
    if (!notification.readAt) {
      notification.readAt = new Date();
      await NotificationModel.updateOne({ _id: notification._id }, { $set: { readAt: notification.readAt } });
    }
    res.json(notificationJson(notification));
  });

  return router;
}

import { Router } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { toPublicJson } from '../models/json.ts';
import { NotificationModel } from '../models/notification.ts';
import { authenticate, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { idParam, parse } from '../server/validate.ts';

const listSchema = Joi.object<{ limit: number; cursor?: string; unread?: boolean }>({ ...pageKeys, unread: Joi.boolean() });

// Newest first, paged by _id: notifications added between pages fall before the cursor and never shift later pages.
const isPosition = (p: Record<string, unknown>) => typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id);
const before = (cursor: string | undefined): Record<string, unknown> => {
  const after = decodeCursor(cursor, isPosition);
  return after ? { _id: { $lt: new Types.ObjectId(after.id as string) } } : {};
};

const notificationJson = (row: Record<string, unknown>) => toPublicJson(row, ['key']);

// Everyone's own feed: a notification of another user answers 404 exactly as a missing one.
export function notificationsRouter(config: Config): Router {
  const router = Router();
  const auth = authenticate(config);

  router.get('/', auth, async (req, res) => {
    const user = currentUser(req);
    const input = parse(listSchema, req.query);
    const filter: Record<string, unknown> = { userId: new Types.ObjectId(user.id), ...before(input.cursor) };
    if (input.unread === true) filter.readAt = null;
    const rows = await NotificationModel.find(filter).sort({ _id: -1 }).limit(input.limit + 1).lean();
    res.json(toPage(rows, input.limit, (r) => ({ id: String(r._id) }), notificationJson));
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

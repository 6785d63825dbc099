import { Router } from 'express';
import { Types } from 'mongoose';
import { EmailModel, emailHiddenPaths } from '../models/email.ts';
import { toPublicJson } from '../models/json.ts';
import { objectId } from '../schemas/common.ts';
import { emailListSchema } from '../schemas/preferences-input.ts';
import { authenticate, authorize } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { idsBefore, newestPage } from '../server/paging.ts';
import { idParam, parse } from '../server/validate.ts';

const listSchema = emailListSchema.keys({ userId: objectId() });
const emailJson = (row: Record<string, unknown>) => toPublicJson(row, emailHiddenPaths);

// The e-mail outbox for admins: what was sent to whom, what is retrying, what failed and why; a failed one can be
// sent again once the relay or the address is fixed.
export function emailsRouter(config: Config): Router {
  const router = Router();
  router.use(authenticate(config), authorize('admin'));

  router.get('/', async (req, res) => {
    const input = parse(listSchema, req.query);
    const filter: Record<string, unknown> = { ...idsBefore(input.cursor) };
    if (input.state) filter.state = input.state;
    if (input.userId) filter.userId = new Types.ObjectId(input.userId);
    res.json(newestPage(await EmailModel.find(filter).sort({ _id: -1 }).limit(input.limit + 1).lean(), input.limit, emailJson));
  });

  // Only a failed e-mail: it goes back to the queue with its attempts counted afresh.
  router.post('/:id/retry', async (req, res) => {
    const id = idParam(String(req.params.id), 'e-mail');
    const retried = await EmailModel.findOneAndUpdate(
      { _id: id, state: 'failed' },
      { $set: { state: 'pending', attempts: 0, nextAttemptAt: new Date(), leaseUntil: null } },
      { returnDocument: 'after' },
    ).lean();
    if (retried) {
      res.json(emailJson(retried));
      return;
    }
    const exists = await EmailModel.exists({ _id: id });
    if (!exists) throw new HttpError(404, 'Not found', 'No e-mail with this id.');
    throw new HttpError(409, 'Conflict', 'Only a failed e-mail can be sent again.');
  });

  return router;
}

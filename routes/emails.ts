import { Types } from 'mongoose';
import { EmailModel, emailJson } from '../models/email.ts';
import { objectId, page } from '../schemas/common.ts';
import { emailSchema } from '../schemas/email.ts';
import { emailListSchema } from '../schemas/preferences-input.ts';
import { HttpError } from '../server/errors.ts';
import { operation } from '../server/operation.ts';
import { idsBefore, newestPage } from '../server/paging.ts';
import { idParam } from '../server/validate.ts';

const listSchema = emailListSchema.keys({ userId: objectId().description("only this user's e-mails") });

// The e-mail outbox for admins: what was sent to whom, what is retrying, what failed and why; a failed one can be
// sent again once the relay or the address is fixed.
export const emailOperations = [
  operation({
    method: 'get', path: '/api/v1/emails', tag: 'notifications', access: ['admin'],
    summary: 'The e-mail outbox, newest first (admin)',
    query: listSchema,
    responses: { 200: { description: 'A page of e-mails', body: page(emailSchema) } },
    handler: async (_req, res, { query }) => {
      const filter: Record<string, unknown> = { ...idsBefore(query.cursor) };
      if (query.state) filter.state = query.state;
      if (query.userId) filter.userId = new Types.ObjectId(query.userId);
      res.json(newestPage(await EmailModel.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean(), query.limit, emailJson));
    },
  }),

  // Only a failed e-mail: it goes back to the queue with its attempts counted afresh.
  operation({
    method: 'post', path: '/api/v1/emails/:id/retry', tag: 'notifications', access: ['admin'],
    summary: 'Send a failed e-mail again (admin), once the relay or the address is fixed',
    description: 'It goes back to the queue with its attempts counted afresh.',
    responses: {
      200: { description: 'The e-mail, pending again', body: emailSchema },
      404: 'No such e-mail', 409: 'The e-mail has not failed',
    },
    handler: async (req, res) => {
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
    },
  }),
];

import { Router } from 'express';
import Joi from 'joi';
import { Types } from 'mongoose';
import { ChangeModel } from '../models/change.ts';
import { canSeePersonal } from '../models/customer.ts';
import { toPublicJson } from '../models/json.ts';
import { authenticate, currentUser, customerFor } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { parse } from '../server/validate.ts';

const listSchema = Joi.object(pageKeys);

// Contacts' personal fields; their old and new values are hidden from those who may not see them.
const personalFields = new Set(['email', 'phone', 'birthday', 'notes']);
const HIDDEN = '[hidden]';

export function timelineRouter(config: Config): Router {
  const router = Router();

  // Newest first: who changed which fields of the customer, its contacts and its projects.
  router.get('/:id/timeline', authenticate(config), async (req, res) => {
    const user = currentUser(req);
    const customer = await customerFor(user, String(req.params.id), 'read');
    const input = parse(listSchema, req.query);
    const after = decodeCursor(input.cursor, (p) => typeof p.at === 'string' && !Number.isNaN(Date.parse(p.at))
      && typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id));
    const position = after && { at: new Date(after.at as string), id: new Types.ObjectId(after.id as string) };
    const rows = await ChangeModel.find({
      customerId: customer._id,
      ...(position ? { $or: [{ at: { $lt: position.at } }, { at: position.at, _id: { $lt: position.id } }] } : {}),
    }).sort({ at: -1, _id: -1 }).limit(input.limit + 1).lean();
    const mask = !canSeePersonal(user, customer);
    res.json(toPage(rows, input.limit, (r) => ({ at: r.at.toISOString(), id: String(r._id) }), (r) => ({
      ...toPublicJson(r),
      fields: r.fields.map((f) => (mask && r.entity === 'contact' && personalFields.has(f.field) ? { field: f.field, old: HIDDEN, new: HIDDEN } : f)),
    })));
  });

  return router;
}

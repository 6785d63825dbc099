import Joi from 'joi';
import { Types } from 'mongoose';
import { ChangeModel, changeActions, changeEntities } from '../models/change.ts';
import { canSeePersonal } from '../models/customer.ts';
import { toPublicJson } from '../models/json.ts';
import { answer, moment, objectId, page } from '../schemas/common.ts';
import { currentUser, customerFor } from '../server/auth.ts';
import { operation } from '../server/operation.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import type { GetCustomersIdTimelineQuery } from '../schemas/inputs.gen.ts';

const listSchema = Joi.object<GetCustomersIdTimelineQuery>(pageKeys);

// Contacts' personal fields; their old and new values are hidden from those who may not see them.
const personalFields = new Set(['email', 'phone', 'birthday', 'notes']);
const HIDDEN = '[hidden]';

const changeSchema = answer({
  id: objectId(), customerId: objectId(),
  entity: Joi.string().valid(...changeEntities), entityId: objectId(), entityName: Joi.string().allow(''),
  action: Joi.string().valid(...changeActions),
  actorId: objectId().allow(null).description('null for the system (a case closed by itself)'), actorName: Joi.string(), at: moment(),
  fields: Joi.array().items(answer({ field: Joi.string().description('a dotted path for a nested one (company.industry)'), old: Joi.any(), new: Joi.any() }))
    .description("changed fields with old and new values; contacts' personal fields read [hidden] for those who may not see them"),
}).id('Change').description('Who changed what, and when; what became of a service case');

/** A customer's timeline. */
export const timelineOperations = [
  // Newest first: who changed which fields of the customer, its contacts and its projects.
  operation({
    method: 'get', path: '/api/v1/customers/:id/timeline', tag: 'customers', access: 'signed-in',
    summary: 'Who changed what of the customer, its contacts and projects, and its service cases, newest first',
    description: 'A service case shows as entity `case`: `created` when it was opened, `handed_over`, `resolved`, `reopened` and `closed`.',
    query: listSchema,
    responses: { 200: { description: 'A page of changes', body: page(changeSchema) }, 404: 'No such customer, or one of another team' },
    handler: async (req, res, { query }) => {
      const user = currentUser(req);
      const customer = await customerFor(user, String(req.params.id), 'read');
      const after = decodeCursor(query.cursor, (p) => typeof p.at === 'string' && !Number.isNaN(Date.parse(p.at))
        && typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id));
      const position = after && { at: new Date(after.at as string), id: new Types.ObjectId(after.id as string) };
      const rows = await ChangeModel.find({
        customerId: customer._id,
        ...(position ? { $or: [{ at: { $lt: position.at } }, { at: position.at, _id: { $lt: position.id } }] } : {}),
      }).sort({ at: -1, _id: -1 }).limit(query.limit + 1).lean();
      const mask = !canSeePersonal(user, customer);
      res.json(toPage(rows, query.limit, (r) => ({ at: r.at.toISOString(), id: String(r._id) }), (r) => ({
        ...toPublicJson(r),
        fields: r.fields.map((f) => (mask && r.entity === 'contact' && personalFields.has(f.field) ? { field: f.field, old: HIDDEN, new: HIDDEN } : f)),
      })));
    },
  }),
];

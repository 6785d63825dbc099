import type { Response } from 'express';
import Joi from 'joi';
import { revokeAllForUser } from '../models/refresh-token.ts';
import { UserModel, hashPassword, type UserDocument } from '../models/user.ts';
import { page } from '../schemas/common.ts';
import { roleSchema, userSchema } from '../schemas/user.ts';
import { currentUser } from '../server/auth.ts';
import { HttpError } from '../server/errors.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { etagHeader, etagOf, ifMatchHeader, ifMatchVersion, staleError } from '../server/etag.ts';
import { operation } from '../server/operation.ts';
import { idParam } from '../server/validate.ts';

const email = Joi.string().trim().lowercase().email({ tlds: false }).max(254);
const name = Joi.string().trim().min(1).max(200);
const team = Joi.string().trim().allow('').max(100);
const password = Joi.string().min(12).max(256);

const createSchema = Joi.object({
  email: email.required(),
  name: name.required(),
  role: roleSchema.required(),
  team: team.default(''),
  password: password.required().description('at least 12 characters'),
}).id('UserCreate');
const patchSchema = Joi.object({
  name,
  role: roleSchema,
  team,
  active: Joi.boolean().description('false deactivates the account and ends its sessions'),
  password: password.description('a new password ends every session of the user'),
}).min(1).id('UserPatch');
const listSchema = Joi.object({
  ...pageKeys,
  role: roleSchema,
  team,
  active: Joi.boolean(),
});

const notFound = 'No such user';

function sendUser(res: Response, user: UserDocument, status = 200) {
  res.status(status).setHeader('ETag', etagOf(user.__v ?? 0)).json(user.toJSON());
}

/** Accounts and roles, for admins. */
export const userOperations = [
  operation({
    method: 'get', path: '/api/v1/users', tag: 'users', access: ['admin'],
    summary: 'List users (admin)',
    query: listSchema,
    responses: { 200: { description: 'A page of users', body: page(userSchema).id('UserPage') } },
    handler: async (_req, res, { query: input }) => {
      const after = decodeCursor(input.cursor, (p) => typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id));
      const filter = {
        ...(after ? { _id: { $gt: after.id as string } } : {}),
        ...(input.role ? { role: input.role } : {}),
        ...(input.team !== undefined ? { team: input.team } : {}),
        ...(input.active !== undefined ? { active: input.active } : {}),
      };
      const rows = await UserModel.find(filter).sort({ _id: 1 }).limit(input.limit + 1);
      res.json(toPage(rows, input.limit, (u) => ({ id: String(u._id) }), (u) => u.toJSON()));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/users', tag: 'users', access: ['admin'],
    summary: 'Create a user (admin)',
    body: createSchema,
    responses: { 201: { description: 'Created', headers: etagHeader, body: userSchema }, 409: 'The email is taken' },
    handler: async (_req, res, { body }) => {
      const { password: plain, ...fields } = body;
      const user = await UserModel.create({ ...fields, passwordHash: await hashPassword(plain) });
      res.location(`/api/v1/users/${user.id}`);
      sendUser(res, user, 201);
    },
  }),

  operation({
    method: 'get', path: '/api/v1/users/:id', tag: 'users', access: ['admin'],
    summary: 'Read a user (admin)',
    responses: { 200: { description: 'User', headers: etagHeader, body: userSchema }, 404: notFound },
    handler: async (req, res) => {
      const user = await UserModel.findById(idParam(String(req.params.id), 'user'));
      if (!user) throw new HttpError(404, 'Not found', 'No user with this id.');
      sendUser(res, user);
    },
  }),

  operation({
    method: 'patch', path: '/api/v1/users/:id', tag: 'users', access: ['admin'],
    summary: 'Change, deactivate or reactivate a user (admin)',
    headers: ifMatchHeader, body: patchSchema,
    responses: {
      200: { description: 'Updated', headers: etagHeader, body: userSchema },
      404: notFound, 409: 'An admin cannot deactivate or demote themselves', 412: 'The user changed since the ETag was read',
    },
    handler: async (req, res, { body }) => {
      const id = idParam(String(req.params.id), 'user');
      const { password: plain, ...fields } = body;
      if (id === currentUser(req).id && (fields.active === false || (fields.role && fields.role !== 'admin'))) {
        throw new HttpError(409, 'Conflict', 'Admins cannot deactivate themselves or give up their own admin role.');
      }
      const version = ifMatchVersion(req);
      const update = { ...fields, ...(plain ? { passwordHash: await hashPassword(plain) } : {}) };
      const user = await UserModel.findOneAndUpdate(
        { _id: id, ...(version !== undefined ? { __v: version } : {}) },
        { $set: update, $inc: { __v: 1 } },
        { returnDocument: 'after', runValidators: true },
      );
      if (!user) {
        if (version !== undefined && (await UserModel.exists({ _id: id }))) {
          throw staleError('user');
        }
        throw new HttpError(404, 'Not found', 'No user with this id.');
      }
      // A deactivated account or a new password ends every session; access tokens already stop at the next request.
      if (fields.active === false || plain) await revokeAllForUser(id);
      sendUser(res, user);
    },
  }),
];

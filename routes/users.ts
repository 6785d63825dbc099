import { Router, type Response } from 'express';
import Joi from 'joi';
import { revokeAllForUser } from '../models/refresh-token.ts';
import { UserModel, hashPassword, roles, type UserDocument } from '../models/user.ts';
import { authenticate, authorize, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { decodeCursor, pageKeys, toPage } from '../server/paging.ts';
import { etagOf, ifMatchVersion, staleError } from '../server/etag.ts';
import { idParam, parse } from '../server/validate.ts';

const email = Joi.string().trim().lowercase().email({ tlds: false }).max(254);
const name = Joi.string().trim().min(1).max(200);
const team = Joi.string().trim().allow('').max(100);
const password = Joi.string().min(12).max(256);

const createSchema = Joi.object({
  email: email.required(),
  name: name.required(),
  role: Joi.string().valid(...roles).required(),
  team: team.default(''),
  password: password.required(),
});
const patchSchema = Joi.object({
  name,
  role: Joi.string().valid(...roles),
  team,
  active: Joi.boolean(),
  password,
}).min(1);
const listSchema = Joi.object({
  ...pageKeys,
  role: Joi.string().valid(...roles),
  team,
  active: Joi.boolean(),
});

function sendUser(res: Response, user: UserDocument, status = 200) {
  res.status(status).setHeader('ETag', etagOf(user.__v ?? 0)).json(user.toJSON());
}

export function usersRouter(config: Config): Router {
  const router = Router();
  router.use(authenticate(config), authorize('admin'));

  router.get('/', async (req, res) => {
    const input = parse(listSchema, req.query);
    const after = decodeCursor(input.cursor, (p) => typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id));
    const filter = {
      ...(after ? { _id: { $gt: after.id as string } } : {}),
      ...(input.role ? { role: input.role } : {}),
      ...(input.team !== undefined ? { team: input.team } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
    };
    const rows = await UserModel.find(filter).sort({ _id: 1 }).limit(input.limit + 1);
    res.json(toPage(rows, input.limit, (u) => ({ id: String(u._id) }), (u) => u.toJSON()));
  });

  router.post('/', async (req, res) => {
    const { password: plain, ...fields } = parse(createSchema, req.body);
    const user = await UserModel.create({ ...fields, passwordHash: await hashPassword(plain) });
    res.location(`${req.baseUrl}/${user.id}`);
    sendUser(res, user, 201);
  });

  router.get('/:id', async (req, res) => {
    const user = await UserModel.findById(idParam(req.params.id, 'user'));
    if (!user) throw new HttpError(404, 'Not found', 'No user with this id.');
    sendUser(res, user);
  });

  router.patch('/:id', async (req, res) => {
    const id = idParam(req.params.id, 'user');
    const { password: plain, ...fields } = parse(patchSchema, req.body);
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
  });

  return router;
}

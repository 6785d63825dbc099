import { Router } from 'express';
import { UserModel } from '../models/user.ts';
import { authenticate, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';

export function meRouter(config: Config): Router {
  const router = Router();
  router.use(authenticate(config));

  router.get('/', async (req, res) => {
    const user = await UserModel.findById(currentUser(req).id);
    if (!user) throw new HttpError(404, 'Not found', 'Your account no longer exists.');
    res.json(user.toJSON());
  });

  return router;
}

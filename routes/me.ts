import { Router } from 'express';
import { UserModel, issueCalendarToken } from '../models/user.ts';
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

  // A new private feed address for the caller's visits (the old one stops working). Shown once: keep it like a password.
  router.post('/calendar-token', async (req, res) => {
    const token = await issueCalendarToken(currentUser(req).id);
    const base = `${req.protocol}://${req.get('host')}`;
    res.status(201).setHeader('Cache-Control', 'no-store').json({ token, url: `${base}/api/v1/calendar/${token}.ics` });
  });

  return router;
}

import { Router } from 'express';
import { Types } from 'mongoose';
import { EmailModel, emailHiddenPaths } from '../models/email.ts';
import { toPublicJson } from '../models/json.ts';
import {
  effectivePreferences, fromDocument, mergePreferences, preferencesOf, toDocument, type Preferences, type PreferencesDocument,
} from '../models/preferences.ts';
import { UserModel, issueCalendarToken } from '../models/user.ts';
import { emailListSchema, preferencesPatchSchema } from '../schemas/preferences-input.ts';
import { authenticate, currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { idsBefore, newestPage } from '../server/paging.ts';
import { parse } from '../server/validate.ts';

/** The preferences as answered: every kind with its channels, the defaults filled in, and the zone digests use. */
function preferencesJson(config: Config, prefs: Preferences) {
  return { ...prefs, effectiveTimezone: prefs.timezone ?? config.timezone, mail: config.mail ? 'on' : 'off' };
}

const emailJson = (row: Record<string, unknown>) => toPublicJson(row, emailHiddenPaths);

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

  router.get('/preferences', async (req, res) => {
    const user = await UserModel.findById(currentUser(req).id, { preferences: 1 }).lean();
    if (!user) throw new HttpError(404, 'Not found', 'Your account no longer exists.');
    res.json(preferencesJson(config, preferencesOf(user)));
  });

  // Merged into what is stored (per kind and channel), conditional on the version read, so two changes made at once
  // from two devices both hold.
  router.patch('/preferences', async (req, res) => {
    const change = parse(preferencesPatchSchema, req.body);
    const id = currentUser(req).id;
    for (let attempt = 0; attempt < 10; attempt++) {
      const user = await UserModel.findById(id, { preferences: 1, __v: 1 }).lean();
      if (!user) throw new HttpError(404, 'Not found', 'Your account no longer exists.');
      const merged = mergePreferences(fromDocument(user.preferences as PreferencesDocument), change);
      const { matchedCount } = await UserModel.updateOne({ _id: user._id, __v: user.__v }, { $set: { preferences: toDocument(merged) }, $inc: { __v: 1 } });
      if (matchedCount === 1) {
        res.json(preferencesJson(config, effectivePreferences(merged)));
        return;
      }
    }
    throw new HttpError(409, 'Conflict', 'Your account changed too often meanwhile; send the change again.');
  });

  // The e-mails made for you, newest first, with their state: sent, pending (retrying), failed and why, skipped.
  router.get('/emails', async (req, res) => {
    const input = parse(emailListSchema, req.query);
    const filter: Record<string, unknown> = { userId: new Types.ObjectId(currentUser(req).id), ...idsBefore(input.cursor) };
    if (input.state) filter.state = input.state;
    res.json(newestPage(await EmailModel.find(filter).sort({ _id: -1 }).limit(input.limit + 1).lean(), input.limit, emailJson));
  });

  return router;
}

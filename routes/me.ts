import Joi from 'joi';
import { Types } from 'mongoose';
import { EmailModel, emailJson } from '../models/email.ts';
import { notificationKinds } from '../models/notification.ts';
import {
  effectivePreferences, fromDocument, mergePreferences, preferencesOf, toDocument, type Preferences, type PreferencesDocument,
} from '../models/preferences.ts';
import { UserModel, issueCalendarToken } from '../models/user.ts';
import { answer, page } from '../schemas/common.ts';
import { emailSchema } from '../schemas/email.ts';
import { channelFields, emailListSchema, preferenceFields, preferencesPatchSchema } from '../schemas/preferences-input.ts';
import { userSchema } from '../schemas/user.ts';
import { currentUser } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { operation } from '../server/operation.ts';
import { idsBefore, newestPage } from '../server/paging.ts';

/** The preferences as answered: every kind with its channels, the defaults filled in, and the zone digests use. */
function preferencesJson(config: Config, prefs: Preferences) {
  return { ...prefs, effectiveTimezone: prefs.timezone ?? config.timezone, mail: config.mail ? 'on' : 'off' };
}

const preferencesSchema = answer({
  ...preferenceFields,
  kinds: answer(Object.fromEntries(notificationKinds.map((k) => [k, answer(channelFields)]))),
  effectiveTimezone: Joi.string().description("the zone digests use: timezone, or the organisation's"),
  mail: Joi.string().valid('on', 'off').description('`off`: the service sends no e-mail (SMTP_URL is not set)'),
}).id('Preferences');

const calendarTokenSchema = answer({
  token: Joi.string().description('the credential in the address; shown only in this answer'),
  url: Joi.string().uri().description('the feed address, `<server>/api/v1/calendar/<token>.ics`, to subscribe to'),
});

const digestNote = `The digest goes out once a day, within a minute after \`digestHour\` in the user's time zone (a worker that was
down sends it when it is back, the same day). It lists the user's open visits overdue first, then due today, then in
the next 7 days (when reminders are set to \`digest\`), the tier changes waiting for their approval (executives and
admins, when approvals are set to \`digest\`), and the other notifications of kinds set to \`digest\` since the last
digest. A day with nothing to tell sends nothing. No e-mail at all without SMTP_URL (\`mail: off\`).`;

const gone = 'Your account no longer exists';
const accountGone = () => new HttpError(404, 'Not found', 'Your account no longer exists.');

/** The signed-in user's own account, calendar feed, notification preferences and e-mails. */
export const meOperations = [
  operation({
    method: 'get', path: '/api/v1/me', tag: 'auth', access: 'signed-in',
    summary: 'The signed-in user',
    responses: { 200: { description: 'User', body: userSchema }, 404: gone },
    handler: async (req, res) => {
      const user = await UserModel.findById(currentUser(req).id);
      if (!user) throw accountGone();
      res.json(user.toJSON());
    },
  }),

  // A new private feed address for the caller's visits (the old one stops working). Shown once: keep it like a password.
  operation({
    method: 'post', path: '/api/v1/me/calendar-token', tag: 'visits', access: 'signed-in',
    summary: 'A new private iCalendar feed address for your visits; the previous one stops working',
    description: 'The token is shown once, in this answer: keep the URL like a password. Subscribe to it from Outlook, Google or Apple Calendar.',
    responses: {
      201: {
        description: 'The feed address', body: calendarTokenSchema,
        headers: { 'Cache-Control': { description: '`no-store`: the answer carries a credential', schema: { type: 'string' } } },
      },
    },
    handler: async (req, res) => {
      const token = await issueCalendarToken(currentUser(req).id);
      const base = `${req.protocol}://${req.get('host')}`;
      res.status(201).setHeader('Cache-Control', 'no-store').json({ token, url: `${base}/api/v1/calendar/${token}.ics` });
    },
  }),

  operation({
    method: 'get', path: '/api/v1/me/preferences', tag: 'notifications', access: 'signed-in',
    summary: 'Where your notifications reach you: feed, e-mail at once, or the daily digest', description: digestNote,
    responses: { 200: { description: 'Your preferences, defaults filled in', body: preferencesSchema }, 404: gone },
    handler: async (req, res, { config }) => {
      const user = await UserModel.findById(currentUser(req).id, { preferences: 1 }).lean();
      if (!user) throw accountGone();
      res.json(preferencesJson(config, preferencesOf(user)));
    },
  }),

  // Merged into what is stored (per kind and channel), conditional on the version read, so two changes made at once
  // from two devices both hold.
  operation({
    method: 'patch', path: '/api/v1/me/preferences', tag: 'notifications', access: 'signed-in',
    summary: 'Change your preferences (merged per kind and channel)', description: digestNote,
    body: preferencesPatchSchema,
    responses: {
      200: { description: 'Your preferences after the change', body: preferencesSchema }, 404: gone,
      409: 'Your account changed too often meanwhile; send the change again',
    },
    handler: async (req, res, { body: change, config }) => {
      const id = currentUser(req).id;
      for (let attempt = 0; attempt < 10; attempt++) {
        const user = await UserModel.findById(id, { preferences: 1, __v: 1 }).lean();
        if (!user) throw accountGone();
        const merged = mergePreferences(fromDocument(user.preferences as PreferencesDocument), change);
        const { matchedCount } = await UserModel.updateOne({ _id: user._id, __v: user.__v }, { $set: { preferences: toDocument(merged) }, $inc: { __v: 1 } });
        if (matchedCount === 1) {
          res.json(preferencesJson(config, effectivePreferences(merged)));
          return;
        }
      }
      throw new HttpError(409, 'Conflict', 'Your account changed too often meanwhile; send the change again.');
    },
  }),

  // The e-mails made for you, newest first, with their state: sent, pending (retrying), failed and why, skipped.
  operation({
    method: 'get', path: '/api/v1/me/emails', tag: 'notifications', access: 'signed-in',
    summary: 'The e-mails made for you, newest first, with their state',
    query: emailListSchema,
    responses: { 200: { description: 'A page of e-mails', body: page(emailSchema) } },
    handler: async (req, res, { query }) => {
      const filter: Record<string, unknown> = { userId: new Types.ObjectId(currentUser(req).id), ...idsBefore(query.cursor) };
      if (query.state) filter.state = query.state;
      res.json(newestPage(await EmailModel.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean(), query.limit, emailJson));
    },
  }),
];

import Joi from 'joi';
import { emailStates } from '../models/email.ts';
import { notificationKinds } from '../models/notification.ts';
import { emailModes, languages, type StoredPreferences } from '../models/preferences.ts';
import { isTimeZone } from '../models/time-zone.ts';
import { pageKeys } from './common.ts';

// PATCH /me/preferences and the e-mail lists' query strings.

const kindPreference = Joi.object({ feed: Joi.boolean().strict(), email: Joi.string().valid(...emailModes) }).min(1);

export const preferencesPatchSchema = Joi.object<StoredPreferences>({
  language: Joi.string().valid(...languages),
  timezone: Joi.string().trim().max(64).allow(null)
    .custom((zone: string, helpers) => (isTimeZone(zone) ? zone : helpers.error('any.invalid')))
    .messages({ 'any.invalid': '{#label} must be an IANA time zone such as Europe/Berlin or Asia/Shanghai, or null for the organisation\'s' }),
  digestHour: Joi.number().integer().min(0).max(23).strict(),
  digest: Joi.boolean().strict(),
  kinds: Joi.object(Object.fromEntries(notificationKinds.map((k) => [k, kindPreference]))),
}).min(1).messages({ 'object.min': 'name at least one preference to change' });

export const emailListSchema = Joi.object<{ limit: number; cursor?: string; state?: string; userId?: string }>({
  ...pageKeys,
  state: Joi.string().valid(...emailStates),
});

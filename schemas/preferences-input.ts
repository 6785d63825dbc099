import Joi from 'joi';
import { emailStates } from '../models/email.ts';
import { notificationKinds } from '../models/notification.ts';
import { emailModes, languages, type StoredPreferences } from '../models/preferences.ts';
import { isTimeZone } from '../models/time-zone.ts';
import { pageKeys } from './common.ts';
import type { GetEmailsQuery } from './inputs.gen.ts';

// PATCH /me/preferences and the e-mail lists' query strings.

/** The channels of one kind of notification; the answer of GET /me/preferences has both of each kind. */
export const channelFields = {
  feed: Joi.boolean().strict().description('shown in GET /notifications'),
  email: Joi.string().valid(...emailModes).description('`now`: an e-mail each; `digest`: in the daily digest; `off`: no e-mail'),
};

/** The preferences besides the kinds, as PATCH /me/preferences takes them and GET /me/preferences answers them. */
export const preferenceFields = {
  language: Joi.string().valid(...languages).description('of e-mails: English or Chinese'),
  timezone: Joi.string().trim().max(64).allow(null)
    .custom((zone: string, helpers) => (isTimeZone(zone) ? zone : helpers.error('any.invalid')))
    .messages({ 'any.invalid': '{#label} must be an IANA time zone such as Europe/Berlin or Asia/Shanghai, or null for the organisation\'s' })
    .description("IANA time zone of the digest hour and of dates in e-mails; null: the organisation's (TZ)"),
  digestHour: Joi.number().integer().min(0).max(23).strict().description('local hour the daily digest is sent at'),
  digest: Joi.boolean().strict().description('false: no digest at all'),
};

const kindPreference = Joi.object(channelFields).min(1).description('at least one of feed and email');

export const preferencesPatchSchema = Joi.object<StoredPreferences>({
  ...preferenceFields,
  kinds: Joi.object(Object.fromEntries(notificationKinds.map((k) => [k, kindPreference]))).description('only the kinds and channels to change'),
}).min(1).messages({ 'object.min': 'name at least one preference to change' }).id('PreferencesChange')
  .description('The preferences to change, at least one; kinds merge per kind and channel into what is stored');

export const emailListSchema = Joi.object<GetEmailsQuery>({
  ...pageKeys,
  state: Joi.string().valid(...emailStates),
});

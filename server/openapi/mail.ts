import { MAX_EMAIL_ATTEMPTS, emailStates, emailTypes } from '../../models/email.ts';
import { notificationKinds } from '../../models/notification.ts';
import { emailModes, languages } from '../../models/preferences.ts';
import { errors, idParam, json, page, pageParams, problem, ref, secured, type Part } from './common.ts';

const objectIdSchema = { type: 'string', pattern: '^[0-9a-f]{24}$' };
const date = { type: 'string', format: 'date-time' };
const nullableDate = { type: ['string', 'null'], format: 'date-time' };
const stateParam = { name: 'state', in: 'query', schema: { enum: [...emailStates] } };
const adminOnly = { 401: errors[401], 403: errors[403] };

const channel = (all: boolean) => ({
  type: 'object', additionalProperties: false, ...(all ? { required: ['feed', 'email'] } : { minProperties: 1 }),
  properties: {
    feed: { type: 'boolean', description: 'shown in GET /notifications' },
    email: { enum: [...emailModes], description: '`now`: an e-mail each; `digest`: in the daily digest; `off`: no e-mail' },
  },
});
const kinds = (all: boolean) => ({
  type: 'object', additionalProperties: false, ...(all ? { required: [...notificationKinds] } : {}),
  properties: Object.fromEntries(notificationKinds.map((k) => [k, channel(all)])),
});
const preferenceProperties = {
  language: { enum: [...languages], description: 'of e-mails: English or Chinese' },
  timezone: { type: ['string', 'null'], maxLength: 64, description: "IANA time zone of the digest hour and of dates in e-mails; null: the organisation's (TZ)" },
  digestHour: { type: 'integer', minimum: 0, maximum: 23, description: 'local hour the daily digest is sent at' },
  digest: { type: 'boolean', description: 'false: no digest at all' },
};

const digestNote = `The digest goes out once a day, within a minute after \`digestHour\` in the user's time zone (a worker that was
down sends it when it is back, the same day). It lists the user's open visits overdue first, then due today, then in
the next 7 days (when reminders are set to \`digest\`), the tier changes waiting for their approval (executives and
admins, when approvals are set to \`digest\`), and the other notifications of kinds set to \`digest\` since the last
digest. A day with nothing to tell sends nothing. No e-mail at all without SMTP_URL (\`mail: off\`).`;

export const mailPart: Part = {
  paths: {
    '/api/v1/me/preferences': {
      get: {
        tags: ['notifications'], summary: 'Where your notifications reach you: feed, e-mail at once, or the daily digest', description: digestNote, security: secured,
        responses: { 200: { description: 'Your preferences, defaults filled in', content: json(ref('Preferences')) }, 401: errors[401] },
      },
      patch: {
        tags: ['notifications'], summary: 'Change your preferences (merged per kind and channel)', description: digestNote, security: secured,
        requestBody: { required: true, content: json(ref('PreferencesChange')) },
        responses: {
          200: { description: 'Your preferences after the change', content: json(ref('Preferences')) }, 400: errors[400], 401: errors[401],
          409: problem('Your account changed too often meanwhile; send the change again'),
        },
      },
    },
    '/api/v1/me/emails': {
      get: {
        tags: ['notifications'], summary: 'The e-mails made for you, newest first, with their state', security: secured,
        parameters: [...pageParams, stateParam],
        responses: { 200: { description: 'A page of e-mails', content: json(page('Email')) }, 400: errors[400], 401: errors[401] },
      },
    },
    '/api/v1/emails': {
      get: {
        tags: ['notifications'], summary: 'The e-mail outbox, newest first (admin)', security: secured,
        parameters: [...pageParams, stateParam, { name: 'userId', in: 'query', schema: objectIdSchema }],
        responses: { 200: { description: 'A page of e-mails', content: json(page('Email')) }, 400: errors[400], ...adminOnly },
      },
    },
    '/api/v1/emails/{id}/retry': {
      parameters: [idParam],
      post: {
        tags: ['notifications'], summary: 'Send a failed e-mail again (admin), once the relay or the address is fixed', security: secured,
        responses: {
          200: { description: 'The e-mail, pending again', content: json(ref('Email')) }, ...adminOnly,
          404: problem('No such e-mail'), 409: problem('The e-mail has not failed'),
        },
      },
    },
  },
  schemas: {
    Preferences: {
      type: 'object', required: ['language', 'timezone', 'digestHour', 'digest', 'kinds', 'effectiveTimezone', 'mail'],
      properties: {
        ...preferenceProperties, kinds: kinds(true),
        effectiveTimezone: { type: 'string', description: 'the zone digests use: timezone, or the organisation\'s' },
        mail: { enum: ['on', 'off'], description: '`off`: the service sends no e-mail (SMTP_URL is not set)' },
      },
    },
    PreferencesChange: {
      type: 'object', additionalProperties: false, minProperties: 1,
      properties: { ...preferenceProperties, kinds: kinds(false) },
    },
    Email: {
      type: 'object',
      required: ['id', 'key', 'type', 'userId', 'to', 'subject', 'state', 'attempts', 'lastError', 'nextAttemptAt', 'sentAt', 'messageId', 'createdAt'],
      properties: {
        id: { ...objectIdSchema, description: 'also the X-KA-Email header' },
        key: { type: 'string', description: '`notification:<notificationId>:<userId>` or `digest:<userId>:<local day>`, unique' },
        type: { enum: [...emailTypes] },
        userId: objectIdSchema,
        to: { type: 'string' },
        notificationKind: { type: ['string', 'null'] },
        notificationId: { ...objectIdSchema, type: ['string', 'null'] },
        subject: { type: 'string' },
        state: { enum: [...emailStates], description: '`sending`: handed to the relay; `skipped`: a digest with nothing to tell' },
        note: { type: ['string', 'null'] },
        attempts: { type: 'integer', minimum: 0, maximum: MAX_EMAIL_ATTEMPTS },
        lastError: { type: ['string', 'null'], description: "the relay's answer or the connection error at the last failed attempt" },
        lastAttemptAt: nullableDate,
        nextAttemptAt: { ...nullableDate, description: 'when a pending e-mail is tried next' },
        sentAt: nullableDate,
        messageId: { type: 'string' },
        createdAt: date,
      },
    },
  },
};

import Joi from 'joi';
import { MAX_EMAIL_ATTEMPTS, emailStates, emailTypes } from '../models/email.ts';
import { answer, moment, objectId } from './common.ts';

// An e-mail of the outbox as answered (models/email.ts, emailJson): to its user at GET /me/emails, to admins at
// GET /emails and POST /emails/:id/retry.

export const emailSchema = answer({
  id: objectId().description('also the X-KA-Email header'),
  key: Joi.string().description('`notification:<notificationId>:<userId>` or `digest:<userId>:<local day>`, unique'),
  type: Joi.string().valid(...emailTypes),
  userId: objectId(),
  to: Joi.string().description('the address when the e-mail was made'),
  notificationKind: Joi.string().allow(null),
  notificationId: objectId().allow(null),
  subject: Joi.string(),
  state: Joi.string().valid(...emailStates).description('`sending`: handed to the relay; `skipped`: a digest with nothing to tell'),
  note: Joi.string().allow(null).description('why a digest was not sent, or why an e-mail failed'),
  attempts: Joi.number().integer().min(0).max(MAX_EMAIL_ATTEMPTS),
  lastError: Joi.string().allow(null).description("the relay's answer or the connection error at the last failed attempt"),
  lastAttemptAt: moment().allow(null),
  nextAttemptAt: moment().allow(null).description('when a pending e-mail is tried next'),
  sentAt: moment().allow(null),
  messageId: Joi.string(),
  createdAt: moment(),
}).id('Email');

import { contactOperations } from '../routes/contacts.ts';
import { emailOperations } from '../routes/emails.ts';
import { meOperations } from '../routes/me.ts';
import { notificationOperations } from '../routes/notifications.ts';
import { webhookOperations } from '../routes/webhooks.ts';
import type { Operation } from './operation.ts';

/** Every declared operation, in the order it is mounted (a literal path before a parameter that would match it). */
export const operations: readonly Operation[] = [
  ...contactOperations,
  ...meOperations,
  ...notificationOperations,
  ...webhookOperations,
  ...emailOperations,
];

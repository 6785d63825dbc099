import { calendarOperations } from '../routes/calendar.ts';
import { contactOperations } from '../routes/contacts.ts';
import { visitsOperations } from '../routes/visits.ts';
import type { Operation } from './operation.ts';

/** Every declared operation, in the order it is mounted (a literal path before a parameter that would match it). */
export const operations: readonly Operation[] = [
  ...contactOperations,
  ...visitsOperations,
  ...calendarOperations,
];

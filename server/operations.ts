import { contactOperations } from '../routes/contacts.ts';
import { planOperations } from '../routes/plans.ts';
import { projectOperations } from '../routes/projects.ts';
import type { Operation } from './operation.ts';

/** Every declared operation, in the order it is mounted (a literal path before a parameter that would match it). */
export const operations: readonly Operation[] = [
  ...contactOperations,
  ...projectOperations,
  ...planOperations,
];

import { contactOperations } from '../routes/contacts.ts';
import { tierPolicyOperations } from '../routes/tier-policy.ts';
import { tierOperations } from '../routes/tiers.ts';
import type { Operation } from './operation.ts';

/** Every declared operation, in the order it is mounted (a literal path before a parameter that would match it). */
export const operations: readonly Operation[] = [
  ...contactOperations,
  ...tierOperations,
  ...tierPolicyOperations,
];

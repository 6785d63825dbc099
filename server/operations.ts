import { contactOperations } from '../routes/contacts.ts';
import { customerCsvOperations } from '../routes/customers-csv.ts';
import { customerOperations } from '../routes/customers.ts';
import { importOperations } from '../routes/imports.ts';
import { timelineOperations } from '../routes/timeline.ts';
import type { Operation } from './operation.ts';

/** Every declared operation, in the order it is mounted (a literal path before a parameter that would match it). */
export const operations: readonly Operation[] = [
  ...contactOperations,
  // the CSV export and import before /customers/:id, which would take their paths
  ...customerCsvOperations,
  ...customerOperations,
  ...timelineOperations,
  ...importOperations,
];

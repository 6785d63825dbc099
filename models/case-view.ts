import type { Types } from 'mongoose';
import { caseInternalPaths, isOverdue, targetsMet, type CaseRecord } from './case.ts';
import { CustomerModel } from './customer.ts';
import { toPublicJson } from './json.ts';

// A case as answered: its own fields, the customer's code and name only (a case opened for another team's customer
// tells its owner nothing more of the file), and whether its targets are met and it is overdue at this moment.

export type CustomerCard = { _id: Types.ObjectId; code: string; name: string };

export function caseView(kase: CaseRecord, customer: CustomerCard | null | undefined, now = new Date()): Record<string, unknown> {
  return {
    ...toPublicJson(kase, caseInternalPaths),
    customer: customer ? { id: String(customer._id), code: customer.code, name: customer.name } : null,
    ...targetsMet(kase, now),
    overdue: isOverdue(kase, now),
  };
}

/** Many cases, their customers' cards read at once. */
export async function caseViews(cases: CaseRecord[], now = new Date()): Promise<Array<Record<string, unknown>>> {
  const ids = [...new Set(cases.map((c) => String(c.customerId)))];
  const cards = ids.length ? await CustomerModel.find({ _id: { $in: ids } }, { code: 1, name: 1 }).lean<CustomerCard[]>() : [];
  const byId = new Map(cards.map((c) => [String(c._id), c]));
  return cases.map((c) => caseView(c, byId.get(String(c.customerId)), now));
}

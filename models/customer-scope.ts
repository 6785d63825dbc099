import type { Types } from 'mongoose';
import { CustomerModel } from './customer.ts';

// Lists of records that belong to customers (projects, visits, actions, plans) show only the records of the customers
// a condition on customers selects: the ones a manager may see, the ones of a tier. Two ways to apply it, chosen by
// what reads fewer documents (each document the embedded engine returns is decoded, the dominant cost of a query):
// - the list names an owner or a customer, so its own query is narrow and served by an index: read a page of it,
//   check its customers with one $in query, and read on past the rows refused until the page is full;
// - otherwise: the ids of the selected customers first, then the list with `customerId: {$in: ids}`.

/** Conditions that all hold, leaving out empty ones. */
export const allOf = (...conditions: Array<Record<string, unknown>>): Record<string, unknown> => {
  const given = conditions.filter((c) => Object.keys(c).length > 0);
  return given.length ? { $and: given } : {};
};

export type ListQuery<T> = {
  /** The list's own query (filters, cursor, sort, limit) with one more condition. */
  find: (extra: Record<string, unknown>, limit: number) => Promise<T[]>;
  /** The condition for the rows after `row` in the list's order. */
  after: (row: T) => Record<string, unknown>;
  /** True when the list's own filter names an owner or a customer. */
  narrow: boolean;
};

/**
 * Up to limit + 1 rows, newest first (keyset on `_id`), of a list whose own conditions are `and`, of the customers that
 * `customers` selects; `narrow` when those conditions name an owner or a customer.
 */
export function newestOfCustomers<T extends { _id: Types.ObjectId; customerId: unknown }>(
  customers: Record<string, unknown>, and: Array<Record<string, unknown>>, narrow: boolean,
  find: (filter: Record<string, unknown>, n: number) => Promise<T[]>, limit: number,
): Promise<T[]> {
  return rowsOfCustomers(customers, {
    find: (extra, n) => find(allOf(...and, extra), n),
    after: (row) => ({ _id: { $lt: row._id } }),
    narrow,
  }, limit);
}

/** Up to limit + 1 rows of the list whose customer matches `customers` (every row when the condition is empty). */
export async function rowsOfCustomers<T extends { customerId: unknown }>(
  customers: Record<string, unknown>, list: ListQuery<T>, limit: number,
): Promise<T[]> {
  if (Object.keys(customers).length === 0) return list.find({}, limit + 1);
  if (!list.narrow) {
    const ids = (await CustomerModel.find(customers, { _id: 1 }).lean()).map((c) => c._id);
    return list.find({ customerId: { $in: ids } }, limit + 1);
  }
  const rows: T[] = [];
  for (let extra: Record<string, unknown> = {}; ;) {
    const batch = await list.find(extra, limit + 1);
    if (batch.length === 0) return rows;
    const ids = [...new Set(batch.map((r) => String(r.customerId)))];
    const allowed = new Set((await CustomerModel.find({ $and: [{ _id: { $in: ids } }, customers] }, { _id: 1 }).lean()).map((c) => String(c._id)));
    rows.push(...batch.filter((r) => allowed.has(String(r.customerId))));
    if (rows.length > limit || batch.length <= limit) return rows.slice(0, limit + 1);
    extra = list.after(batch[batch.length - 1]!);
  }
}

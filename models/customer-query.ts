import { Types } from 'mongoose';
import type { AuthUser } from './user.ts';
import { visibleTo } from './customer.ts';

// The customer list's filters and keyset pagination, shared by GET /customers and the CSV export.

export const customerSorts = ['name', '-updatedAt', '-revenue12m'] as const;
export type CustomerSort = (typeof customerSorts)[number];

export type CustomerFilters = {
  status?: string | undefined;
  tier?: string | undefined; // S, A, B, C or 'none'
  owner?: string | undefined; // 'me' or a user id
  industry?: string | undefined;
  region?: string | undefined;
  tag?: string | undefined;
  parentId?: string | undefined;
  q?: string | undefined;
  includeArchived?: boolean | undefined;
};

/** RE2-safe literal: every regex metacharacter escaped. */
export const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A filter built only from validated scalars; access comes first so no other condition can widen it. */
export function customerFilter(user: AuthUser, f: CustomerFilters): Record<string, unknown> {
  const and: Record<string, unknown>[] = [visibleTo(user)];
  if (!f.includeArchived) and.push({ archived: false });
  if (f.status) and.push({ status: f.status });
  if (f.tier) and.push({ tier: f.tier === 'none' ? null : f.tier });
  if (f.owner) and.push({ ownerId: new Types.ObjectId(f.owner === 'me' ? user.id : f.owner) });
  // top-level copies of company.industry and company.region, which an index serves with the name sort
  if (f.industry) and.push({ companyIndustry: f.industry });
  if (f.region) and.push({ companyRegion: f.region });
  if (f.tag) and.push({ tags: f.tag });
  if (f.parentId) and.push({ parentId: new Types.ObjectId(f.parentId) });
  if (f.q) {
    const pattern = escapeRegex(f.q);
    and.push({ $or: [{ name: { $regex: pattern, $options: 'i' } }, { code: { $regex: pattern, $options: 'i' } }] });
  }
  const conditions = and.filter((c) => Object.keys(c).length > 0);
  return conditions.length ? { $and: conditions } : {};
}

type SortSpec = { field: 'name' | 'updatedAt' | 'revenue12m'; direction: 1 | -1 };

const sortSpecs: Record<CustomerSort, SortSpec> = {
  name: { field: 'name', direction: 1 },
  '-updatedAt': { field: 'updatedAt', direction: -1 },
  '-revenue12m': { field: 'revenue12m', direction: -1 },
};

export function sortOf(sort: CustomerSort): Record<string, 1 | -1> {
  const { field, direction } = sortSpecs[sort];
  return { [field]: direction, _id: direction };
}

/** Where a page ended: the sort key and value of its last row, and that row's id. */
export function positionOf(sort: CustomerSort, row: { _id: unknown; name: string; updatedAt?: Date | null; revenue12m: number }) {
  const { field } = sortSpecs[sort];
  const value = field === 'updatedAt' ? (row.updatedAt ?? new Date(0)).toISOString() : row[field];
  return { s: sort, v: value, id: String(row._id) };
}

export function isPosition(sort: CustomerSort) {
  return (p: Record<string, unknown>) => {
    if (p.s !== sort || typeof p.id !== 'string' || !/^[0-9a-f]{24}$/.test(p.id)) return false;
    const { field } = sortSpecs[sort];
    if (field === 'revenue12m') return typeof p.v === 'number' && Number.isFinite(p.v);
    if (field === 'updatedAt') return typeof p.v === 'string' && !Number.isNaN(Date.parse(p.v));
    return typeof p.v === 'string';
  };
}

/** Rows strictly after the position in the sort order: stable when rows are added between pages. */
export function afterPosition(sort: CustomerSort, position: Record<string, unknown>): Record<string, unknown> {
  const { field, direction } = sortSpecs[sort];
  const value = field === 'updatedAt' ? new Date(position.v as string) : position.v;
  const id = new Types.ObjectId(position.id as string);
  const beyond = direction === 1 ? '$gt' : '$lt';
  return { $or: [{ [field]: { [beyond]: value } }, { [field]: value, _id: { [beyond]: id } }] };
}

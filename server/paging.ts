import { Types } from 'mongoose';
import { HttpError } from './errors.ts';

export { pageKeys } from '../schemas/common.ts';

export type Page<T> = { items: T[]; nextCursor: string | null };

export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a cursor into its position; each field must be a string or number, or the cursor is refused with 400. */
export function decodeCursor(cursor: string | undefined, check: (position: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (position && typeof position === 'object' && !Array.isArray(position) && check(position as Record<string, unknown>)) {
      return position as Record<string, unknown>;
    }
  } catch {
    // falls through to the 400 below
  }
  throw new HttpError(400, 'Validation failed', 'The cursor is not one this service issued.', {
    errors: [{ field: 'cursor', message: 'cursor is invalid' }],
  });
}

/** Given limit + 1 rows, answers the page and a cursor to the next one. */
export function toPage<T, R>(rows: T[], limit: number, position: (last: T) => Record<string, string | number>, shape: (row: T) => R): Page<R> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items: items.map(shape), nextCursor: more ? encodeCursor(position(items[items.length - 1]!)) : null };
}

const isIdPosition = (p: Record<string, unknown>) => typeof p.id === 'string' && /^[0-9a-f]{24}$/.test(p.id);

/** The condition for the rows after a cursor of a list newest first (keyset on _id): rows added meanwhile fall before it. */
export function idsBefore(cursor: string | undefined): Record<string, unknown> {
  const after = decodeCursor(cursor, isIdPosition);
  return after ? { _id: { $lt: new Types.ObjectId(after.id as string) } } : {};
}

/** A page of a list newest first, from limit + 1 rows. */
export function newestPage<T extends { _id: unknown }, R>(rows: T[], limit: number, shape: (row: T) => R): Page<R> {
  return toPage(rows, limit, (r) => ({ id: String(r._id) }), shape);
}

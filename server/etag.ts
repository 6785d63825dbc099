import type { Request } from 'express';
import { HttpError } from './errors.ts';

// ETags are the document's version counter (__v), bumped by every write made through the API.
export const etagOf = (version: number) => `"${version}"`;

/** The version named by If-Match, or undefined when the header is absent (the write then applies unconditionally). */
export function ifMatchVersion(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(header.trim());
  if (!match) throw new HttpError(412, 'Precondition failed', 'If-Match must be an ETag this service issued.');
  return Number(match[1]);
}

/** The 412 for a write whose If-Match (or the version read before it) no longer matches the stored record. */
export const staleError = (what: string) =>
  new HttpError(412, 'Precondition failed', `The ${what} changed since you read it; fetch it again and retry.`);

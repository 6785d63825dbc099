import type { Request } from 'express';
import Joi from 'joi';
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

/**
 * Applies a change under optimistic concurrency. `attempt` reads the record, checks the request against it and writes
 * conditional on the version it read, answering null when that write matched nothing because another write came
 * first. With If-Match the client named the version it had read, so it gets the 412. Without, it asked for its change
 * on the record as it is now: the attempt is made again on a fresh read, whose checks may now refuse it (a 409 for a
 * status already left), and only a record that keeps changing under it ends in a 409. A client never gets a 412 for a
 * precondition it did not send.
 */
export async function applyToLatest<T>(req: Request, what: string, attempt: (version: number | undefined) => Promise<T | null>): Promise<T> {
  const version = ifMatchVersion(req);
  for (let tries = version === undefined ? 5 : 1; tries > 0; tries--) {
    const done = await attempt(version);
    if (done !== null) return done;
  }
  throw version === undefined ? new HttpError(409, 'Conflict', `The ${what} kept changing while your change was applied; try again.`) : staleError(what);
}

/** The request header of a conditional write, for an operation's `headers`. */
export const ifMatchHeader = Joi.object({
  'If-Match': Joi.string().description('ETag from a previous read; a stale one gets 412 and changes nothing. Without it the change applies to '
    + 'the record as it is when the write lands (a write at the same moment goes first and is kept).'),
});

/** The answer header that carries the version, for If-Match. */
export const etagHeader = { ETag: { description: 'version of the resource, for If-Match', schema: { type: 'string' } } };

/** The 409 of a write without If-Match whose record kept changing under it (applyToLatest). */
export const keptChanging = (what: string) => `The ${what} kept changing while the change was applied (sent without If-Match); try again`;

// A versioned policy (the tier policy, the gift policy) is never changed: each save is the next version, and its ETag
// names that version.

/** The ETag of a policy version: `"v<version>"`. */
export const etagOfPolicy = (version: number) => `"v${version}"`;

/** The policy version named by If-Match, undefined when absent or `*`; an ETag no policy route issued answers 412. */
export function ifMatchPolicyVersion(req: Request): number | undefined {
  const header = req.get('if-match')?.trim();
  if (header === undefined || header === '*') return undefined;
  const match = /^(?:W\/)?"v(\d{1,9})"$/.exec(header);
  if (!match) throw new HttpError(412, 'Precondition failed', 'If-Match must be an ETag this service issued, like "v3".');
  return Number(match[1]);
}

/** The answer header of a policy, for If-Match. */
export const policyEtagHeader = {
  ETag: { description: 'the policy version as `"v<version>"`, for If-Match', schema: { type: 'string', pattern: '^"v[0-9]+"$' } },
};

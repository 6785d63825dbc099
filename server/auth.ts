import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { isValidObjectId, type Types } from 'mongoose';
import { CaseModel, caseRole, type CaseRecord, type CaseRole } from '../models/case.ts';
import { CustomerModel, canChange, canRead, type CustomerDocument } from '../models/customer.ts';
import { UserModel, authUserOf, sessionEnded, type AuthUser, type Role } from '../models/user.ts';
import type { Config } from './config.ts';
import { HttpError } from './errors.ts';
import { rateLimited } from './metrics.ts';
import { rateLimiterFor } from './rate-limiter.ts';
import { idParam } from './validate.ts';

// The signed-in user is a domain type (models/user.ts): models take it without importing the HTTP layer.
export type { AuthUser };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: AuthUser;
    }
  }
}

// The one algorithm we sign with and the only one we accept: tokens with `none` or another algorithm are refused.
const ALGORITHM = 'HS256';

// The secret as a key object, made once per secret: given the string, jsonwebtoken first tries it as a PEM public key
// and fails on every request (a quarter of a millisecond each, a tenth of a short read's time).
const keys = new Map<string, KeyObject>();
function keyOf(config: Config): KeyObject {
  let key = keys.get(config.jwt.secret);
  if (!key) keys.set(config.jwt.secret, key = createSecretKey(Buffer.from(config.jwt.secret, 'utf8')));
  return key;
}

/** An access token for the user; `session` (the refresh family) ends it early when the session is signed out. */
export function signAccessToken(config: Config, user: { id: string; role: Role }, session?: string): string {
  return jwt.sign({ role: user.role, ...(session ? { sid: session } : {}) }, keyOf(config), {
    algorithm: ALGORITHM,
    subject: user.id,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    expiresIn: config.jwt.accessTtlSeconds,
  });
}

const unauthenticated = (detail: string) =>
  new HttpError(401, 'Unauthenticated', detail, { headers: { 'WWW-Authenticate': 'Bearer realm="key-accounts"' } });

/** Verifies the Bearer token and loads its user on every request, so a deactivated user is refused at once. */
export function authenticate(config: Config): RequestHandler {
  const key = keyOf(config);
  const limiter = rateLimiterFor(config);
  const policy = `"per-user";q=${config.rateLimitPerMinute};w=60`;
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header);
    if (!match) throw unauthenticated('A Bearer access token is required.');
    let subject: string | undefined;
    let session: string | undefined;
    try {
      const payload = jwt.verify(match[1]!, key, {
        algorithms: [ALGORITHM],
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
      });
      subject = typeof payload === 'object' ? payload.sub : undefined;
      session = typeof payload === 'object' && typeof payload.sid === 'string' ? payload.sid : undefined;
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      throw unauthenticated(expired ? 'The access token has expired; refresh it.' : 'The access token is invalid.');
    }
    if (!subject || !isValidObjectId(subject)) throw unauthenticated('The access token is invalid.');
    // The account (a deactivated one is refused at once) with its sessions signed out lately (refused at once too).
    const user = await UserModel.findById(subject, { email: 1, name: 1, role: 1, team: 1, active: 1, endedSessions: 1 }).lean();
    if (!user || !user.active) throw unauthenticated('The account is not active.');
    if (session && sessionEnded(user, session)) throw unauthenticated('This session was signed out; sign in again.');
    if (limiter) {
      const hit = limiter.hit(subject);
      const headers = { 'RateLimit-Policy': policy, RateLimit: `"per-user";r=${hit.remaining};t=${hit.resetSeconds}` };
      if (!hit.allowed) {
        rateLimited.inc({ limit: 'user' });
        throw new HttpError(429, 'Too many requests', `More than ${limiter.limit} requests in a minute; wait ${hit.resetSeconds} s.`, {
          headers: { ...headers, 'Retry-After': String(hit.resetSeconds) },
        });
      }
      res.set(headers);
    }
    req.user = authUserOf(user);
    next();
  };
}

export function authorize(...allowed: Role[]): RequestHandler {
  return (req, _res, next) => {
    const role = currentUser(req).role;
    if (!allowed.includes(role)) throw new HttpError(403, 'Forbidden', `This needs one of the roles: ${allowed.join(', ')}.`);
    next();
  };
}

export function currentUser(req: Request): AuthUser {
  if (!req.user) throw unauthenticated('A Bearer access token is required.');
  return req.user;
}

/**
 * The customer with this id if the user may read it ('read') or change it ('change'). A customer the user may not
 * read answers 404, exactly as a missing one, so nobody learns what other teams hold; one they may read but not
 * change answers 403.
 */
export async function customerFor(user: AuthUser, id: string | undefined, mode: 'read' | 'change'): Promise<CustomerDocument> {
  const customer = await CustomerModel.findById(idParam(id, 'customer'));
  if (!customer || !canRead(user, customer)) throw new HttpError(404, 'Not found', 'No customer with this id.');
  if (mode === 'change' && !canChange(user, customer)) {
    throw new HttpError(403, 'Forbidden', 'You may read this customer but not change it.');
  }
  return customer;
}

/**
 * A record that belongs to a customer (a contact, a project) together with that customer, if the user may read or
 * change the customer. A record of a customer the user may not read answers the same 404 as a missing record.
 */
export async function customerRecordFor<D extends { customerId: unknown }>(
  user: AuthUser, what: string, load: () => Promise<D | null>, mode: 'read' | 'change',
): Promise<{ record: D; customer: CustomerDocument }> {
  const notFound = () => new HttpError(404, 'Not found', `No ${what} with this id.`);
  const record = await load();
  if (!record) throw notFound();
  const customer = await customerFor(user, String(record.customerId), mode).catch((err: unknown) => {
    throw err instanceof HttpError && err.status === 404 ? notFound() : err;
  });
  return { record, customer };
}

export type CaseCustomer = { _id: Types.ObjectId; code: string; name: string; ownerId: Types.ObjectId; accountTeam: Types.ObjectId[] };

/**
 * A service case with its customer's code, name and team, if the user sees the case (models/case.ts caseRole);
 * otherwise 404 exactly as for a missing case. Seeing a case is not seeing its customer's file.
 */
export async function caseFor(user: AuthUser, id: string | undefined): Promise<{ kase: CaseRecord; customer: CaseCustomer; role: CaseRole }> {
  const kase = await CaseModel.findById(idParam(id, 'case')).lean<CaseRecord>();
  const customer = kase && await CustomerModel.findById(kase.customerId, { code: 1, name: 1, ownerId: 1, accountTeam: 1 }).lean<CaseCustomer>();
  const role = kase && customer ? caseRole(user, kase, customer) : 'none';
  if (!kase || !customer || role === 'none') throw new HttpError(404, 'Not found', 'No case with this id.');
  return { kase, customer, role };
}

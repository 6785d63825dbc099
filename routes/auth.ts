import type { RequestHandler } from 'express';
import { rateLimit, type AugmentedRequest, type RateLimitExceededEventHandler } from 'express-rate-limit';
import Joi from 'joi';
import { loginFailed, loginSucceeded, loginWait, throttleKey } from '../models/login-throttle.ts';
import { issueRefreshToken, revokeRefreshToken, rotateRefreshToken } from '../models/refresh-token.ts';
import { UserModel, userByCredentials } from '../models/user.ts';
import { answer } from '../schemas/common.ts';
import { signAccessToken } from '../server/auth.ts';
import type { Config } from '../server/config.ts';
import { HttpError } from '../server/errors.ts';
import { rateLimited } from '../server/metrics.ts';
import { operation } from '../server/operation.ts';

const retryAfter = { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } };

const loginSchema = Joi.object({
  email: Joi.string().trim().max(254).required().description('the address the account was created with (any case)'),
  password: Joi.string().max(256).required(),
}).id('LoginRequest');
const refreshSchema = Joi.object({ refreshToken: Joi.string().trim().max(128).required() }).id('RefreshRequest');
const tokenPair = answer({
  accessToken: Joi.string().description('a JWT for `Authorization: Bearer`'),
  refreshToken: Joi.string().description('for POST /api/v1/auth/refresh and /logout; each is used once'),
  tokenType: Joi.valid('Bearer'),
  expiresIn: Joi.number().integer().description('seconds until the access token expires'),
}).id('TokenPair');

const tokens = (config: Config, user: { id: string; role: 'admin' | 'executive' | 'manager' }, refreshToken: string, session: string) => ({
  accessToken: signAccessToken(config, user, session),
  refreshToken,
  tokenType: 'Bearer',
  expiresIn: config.jwt.accessTtlSeconds,
});

/** Sign-in, token refresh and sign-out: public, the credentials are in the body. */
export const authOperations = [
  operation({
    method: 'post', path: '/api/v1/auth/login', tag: 'auth', access: 'public',
    summary: 'Sign in with email and password',
    guard: loginLimit,
    body: loginSchema,
    responses: {
      200: { description: 'Tokens', body: tokenPair },
      401: 'Wrong email or password (the same answer for both)',
      429: { description: 'Too many attempts from this address or for this account', headers: retryAfter },
    },
    handler: async (req, res, { body: input, config }) => {
      // Failures count per account and address: guessing from one address slows down, the owner elsewhere signs in.
      const key = throttleKey(input.email, req.ip ?? '');
      const wait = await loginWait(key);
      if (wait > 0) {
        rateLimited.inc({ limit: 'login' });
        throw new HttpError(429, 'Too many requests', 'Too many failed sign-ins to this account from your address; wait before trying again.', {
          headers: { 'Retry-After': String(Math.ceil(wait / 1000)) },
        });
      }
      const user = await userByCredentials(input.email, input.password);
      if (!user) {
        await loginFailed(key, config.login.maxFailuresPerAccount);
        throw new HttpError(401, 'Unauthenticated', 'The email or password is incorrect.');
      }
      await loginSucceeded(key);
      const refresh = await issueRefreshToken(user._id, config.jwt.refreshTtlDays);
      res.json(tokens(config, { id: String(user._id), role: user.role }, refresh.token, refresh.familyId));
    },
  }),

  operation({
    method: 'post', path: '/api/v1/auth/refresh', tag: 'auth', access: 'public',
    summary: 'Rotate a refresh token; a reused token revokes its whole family',
    body: refreshSchema,
    responses: { 200: { description: 'New tokens', body: tokenPair }, 401: 'Invalid, expired or reused refresh token, or an account no longer active' },
    handler: async (_req, res, { body: input, config }) => {
      const rotation = await rotateRefreshToken(input.refreshToken, config.jwt.refreshTtlDays);
      if (!rotation.ok) {
        const detail = rotation.reason === 'reused'
          ? 'This refresh token was already used; every session started from the same login is signed out.'
          : 'The refresh token is invalid or expired; sign in again.';
        throw new HttpError(401, 'Unauthenticated', detail);
      }
      const user = await UserModel.findById(rotation.userId, { role: 1, active: 1 }).lean();
      if (!user?.active) throw new HttpError(401, 'Unauthenticated', 'The account is not active.');
      res.json(tokens(config, { id: String(user._id), role: user.role }, rotation.token, rotation.familyId));
    },
  }),

  // Possession of the refresh token is the credential here, so an expired access token does not stop a logout. The
  // session ends at once: its access tokens are refused from the next request (server/auth.ts).
  operation({
    method: 'post', path: '/api/v1/auth/logout', tag: 'auth', access: 'public',
    summary: 'Revoke a refresh token and every token rotated from the same login',
    body: refreshSchema,
    responses: { 204: { description: 'Signed out' } },
    handler: async (_req, res, { body: input }) => {
      await revokeRefreshToken(input.refreshToken);
      res.status(204).end();
    },
  }),
];

/** Attempts per address and window, whatever the account (in each API process's memory). */
function loginLimit(config: Config): RequestHandler {
  const tooMany: RateLimitExceededEventHandler = (req, _res, next, options) => {
    rateLimited.inc({ limit: 'login' });
    const resetAt = (req as AugmentedRequest).rateLimit?.resetTime?.getTime() ?? Date.now() + options.windowMs;
    next(new HttpError(429, 'Too many requests', 'Too many login attempts; try again later.', {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil((resetAt - Date.now()) / 1000))) },
    }));
  };
  return rateLimit({ windowMs: config.login.windowMs, standardHeaders: 'draft-8', legacyHeaders: false, handler: tooMany, limit: config.login.maxPerIp });
}

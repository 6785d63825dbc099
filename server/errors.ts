import type { ErrorRequestHandler, RequestHandler } from 'express';
import Joi from 'joi';
import { MongoBulkWriteError, MongoError, MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';
import mongoose from 'mongoose';
import { STATUS_CODES } from 'node:http';
import { isDuplicateKeyError } from '../models/db-compat.ts';
import { fieldErrors, type FieldError, type Refusal } from '../schemas/common.ts';

export { fieldErrors, type FieldError };

export class HttpError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, title: string, detail?: string, extra?: { errors?: FieldError[]; headers?: Record<string, string> }) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = extra?.errors;
    this.headers = extra?.headers;
  }
}

/** 400 naming the fields that are wrong, as a failed validation answers. */
export const invalidFields = (errors: FieldError[]) => new HttpError(400, 'Validation failed', 'The request has invalid fields.', { errors });

/** A use case's refusal as the HTTP error it answers. */
export function refusalError(refusal: Refusal): HttpError {
  if (refusal.status === 400) return invalidFields(refusal.errors);
  return new HttpError(refusal.status, ({ 403: 'Forbidden', 404: 'Not found', 409: 'Conflict' } as const)[refusal.status], refusal.message);
}

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
};

const problemTypes: Record<number, string> = {
  400: 'bad-request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed',
  409: 'conflict', 412: 'precondition-failed', 413: 'payload-too-large', 415: 'unsupported-media-type',
  422: 'unprocessable', 428: 'precondition-required', 429: 'too-many-requests', 500: 'internal', 503: 'unavailable',
};

function problemType(status: number, validation: boolean): string {
  return `urn:key-accounts:problem:${validation ? 'validation' : problemTypes[status] ?? 'http-error'}`;
}

// Server answers that mean "not now" rather than "no": a MongoDB primary stepping down or shutting down.
const unavailableCodes = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);
const brokenSocketCodes = new Set(['EPIPE', 'ECONNRESET']);

/**
 * The database is away: the connection broke (the embedded engine died and is being restarted, a failover), no
 * server could be selected, or the pool was cleared (a subclass of the network error). The driver reconnects by itself.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError || err instanceof MongoTopologyClosedError
    || err instanceof mongoose.Error.MongooseServerSelectionError) return true;
  if (err instanceof MongoError && typeof err.code === 'number' && unavailableCodes.has(err.code)) return true;
  // A command written to a connection the engine has just closed fails with the socket's own error, which the driver
  // passes on unwrapped ("This socket has been ended by the other party", EPIPE): seen when the engine is killed.
  if (err instanceof Error && brokenSocketCodes.has(String((err as NodeJS.ErrnoException).code))) return true;
  // A bulk write (insertMany, bulkWrite) wraps the driver's error as its errorResponse.
  const inner = err instanceof MongoBulkWriteError ? err.errorResponse : (err as { cause?: unknown } | undefined)?.cause;
  return depth < 3 && inner instanceof Error && isDatabaseUnavailable(inner, depth + 1);
}

/** Seconds a client should wait before retrying while the database is away; the embedded engine restarts in about one. */
export const RETRY_AFTER_SECONDS = 2;

// Translates whatever was thrown into one HttpError; anything not recognised is a 500.
function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (isDatabaseUnavailable(err)) {
    return new HttpError(503, 'Service unavailable', 'The database cannot be reached at the moment; retry shortly. '
      + 'A write answered 503 may or may not have been applied: read before you retry it.', { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });
  }
  if (Joi.isError(err)) return new HttpError(400, 'Validation failed', 'The request has invalid fields.', { errors: fieldErrors(err) });
  if (err instanceof mongoose.Error.ValidationError) {
    const errors = Object.entries(err.errors).map(([field, e]) => ({ field, message: e.message }));
    return new HttpError(400, 'Validation failed', 'The request has invalid fields.', { errors });
  }
  if (err instanceof mongoose.Error.CastError) {
    return new HttpError(400, 'Validation failed', `${err.path} is not a valid ${err.kind}.`, {
      errors: [{ field: err.path, message: `must be a valid ${err.kind}` }],
    });
  }
  const e = err as { code?: unknown; keyValue?: Record<string, unknown>; type?: unknown; status?: unknown; statusCode?: unknown };
  if (isDuplicateKeyError(err)) {
    const fields = Object.keys(e.keyValue ?? {});
    return new HttpError(409, 'Conflict', fields.length ? `A record with this ${fields.join(', ')} already exists.` : 'The record already exists.');
  }
  // body-parser errors carry a type and a 4xx status.
  switch (e?.type) {
    case 'entity.parse.failed': return new HttpError(400, 'Malformed JSON', 'The request body is not valid JSON.');
    case 'entity.too.large': return new HttpError(413, 'Payload too large', 'The request body exceeds the size limit.');
    case 'encoding.unsupported':
    case 'charset.unsupported': return new HttpError(415, 'Unsupported media type', 'The body encoding or charset is not supported.');
    default: break;
  }
  const status = Number(e?.status ?? e?.statusCode);
  if (status >= 400 && status < 500) return new HttpError(status, STATUS_CODES[status] ?? 'Client error');
  return undefined;
}

export function problemOf(err: HttpError, requestId?: string, instance?: string): Problem {
  return {
    type: problemType(err.status, Boolean(err.errors)),
    title: err.title,
    status: err.status,
    ...(err.detail ? { detail: err.detail } : {}),
    ...(instance ? { instance } : {}),
    ...(requestId ? { requestId } : {}),
    ...(err.errors ? { errors: err.errors } : {}),
  };
}

export const notFoundRoute: RequestHandler = (req) => {
  throw new HttpError(404, 'Not found', `No route for ${req.method} ${req.path}.`);
};

/** The one error middleware: every error leaves as application/problem+json. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let httpError = toHttpError(err);
  if (!httpError) {
    req.log.error({ err }, 'unhandled error');
    httpError = new HttpError(500, 'Internal server error', 'Something went wrong on our side; the request id helps us find it.');
  } else if (isDatabaseUnavailable(err)) {
    req.log.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'database unavailable');
  } else if (httpError.status >= 500) {
    req.log.error({ err }, httpError.title);
  }
  if (res.headersSent) return void res.destroy();
  for (const [name, value] of Object.entries(httpError.headers ?? {})) res.setHeader(name, value);
  res.status(httpError.status).type('application/problem+json')
    .send(JSON.stringify(problemOf(httpError, String(req.id), req.originalUrl)));
};

import { Router, type Request, type RequestHandler, type Response } from 'express';
import type Joi from 'joi';
import type { Role } from '../models/user.ts';
import { authenticate, authorize } from './auth.ts';
import type { Config } from './config.ts';
import { parse } from './validate.ts';

// One declaration per operation: its method, path, who may call it, the joi schemas of its input and answers, and its
// handler. `operationsRouter` mounts the declarations on Express; server/openapi.ts makes the OpenAPI document from
// the same declarations, so what is served and what is documented cannot drift apart.

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call: anyone (`public`; a calendar feed's address is its own credential), any signed-in user, the roles
 * listed, or a bearer of METRICS_TOKEN (the handler checks it).
 */
export type Access = 'public' | 'signed-in' | readonly Role[] | 'metrics';

/** An OpenAPI header object (the answer's ETag, Location, Retry-After ...). */
export type Header = { description?: string; schema: object };

/**
 * One answer an operation gives. A string is a problem+json answer with that description. `body` is a JSON answer's
 * joi schema; `content` is for the few answers that are not JSON (CSV, iCalendar, HTML), keyed by media type. An
 * answer given as JSON or another type by the Accept header (the reports: JSON or CSV) has both.
 */
export type Answer = string | {
  description: string;
  body?: Joi.Schema;
  content?: Record<string, { description?: string }>;
  headers?: Record<string, Header>;
};

export type Input<Q, B> = { query: Q; body: B; config: Config };

export type Operation<Q = unknown, B = unknown> = {
  method: Method;
  /** Express's spelling (`/api/v1/customers/:id`); every `:param` is documented as an id unless `params` says otherwise. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** When the generated one (method and path in camel case) would not do; kept stable for generated clients. */
  operationId?: string;
  access: Access;
  /** Path parameters that are not ids, for the document; the handler checks them (an id that is not one answers 404). */
  params?: Joi.ObjectSchema;
  /** Request headers the operation reads, for the document (If-Match, Prefer). */
  headers?: Joi.ObjectSchema;
  /** Checked and converted before the handler runs; a failure answers 400 naming each field. */
  query?: Joi.ObjectSchema<Q>;
  body?: Joi.Schema<B>;
  /** The body may be left out altogether (it is then checked as `{}`). */
  bodyOptional?: boolean;
  /** A body that is not JSON (the CSV import); the handler reads it from the request. */
  rawBody?: Record<string, { description?: string }>;
  responses: Record<number, Answer>;
  /** Middleware made once when the operation is mounted and run after the access check, before the input is read (a rate limit). */
  guard?: (config: Config) => RequestHandler;
  handler: (req: Request, res: Response, input: Input<Q, B>) => unknown;
};

/** Declares an operation; the query and body types come from their joi schemas. */
export function operation<Q = Record<string, never>, B = undefined>(op: Operation<Q, B>): Operation {
  return op as unknown as Operation;
}

/**
 * Mounts the operations, in the order given (a literal path such as /customers/export.csv before /customers/:id):
 * authentication and roles first, then the query and body checked against their schemas, then the handler.
 */
export function operationsRouter(operations: readonly Operation[], config: Config): Router {
  const router = Router();
  const signedIn = authenticate(config);
  for (const op of operations) {
    const guards = op.access === 'public' || op.access === 'metrics' ? [] : [signedIn];
    if (Array.isArray(op.access)) guards.push(authorize(...(op.access as Role[])));
    if (op.guard) guards.push(op.guard(config));
    router[op.method](op.path, ...guards, async (req: Request, res: Response) => {
      const query = op.query ? parse(op.query, req.query) : {};
      const body = op.body ? parse(op.body, req.body) : undefined;
      await op.handler(req, res, { query, body, config });
    });
  }
  return router;
}

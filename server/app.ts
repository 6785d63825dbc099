import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { dashboardAssets } from '../routes/dashboard.ts';
import { docsAssets } from '../routes/docs.ts';
import type { Config } from './config.ts';
import { errorHandler, notFoundRoute } from './errors.ts';
import { httpMetrics } from './metrics.ts';
import { openapiDocument } from './openapi.ts';
import { operationsRouter } from './operation.ts';
import { operations } from './operations.ts';

/** Every router and where it is mounted; the OpenAPI test walks this list. */
export function mountedRouters(config: Config): Array<[string, Router]> {
  return [
    ['/', docsAssets()],
    ['/', dashboardAssets()],
    ['/', operationsRouter(operations, config)],
  ];
}

// A calendar feed's address is its credential: logs show the path without it.
const redactUrl = (url: string) => url.replace(/(\/calendar\/)[^/?]+/, '$1[redacted].ics');

// A client may pass its own request id for tracing, if it is a sane token; otherwise we make one.
const requestIdPattern = /^[\w.:-]{1,128}$/;

/** Builds the Express app; does no I/O of its own. */
export function createApp(config: Config, logger: Logger): express.Express {
  const app = express();
  // for GET /api/openapi.json and /api/postman.json (routes/docs.ts), which are in the document themselves
  app.locals.openapi = openapiDocument;
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // Flat query strings only: `?a[$ne]=x` stays the literal key "a[$ne]" and never becomes an operator object.
  app.set('query parser', 'simple');
  // First, so that every answer is counted, a body refused as too large included.
  app.use(httpMetrics());

  app.use(pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // Method, path and status are enough to trace a request; headers carry credentials and noise.
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  }));
  // No upgrade-insecure-requests: over plain HTTP on a LAN address the browser would fetch /docs' scripts over
  // HTTPS and the page would stay blank. TLS is the reverse proxy's job, which can add the directive.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(express.json({ limit: config.bodyLimit }));

  for (const [path, router] of mountedRouters(config)) app.use(path, router);

  app.use(notFoundRoute);
  app.use(errorHandler);
  return app;
}

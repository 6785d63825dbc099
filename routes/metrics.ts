import { timingSafeEqual } from 'node:crypto';
import { HttpError } from '../server/errors.ts';
import { registry } from '../server/metrics.ts';
import { operation } from '../server/operation.ts';

const sameSecret = (given: string, secret: string) => {
  const [a, b] = [Buffer.from(given), Buffer.from(secret)];
  return a.length === b.length && timingSafeEqual(a, b);
};

/** GET /metrics on the API, for a bearer of METRICS_TOKEN only; 404 when no token is set (not exposed). */
export const metricsOperations = [
  operation({
    method: 'get', path: '/metrics', tag: 'operations', access: 'metrics',
    summary: 'Prometheus metrics: requests by route, job runs, webhook and e-mail outcomes, engine restarts, rate-limit refusals',
    description: 'Served here only when METRICS_TOKEN is set, to a bearer of that token (not a user token); METRICS_PORT serves the same '
      + 'without a token on a port of its own, in every process.',
    responses: {
      200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { description: 'Prometheus text format' } } },
      401: 'Missing or wrong METRICS_TOKEN',
      404: 'Metrics are not served on the API (no METRICS_TOKEN)',
    },
    handler: async (req, res, { config }) => {
      const token = config.metrics.token;
      if (!token) throw new HttpError(404, 'Not found', 'Metrics are not served here (METRICS_TOKEN is not set).');
      const given = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
      if (!sameSecret(given, token)) {
        throw new HttpError(401, 'Unauthenticated', 'GET /metrics needs the METRICS_TOKEN as a Bearer token.', { headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } });
      }
      res.type(registry.contentType).send(await registry.metrics());
    },
  }),
];

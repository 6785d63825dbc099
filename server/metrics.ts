import http, { type Server } from 'node:http';
import type { RequestHandler } from 'express';
import client from 'prom-client';
import type { Config } from './config.ts';

// What operators scrape, in Prometheus' text format: requests by route (rate, errors, latency), job runs (outcome,
// duration, lag), webhook and e-mail outcomes, engine restarts, rate-limit refusals, and the process's own figures.
// Served by the API at /metrics to a bearer of METRICS_TOKEN, and on METRICS_PORT by any process (the worker too).

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'ka_' });

const registers = [registry];
export const httpRequests = new client.Counter({
  name: 'ka_http_requests_total', help: 'HTTP requests answered, by method, route template and status', labelNames: ['method', 'route', 'status'], registers,
});
export const httpDuration = new client.Histogram({
  name: 'ka_http_request_duration_seconds', help: 'Time to answer an HTTP request, by method and route template', labelNames: ['method', 'route'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
});
export const jobRuns = new client.Counter({ name: 'ka_job_runs_total', help: 'Job runs by job and outcome (success, failure)', labelNames: ['job', 'outcome'], registers });
export const jobDuration = new client.Histogram({
  name: 'ka_job_duration_seconds', help: 'Time a job run took', labelNames: ['job'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300], registers,
});
export const jobLag = new client.Histogram({
  name: 'ka_job_lag_seconds', help: 'How late a job run started after it was due', labelNames: ['job'], buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900], registers,
});
export const webhookDeliveries = new client.Counter({
  name: 'ka_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome (delivered, retried, failed)', labelNames: ['outcome'], registers,
});
export const emailsSent = new client.Counter({ name: 'ka_emails_total', help: 'E-mail send attempts by outcome (sent, retried, failed)', labelNames: ['outcome'], registers });
export const engineRestarts = new client.Counter({ name: 'ka_engine_restarts_total', help: 'Times the embedded database engine exited and was restarted', registers });
export const rateLimited = new client.Counter({
  name: 'ka_rate_limited_total', help: 'Requests refused by a rate limit (user: the per-user limit; login: sign-in throttling)', labelNames: ['limit'], registers,
});

/** Counts and times every answer by its route template (`/api/v1/customers/:id`), never by its raw path. */
export function httpMetrics(): RequestHandler {
  return (req, res, next) => {
    const end = httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route };
      end(labels);
      httpRequests.inc({ ...labels, status: String(res.statusCode) });
    });
    next();
  };
}

/** The metrics alone on their own port (METRICS_PORT, on HOST), for the worker and for scrapers kept off the API. */
export async function listenMetrics(config: Config): Promise<Server | undefined> {
  if (config.metrics.port === undefined) return undefined;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: GET /metrics\n');
      return;
    }
    registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text), () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.metrics.port, config.host, () => resolve()));
  return server;
}

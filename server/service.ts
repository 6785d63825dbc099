import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { startWorker, type Worker } from '../jobs/agenda.ts';
import { enqueue } from '../jobs/queue.ts';
import { CustomerModel } from '../models/customer.ts';
import { backfillCompanyCopies } from '../models/customer-copies.ts';
import { backfillReportRows } from '../models/report-rows.ts';
import { createApp } from './app.ts';
import { bootstrapUsers } from './bootstrap.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { connectDatabase, type Database } from './db.ts';
import { createLogger } from './logger.ts';
import { listenMetrics } from './metrics.ts';

export type Service = { config: Config; url: string | undefined; stop: () => Promise<void> };

/** Starts the API, the job worker or both on one database connection, and stops them in order on SIGTERM/SIGINT. */
export async function runService(parts: { api: boolean; worker: boolean }): Promise<Service> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
  const logger = createLogger(config);
  const say = (line: string) => console.log(line);

  const database = await connectDatabase(config, say, (line) => logger.warn(line));
  logger.info({ embedded: Boolean(database.embedded) }, 'database connected');

  let worker: Worker | undefined;
  let server: Server | undefined;
  let metrics: Server | undefined;
  let url: string | undefined;
  try {
    metrics = await listenMetrics(config);
    if (metrics) {
      const address = metrics.address();
      say(`Metrics (Prometheus): http://${config.host}:${typeof address === 'object' && address ? address.port : config.metrics.port}/metrics`);
    }
    // A database from before the report rows gets them now (once; later starts find nothing to do).
    const backfilled = await backfillReportRows(CustomerModel);
    if (backfilled) logger.info({ customers: backfilled }, 'report rows made');
    // ... and the top-level copies of industry and region that the list's filters use.
    const copied = await backfillCompanyCopies(CustomerModel);
    if (copied) logger.info({ customers: copied }, 'industry and region copied for the list filters');
    if (parts.worker) worker = await startWorker(config, logger);
    if (parts.api) {
      const created = await bootstrapUsers(config);
      // A new demo book has visits coming due and overdue: let the worker remind and escalate now, not at the hour.
      if (created.demoCustomers) for (const job of ['visits.remind', 'visits.escalate']) await enqueue(config, job, {});
      server = await listen(config, logger);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      // A wildcard address is not one a browser can open; show the local name instead.
      const host = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      printBanner(url, created, database);
    }
  } catch (err) {
    metrics?.close();
    await database.close();
    throw err;
  }

  const stop = shutdownSequence({ config, logger, server, worker, database, metrics });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      stop().then(() => process.exit(0), (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
    });
  }
  return { config, url, stop };
}

function listen(config: Config, logger: Logger): Promise<Server> {
  const app = createApp(config, logger);
  return new Promise((resolve, reject) => {
    const server = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(server)));
  });
}

// Order matters: stop taking requests, let running jobs finish, then close the database they use.
function shutdownSequence(s: { config: Config; logger: Logger; server?: Server | undefined; worker?: Worker | undefined; database: Database; metrics?: Server | undefined }) {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= (async () => {
    const force = setTimeout(() => {
      s.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, s.config.shutdownTimeoutMs + 10_000).unref();
    if (s.server) {
      const closed = new Promise<void>((resolve) => s.server!.close(() => resolve()));
      s.server.closeIdleConnections();
      await closed;
    }
    await s.worker?.drain(s.config.shutdownTimeoutMs);
    s.metrics?.close();
    await s.database.close();
    clearTimeout(force);
    s.logger.info('stopped');
  })());
}

function printBanner(url: string, created: Awaited<ReturnType<typeof bootstrapUsers>>, database: Database) {
  const lines = [
    '',
    `Key Account Relationship Service listening on ${url}`,
    `  API docs:  ${url}/docs   (OpenAPI: ${url}/api/openapi.json)`,
    `  Health:    ${url}/healthz  ${url}/readyz`,
    `  Database:  ${database.embedded ? `embedded FerretDB at ${database.uri}` : 'MONGODB_URI'}`,
  ];
  if (created.admin) lines.push(`  Created the first admin ${created.admin} (password from ADMIN_PASSWORD).`);
  if (created.demoCustomers) lines.push(`  Loaded a demo book of ${created.demoCustomers} customers with contacts and projects.`);
  if (created.demo.length) {
    lines.push('  Demo logins (POST /api/v1/auth/login):');
    for (const d of created.demo) lines.push(`    ${d.role.padEnd(9)} ${d.email.padEnd(18)} ${d.password}`);
  }
  console.log(lines.join('\n') + '\n');
}

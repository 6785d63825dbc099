import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { createApp } from '../server/app.ts';
import { loadConfig, type Config } from '../server/config.ts';
import { connectDatabase, type Database } from '../server/db.ts';
import { createLogger } from '../server/logger.ts';
import { openapiDocument } from '../server/openapi.ts';
import { checkedApp, type Violation } from './response-check.ts';

// One database for the whole run: a fresh embedded FerretDB in a temporary folder, or TEST_MONGODB_URI.
// Every test makes its own data with unique names, so tests never depend on each other's rows.

const dataDir = mkdtempSync(path.join(tmpdir(), 'key-accounts-test-'));

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: sharedSecret,
    WORKER_HEARTBEAT_SECONDS: '1',
    LOGIN_MAX_PER_IP: '100000',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
    RATE_LIMIT_PER_MINUTE: '100000',
    // The tests' webhook receivers listen on this host; test/routes/webhooks-ssrf.test.ts runs without it.
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    ...(process.env.TEST_MONGODB_URI ? { MONGODB_URI: process.env.TEST_MONGODB_URI } : {}),
    // the embedded engine on its PostgreSQL backend instead of SQLite
    ...(process.env.TEST_FERRETDB_POSTGRESQL_URL ? { FERRETDB_POSTGRESQL_URL: process.env.TEST_FERRETDB_POSTGRESQL_URL } : {}),
    ...overrides,
  });
}

const sharedSecret = randomBytes(32).toString('base64url');
export const config = testConfig();
export const logger = createLogger(config);
export const responseViolations: Violation[] = [];
export const app = checkedApp(createApp(config, logger), openapiDocument as never, responseViolations);
export { dataDir };

let database: Database | undefined;

/** The test database's address, for a child process that works on the same data. */
export function databaseUri(): string {
  const uri = new URL(database!.uri);
  uri.pathname = `/${mongoose.connection.name}`;
  return uri.toString();
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(15 * 60_000); // the first run builds the engine
    database = await connectDatabase(config, (line) => console.log(`      ${line}`));
  },
  // a test whose answers do not match the OpenAPI document fails, naming each (test/response-check.ts)
  beforeEach() {
    responseViolations.length = 0;
  },
  afterEach() {
    if (responseViolations.length) {
      const lines = responseViolations.map((v) => `${v.method.toUpperCase()} ${v.path} ${v.status}: ${v.errors}`);
      responseViolations.length = 0;
      throw new Error(`answers that do not match the OpenAPI document:\n${lines.join('\n')}`);
    }
  },
  async afterAll() {
    if (app.checked()) console.log(`\n  ${app.checked()} answers checked against the OpenAPI document`);
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
};

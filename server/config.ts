import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Joi from 'joi';
import { isTimeZone } from '../models/time-zone.ts';
import { parseNetwork } from './outbound.ts';

// Every setting the service reads from the environment. The README's table is written from this schema.
const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'test', 'production').default('development')
    .description('development, test or production; production requires JWT_SECRET and turns demo data off'),
  HOST: Joi.string().hostname().default('127.0.0.1').description('address the API listens on'),
  PORT: Joi.number().integer().min(0).max(65535).default(3000).description('port the API listens on (0 picks a free one)'),
  MONGODB_URI: Joi.string().uri({ scheme: ['mongodb', 'mongodb+srv'] })
    .description('MongoDB connection string; when unset, the embedded FerretDB is started'),
  DATA_DIR: Joi.string().default('./data').description('folder for the embedded database and the generated JWT secret'),
  FERRETDB_POSTGRESQL_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] })
    .description("embedded FerretDB uses this PostgreSQL database instead of SQLite files in DATA_DIR"),
  JWT_SECRET: Joi.string().min(32)
    .when('NODE_ENV', { is: 'production', then: Joi.required() })
    .description('HS256 signing key, at least 32 characters; outside production one is generated into DATA_DIR'),
  JWT_ISSUER: Joi.string().default('key-accounts').description('iss claim of access tokens'),
  JWT_AUDIENCE: Joi.string().default('key-accounts-api').description('aud claim of access tokens'),
  ACCESS_TOKEN_TTL_SECONDS: Joi.number().integer().min(30).max(86400).default(900).description('access token lifetime'),
  REFRESH_TOKEN_TTL_DAYS: Joi.number().integer().min(1).max(365).default(30).description('refresh token lifetime'),
  ADMIN_EMAIL: Joi.string().trim().lowercase().email({ tlds: false }).description('first admin, created when there are no users yet'),
  ADMIN_PASSWORD: Joi.string().min(12).max(256)
    .when('ADMIN_EMAIL', { is: Joi.exist(), then: Joi.required() })
    .description('password of that first admin (at least 12 characters)'),
  DEMO_DATA: Joi.boolean()
    .description('load demo users and customers into an empty database at start; default true only outside production and without ADMIN_EMAIL (a real installation gets no accounts with published passwords unless asked)'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info')
    .description('pino log level'),
  BODY_LIMIT: Joi.string().pattern(/^\d+(b|kb|mb)$/).default('100kb').description('largest JSON body accepted (413 beyond)'),
  LOGIN_MAX_PER_IP: Joi.number().integer().min(1).default(100).description('login attempts per address per window'),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: Joi.number().integer().min(1).default(5)
    .description('failed logins per account and address before each further attempt from that address waits (1 s, doubling, at most 15 min); the account is never locked for other addresses'),
  RATE_LIMIT_PER_MINUTE: Joi.number().integer().min(0).max(1_000_000).default(600)
    .description('requests per signed-in user and minute, shared by all API processes (429 beyond, with RateLimit headers); 0 turns it off'),
  LOGIN_WINDOW_MINUTES: Joi.number().integer().min(1).default(15).description('login rate-limit window'),
  TRUST_PROXY: Joi.alternatives(Joi.boolean(), Joi.number().integer().min(0), Joi.string()).default(false)
    .description("Express 'trust proxy' setting, so rate limits see client addresses behind a proxy"),
  WORKER_HEARTBEAT_SECONDS: Joi.number().integer().min(1).max(300).default(10)
    .description('how often the job worker reports itself alive; /readyz wants a beat within three periods'),
  TIER_CRON: Joi.string().trim().pattern(/^(\S+\s+){4}\S+$/).default('0 2 * * *')
    .messages({ 'string.pattern.base': '{#label} must be a five-field cron expression such as "0 2 * * *"' })
    .description('when the nightly tier reclassification runs (cron, in TZ)'),
  VISIT_REMINDER_DAYS: Joi.string().trim().pattern(/^\d{1,3}(,\d{1,3})*$/).default('7,1')
    .messages({ 'string.pattern.base': '{#label} must be comma-separated whole days such as "7,1"' })
    .description('reminders to the owner this many calendar days before a visit is due'),
  VISIT_ESCALATE_AFTER_DAYS: Joi.number().integer().min(0).max(365).default(3)
    .description('an open visit this many days overdue is escalated to its owner and the executives'),
  VISIT_FOLLOW_UP_AFTER_SECONDS: Joi.number().integer().min(1).max(86400).default(60)
    .description("the worker finishes a completed visit's follow-up (actions, summary, next visit, alert) that a crash left undone this long after"),
  VISIT_MISSED_AFTER_DAYS: Joi.number().integer().min(1).max(365).default(14)
    .description('an open visit this many days overdue is marked missed and the next one planned'),
  TZ: Joi.string().trim().custom((zone: string, helpers) => (isTimeZone(zone) ? zone : helpers.error('any.invalid'))).default('UTC')
    .messages({ 'any.invalid': '{#label} must be an IANA time zone such as Europe/Berlin or Asia/Shanghai' })
    .description("the organisation's time zone: scheduled jobs run on its clock; dates are stored in UTC"),
  SHUTDOWN_TIMEOUT_SECONDS: Joi.number().integer().min(1).default(30).description('longest wait for jobs to drain at shutdown'),
  SMTP_URL: Joi.string().trim().uri({ scheme: ['smtp', 'smtps'] })
    .description('mail relay for e-mail notifications and digests: smtp://user:password@host:587 (STARTTLS when the relay offers it) or smtps://...:465 (TLS); unset means no e-mail'),
  MAIL_FROM: Joi.string().trim().max(300).pattern(/^([^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/)
    .when('SMTP_URL', { is: Joi.exist(), then: Joi.required() })
    .messages({ 'string.pattern.base': '{#label} must be an address such as "Key accounts <ka@example.com>" or ka@example.com' })
    .description('sender of e-mails, required with SMTP_URL'),
  WEBHOOK_ALLOWED_NETWORKS: Joi.string().trim().allow('').default('')
    .custom((value: string, helpers) => (networksOf(value).every(isNetwork) ? value : helpers.error('any.invalid')))
    .messages({ 'any.invalid': '{#label} must be comma-separated IP addresses or networks such as 10.20.0.0/16,192.168.5.10' })
    .description('networks webhooks may reach although they are internal (on-premises receivers); by default none: loopback, private, link-local, multicast and reserved addresses are refused'),
  METRICS_TOKEN: Joi.string().min(32).max(256)
    .description('serve Prometheus metrics at GET /metrics on the API to a bearer of this token (at least 32 characters); unset: not served there'),
  METRICS_PORT: Joi.number().integer().min(0).max(65535)
    .description('serve Prometheus metrics at GET /metrics on this port of HOST, without a token, in every process (API and worker); keep the port off the public network'),
  PUBLIC_URL: Joi.string().trim().uri({ scheme: ['http', 'https'] })
    .description('address users reach the service at, for links in e-mails (default http://localhost:PORT)'),
}).unknown(true);

export type Config = Readonly<{
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  mongodbUri: string | undefined;
  dataDir: string;
  ferretdbPostgresqlUrl: string | undefined;
  jwt: Readonly<{ secret: string; issuer: string; audience: string; accessTtlSeconds: number; refreshTtlDays: number }>;
  admin: Readonly<{ email: string; password: string }> | undefined;
  demoData: boolean;
  logLevel: string;
  bodyLimit: string;
  login: Readonly<{ maxPerIp: number; maxFailuresPerAccount: number; windowMs: number }>;
  /** Requests per user and minute; 0: no limit. */
  rateLimitPerMinute: number;
  trustProxy: boolean | number | string;
  workerHeartbeatMs: number;
  shutdownTimeoutMs: number;
  tierCron: string;
  timezone: string;
  visits: Readonly<{ reminderDays: number[]; escalateAfterDays: number; missedAfterDays: number; followUpAfterMs: number }>;
  /** Undefined when SMTP_URL is not set: no e-mail at all. */
  mail: Readonly<{ smtpUrl: string; from: string }> | undefined;
  publicUrl: string;
  metrics: Readonly<{ token: string | undefined; port: number | undefined }>;
  /** Internal networks webhooks may reach anyway (server/outbound.ts). */
  webhookAllowedNetworks: readonly string[];
}>;

const networksOf = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const isNetwork = (network: string) => parseNetwork(network) !== undefined;

/** The environment as envSchema leaves it: converted, defaults filled in. */
type Environment = {
  NODE_ENV: Config['env']; HOST: string; PORT: number; MONGODB_URI?: string; DATA_DIR: string; FERRETDB_POSTGRESQL_URL?: string;
  JWT_SECRET?: string; JWT_ISSUER: string; JWT_AUDIENCE: string; ACCESS_TOKEN_TTL_SECONDS: number; REFRESH_TOKEN_TTL_DAYS: number;
  ADMIN_EMAIL?: string; ADMIN_PASSWORD: string; DEMO_DATA?: boolean; LOG_LEVEL: string; BODY_LIMIT: string;
  LOGIN_MAX_PER_IP: number; LOGIN_MAX_FAILURES_PER_ACCOUNT: number; LOGIN_WINDOW_MINUTES: number; RATE_LIMIT_PER_MINUTE: number; TRUST_PROXY: Config['trustProxy'];
  WORKER_HEARTBEAT_SECONDS: number; SHUTDOWN_TIMEOUT_SECONDS: number; TIER_CRON: string; TZ: string; VISIT_REMINDER_DAYS: string;
  VISIT_ESCALATE_AFTER_DAYS: number; VISIT_MISSED_AFTER_DAYS: number; VISIT_FOLLOW_UP_AFTER_SECONDS: number;
  SMTP_URL?: string; MAIL_FROM?: string; PUBLIC_URL?: string; METRICS_TOKEN?: string; METRICS_PORT?: number; WEBHOOK_ALLOWED_NETWORKS: string;
};

export const configDescriptions = envSchema.describe().keys as Record<string, { flags?: { description?: string; default?: unknown } }>;

export class ConfigError extends Error {}

/** Validates the environment once; throws ConfigError naming every mistake. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { value, error } = envSchema.validate(env, { abortEarly: false, convert: true });
  if (error) {
    const lines = error.details.map((d) => `  - ${d.message.replaceAll('"', '')}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const v = value as Environment;
  const dataDir = path.resolve(v.DATA_DIR);
  return Object.freeze({
    env: v.NODE_ENV,
    host: v.HOST,
    port: v.PORT,
    mongodbUri: v.MONGODB_URI,
    dataDir,
    ferretdbPostgresqlUrl: v.FERRETDB_POSTGRESQL_URL,
    jwt: Object.freeze({
      secret: v.JWT_SECRET ?? localJwtSecret(dataDir),
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
      accessTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlDays: v.REFRESH_TOKEN_TTL_DAYS,
    }),
    admin: v.ADMIN_EMAIL ? Object.freeze({ email: v.ADMIN_EMAIL, password: v.ADMIN_PASSWORD }) : undefined,
    demoData: v.DEMO_DATA ?? (v.NODE_ENV !== 'production' && !v.ADMIN_EMAIL),
    logLevel: v.LOG_LEVEL,
    bodyLimit: v.BODY_LIMIT,
    login: Object.freeze({
      maxPerIp: v.LOGIN_MAX_PER_IP,
      maxFailuresPerAccount: v.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      windowMs: v.LOGIN_WINDOW_MINUTES * 60_000,
    }),
    rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE,
    trustProxy: v.TRUST_PROXY,
    workerHeartbeatMs: v.WORKER_HEARTBEAT_SECONDS * 1000,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    tierCron: v.TIER_CRON,
    timezone: v.TZ,
    visits: Object.freeze({
      reminderDays: [...new Set(v.VISIT_REMINDER_DAYS.split(',').map(Number))],
      escalateAfterDays: v.VISIT_ESCALATE_AFTER_DAYS,
      missedAfterDays: Math.max(v.VISIT_MISSED_AFTER_DAYS, v.VISIT_ESCALATE_AFTER_DAYS),
      followUpAfterMs: v.VISIT_FOLLOW_UP_AFTER_SECONDS * 1000,
    }),
    mail: v.SMTP_URL ? Object.freeze({ smtpUrl: v.SMTP_URL, from: v.MAIL_FROM! }) : undefined,
    metrics: Object.freeze({ token: v.METRICS_TOKEN, port: v.METRICS_PORT }),
    webhookAllowedNetworks: Object.freeze(networksOf(v.WEBHOOK_ALLOWED_NETWORKS)),
    publicUrl: (v.PUBLIC_URL ?? `http://localhost:${v.PORT || 3000}`).replace(/\/+$/, ''),
  });
}

// Outside production a secret is generated once and kept beside the data, so tokens survive restarts.
function localJwtSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(48).toString('base64url');
    try {
      writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process (the worker beside the API) wrote it first: use theirs.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
      throw err;
    }
    return secret;
  }
}

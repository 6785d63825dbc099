import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

// Credentials never reach the logs, wherever they appear in a logged object.
const redact = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
];

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'key-accounts' }, redact: { paths: redact, censor: '[redacted]' } });
}

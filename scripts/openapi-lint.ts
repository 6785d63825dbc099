// Lints the OpenAPI document the service serves with Redocly's recommended rules, every warning an error
// (redocly.yaml; the exceptions, each with its reason, are in .redocly.lint-ignore.yaml). npm test runs it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openapiDocument } from '../server/openapi.ts';

const root = path.resolve(import.meta.dirname, '..');
// a fixed place (the ignore file names it), beside the engine build's cache
const file = path.join(root, '.cache', 'openapi.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(openapiDocument, null, 1));
const lint = spawnSync(path.join(root, 'node_modules/.bin/redocly'), ['lint', file, '--config', path.join(root, 'redocly.yaml')], {
  stdio: 'inherit', cwd: root, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
});
process.exitCode = lint.status ?? 1;

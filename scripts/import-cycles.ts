// Fails when the service's modules import each other in a circle (type-only imports included: a cycle of types is
// still two modules that cannot be understood apart). npm test runs it beside ESLint, whose layer rules
// (eslint.config.js) say which folder may import which; this catches a circle inside one folder too.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const folders = ['models', 'schemas', 'usecases', 'routes', 'jobs', 'server'];

const files = folders.flatMap((folder) => readdirSync(path.join(root, folder), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(root, folder, f)));
const known = new Set(files);
const imports = new Map(files.map((file) => [file, ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles
  .map((i) => i.fileName)
  .filter((name) => name.startsWith('.'))
  .map((name) => path.resolve(path.dirname(file), name))
  .filter((target) => known.has(target))]));

const cycles: string[] = [];
const state = new Map<string, 'open' | 'done'>();
function visit(file: string, trail: string[]): void {
  state.set(file, 'open');
  trail.push(file);
  for (const next of imports.get(file) ?? []) {
    if (state.get(next) === 'open') cycles.push([...trail.slice(trail.indexOf(next)), next].map((f) => path.relative(root, f)).join(' -> '));
    else if (!state.has(next)) visit(next, trail);
  }
  trail.pop();
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file, []);

if (cycles.length) {
  console.error(`Import cycles (${cycles.length}):\n${cycles.map((c) => `  ${c}`).join('\n')}`);
  process.exit(1);
}
console.log(`import-cycles: ${files.length} modules, no cycles`);

import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type SourcePatch = { file: string; from: string; to: string; why: string };

/**
 * Changes made to FerretDB's sources before the engine is built. Each replaces one exact line; the build fails when the
 * line is not found, so a version bump cannot silently drop a fix.
 */
export const sourcePatches: readonly SourcePatch[] = [
  {
    file: 'internal/backends/sqlite/metadata/metadata.go',
    from: `IDColumn = DefaultColumn + "->'$._id'"`,
    to: 'IDColumn = DefaultColumn + `->"_id"`',
    why: 'The SQLite backend creates the _id index on `_ferretdb_sjson->"_id"` but looks documents up by '
      + "`_ferretdb_sjson->'$._id'`. SQLite uses an expression index only for the same expression, so every find, "
      + 'update and delete by _id scanned the whole table: an update took ~15 ms at 5,000 documents and grew with the '
      + 'collection. Both spell the same JSON path; with the index spelling an update takes ~1.5 ms at any size.',
  },
];

/**
 * A patched copy of FerretDB's module sources under `into`, made from the Go module cache once per `key`; answers its
 * folder. `moduleDir` is the wrapper's folder (its go.mod pins the version).
 */
export function patchedModuleSources(moduleDir: string, into: string, version: string): string {
  if (existsSync(path.join(into, 'go.mod'))) return into;
  const download = spawnSync('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@v${version}`], { cwd: moduleDir, encoding: 'utf8' });
  if (download.status !== 0) throw new Error(`embedded-db: go mod download failed:\n${download.stderr}${download.stdout}`);
  const original = (JSON.parse(download.stdout) as { Dir: string }).Dir;
  const partial = `${into}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(original, partial, { recursive: true });
  for (const patch of sourcePatches) {
    const file = path.join(partial, patch.file);
    const text = readFileSync(file, 'utf8');
    if (!text.includes(patch.from)) throw new Error(`embedded-db: ${patch.file} no longer contains the line to patch: ${patch.from}`);
    chmodSync(file, 0o644); // the module cache is read-only
    writeFileSync(file, text.replace(patch.from, patch.to));
  }
  rmSync(into, { recursive: true, force: true });
  renameSync(partial, into);
  return into;
}

/** The wrapper's go.mod and go.sum with FerretDB replaced by the patched sources, for `go build -modfile`. */
export function patchedModFile(moduleDir: string, sources: string, buildDir: string): string {
  const modFile = path.join(buildDir, 'patched.mod');
  writeFileSync(modFile, `${readFileSync(path.join(moduleDir, 'go.mod'), 'utf8')}\nreplace github.com/FerretDB/FerretDB => ${sources}\n`);
  writeFileSync(path.join(buildDir, 'patched.sum'), readFileSync(path.join(moduleDir, 'go.sum')));
  return modFile;
}

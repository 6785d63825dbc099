import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Our changes to FerretDB's sources, applied in name order before the engine is built: one unified diff per change in
 * `patches/`, each opening with its reason. The build fails when one no longer applies, so a version bump cannot
 * silently drop a fix.
 */
export const patchDir = path.join(import.meta.dirname, 'patches');

export function sourcePatches(): Array<{ name: string; text: string }> {
  return readdirSync(patchDir).filter((name) => name.endsWith('.patch')).sort()
    .map((name) => ({ name, text: readFileSync(path.join(patchDir, name), 'utf8') }));
}

/** FerretDB's module folder in the Go module cache (downloaded if needed). */
export function moduleSources(moduleDir: string, version: string): string {
  const download = spawnSync('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@v${version}`], { cwd: moduleDir, encoding: 'utf8' });
  if (download.status !== 0) throw new Error(`embedded-db: go mod download failed:\n${download.stderr}${download.stdout}`);
  return (JSON.parse(download.stdout) as { Dir: string }).Dir;
}

/**
 * A patched copy of FerretDB's module sources under `into`, made from the Go module cache once; answers its folder.
 * `moduleDir` is the wrapper's folder (its go.mod pins the version).
 */
export function patchedModuleSources(moduleDir: string, into: string, version: string): string {
  if (existsSync(path.join(into, 'go.mod'))) return into;
  const partial = `${into}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(moduleSources(moduleDir, version), partial, { recursive: true });
  makeWritable(partial); // the module cache is read-only
  for (const patch of sourcePatches()) {
    // git apply works as a plain patch tool here; the ceiling keeps it from treating an enclosing repository as its own
    const apply = spawnSync('git', ['apply', '--whitespace=nowarn', path.join(patchDir, patch.name)], {
      cwd: partial,
      encoding: 'utf8',
      env: { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(partial) },
    });
    if (apply.status !== 0) {
      rmSync(partial, { recursive: true, force: true });
      throw new Error(`embedded-db: patch ${patch.name} does not apply to FerretDB ${version}:\n${apply.stderr}${apply.stdout}`);
    }
  }
  rmSync(into, { recursive: true, force: true });
  renameSync(partial, into);
  return into;
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(file);
    else chmodSync(file, 0o644);
  }
}

/** The wrapper's go.mod and go.sum with FerretDB replaced by the patched sources, for `go build -modfile`. */
export function patchedModFile(moduleDir: string, sources: string, buildDir: string): string {
  const modFile = path.join(buildDir, 'patched.mod');
  writeFileSync(modFile, `${readFileSync(path.join(moduleDir, 'go.mod'), 'utf8')}\nreplace github.com/FerretDB/FerretDB => ${sources}\n`);
  writeFileSync(path.join(buildDir, 'patched.sum'), readFileSync(path.join(moduleDir, 'go.sum')));
  return modFile;
}

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { patchedModFile, patchedModuleSources, sourcePatches } from './patches.ts';
import { superviseEngine } from './supervisor.ts';

export const FERRETDB_VERSION = '1.24.2';

export type EmbeddedDb = { uri: string; pid: number; stop: () => Promise<void> };
type Say = (line: string) => void;

export function projectRoot(from = import.meta.dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

const sourceDir = path.join(projectRoot(), 'server', 'embedded-db');

/**
 * Path of the engine binary for the current wrapper sources; rebuilt whenever go.mod, go.sum, main.go or a patch
 * change. `patched: false` is FerretDB as published, which the differential tests compare the patched engine with.
 */
export function engineBinaryPath({ patched = true } = {}): string {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(path.join(sourceDir, file)));
  if (patched) hash.update(JSON.stringify(sourcePatches()));
  const key = hash.digest('hex').slice(0, 16);
  return path.join(projectRoot(), '.cache', 'embedded-db', `ferretdb-${FERRETDB_VERSION}-${patched ? '' : 'unpatched-'}${key}`);
}

export function ensureEngineBinary(say: Say = console.log, { patched = true } = {}): string {
  const binary = engineBinaryPath({ patched });
  if (existsSync(binary)) return binary;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new Error('The embedded database is built with the Go toolchain (1.24 or newer), which was not found on PATH. '
      + 'Install Go, or set MONGODB_URI to use a MongoDB server.');
  }
  say(`embedded-db: building ${patched ? '' : 'unpatched '}FerretDB ${FERRETDB_VERSION} with ${go.stdout.trim()} (the first build takes a few minutes)...`);
  const started = Date.now();
  const buildDir = path.dirname(binary);
  mkdirSync(buildDir, { recursive: true });
  // FerretDB's sources with our patches (./patches/), built through a go.mod that points the module at them.
  const modArgs = patched
    ? [`-modfile=${patchedModFile(sourceDir, patchedModuleSources(sourceDir, `${binary}-src`, FERRETDB_VERSION), buildDir)}`]
    : [];
  const partial = `${binary}.${process.pid}.partial`;
  const build = spawnSync('go', ['build', '-trimpath', '-mod=readonly', ...modArgs, '-o', partial, '.'], {
    cwd: sourceDir,
    env: { ...process.env, CGO_ENABLED: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`embedded-db: go build failed (exit ${build.status ?? build.signal}); see the output above`);
  }
  renameSync(partial, binary); // atomic, so a concurrent build never leaves a half-written binary in place
  say(`embedded-db: built in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${path.relative(projectRoot(), binary)}`);
  return binary;
}

/**
 * Starts FerretDB as a supervised child process on a free loopback port and resolves once it answers ping; if it dies,
 * it is restarted on the same port (see supervisor.ts). SQLite files go to `<dataDir>/ferretdb/` unless a PostgreSQL
 * URL is given.
 */
export async function startEmbeddedDb(opts: {
  dataDir: string; postgresqlUrl?: string | undefined; say?: Say; warn?: Say; patched?: boolean;
}): Promise<EmbeddedDb> {
  const say = opts.say ?? console.log;
  const binary = ensureEngineBinary(say, { patched: opts.patched ?? true });
  const sqliteDir = path.join(opts.dataDir, 'ferretdb');
  ownerOnly(opts.dataDir);
  const releaseLock = takeLock(opts.dataDir);

  const args = opts.postgresqlUrl
    ? ['--handler', 'postgresql', '--postgresql-url', opts.postgresqlUrl]
    // Every second, a write-ahead log grown past 4 MiB is checkpointed and emptied (main.go says why it grows).
    : ['--handler', 'sqlite', '--sqlite-url', `file:${sqliteDir}/`, '--wal-checkpoint', '1s', '--planner-statistics', '10s'];
  try {
    const engine = await superviseEngine(binary, args, { umask: 0o077, say, warn: opts.warn ?? say });
    let stopping: Promise<void> | undefined;
    return {
      uri: engine.uri,
      get pid() { return engine.pid() ?? 0; },
      stop: () => (stopping ??= engine.stop().finally(releaseLock)),
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * The data folder and the engine's folder in it are the owner's only, and so is every file in them (password hashes,
 * refresh tokens, webhook secrets): created so, and tightened when an older version left them readable.
 */
function ownerOnly(dataDir: string): void {
  const sqliteDir = path.join(dataDir, 'ferretdb');
  mkdirSync(sqliteDir, { recursive: true, mode: 0o700 });
  for (const dir of [dataDir, sqliteDir]) {
    chmodSync(dir, statSync(dir).mode & 0o700);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile()) chmodSync(path.join(dir, entry.name), statSync(path.join(dir, entry.name)).mode & 0o600);
    }
  }
}

// Two engines on one SQLite folder would each cache its own view of the catalogue; refuse the second.
function takeLock(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'embedded-db.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (holder && isAlive(holder)) {
        throw new Error(`The data folder ${dataDir} is in use by the embedded database of process ${holder}. `
          + 'Stop it, use another DATA_DIR, or point every process at one server with MONGODB_URI.');
      }
      rmSync(lockFile, { force: true }); // left behind by a process that died
    }
  }
  throw new Error(`could not lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

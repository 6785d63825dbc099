import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { MongoClient } from 'mongodb';
import { patchedModFile, patchedModuleSources, sourcePatches } from './patches.ts';

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
 * Starts FerretDB as a child process on a free loopback port and resolves once it answers ping.
 * SQLite files go to `<dataDir>/ferretdb/` unless a PostgreSQL URL is given.
 */
export async function startEmbeddedDb(opts: { dataDir: string; postgresqlUrl?: string | undefined; say?: Say; patched?: boolean }): Promise<EmbeddedDb> {
  const say = opts.say ?? console.log;
  const binary = ensureEngineBinary(say, { patched: opts.patched ?? true });
  const sqliteDir = path.join(opts.dataDir, 'ferretdb');
  mkdirSync(sqliteDir, { recursive: true });
  const releaseLock = takeLock(opts.dataDir);

  const args = opts.postgresqlUrl
    ? ['--handler', 'postgresql', '--postgresql-url', opts.postgresqlUrl]
    : ['--handler', 'sqlite', '--sqlite-url', `file:${sqliteDir}/`];
  // Its own process group, so a Ctrl+C in the terminal reaches only Node, which drains and then stops the engine;
  // stdin stays a pipe from us, and the engine exits when it closes, so it never outlives its parent.
  const child = spawn(binary, ['--listen', '127.0.0.1:0', ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4000); });

  try {
    const uri = await readUri(child, () => stderr);
    await waitForPing(uri);
    let stopping: Promise<void> | undefined;
    return {
      uri,
      pid: child.pid!,
      stop: () => (stopping ??= stopChild(child).finally(releaseLock)),
    };
  } catch (err) {
    await stopChild(child);
    releaseLock();
    throw err;
  }
}

function readUri(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`embedded-db did not start within 30 s:\n${stderr()}`)), 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { uri: string }).uri);
      } catch {
        reject(new Error(`embedded-db printed an unexpected line: ${line}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`embedded-db exited before it was ready (${code ?? signal}):\n${stderr()}`));
    });
  });
}

async function waitForPing(uri: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`embedded-db does not answer ping at ${uri}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await client.close();
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

// Two engines on one SQLite folder would each cache its own view of the catalogue; refuse the second.
function takeLock(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'embedded-db.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
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

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MongoClient } from 'mongodb';
import { engineRestarts } from '../metrics.ts';

/** How long the engine may be silent while starting. */
const START_SILENCE_MS = 30_000;

type Say = (line: string) => void;

/** Waits between restarts: 100 ms doubling up to 5 s, back to 100 ms once an engine has stayed up for 30 s. */
export const restartBackoff = { firstMs: 100, maxMs: 5000, stableAfterMs: 30_000 };

export type SupervisedEngine = { uri: string; pid: () => number | undefined; stop: () => Promise<void> };

type Launched = { uri: string; child: ChildProcess };

/**
 * Runs the engine and restarts it whenever it exits without being asked to, on the same address (so the connection
 * string every client holds stays valid) and with the same arguments (the same data). The drivers reconnect by
 * themselves. Only `stop()` ends it for good.
 */
export async function superviseEngine(
  binary: string, args: string[], opts: { umask: number; say: Say; warn: Say },
): Promise<SupervisedEngine> {
  let current = await launch(binary, ['--listen', '127.0.0.1:0', ...args], opts.umask);
  const uri = current.uri;
  const address = new URL(uri).host;
  let stopping = false;
  let delayMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;

  const nextDelay = (upMs: number) => {
    delayMs = upMs >= restartBackoff.stableAfterMs ? restartBackoff.firstMs : Math.min(Math.max(delayMs * 2, restartBackoff.firstMs), restartBackoff.maxMs);
    return delayMs;
  };
  const schedule = () => { timer = setTimeout(restart, delayMs); };
  const watch = (engine: Launched) => {
    const startedAt = Date.now();
    engine.child.once('exit', (code, signal) => {
      if (stopping) return;
      engineRestarts.inc();
      // Exit code or signal only: the engine's own output may hold a PostgreSQL URL with its password.
      opts.warn(`embedded-db: the engine (pid ${engine.child.pid}) exited (${signal ?? `code ${code}`}); `
        + `restarting it on ${address} in ${nextDelay(Date.now() - startedAt)} ms`);
      schedule();
    });
  };
  const restart = () => {
    timer = undefined;
    const startedAt = Date.now();
    restarting = launch(binary, ['--listen', address, ...args], opts.umask).then(async (engine) => {
      if (stopping) return stopChild(engine.child);
      current = engine;
      watch(engine);
      opts.say(`embedded-db: the engine is back on ${address} (pid ${engine.child.pid}, started in ${Date.now() - startedAt} ms)`);
    }, (err: Error) => {
      if (stopping) return;
      opts.warn(`embedded-db: ${err.message.split('\n')[0]}; next attempt in ${nextDelay(0)} ms`);
      schedule();
    }).finally(() => { restarting = undefined; });
  };

  watch(current);
  let stopped: Promise<void> | undefined;
  return {
    uri,
    pid: () => current.child.pid,
    stop: () => (stopped ??= (async () => {
      stopping = true;
      clearTimeout(timer);
      await restarting;
      await stopChild(current.child);
    })()),
  };
}

/**
 * The engine's environment: Go's garbage collector runs when the heap has grown 400% rather than 100% since the last
 * collection (a read of 10,000 documents took 2.2 s instead of 3.5-4.0 s, and a filter that decodes them all 0.53-0.57 s
 * instead of 0.66-0.87 s, `npm run bench:engine` compares the settings), with a soft limit of 1 GiB at which it
 * collects harder. GOGC and GOMEMLIMIT set by the operator win.
 */
export function engineEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GOGC: env.GOGC ?? '400', GOMEMLIMIT: env.GOMEMLIMIT ?? '1GiB' };
}

/** Starts the engine on `--listen` and resolves once it answers ping; stops it again if it never does. */
async function launch(binary: string, args: string[], umask: number): Promise<Launched> {
  // Its own process group, so a Ctrl+C in the terminal reaches only Node, which drains and then stops the engine;
  // stdin stays a pipe from us, and the engine exits when it closes, so it never outlives its parent. The umask
  // makes every file the engine creates readable by its owner only (they hold password hashes and secrets).
  const previousUmask = process.umask(umask);
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: engineEnvironment(process.env) });
  } finally {
    process.umask(previousUmask);
  }
  let stderr = '';
  let spoke = Date.now();
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    spoke = Date.now();
  });
  try {
    const uri = await readUri(child, () => stderr, () => spoke);
    await waitForPing(uri, child);
    return { uri, child };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/**
 * The address the engine prints once it listens. It may first work a while on an older data folder (converting its
 * tables, saying so on stderr), so it fails only after 30 s without a word.
 */
function readUri(child: ChildProcess, stderr: () => string, spoke: () => number): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const quiet = Date.now() - spoke();
      if (quiet >= START_SILENCE_MS) reject(new Error(`embedded-db did not start: ${START_SILENCE_MS / 1000} s without output:\n${stderr()}`));
      else timer = setTimeout(check, START_SILENCE_MS - quiet);
    };
    let timer = setTimeout(check, START_SILENCE_MS);
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

async function waitForPing(uri: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (err) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`embedded-db exited before it answered ping (${child.exitCode ?? child.signalCode})`);
      if (Date.now() > deadline) throw new Error(`embedded-db does not answer ping at ${uri}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await client.close();
    }
  }
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

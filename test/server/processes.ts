import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../server/embedded-db/engine.ts';

// The real entry points as separate processes, as `npm start`, `npm run api` and `npm run worker` run them.

export type Running = {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp, ms?: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
};

export function run(entry: string, env: Record<string, string | undefined>): Running {
  const base: Record<string, string | undefined> = { ...process.env, MONGODB_URI: undefined, JWT_SECRET: undefined, NODE_ENV: 'development' };
  const child = spawn(process.execPath, [path.join(projectRoot(), entry)], {
    env: Object.fromEntries(Object.entries({ ...base, LOG_LEVEL: 'warn', PORT: '0', ...env }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { output += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { output += c; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor: async (pattern, ms = 60_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`${entry} exited (${child.exitCode}) before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`${entry} did not print ${pattern} within ${ms} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

export async function stop(running: Running, ms = 20_000): Promise<number | null> {
  if (running.child.exitCode !== null) return running.child.exitCode;
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), ms);
  const code = await running.exited;
  clearTimeout(timer);
  return code;
}

export async function until(probe: () => Promise<boolean>, ms = 20_000, every = 200): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return false;
}

/** Process ids of the children of `pid` whose command name starts with `name` (Linux /proc). */
export function childProcesses(pid: number, name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read around its parentheses
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && comm.startsWith(name)) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** The first admin every service started by `liveServices` has (from ADMIN_EMAIL and ADMIN_PASSWORD). */
export const firstAdmin = { email: 'root@example.org', password: 'first admin password' };

/**
 * For a suite: starts `server/start.ts` (API, worker and embedded engine in one process, as `npm start`) in a fresh
 * data folder with a first admin and a one-second heartbeat, answers it with its URL and the lines it printed, and
 * stops every service it started and removes their folders after the suite.
 */
export function liveServices(label: string) {
  const root = mkdtempSync(path.join(tmpdir(), `key-accounts-${label}-`));
  const started: Running[] = [];
  after(async () => {
    for (const service of started) await stop(service);
    rmSync(root, { recursive: true, force: true });
  });
  return async (env: Record<string, string | undefined> = {}) => {
    const service = run('server/start.ts', {
      DATA_DIR: path.join(root, `data-${started.length}`), JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789',
      ADMIN_EMAIL: firstAdmin.email, ADMIN_PASSWORD: firstAdmin.password, WORKER_HEARTBEAT_SECONDS: '1', ...env,
    });
    started.push(service);
    const url = (await service.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    return { service, url };
  };
}

/** Signs in at a running service; answers the access token. */
export async function signInAt(url: string, credentials: { email: string; password: string } = firstAdmin): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
  if (res.status !== 200) throw new Error(`sign-in as ${credentials.email}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

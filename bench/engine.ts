// The embedded engine alone, through the raw driver: FerretDB 1.24.2 as published against our patched build, and the
// patched build under several garbage-collector settings. Prints, per engine: a page of 51 sorted by name, a
// manager's filtered page, a search, a query that must decode every document (a dotted path: not pushed down), a
// count, concurrent updates by _id (write throughput), and the engine's peak memory.
// Usage: npm run bench:engine [-- N]   (default 10000 documents of about 2 KB)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { MongoClient, ObjectId, type Collection } from 'mongodb';
import { ensureEngineBinary } from '../server/embedded-db/engine.ts';

const total = Number(process.argv[2] ?? 10_000);
const rounds = 15;

type Variant = { label: string; patched: boolean; env: Record<string, string> };
const variants: Variant[] = [
  { label: 'unpatched FerretDB 1.24.2', patched: false, env: {} },
  { label: 'patched, GOGC=100 (Go default)', patched: true, env: { GOGC: '100' } },
  { label: 'patched, GOGC=200', patched: true, env: { GOGC: '200' } },
  { label: 'patched, GOGC=400, GOMEMLIMIT=1GiB (the service\'s default)', patched: true, env: { GOGC: '400', GOMEMLIMIT: '1GiB' } },
  { label: 'patched, GOGC=off, GOMEMLIMIT=512MiB', patched: true, env: { GOGC: 'off', GOMEMLIMIT: '512MiB' } },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}
async function medianOf(fn: () => Promise<unknown>, n = rounds): Promise<number> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await time(fn));
  return median(xs);
}

function documents(from: number, count: number) {
  const owners = Array.from({ length: 10 }, (_, i) => new ObjectId(String(i + 1).padStart(24, '0')));
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      code: `C-${i}`, name: `Customer ${String((i * 7919) % total).padStart(6, '0')}`, ownerId: owners[i % 10]!, archived: false,
      tier: ['S', 'A', 'B', 'C'][i % 4], revenue12m: (i * 37) % 1_000_000, tags: [`t${i % 5}`, `t${i % 7}`],
      company: { industry: ['Energy', 'Telecom', 'Retail'][i % 3], region: ['EMEA', 'APAC', 'Americas'][i % 3], notes: 'x'.repeat(1500) },
      updatedAt: new Date(1_700_000_000_000 + i * 60_000), version: 0,
    };
  });
}

async function run(variant: Variant) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-engine-'));
  const binary = ensureEngineBinary(() => undefined, { patched: variant.patched });
  const child = spawn(binary, ['--listen', '127.0.0.1:0', '--handler', 'sqlite', '--sqlite-url', `file:${dataDir}/`], {
    stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, ...variant.env },
  });
  const uri = (JSON.parse(await new Promise<string>((r) => createInterface({ input: child.stdout }).once('line', r))) as { uri: string }).uri;
  const client = await new MongoClient(uri).connect();
  try {
    const c: Collection = client.db('bench').collection('customers');
    await c.createIndexes([{ key: { name: 1 } }, { key: { ownerId: 1, name: 1 } }, { key: { code: 1 }, unique: true }]);
    for (let i = 0; i < total; i += 1000) await c.insertMany(documents(i, Math.min(1000, total - i)));
    const owner = new ObjectId(String(3).padStart(24, '0'));
    const row: Record<string, number | string> = { engine: variant.label };
    row.page = await medianOf(() => c.find({ archived: false }).sort({ name: 1, _id: 1 }).limit(51).toArray());
    row.manager = await medianOf(() => c.find({ archived: false, ownerId: owner }).sort({ name: 1, _id: 1 }).limit(51).toArray());
    row.search = await medianOf(() => c.find({ archived: false, $or: [{ name: { $regex: '0042', $options: 'i' } }, { code: { $regex: '0042', $options: 'i' } }] }).sort({ name: 1, _id: 1 }).limit(51).toArray());
    row.decodeAll = await medianOf(() => c.find({ 'company.industry': 'Energy' }).sort({ name: 1 }).limit(51).toArray(), 5);
    row.count = await medianOf(() => c.countDocuments({ tier: 'S' }), 5);
    // 8 clients updating different documents by _id with a version guard, 400 updates in all
    const ids = (await c.find({}, { projection: { _id: 1 } }).limit(400).toArray()).map((d) => d._id);
    let failed = 0;
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < ids.length; i += 8) {
        await c.updateOne({ _id: ids[i], version: 0 }, { $set: { version: 1, note: `w${w}` } }).catch(() => { failed++; });
      }
    }));
    row.updatesPerSecond = Math.round((ids.length - failed) / (Number(process.hrtime.bigint() - started) / 1e9));
    row.updateErrors = failed; // unpatched FerretDB answers some of them "database is locked (SQLITE_BUSY)"
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    row.peakMiB = Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    return row;
  } finally {
    await client.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`${total} documents of ~2 KB; median ms of ${rounds} runs (5 for decodeAll and count); updates/s: 8 clients, version-guarded updates by _id`);
const rows = [];
for (const variant of variants) {
  const row = await run(variant);
  rows.push(row);
  console.log(JSON.stringify(row, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)));
}
const columns = ['page', 'manager', 'search', 'decodeAll', 'count', 'updatesPerSecond', 'updateErrors', 'peakMiB'];
console.log(`\n${'engine'.padEnd(40)}${columns.map((c) => c.padStart(17)).join('')}`);
for (const row of rows) console.log(`${String(row.engine).padEnd(40)}${columns.map((c) => (typeof row[c] === 'number' ? (row[c] as number).toFixed(1) : String(row[c])).padStart(17)).join('')}`);

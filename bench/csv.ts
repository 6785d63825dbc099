// CSV import and export of N customers on the embedded database, over HTTP, next to the raw driver doing the same
// amount of reading and writing in the same run (what the engine alone needs: the floor for the service).
// Usage: npm run bench:csv [-- N]   (default 10000)
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChangeModel } from '../models/change.ts';
import { CustomerModel } from '../models/customer.ts';
import { CustomerImportModel } from '../models/customer-import-job.ts';
import { UserModel, hashPassword } from '../models/user.ts';
import { createApp } from '../server/app.ts';
import { signAccessToken } from '../server/auth.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase } from '../server/db.ts';
import { createLogger } from '../server/logger.ts';
import { runDueImports } from '../usecases/customer-import-run.ts';

const total = Number(process.argv[2] ?? 10_000);
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-csv-'));
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
const db = await connectDatabase(config, (line) => console.log(line));

/** node:http rather than fetch, whose 300 s header timeout an import of the old code outlasts on a busy machine. */
function send(url: string, init: { method?: string; headers: Record<string, string>; body?: string }, onChunk?: (chunk: Buffer) => void) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => (onChunk ? onChunk(chunk) : chunks.push(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

const header = [
  'code', 'name', 'status', 'ownerEmail', 'accountTeamEmails', 'parentCode', 'tags', 'currency', 'company.legalName',
  'company.industry', 'company.region', 'company.country', 'company.employees', 'company.annualRevenue', 'company.goals',
  'company.painPoints', 'company.competitors', 'company.decisionProcess', 'tierInputs.potential', 'tierInputs.strategicValue',
];
const prose = (i: number, words: number) => Array.from({ length: words }, (_, k) => ['supply', 'grid', 'retail', 'margin', 'cloud', 'service', 'renewal', 'tender'][(i + k) % 8]).join(' ');
const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

/** A book like a real one (about 450 bytes of CSV a row, so 10,000 rows fit the import's 5 MB limit): one in 20 is a group that the next 19 belong to. */
function csvFile(emails: string[], variant: string): string {
  const lines = [header.join(',')];
  for (let i = 0; i < total; i++) {
    const code = `BENCH-${String(i).padStart(6, '0')}`;
    const parent = i % 20 === 0 ? '' : `BENCH-${String(i - (i % 20)).padStart(6, '0')}`;
    lines.push([
      code, `Customer ${String((i * 7919) % total).padStart(6, '0')} ${variant}`, ['prospect', 'active', 'dormant'][i % 3]!,
      emails[i % emails.length]!, emails[(i + 1) % emails.length]!, parent, `a${i % 5};b${i % 7}`, ['EUR', 'USD'][i % 2]!,
      `Customer ${i} Ltd`, ['Energy', 'Telecom', 'Retail'][i % 3]!, ['EMEA', 'APAC', 'Americas'][i % 3]!, ['DE', 'CN', 'US'][i % 3]!,
      String(100 + i), String(1_000_000 * (i % 50)), prose(i, 14), prose(i + 3, 10), 'Acme;Globex', prose(i + 5, 8),
      String(50_000 * (i % 40)), String(1 + (i % 5)),
    ].map(quote).join(','));
  }
  return `${lines.join('\n')}\n`;
}

try {
  const passwordHash = await hashPassword('bench password 123');
  const managers = await UserModel.insertMany(Array.from({ length: 10 }, (_, i) => ({ email: `m${i}@bench.local`, name: `M${i}`, role: 'manager', passwordHash })));
  const admin = await UserModel.create({ email: 'admin@bench.local', name: 'Admin', role: 'admin', passwordHash });
  const server = createApp(config, createLogger(config)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/customers`;
  // A fresh token per request: an import of the old code outlasts an access token's 15 minutes.
  const bearer = () => `Bearer ${signAccessToken(config, { id: String(admin._id), role: 'admin' })}`;
  const emails = managers.map((m) => m.email);

  const importFile = async (label: string, text: string, query = '') => {
    const [ms, body] = await time(async () => {
      const res = await send(`${base}/import${query}`, { method: 'POST', headers: { authorization: bearer(), 'content-type': 'text/csv' }, body: text });
      if (res.status !== 200 && res.status !== 202) throw new Error(`${res.status} ${res.text.slice(0, 500)}`);
      const answer = JSON.parse(res.text) as Record<string, unknown>;
      if (res.status === 200) return answer;
      // A large file goes to the worker: run it here, as the worker beside the API would, and time it to its end.
      await runDueImports();
      const done = await CustomerImportModel.findById(answer.id).lean();
      if (done?.state !== 'done') throw new Error(`import ${String(answer.id)} ended ${done?.state}: ${done?.error}`);
      return done.summary as Record<string, unknown>;
    });
    console.log(`${label.padEnd(44)} ${seconds(ms).padStart(9)}   created ${body.created}, updated ${body.updated}, unchanged ${body.unchanged}`);
  };
  const first = csvFile(emails, 'Energy');
  console.log(`\n${total} rows, ${(first.length / 1e6).toFixed(1)} MB of CSV`);
  await importFile('import, dry run (all new)', first, '?dryRun=true');
  await importFile('import (all new)', first);
  await importFile('import again, a new name on every row', csvFile(emails, 'Telecom'));
  await importFile('import again, nothing changed', csvFile(emails, 'Telecom'));
  console.log(`stored: ${await CustomerModel.countDocuments()} customers, ${await ChangeModel.countDocuments({ action: 'imported' })} import records`);

  const [exportMs, exportInfo] = await time(async () => {
    const started = performance.now();
    let firstByte = 0;
    let bytes = 0;
    const res = await send(`${base}/export`, { headers: { authorization: bearer() } }, (chunk) => {
      firstByte ||= performance.now() - started;
      bytes += chunk.length;
    });
    if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
    return { firstByte, bytes };
  });
  console.log(`${'export (admin, whole book)'.padEnd(44)} ${seconds(exportMs).padStart(9)}   first byte after ${seconds(exportInfo.firstByte)}, ${(exportInfo.bytes / 1e6).toFixed(1)} MB`);

  // The engine alone: read the same customers in the export's order, and write as many documents of the same size.
  const [readMs, docs] = await time(() => CustomerModel.collection.find({ archived: false }).sort({ name: 1, _id: 1 }).toArray());
  console.log(`${'raw driver: read the same customers'.padEnd(44)} ${seconds(readMs).padStart(9)}   ${docs.length} documents`);
  const scratch = CustomerModel.db.collection('bench_scratch');
  const copies = docs.map(({ _id, ...rest }) => rest);
  const [insertMs] = await time(async () => {
    for (let i = 0; i < copies.length; i += 500) await scratch.insertMany(copies.slice(i, i + 500));
  });
  console.log(`${'raw driver: insert as many (500 a batch)'.padEnd(44)} ${seconds(insertMs).padStart(9)}`);
  const [updateMs] = await time(async () => {
    for (let i = 0; i < docs.length; i += 50) {
      await CustomerModel.collection.bulkWrite(docs.slice(i, i + 50).map((d) => ({
        updateOne: { filter: { _id: d._id, __v: d.__v }, update: { $set: { name: `${d.name} again` }, $inc: { __v: 1 } } },
      })), { ordered: false });
    }
  });
  console.log(`${'raw driver: update as many by _id and version'.padEnd(44)} ${seconds(updateMs).padStart(9)}   bulkWrite of 50`);
  server.close();
} finally {
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
}

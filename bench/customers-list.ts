// Median latency of GET /api/v1/customers (a page of 50) over N customers on the embedded database, next to the raw
// driver running the same query in the same run (the ratio is what to compare across machines).
// Usage: npm run bench:customers [-- N]   (default 5000)
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CustomerModel, nameKeyOf } from '../models/customer.ts';
import { customerFilter, sortOf } from '../models/customer-query.ts';
import { UserModel, hashPassword } from '../models/user.ts';
import { createApp } from '../server/app.ts';
import { signAccessToken } from '../server/auth.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase } from '../server/db.ts';
import { createLogger } from '../server/logger.ts';

const total = Number(process.argv[2] ?? 5000);
const rounds = 60;
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-customers-'));
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
const db = await connectDatabase(config, (line) => console.log(line));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

try {
  const passwordHash = await hashPassword('bench password 123');
  const managers = await UserModel.insertMany(Array.from({ length: 10 }, (_, i) => ({ email: `m${i}@bench.local`, name: `M${i}`, role: 'manager', passwordHash })));
  const admin = await UserModel.create({ email: 'admin@bench.local', name: 'Admin', role: 'admin', passwordHash });
  const seeding = Date.now();
  for (let i = 0; i < total; i += 1000) {
    await CustomerModel.insertMany(Array.from({ length: Math.min(1000, total - i) }, (_, j) => {
      const name = `Customer ${String(i + j).padStart(6, '0')} ${['Energy', 'Telecom', 'Retail'][(i + j) % 3]}`;
      return { code: `B-${i + j}`, name, nameKey: nameKeyOf(name), ownerId: managers[(i + j) % 10]!._id, revenue12m: (i + j) * 7 % 100_000, status: 'active' };
    }));
  }
  console.log(`seeded ${total} customers in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);

  const server = createApp(config, createLogger(config)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/customers`;
  const cases = [
    { label: 'admin, sort=name', user: admin, sort: 'name' as const, query: '' },
    { label: 'admin, sort=-revenue12m', user: admin, sort: '-revenue12m' as const, query: '' },
    { label: 'manager (1/10 of the book), sort=name', user: managers[0]!, sort: 'name' as const, query: '' },
    { label: 'admin, q=000 (text match)', user: admin, sort: 'name' as const, query: '&q=000' },
  ];
  console.log(`\nmedian of ${rounds} requests, page of 50 from ${total} customers`);
  console.log('case'.padEnd(40), 'HTTP ms'.padStart(9), 'driver ms'.padStart(10), 'ratio'.padStart(7));
  for (const c of cases) {
    const authUser = { id: String(c.user._id), email: c.user.email, name: c.user.name, role: c.user.role, team: '' };
    const headers = { authorization: `Bearer ${signAccessToken(config, authUser)}` };
    const filter = customerFilter(authUser, { ...(c.query ? { q: '000' } : {}) });
    const http: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < rounds; i++) {
      http.push(await time(async () => {
        const res = await fetch(`${base}?limit=50&sort=${c.sort}${c.query}`, { headers });
        if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
        await res.json();
      }));
      raw.push(await time(() => CustomerModel.collection.find(filter).sort(sortOf(c.sort)).limit(51).toArray()));
    }
    const [h, d] = [median(http), median(raw)];
    console.log(c.label.padEnd(40), h.toFixed(1).padStart(9), d.toFixed(1).padStart(10), (h / d).toFixed(2).padStart(7));
  }
  server.close();
} finally {
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
}

// How long visits.remind takes for N visits coming due (default 10,000) on the embedded database, next to the raw driver
// inserting the same notifications in the same run (the ratio is what to compare across machines).
// Usage: npm run bench:remind [-- N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose, { Types } from 'mongoose';
import { NotificationModel } from '../models/notification.ts';
import { VisitModel } from '../models/visit.ts';
import { remindDueVisits } from '../models/visit-alerts.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase } from '../server/db.ts';

const total = Number(process.argv[2] ?? 10_000);
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-remind-'));
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
const db = await connectDatabase(config, (line) => console.log(line));

async function seconds(fn: () => Promise<unknown>): Promise<[number, unknown]> {
  const started = process.hrtime.bigint();
  const result = await fn();
  return [Number(process.hrtime.bigint() - started) / 1e9, result];
}

try {
  const now = new Date();
  const owners = Array.from({ length: 20 }, () => new Types.ObjectId());
  for (let i = 0; i < total; i += 1000) {
    await VisitModel.insertMany(Array.from({ length: Math.min(1000, total - i) }, (_, j) => {
      const due = new Date(now.getTime() + (((i + j) % 2 === 0 ? 1 : 6) * 24 + 3) * 3_600_000);
      return { customerId: new Types.ObjectId(), ownerId: owners[(i + j) % 20], kind: 'cadence', dueAt: due, scheduledFor: due, cadenceKey: `bench:${i + j}` };
    }));
  }
  // As many visits again that are not due yet, which the job must read past.
  for (let i = 0; i < total; i += 1000) {
    await VisitModel.insertMany(Array.from({ length: Math.min(1000, total - i) }, (_, j) => {
      const due = new Date(now.getTime() + 60 * 86_400_000);
      return { customerId: new Types.ObjectId(), ownerId: owners[(i + j) % 20], kind: 'cadence', dueAt: due, scheduledFor: due, cadenceKey: `later:${i + j}` };
    }));
  }
  const [first, sent] = await seconds(() => remindDueVisits({ now, timezone: config.timezone, leadDays: [7, 1] }));
  console.log(`visits.remind, ${total} visits due within a week among ${2 * total}: ${JSON.stringify(sent)} in ${first.toFixed(2)} s`);
  const [again, repeat] = await seconds(() => remindDueVisits({ now, timezone: config.timezone, leadDays: [7, 1] }));
  console.log(`re-run (everything already sent): ${JSON.stringify(repeat)} in ${again.toFixed(2)} s`);
  const docs = (await NotificationModel.find({}).lean()).map(({ _id, ...n }) => ({ ...n, key: `raw:${n.key}` }));
  const raw = mongoose.connection.db!.collection('bench_raw_notifications');
  const [rawTime] = await seconds(async () => {
    await VisitModel.collection.find({ status: 'scheduled', dueAt: { $lte: new Date(now.getTime() + 8 * 86_400_000) } }).toArray();
    for (let i = 0; i < docs.length; i += 1000) await raw.insertMany(docs.slice(i, i + 1000));
  });
  console.log(`raw driver, the same read and ${docs.length} inserts: ${rawTime.toFixed(2)} s`);
  console.log(`\n| run | service | raw driver | ratio |\n|---|---|---|---|\n| first run, ${total} reminders | ${first.toFixed(2)} s | ${rawTime.toFixed(2)} s | ${(first / rawTime).toFixed(2)} |`);
  console.log(`| re-run, nothing new | ${again.toFixed(2)} s | | |`);
} finally {
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
}

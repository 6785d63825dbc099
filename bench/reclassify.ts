// Tier reclassification of N customers on the embedded database, in customers per second, next to the raw driver
// doing the same reads and writing the same customer updates and change records in the same run (the ratio is what to
// compare across machines). Approval requests are the service's own extra work and are not in the baseline.
// Usage: npm run bench:reclassify [-- N]   (default 10000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose, { Types, type AnyBulkWriteOperation } from 'mongoose';
import { ContactModel } from '../models/contact.ts';
import { CustomerModel, nameKeyOf } from '../models/customer.ts';
import { ProjectModel } from '../models/project.ts';
import { TierApprovalModel, TierChangeModel } from '../models/tier-change.ts';
import { defaultPolicyRules, savePolicy } from '../models/tier-policy.ts';
import { reclassify } from '../models/tiering.ts';
import { loadConfig } from '../server/config.ts';
import { connectDatabase } from '../server/db.ts';

const total = Number(process.argv[2] ?? 10_000);
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-reclassify-'));
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
const db = await connectDatabase(config, (line) => console.log(line));
const tierFields: string[] = ['tier', 'tierScore', 'tierComputed', 'tierBreakdown', 'tierPolicyVersion', 'tierScoredAt', 'tierSource', 'tierUpdatedAt', 'tierRevision', 'tierLastChange'];

async function seconds(fn: () => Promise<unknown>): Promise<[number, unknown]> {
  const started = process.hrtime.bigint();
  const result = await fn();
  return [Number(process.hrtime.bigint() - started) / 1e9, result];
}

/** The raw driver writing what the service wrote: each customer's tier fields as stored now, and one change record each. */
async function rawReplay(label: string, before: Map<string, Record<string, unknown>>): Promise<number> {
  const after = (await CustomerModel.find({}, Object.fromEntries(tierFields.map((f) => [f, 1]))).lean()) as Array<Record<string, unknown> & { _id: Types.ObjectId }>;
  const changed = after.filter((c) => JSON.stringify(pick(c)) !== JSON.stringify(before.get(String(c._id))));
  const tierChanged = changed.filter((c) => c.tierRevision !== before.get(String(c._id))?.tierRevision);
  // Put the previous values back (not timed), then time the driver writing the new ones.
  await chunks(changed.map((c) => ({ updateOne: { filter: { _id: c._id }, update: { $set: before.get(String(c._id))! } } })));
  const raw = mongoose.connection.db!.collection('bench_raw_changes');
  const [elapsed] = await seconds(async () => {
    // The same reads: the customers' tier fields and inputs, the assessed contacts, the won projects.
    await CustomerModel.collection.find({ archived: false }, { projection: readFields }).toArray();
    await ContactModel.collection.find({ decisionRole: { $in: ['decision_maker', 'influencer'] }, attitude: { $ne: null }, influence: { $ne: null } }).toArray();
    await ProjectModel.collection.find({ stage: { $in: ['won', 'delivering', 'closed'] }, wonAt: { $ne: null } }).toArray();
    await chunks(changed.map((c) => ({ updateOne: { filter: { _id: c._id }, update: { $set: pick(c) } } })));
    for (let i = 0; i < tierChanged.length; i += 1000) {
      await raw.insertMany(tierChanged.slice(i, i + 1000).map((c) => ({ ...(c.tierLastChange as object), _id: new Types.ObjectId(), run: label })));
    }
  });
  console.log(`  raw driver: the same reads, ${changed.length} customer updates and ${tierChanged.length} change records in ${elapsed.toFixed(2)} s`);
  return elapsed;
}

const readFields = Object.fromEntries([...tierFields, 'revenue12m', 'tierInputs', 'tierOverride'].map((f) => [f, 1]));
const pick = (c: Record<string, unknown>) => Object.fromEntries(tierFields.map((f) => [f, c[f] ?? null]));
async function chunks(ops: AnyBulkWriteOperation[]) {
  for (let i = 0; i < ops.length; i += 50) await CustomerModel.collection.bulkWrite(ops.slice(i, i + 50) as never, { ordered: false });
}
async function snapshot() {
  const rows = await CustomerModel.find({}, Object.fromEntries(tierFields.map((f) => [f, 1]))).lean();
  return new Map(rows.map((c) => [String(c._id), pick(c)]));
}

try {
  const owner = new Types.ObjectId();
  const seeding = Date.now();
  const day = 86_400_000;
  for (let i = 0; i < total; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, total - i) }, (_, j) => {
      const n = i + j;
      const name = `Bench ${String(n).padStart(6, '0')}`;
      return {
        _id: new Types.ObjectId(), code: `RB-${n}`, name, nameKey: nameKeyOf(name), ownerId: owner, status: 'active',
        revenue12m: (n * 7919) % 700_000_000, tierInputs: { potential: (n * 104_729) % 1_200_000_000, strategicValue: 1 + (n % 5) },
      };
    });
    await CustomerModel.insertMany(batch);
    await ContactModel.insertMany(batch.flatMap((c, k) => [
      { customerId: c._id, name: 'Decision Maker', decisionRole: 'decision_maker', influence: 1 + (k % 5), attitude: k % 4 ? 'supporter' : 'opponent' },
      { customerId: c._id, name: 'Influencer', decisionRole: 'influencer', influence: 1 + ((k + 2) % 5), attitude: 'neutral' },
    ]));
    await ProjectModel.insertMany(batch.filter((_, k) => k % 2 === 0).map((c, k) => ({
      customerId: c._id, name: 'Deal', stage: 'won', value: 1000, currency: 'USD', ownerId: owner, wonAt: new Date(Date.now() - (k % 2000) * day),
    })));
  }
  console.log(`seeded ${total} customers with ${2 * total} contacts and ${Math.ceil(total / 2)} won projects in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);
  await savePolicy(defaultPolicyRules, 'bench', { id: String(owner), name: 'bench' });

  const rows: string[] = [];
  const runs: Array<[string, () => Promise<unknown>]> = [
    ['first classification', () => reclassify()],
    ['re-run, nothing changed', () => reclassify()],
    ['after a policy change', async () => {
      await savePolicy({ ...defaultPolicyRules, thresholds: { S: 75, A: 55, B: 30 } }, 'bench: lower thresholds', { id: String(owner), name: 'bench' });
      return reclassify();
    }],
  ];
  for (const [label, run] of runs) {
    const before = await snapshot();
    const [elapsed, result] = await seconds(run);
    console.log(`${label}: ${JSON.stringify(result)} in ${elapsed.toFixed(2)} s`);
    const raw = await rawReplay(label, before);
    const perSecond = (s: number) => (s > 0 ? Math.round(total / s) : Infinity);
    rows.push(`| ${label} | ${elapsed.toFixed(2)} s | ${perSecond(elapsed)} | ${raw.toFixed(2)} s | ${(elapsed / raw).toFixed(2)} |`);
  }
  console.log(`\n${total} customers, embedded FerretDB (SQLite); ${await TierChangeModel.countDocuments({})} change records, `
    + `${await TierApprovalModel.countDocuments({ status: 'pending' })} pending approvals at the end\n`);
  console.log('| run | service | customers/s | raw driver, same reads and writes | ratio |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
} finally {
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
}

import { expect } from 'chai';
import mongoose from 'mongoose';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { dataDir } from '../setup.ts';

// The embedded engine keeps SQLite's planner statistics (server/embedded-db/main.go, keepPlannerStatistics): a large
// collection gets them, a small one none, and a field with a few values keeps its index for the rare value. Read
// straight from the SQLite file, and through the engine with EXPLAIN, which runs on FerretDB's own connections.

const engine = process.env.TEST_MONGODB_URI ? 'mongodb' : process.env.TEST_FERRETDB_POSTGRESQL_URL ? 'postgresql' : 'sqlite';

type Stat = { tbl: string; idx: string | null; stat: string };

function statistics(collection: string): Stat[] {
  const file = path.join(dataDir, 'ferretdb', `${mongoose.connection.db!.databaseName}.sqlite`);
  if (!existsSync(file)) return [];
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'sqlite_stat1'").get() as { n: number };
    if (!tables.n) return [];
    // FerretDB names a collection's table `${collection}_${hash}`.
    return db.prepare('SELECT tbl, idx, stat FROM sqlite_stat1 WHERE substr(tbl, 1, ?) = ?').all(collection.length + 1, `${collection}_`) as Stat[];
  } finally {
    db.close();
  }
}

async function plan(collection: string, filter: Record<string, unknown>, sort?: Record<string, 1 | -1>, limit?: number): Promise<string[]> {
  const res = await mongoose.connection.db!.command({ explain: { find: collection, filter, ...(sort ? { sort } : {}), ...(limit ? { limit } : {}) } });
  return ((res.queryPlanner as { Plan?: string[] }).Plan ?? []).map((line) => line.replace(/^.*detail=/, ''));
}

const averages = (s: Stat) => s.stat.split(' ').map(Number).filter((n) => Number.isInteger(n));

describe('embedded engine: planner statistics', function () {
  before(function () {
    if (engine !== 'sqlite') this.skip();
  });

  it('gives a large collection statistics (a small one none) and keeps the index of a flag for its rare value', async function () {
    this.timeout(90_000);
    const large = `plannerstats_large_${Date.now()}`;
    const small = `plannerstats_small_${Date.now()}`;
    const db = mongoose.connection.db!;
    await db.collection(large).createIndexes([{ key: { flag: 1 } }, { key: { owner: 1, name: 1, _id: 1 } }, { key: { name: 1, _id: 1 } }]);
    await db.collection(small).createIndexes([{ key: { owner: 1 } }]);
    // 3,000 documents, 30 owners; one flagged.
    await db.collection(large).insertMany(Array.from({ length: 3000 }, (_, i) => ({
      name: `n${String(i).padStart(5, '0')}`, owner: `o${i % 30}`, flag: i === 1234, notes: 'x'.repeat(200),
    })));
    await db.collection(small).insertMany(Array.from({ length: 50 }, (_, i) => ({ owner: `o${i % 5}` })));

    // The engine takes statistics a second after it starts, then every 10 s.
    let stats: Stat[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      stats = statistics(large);
      if (stats.some((s) => s.idx?.includes('owner_1_name_1__id_1_pd') && averages(s)[0] === 3000)) break;
    }
    const byIndex = (part: string) => stats.find((s) => s.idx?.endsWith(part));
    const owners = byIndex('_owner_1_name_1__id_1_pd');
    expect(owners, JSON.stringify(stats)).to.not.equal(undefined);
    // rows; the owner's type rank (the same for all); owner: 100 each; then name and _id unique.
    expect(averages(owners!).slice(0, 3)).to.deep.equal([3000, 3000, 100]);
    // The flag has two values: the average for a value is capped, as if unknown, so the planner keeps its index.
    const flag = byIndex('_flag_1_pd');
    expect(flag, JSON.stringify(stats)).to.not.equal(undefined);
    expect(averages(flag!)[2]).to.be.at.most(10);
    expect(statistics(small), 'a collection of 50 documents').to.deep.equal([]);

    // FerretDB's connections plan with them: the flagged document from the flag's index, not a scan of 3,000.
    const flagged = await plan(large, { flag: true });
    expect(flagged.join('\n')).to.match(/USING INDEX \S*_flag_1_pd/);
    expect(flagged.some((s) => /^SCAN \w+$/.test(s)), flagged.join('\n')).to.equal(false);
    expect(await db.collection(large).countDocuments({ flag: true })).to.equal(1);
  });
});

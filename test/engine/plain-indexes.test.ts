import { expect } from 'chai';
import mongoose from 'mongoose';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { dataDir } from '../setup.ts';

// Patch 011: an index keeps FerretDB's plain SQLite index only where it does work (unique, _id_, dotted fields); the
// others are served by their pushdown companions alone, and every write keeps one SQLite index fewer current.

const engine = process.env.TEST_MONGODB_URI ? 'mongodb' : process.env.TEST_FERRETDB_POSTGRESQL_URL ? 'postgresql' : 'sqlite';

/** The SQLite indexes of a collection's table, without the table's name before them. */
function sqliteIndexes(collection: string): string[] {
  const db = new DatabaseSync(path.join(dataDir, 'ferretdb', `${mongoose.connection.db!.databaseName}.sqlite`), { readOnly: true });
  try {
    const rows = db.prepare("SELECT name, tbl_name AS tbl FROM sqlite_schema WHERE type = 'index' AND substr(tbl_name, 1, ?) = ?")
      .all(collection.length + 1, `${collection}_`) as Array<{ name: string; tbl: string }>;
    return rows.map((r) => r.name.slice(r.tbl.length + 1)).sort();
  } finally {
    db.close();
  }
}

describe('embedded engine: plain indexes only where they do work', () => {
  before(function () {
    if (engine !== 'sqlite') this.skip();
  });

  it('keeps the plain index of _id, unique and dotted-field indexes, and only the companion of the others', async () => {
    const name = `plainidx_${Date.now()}`;
    const c = mongoose.connection.db!.collection(name);
    await c.createIndexes([
      { key: { code: 1 }, unique: true, name: 'code_1' }, { key: { owner: 1, name: 1 }, name: 'owner_1_name_1' },
      { key: { 'company.region': 1 }, name: 'company.region_1' },
    ]);
    await c.insertMany(Array.from({ length: 300 }, (_, i) => ({ code: `C${i}`, owner: `o${i % 3}`, name: `n${i}`, company: { region: `r${i % 4}` } })));
    expect(sqliteIndexes(name)).to.deep.equal(['_id_', '_id__pd', 'code_1', 'code_1_pd', 'company.region_1', 'owner_1_name_1_pd'].sort());

    // Still served, exact and unique as before.
    const plan = await mongoose.connection.db!.command({ explain: { find: name, filter: { owner: 'o1' }, sort: { name: 1 }, limit: 5 } });
    expect(JSON.stringify(plan.queryPlanner)).to.match(/owner_1_name_1_pd/);
    expect((await c.find({ owner: 'o1' }).sort({ name: 1 }).limit(3).toArray()).map((d) => d.name)).to.deep.equal(['n1', 'n10', 'n100']);
    const duplicate = await c.insertOne({ code: 'C7' }).then(() => null, (e: { code?: number }) => e.code);
    expect(duplicate).to.equal(11000);
    expect(await c.countDocuments({ code: 'C7' })).to.equal(1);

    // collStats names every index with the size of its SQLite indexes.
    const stats = await mongoose.connection.db!.command({ collStats: name });
    expect(Object.keys(stats.indexSizes).sort()).to.deep.equal(['_id_', 'code_1', 'company.region_1', 'owner_1_name_1']);
    for (const size of Object.values(stats.indexSizes)) expect(size).to.be.greaterThan(0);

    // Dropping an index that has no plain index works, and takes its companion.
    await c.dropIndex('owner_1_name_1');
    expect(sqliteIndexes(name)).to.deep.equal(['_id_', '_id__pd', 'code_1', 'code_1_pd', 'company.region_1'].sort());
    expect((await c.indexes()).map((i) => i.name).sort()).to.deep.equal(['_id_', 'code_1', 'company.region_1']);
  });
});

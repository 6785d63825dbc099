import { expect } from 'chai';
import mongoose from 'mongoose';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { dataDir } from '../setup.ts';

// What the engine keeps in SQLite beside a collection's table. Patch 011: an index keeps FerretDB's plain SQLite index
// only where it does work (unique, _id_, dotted fields); the others are served by their pushdown companions alone.
// Patch 012: one trigger per event keeps the array elements of all indexed fields in the side table.

const engine = process.env.TEST_MONGODB_URI ? 'mongodb' : process.env.TEST_FERRETDB_POSTGRESQL_URL ? 'postgresql' : 'sqlite';

/** The SQLite indexes (or triggers) of a collection's table, without the table's name before them. */
function sqliteSchema(collection: string, type: 'index' | 'trigger' = 'index'): string[] {
  const db = new DatabaseSync(path.join(dataDir, 'ferretdb', `${mongoose.connection.db!.databaseName}.sqlite`), { readOnly: true });
  try {
    const rows = db.prepare('SELECT name, tbl_name AS tbl FROM sqlite_schema WHERE type = ? AND substr(tbl_name, 1, ?) = ?')
      .all(type, collection.length + 1, `${collection}_`) as Array<{ name: string; tbl: string }>;
    return rows.map((r) => r.name.slice(r.name.indexOf(r.tbl) + r.tbl.length + 1)).sort();
  } finally {
    db.close();
  }
}

const sqliteIndexes = (collection: string) => sqliteSchema(collection);

describe('embedded engine: what it keeps in SQLite', () => {
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

  it('keeps the elements of every indexed array field with one trigger per event, through writes and index drops', async () => {
    const name = `elements_${Date.now()}`;
    const c = mongoose.connection.db!.collection(name);
    await c.createIndexes([{ key: { tags: 1 }, name: 'tags_1' }, { key: { team: 1, name: 1 }, name: 'team_1_name_1' }]);
    await c.insertMany(Array.from({ length: 60 }, (_, i) => ({ name: `n${String(i).padStart(2, '0')}`, tags: [`t${i % 3}`, `t${i % 5}`], team: [`m${i % 4}`] })));
    expect(sqliteSchema(name, 'trigger')).to.deep.equal(['delete', 'insert', 'update']);
    const names = async (filter: Record<string, unknown>) => (await c.find(filter).sort({ name: 1 }).toArray()).map((d) => d.name as string);
    const expected = (pick: (i: number) => boolean) => Array.from({ length: 60 }, (_, i) => i).filter(pick).map((i) => `n${String(i).padStart(2, '0')}`);

    expect(await names({ tags: 't4' })).to.deep.equal(expected((i) => i % 5 === 4 || i % 3 === 4));
    expect(await names({ team: 'm1' })).to.deep.equal(expected((i) => i % 4 === 1));
    // An update replaces a document's elements, a delete removes them.
    await c.updateMany({ team: 'm1' }, { $set: { team: ['m9'], tags: 'scalar' } });
    await c.deleteMany({ name: { $in: ['n00', 'n04'] } });
    expect(await names({ team: 'm1' })).to.deep.equal([]);
    expect(await names({ team: 'm9' })).to.deep.equal(expected((i) => i % 4 === 1));
    expect(await names({ tags: 't4' })).to.deep.equal(expected((i) => i % 4 !== 1 && i !== 4 && (i % 5 === 4 || i % 3 === 4)));
    expect(await names({ team: 'm0' })).to.deep.equal(expected((i) => i % 4 === 0 && i !== 0 && i !== 4));

    // Dropping one array field's index keeps the other's elements current; dropping both removes the triggers.
    await c.dropIndex('tags_1');
    expect(sqliteSchema(name, 'trigger')).to.deep.equal(['delete', 'insert', 'update']);
    await c.insertOne({ name: 'n99', tags: ['t4'], team: ['m9'] });
    expect(await names({ team: 'm9' })).to.deep.equal([...expected((i) => i % 4 === 1), 'n99']);
    expect(await names({ tags: 't4' })).to.deep.equal([...expected((i) => i % 4 !== 1 && i !== 4 && (i % 5 === 4 || i % 3 === 4)), 'n99']);
    await c.dropIndex('team_1_name_1');
    expect(sqliteSchema(name, 'trigger')).to.deep.equal([]);
    expect(await names({ team: 'm9' })).to.deep.equal([...expected((i) => i % 4 === 1), 'n99']);
  });
});

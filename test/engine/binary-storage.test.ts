import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BSON, MongoClient, type Document } from 'mongodb';
import { startEmbeddedDb } from '../../server/embedded-db/engine.ts';
import { randomDocument, randomFilter, randomSort, seededRandom } from './random-documents.ts';

// Patch 013: documents are stored as JSONB. A data folder written by FerretDB as published (documents as JSON text)
// is converted when the patched engine opens it: the same documents in the same $natural order, the same answers,
// indexes, triggers and planner statistics as before, and binary storage from then on.

const DOCUMENTS = 1200; // above the 1,000 rows under which the engine keeps no statistics (main.go, minAnalyzedRows)
const QUERIES = 150;
const read = { promoteValues: false, promoteLongs: false } as const;
const canonical = (value: unknown): string => BSON.EJSON.stringify(value as Document, { relaxed: false });

type SqliteRow = Record<string, unknown>;
function sqlite<T>(dataDir: string, use: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path.join(dataDir, 'ferretdb', 'converted.sqlite'));
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** What the engine answers on the folder: every collection in $natural order, then each query's result. */
async function answers(uri: string, queries: Array<{ filter: Document; sort: Document }>): Promise<string[]> {
  const client = await new MongoClient(uri).connect();
  try {
    const db = client.db('converted');
    const out = [
      canonical(await db.collection('docs').find({}, read).toArray()),
      canonical(await db.collection('log').find({}, read).toArray()),
      canonical((await db.collection('docs').indexes()).map((i) => [i.name, i.key, i.unique ?? false])),
    ];
    for (const { filter, sort } of queries) {
      out.push(await db.collection('docs').find(filter, read).sort(sort).limit(20).toArray().then(canonical, (e: { code?: unknown }) => `error ${String(e.code)}`));
    }
    return out;
  } finally {
    await client.close();
  }
}

describe('embedded engine: binary document storage', function () {
  this.timeout(5 * 60_000);
  let dataDir = '';

  before(function () {
    if (process.env.TEST_MONGODB_URI || process.env.TEST_FERRETDB_POSTGRESQL_URL) this.skip();
    dataDir = mkdtempSync(path.join(tmpdir(), 'key-accounts-binary-'));
  });

  after(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('converts a folder written by unpatched FerretDB: same documents, order, answers, indexes, triggers and statistics', async () => {
    const r = seededRandom(13);
    const docs = Array.from({ length: DOCUMENTS }, (_, i) => ({ ...randomDocument(r, i), code: `C${i}` }));
    const queries = Array.from({ length: QUERIES }, () => ({ filter: randomFilter(r), sort: { ...randomSort(r), _id: 1 } }));

    const unpatched = await startEmbeddedDb({ dataDir, patched: false, say: () => undefined });
    let before: string[];
    try {
      const client = await new MongoClient(unpatched.uri).connect();
      const db = client.db('converted');
      await db.collection('docs').createIndexes([
        { key: { code: 1 }, unique: true, name: 'code_1' }, { key: { s: 1 }, name: 's_1' }, { key: { tags: 1 }, name: 'tags_1' },
        { key: { a: 1, b: -1 }, name: 'a_1_b_-1' },
      ]);
      // inserted out of _id order, so that $natural order is not _id order
      await db.collection('docs').insertMany([...docs].reverse());
      await db.collection('docs').deleteMany({ code: { $in: ['C3', 'C70', 'C700'] } }); // holes in the rowids
      await db.createCollection('log', { capped: true, size: 1 << 20 });
      await db.collection('log').insertMany(Array.from({ length: 50 }, (_, i) => ({ i, at: new Date(1_700_000_000_000 + i) })));
      await client.close();
      before = await answers(unpatched.uri, queries);
    } finally {
      await unpatched.stop();
    }

    const tableOf = (db: DatabaseSync, collection: string) =>
      (db.prepare('SELECT table_name FROM _ferretdb_collections WHERE name = ?').get(collection) as { table_name: string }).table_name;
    const schemaOf = (db: DatabaseSync, table: string) => db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') ORDER BY name")
      .all(table).map((row: SqliteRow) => row.name);
    const textBefore = sqlite(dataDir, (db) => {
      db.exec('ANALYZE');
      const table = tableOf(db, 'docs');
      return {
        table,
        ddl: (db.prepare("SELECT sql FROM sqlite_schema WHERE name = ?").get(table) as { sql: string }).sql,
        stats: db.prepare('SELECT idx, stat FROM sqlite_stat1 WHERE tbl = ? ORDER BY idx').all(table),
        types: db.prepare(`SELECT DISTINCT typeof(_ferretdb_sjson) AS t FROM "${table}"`).all().map((row: SqliteRow) => row.t),
      };
    });
    expect(textBefore.ddl).to.match(/_ferretdb_sjson TEXT/);
    expect(textBefore.types).to.deep.equal(['text']);
    expect(textBefore.stats).to.have.length.greaterThan(2);

    const patched = await startEmbeddedDb({ dataDir, patched: true, say: () => undefined });
    try {
      const after = await answers(patched.uri, queries);
      expect(after).to.have.length(before.length);
      after.forEach((answer, i) => expect(answer, i < 3 ? ['docs in $natural order', 'capped log', 'indexes'][i] : canonical(queries[i - 3])).to.equal(before[i]));

      // the unique index still refuses a duplicate, and new writes are stored as JSONB too
      const client = await new MongoClient(patched.uri).connect();
      const coll = client.db('converted').collection('docs');
      expect(await coll.insertOne({ code: 'C1' }).then(() => null, (e: { code?: number }) => e.code)).to.equal(11000);
      await coll.insertOne({ code: 'new', tags: ['fresh', 2], s: 'é' });
      await coll.updateOne({ code: 'new' }, { $set: { tags: ['fresh', 2, 'later'] } });
      expect((await coll.find({ tags: 'later' }).toArray()).map((d) => d.code)).to.deep.equal(['new']);
      await client.close();
    } finally {
      await patched.stop();
    }

    sqlite(dataDir, (db) => {
      const table = tableOf(db, 'docs');
      expect(table).to.equal(textBefore.table);
      expect((db.prepare("SELECT sql FROM sqlite_schema WHERE name = ?").get(table) as { sql: string }).sql).to.match(/_ferretdb_sjson BLOB/);
      expect(db.prepare(`SELECT DISTINCT typeof(_ferretdb_sjson) AS t FROM "${table}"`).all().map((row: SqliteRow) => row.t)).to.deep.equal(['blob']);
      expect(db.prepare(`SELECT DISTINCT typeof(_ferretdb_sjson) AS t FROM "${tableOf(db, 'log')}"`).all().map((row: SqliteRow) => row.t)).to.deep.equal(['blob']);
      // the indexes and triggers the patched engine keeps for these indexes, and the statistics from before
      expect(schemaOf(db, table)).to.include.members([`${table}_code_1`, `${table}_code_1_pd`, `${table}_s_1_pd`, `${table}_tags_1_pd`, `${table}_a_1_b_-1_pd`, `${table}__id_`]);
      expect(schemaOf(db, table).filter((n) => String(n).includes('_ferretdb_elements_'))).to.have.length(3);
      const stats = db.prepare('SELECT idx, stat FROM sqlite_stat1 WHERE tbl = ? ORDER BY idx').all(table);
      // those of the unique indexes, which the engine's own statistics upkeep leaves as they are (same size, many values)
      const kept = textBefore.stats.filter((row) => [`${table}__id_`, `${table}_code_1`].includes(String(row.idx)));
      expect(kept).to.have.length(2);
      for (const row of kept) expect(stats, String(row.idx)).to.deep.include(row);
    });
  });
});

import { expect } from 'chai';
import mongoose from 'mongoose';
import { ObjectId, type Collection, type Document } from 'mongodb';

// The cases MongoDB users trip on, with the answers MongoDB documents, on whatever engine the suite runs on; and on
// the embedded engine, that SQLite serves pushed-down queries from the expression indexes (EXPLAIN QUERY PLAN).

async function fresh(name: string): Promise<Collection> {
  const c = mongoose.connection.db!.collection(`pushdown_${name}_${Date.now()}`);
  await c.drop().catch(() => undefined);
  return c;
}

const names = async (c: Collection, filter: Document, sort: Document = { name: 1 }, limit = 0): Promise<string[]> =>
  (await c.find(filter).sort(sort).limit(limit).toArray()).map((d) => d.name as string);

describe('embedded engine: query semantics that pushdown must keep', () => {
  let c: Collection;
  const early = new Date('2026-01-01T00:00:00Z');
  const late = new Date('2026-06-01T00:00:00Z');

  before(async () => {
    c = await fresh('semantics');
    await c.createIndexes([{ key: { v: 1 } }, { key: { tags: 1 } }, { key: { when: -1 } }]);
    await c.insertMany([
      { name: 'int', v: 5, tags: ['x', 'y'], when: late },
      { name: 'double', v: 5.0001, tags: [], when: early },
      { name: 'long-ish', v: 1e15, tags: 'x' },
      { name: 'string', v: '10', tags: ['y'], when: 1_767_225_600_000 }, // a number with the date's milliseconds
      { name: 'date', v: late, tags: [null] },
      { name: 'oid', v: new ObjectId('65a1b2c3d4e5f60718293a4b') },
      { name: 'bool', v: true },
      { name: 'null', v: null },
      { name: 'missing' },
      { name: 'array', v: [1, 'a', 20] },
      { name: 'empty-array', v: [] },
      { name: 'document', v: { x: 1 } },
    ]);
  });

  it('brackets ranges by type: a range on numbers never matches a string, a date or a boolean', async () => {
    expect(await names(c, { v: { $gt: 1 } })).to.deep.equal(['array', 'double', 'int', 'long-ish']);
    expect(await names(c, { v: { $gte: '' } })).to.deep.equal(['array', 'string']);
    expect(await names(c, { when: { $gte: early } })).to.deep.equal(['double', 'int']);
    expect(await names(c, { v: { $lt: 5 } })).to.deep.equal(['array']);
  });

  it('matches an array by any of its elements, for equality, $in and ranges', async () => {
    expect(await names(c, { tags: 'x' })).to.deep.equal(['int', 'long-ish']);
    expect(await names(c, { tags: { $in: ['y', 'z'] } })).to.deep.equal(['int', 'string']);
    expect(await names(c, { v: 'a' })).to.deep.equal(['array']);
    expect(await names(c, { v: { $gt: 10, $lt: 30 } })).to.deep.equal(['array']);
    expect(await names(c, { tags: { $nin: ['x'] } })).to.deep.equal(['bool', 'date', 'document', 'double', 'empty-array', 'null', 'oid', 'string', 'array', 'missing'].sort());
  });

  it('keeps numeric-looking strings in an indexed array field strings: "5" > "10", "1e2" is not 100', async () => {
    const d = await fresh('numeric_strings');
    await d.createIndex({ tags: 1 });
    await d.insertMany([
      { name: 'five', tags: ['5', '0'] }, { name: 'exp', tags: ['1e2', '0'] }, { name: 'ten', tags: ['10', '0'] }, { name: 'number', tags: [5, 0] },
    ]);
    expect(await names(d, { tags: { $gt: '10' } })).to.deep.equal(['exp', 'five']);
    expect(await names(d, { tags: { $gt: '10' } }, { name: 1 }, 1)).to.deep.equal(['exp']);
    expect(await names(d, { tags: '1e2' })).to.deep.equal(['exp']);
    expect(await names(d, { tags: { $in: [100, '100', 10] } })).to.deep.equal([]);
    expect(await names(d, { tags: { $lt: 6 } })).to.deep.equal(['number']);
  });

  it('matches null with a missing field, a null and an array holding null; $ne: null with the rest', async () => {
    expect(await names(c, { v: null })).to.deep.equal(['missing', 'null']);
    expect(await names(c, { tags: null })).to.deep.equal(['array', 'bool', 'date', 'document', 'empty-array', 'missing', 'null', 'oid']);
    expect(await names(c, { v: { $exists: false } })).to.deep.equal(['missing']);
    expect(await names(c, { v: { $ne: null } })).to.have.length(10);
    expect(await names(c, { v: { $in: [null, '10'] } })).to.deep.equal(['missing', 'null', 'string']);
  });

  it('compares int, long and double as numbers and ObjectIds by their bytes', async () => {
    expect(await names(c, { v: 5.0 })).to.deep.equal(['int']);
    expect(await names(c, { v: { $in: [1e15, 7] } })).to.deep.equal(['long-ish']);
    expect(await names(c, { v: { $gt: new ObjectId('65a1b2c3d4e5f60718293a4a') } })).to.deep.equal(['oid']);
  });

  it('sorts mixed types in BSON order with a limit: null and missing, numbers, strings, documents, ObjectIds, booleans, dates', async () => {
    // arrays sort by their smallest element ascending and their largest descending; an empty array sorts first
    expect(await names(c, {}, { v: 1, name: 1 })).to.deep.equal(
      ['empty-array', 'missing', 'null', 'array', 'int', 'double', 'long-ish', 'string', 'document', 'oid', 'bool', 'date']);
    expect(await names(c, {}, { v: 1, name: 1 }, 5)).to.deep.equal(['empty-array', 'missing', 'null', 'array', 'int']);
    expect(await names(c, {}, { v: -1, name: 1 }, 4)).to.deep.equal(['date', 'bool', 'oid', 'document']);
    // descending, the array [1, 'a', 20] sorts by its largest element, the string
    expect(await names(c, { v: { $type: 'number' } }, { v: -1 }, 2)).to.deep.equal(['array', 'long-ish']);
  });
});

describe('embedded engine: SQLite serves pushed-down queries from expression indexes', () => {
  let c: Collection;

  async function explain(command: Document): Promise<{ plan: string; filterPushdown: boolean; sortPushdown: boolean; limitPushdown: boolean }> {
    const res = await mongoose.connection.db!.command({ explain: { find: c.collectionName, ...command } });
    return {
      plan: ((res.queryPlanner as { Plan?: string[] }).Plan ?? []).join('\n'),
      filterPushdown: res.filterPushdown as boolean,
      sortPushdown: res.sortPushdown as boolean,
      limitPushdown: res.limitPushdown as boolean,
    };
  }

  before(async function () {
    if (process.env.TEST_MONGODB_URI || process.env.TEST_FERRETDB_POSTGRESQL_URL) this.skip(); // other engines explain otherwise
    c = await fresh('plans');
    await c.createIndexes([{ key: { ownerId: 1, name: 1 } }, { key: { name: 1 } }, { key: { dueAt: 1 } }]);
    await c.insertMany(Array.from({ length: 300 }, (_, i) => ({ name: `c${i}`, ownerId: `u${i % 7}`, dueAt: new Date(1_700_000_000_000 + i * 1000), archivedAt: null })));
  });

  it('uses the name index for a page sorted by name, and reads only the page', async () => {
    const { plan, filterPushdown, sortPushdown, limitPushdown } = await explain({ filter: { archivedAt: null }, sort: { name: 1, _id: 1 }, limit: 51 });
    expect([filterPushdown, sortPushdown, limitPushdown]).to.deep.equal([true, true, true]);
    expect(plan).to.match(/USING INDEX \S+_name_1_pd/);
    expect(await c.find({ archivedAt: null }).sort({ name: 1, _id: 1 }).limit(3).toArray()).to.have.length(3);
  });

  it('reads every keyset page of an unarchived list from its index in order, with no sort step', async () => {
    await c.createIndex({ archivedAt: 1, name: 1, _id: 1 });
    try {
      const first = await explain({ filter: { archivedAt: null }, sort: { name: 1, _id: 1 }, limit: 51 });
      // read in name order from an index (a sort of ties on _id at most, which stops with the page), never sorted whole
      expect(first.plan, first.plan).to.match(/USING INDEX \S+_(archivedAt_1_name_1__id_1|name_1)_pd/).and.not.match(/TEMP B-TREE FOR ORDER BY/);
      const [after] = await c.find({ archivedAt: null }).sort({ name: 1, _id: 1 }).skip(150).limit(1).toArray();
      const deep = { archivedAt: null, $or: [{ name: { $gt: after!.name } }, { name: after!.name, _id: { $gt: after!._id } }] };
      const page = await explain({ filter: deep, sort: { name: 1, _id: 1 }, limit: 51 });
      expect([page.filterPushdown, page.sortPushdown, page.limitPushdown]).to.deep.equal([true, true, true]);
      // an index range that starts at the page (name >= x), not every row after it merged from an OR
      expect(page.plan, page.plan).to.match(/USING INDEX \S+_(archivedAt_1_name_1__id_1|name_1)_pd \((<expr>=\? AND )+<expr>>\?\)/)
        .and.not.match(/TEMP B-TREE FOR ORDER BY|MULTI-INDEX OR/);
      const names = (await c.find(deep).sort({ name: 1, _id: 1 }).limit(2).toArray()).map((d) => d.name as string);
      const all = (await c.find({ archivedAt: null }).sort({ name: 1, _id: 1 }).toArray()).map((d) => d.name as string);
      expect(names).to.deep.equal(all.slice(151, 153));
    } finally {
      await c.dropIndex('archivedAt_1_name_1__id_1');
    }
  });

  it('serves an owner\'s page and a due-date range from indexes', async () => {
    // an owner's page: SQLite either searches the owner index or walks the name index and stops at the page; it never
    // reads the table itself (a line "SCAN <table>" with no index)
    const owner = await explain({ filter: { ownerId: 'u1' }, sort: { name: 1 }, limit: 10 });
    expect(owner.plan, owner.plan).to.match(/USING INDEX \S+_(ownerId_1_name_1|name_1)_pd/).and.not.match(/SCAN pushdown_plans_\w+$/m);
    expect([owner.filterPushdown, owner.sortPushdown, owner.limitPushdown]).to.deep.equal([true, true, true]);
    expect((await explain({ filter: { dueAt: { $lt: new Date(1_700_000_050_000) } } })).plan).to.match(/SEARCH \S+ USING INDEX \S+_dueAt_1_pd/);
  });

  it('reads the branch of complex sort values only when some document has one (patch 014)', async () => {
    // the branch behind a constant row, found through the sort keys' own indexes, whichever index serves the filter
    const { plan } = await explain({ filter: { ownerId: 'u2' }, sort: { name: 1, _id: 1 }, limit: 5 });
    expect(plan, plan).to.match(/SCAN CONSTANT ROW/).and.match(/SCALAR SUBQUERY[\s\S]*USING (COVERING )?INDEX \S+_name_1_pd[\s\S]*USING (COVERING )?INDEX \S+__id__pd/);
    const page = async () => (await c.find({ ownerId: 'u2' }).sort({ name: 1, _id: 1 }).limit(3).toArray()).map((d) => JSON.stringify(d.name));
    expect(await page()).to.deep.equal(['"c100"', '"c107"', '"c114"']);
    // with one such document the branch is read, and the document sorts where MongoDB puts an array (by its least element)
    const { insertedId } = await c.insertOne({ name: ['c0', 'zz'], ownerId: 'u2' });
    try {
      expect(await page()).to.deep.equal(['["c0","zz"]', '"c100"', '"c107"']);
    } finally {
      await c.deleteOne({ _id: insertedId });
    }
    expect(await page()).to.deep.equal(['"c100"', '"c107"', '"c114"']);
  });

  it('answers a find of _id alone from _id, filtered exactly in SQL or by the engine as before (patch 015)', async () => {
    const ids = async (filter: Document, sort?: Document) =>
      (await c.find(filter, { projection: { _id: 1 } }).sort(sort ?? {}).toArray()).map((d) => JSON.stringify(d));
    const full = async (filter: Document, sort?: Document) =>
      (await c.find(filter).sort(sort ?? {}).toArray()).map((d) => JSON.stringify({ _id: d._id }));
    // pushed down exactly: only _id comes back, and every document of the filter, none other
    for (const [filter, sort] of [[{ ownerId: 'u3' }, { _id: -1 }], [{ ownerId: { $in: ['u1', 'u5'] }, archivedAt: null }, undefined], [{}, { _id: 1 }]] as const) {
      const [got, expected] = [await ids(filter, sort), await full(filter, sort)];
      expect(sort ? got : got.sort(), JSON.stringify(filter)).to.deep.equal(sort ? expected : expected.sort());
      expect(got.length, JSON.stringify(filter)).to.equal(await c.countDocuments(filter)).and.to.be.greaterThan(0);
    }
    // not pushed down exactly (a dotted field, $size): the engine's own filter still decides
    await c.insertOne({ name: 'tagged', ownerId: 'u3', owner: { name: 'x' }, tags: [] });
    try {
      expect(await ids({ 'owner.name': 'x' })).to.have.length(1);
      expect(await ids({ ownerId: 'u3', tags: { $size: 0 } })).to.have.length(1);
    } finally {
      await c.deleteOne({ name: 'tagged' });
    }
  });

  it('pushes a case-insensitive search down with its sort and limit', async () => {
    const search = await explain({ filter: { $or: [{ name: { $regex: 'C1', $options: 'i' } }, { ownerId: { $regex: '^x' } }] }, sort: { name: 1 }, limit: 5 });
    expect([search.filterPushdown, search.sortPushdown, search.limitPushdown]).to.deep.equal([true, true, true]);
    const names = (await c.find({ name: { $regex: 'C1', $options: 'i' } }).sort({ name: 1 }).limit(3).toArray()).map((d) => d.name as string);
    expect(names).to.deep.equal(['c1', 'c10', 'c100']);
  });

  it('leaves what it cannot push down to the engine filter, and then pushes no limit', async () => {
    const dotted = await explain({ filter: { 'owner.name': 'x' }, sort: { name: 1 }, limit: 5 });
    expect([dotted.filterPushdown, dotted.limitPushdown]).to.deep.equal([false, false]);
    const partly = await explain({ filter: { ownerId: 'u1', tags: { $size: 0 } }, sort: { name: 1 }, limit: 5 });
    expect([partly.filterPushdown, partly.limitPushdown]).to.deep.equal([true, false]);
    const names = (await c.find({ ownerId: 'u1', name: { $not: /1$/ } }).sort({ name: 1 }).limit(3).toArray()).map((d) => d.name as string);
    expect(names).to.deep.equal(['c106', 'c113', 'c120']);
  });
});

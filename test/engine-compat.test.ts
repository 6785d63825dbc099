import { expect } from 'chai';
import mongoose from 'mongoose';
import type { Collection, Document } from 'mongodb';
import { bulkWriteInChunks, isDuplicateKeyError, sumBy } from '../models/db-compat.ts';

// The database features the project relies on, exercised directly, so that a change of engine
// (FerretDB version, backend, or MongoDB) that breaks one of them fails here first and plainly.

async function fresh(name: string): Promise<Collection<Document>> {
  const db = mongoose.connection.db!;
  const collection = db.collection(`compat_${name}_${Date.now()}`);
  await collection.drop().catch(() => undefined);
  return collection;
}

describe('database engine compatibility', () => {
  it('a unique index violation fails with 11000 on insert and upsert, and is recognised on update', async () => {
    const c = await fresh('unique');
    await c.createIndex({ code: 1 }, { unique: true });
    await c.insertOne({ code: 'ACME' });
    const insertError = await c.insertOne({ code: 'ACME' }).then(() => undefined, (e: unknown) => e);
    expect((insertError as { code?: number })?.code).to.equal(11000);
    await c.insertOne({ code: 'OTHER' });
    const upsertError = await c.updateOne({ code: 'NEW' }, { $set: { code: 'ACME' } }, { upsert: true }).then(() => undefined, (e: unknown) => e);
    expect((upsertError as { code?: number })?.code).to.equal(11000);
    // FerretDB 1.24 answers a colliding update with InternalError; isDuplicateKeyError knows both spellings.
    const updateError = await c.updateOne({ code: 'OTHER' }, { $set: { code: 'ACME' } }).then(() => undefined, (e: unknown) => e);
    expect(isDuplicateKeyError(updateError)).to.equal(true);
    expect(isDuplicateKeyError(new Error('E11000 lookalike without a code'))).to.equal(false);
    expect(await c.countDocuments({ code: 'ACME' })).to.equal(1);
  });

  it('compound unique indexes hold on the pair, not on each field', async () => {
    const c = await fresh('compound');
    await c.createIndex({ visitId: 1, kind: 1 }, { unique: true });
    await c.createIndex({ ownerId: 1, dueAt: -1 });
    await c.insertMany([{ visitId: 1, kind: '7d' }, { visitId: 1, kind: '1d' }, { visitId: 2, kind: '7d' }]);
    const dup = await c.insertOne({ visitId: 1, kind: '7d' }).then(() => undefined, (e: unknown) => e);
    expect((dup as { code?: number })?.code).to.equal(11000);
    const keys = (await c.listIndexes().toArray()).map((i) => i.key as Record<string, number>);
    expect(keys).to.deep.include({ visitId: 1, kind: 1 });
    expect(keys).to.deep.include({ ownerId: 1, dueAt: -1 });
  });

  it('aggregates with $match $unwind $group/$sum $project (inclusion) $sort $skip $limit and $count', async () => {
    const c = await fresh('aggregate');
    await c.insertMany([
      { tier: 'S', revenue: 500, tags: ['a', 'b'], active: true },
      { tier: 'S', revenue: 300, tags: ['a'], active: true },
      { tier: 'A', revenue: 200, tags: [], active: true },
      { tier: 'B', revenue: 50, tags: ['b'], active: false },
    ]);
    // One accumulator per $group (see sumBy), and $project by inclusion only: FerretDB 1.24 takes
    // `{ field: '$other' }` as the literal string.
    const revenue = await c.aggregate([
      { $match: { active: true } },
      { $group: { _id: '$tier', revenue: { $sum: '$revenue' } } },
      { $sort: { _id: 1 } },
      { $project: { revenue: 1 } },
    ]).toArray();
    expect(revenue).to.deep.equal([{ _id: 'A', revenue: 200 }, { _id: 'S', revenue: 800 }]);
    const tags = await c.aggregate([{ $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { _id: 1 } }, { $skip: 1 }, { $limit: 1 }]).toArray();
    expect(tags).to.deep.equal([{ _id: 'b', n: 2 }]);
    expect(await c.aggregate([{ $match: { revenue: { $gte: 200 } } }, { $count: 'n' }]).toArray()).to.deep.equal([{ n: 3 }]);
  });

  it('sumBy gives several sums per group on an engine that computes one accumulator per $group', async () => {
    const Probe = mongoose.models.CompatProbe ?? mongoose.model('CompatProbe', new mongoose.Schema({ tier: String, revenue: Number, team: String }), `compat_sumby_${Date.now()}`);
    await Probe.insertMany([
      { tier: 'S', revenue: 500, team: 'x' }, { tier: 'S', revenue: 300, team: 'x' }, { tier: 'A', revenue: 200, team: 'x' }, { tier: 'A', revenue: 1, team: 'y' },
    ]);
    const rows = await sumBy(Probe, { team: 'x' }, 'tier', { count: 1, revenue: 'revenue' });
    expect(rows.sort((a, b) => String(a.key).localeCompare(String(b.key)))).to.deep.equal([
      { key: 'A', count: 1, revenue: 200 }, { key: 'S', count: 2, revenue: 800 },
    ]);
    expect(await sumBy(Probe, { team: 'x' }, null, { count: 1, revenue: 'revenue' })).to.deep.equal([{ key: null, count: 3, revenue: 1000 }]);
  });

  it('findOneAndUpdate upserts and answers the document after, without a projection', async () => {
    const c = await fresh('upsert');
    const first = await c.findOneAndUpdate({ key: 'k1' }, { $set: { value: 1 }, $setOnInsert: { createdAt: 'now' } }, { upsert: true, returnDocument: 'after' });
    expect(first).to.include({ key: 'k1', value: 1, createdAt: 'now' });
    const second = await c.findOneAndUpdate({ key: 'k1' }, { $inc: { value: 2 } }, { upsert: true, returnDocument: 'after' });
    expect(second).to.include({ key: 'k1', value: 3 });
    expect(String(second!._id)).to.equal(String(first!._id));
    expect(await c.countDocuments({})).to.equal(1);
  });

  it('pages in _id order with {_id: {$gt: last}}, stable when rows are inserted between pages', async () => {
    const c = await fresh('paging');
    await c.insertMany(Array.from({ length: 25 }, (_, i) => ({ n: i })));
    const seen: number[] = [];
    let last: import("mongodb").ObjectId | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await c.find(last ? { _id: { $gt: last } } : {}).sort({ _id: 1 }).limit(10).toArray();
      if (!rows.length) break;
      seen.push(...rows.map((r) => r.n as number));
      last = rows[rows.length - 1]!._id;
      if (page === 0) await c.insertOne({ n: 100 });
    }
    expect(seen).to.deep.equal([...Array.from({ length: 25 }, (_, i) => i), 100]);
  });

  it('runs bulkWrite with updates and upserts in one round trip', async () => {
    const c = await fresh('bulk');
    await c.insertMany([{ k: 1, tier: 'C' }, { k: 2, tier: 'C' }]);
    const result = await c.bulkWrite([
      { updateOne: { filter: { k: 1 }, update: { $set: { tier: 'A' } } } },
      { updateOne: { filter: { k: 3 }, update: { $set: { tier: 'B' } }, upsert: true } },
    ], { ordered: false });
    expect(result.modifiedCount).to.equal(1);
    expect(result.upsertedCount).to.equal(1);
    expect((await c.find({}, { projection: { _id: 0 } }).sort({ k: 1 }).toArray())).to.deep.equal([
      { k: 1, tier: 'A' }, { k: 2, tier: 'C' }, { k: 3, tier: 'B' },
    ]);
  });

  it('bulkWriteInChunks applies 150 updates (FerretDB 1.24 hangs on one bulkWrite of 100 or more)', async () => {
    const Probe = mongoose.models.CompatBulk ?? mongoose.model('CompatBulk', new mongoose.Schema({ n: Number, v: Number }), `compat_bulk_${Date.now()}`);
    const docs = await Probe.insertMany(Array.from({ length: 150 }, (_, n) => ({ n, v: 0 })));
    const modified = await bulkWriteInChunks(Probe, docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { v: 1 } } } })));
    expect(modified).to.equal(150);
    expect(await Probe.countDocuments({ v: 1 })).to.equal(150);
  });

  it('matches case-insensitive regexes on Unicode names', async () => {
    const c = await fresh('regex');
    await c.insertMany([{ name: '华为技术有限公司' }, { name: 'Ärzte Gruppe' }, { name: 'acme' }]);
    expect(await c.countDocuments({ name: { $regex: '华为', $options: 'i' } })).to.equal(1);
    expect(await c.countDocuments({ name: { $regex: 'ärzte', $options: 'i' } })).to.equal(1);
    expect(await c.countDocuments({ name: { $regex: '^ACME$', $options: 'i' } })).to.equal(1);
  });
});

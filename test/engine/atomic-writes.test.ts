import { expect } from 'chai';
import mongoose from 'mongoose';
import { MongoClient, type Collection } from 'mongodb';

// Single-document writes are atomic (server/embedded-db/patches/002): two writers that race on one precondition never
// both win. Each writer has its own client (its own connections), as two API processes would. FerretDB 1.24.2 as
// published loses these races: run this file with ENGINE_URI set to such an engine to see it.

const TRIALS = 25;

type Row = { version?: number; trial?: number; writers?: number[]; winner?: number; status?: string; by?: number; state?: string; bulk?: number; done?: boolean };

describe('embedded engine: single-document writes are atomic under concurrency', function () {
  this.timeout(120_000);
  let clients: MongoClient[] = [];
  let collections: Collection<Row>[] = [];

  before(async () => {
    // ENGINE_URI: run these against another engine (e.g. unpatched FerretDB, to see them fail)
    const uri = process.env.ENGINE_URI ?? process.env.TEST_MONGODB_URI ?? `mongodb://${mongoose.connection.host}:${mongoose.connection.port}/`;
    clients = await Promise.all([1, 2].map(() => new MongoClient(uri).connect()));
    const name = `atomic_${Date.now()}`;
    collections = clients.map((c) => c.db(mongoose.connection.db!.databaseName).collection<Row>(name));
  });

  after(async () => {
    for (const c of clients) await c.close();
  });

  it(`a guarded update ({_id, version}) wins exactly once in each of ${TRIALS} races`, async () => {
    const outcomes: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const { insertedId } = await collections[0]!.insertOne({ version: 0, trial, writers: [] });
      const results = await Promise.all(collections.map((c, w) =>
        c.updateOne({ _id: insertedId, version: 0 }, { $set: { version: 1, winner: w }, $push: { writers: w } })));
      outcomes.push(results.reduce((n, r) => n + r.modifiedCount, 0));
      const stored = await collections[0]!.findOne({ _id: insertedId });
      expect(stored!.writers, `trial ${trial}`).to.have.length(1); // no write was applied on top of another
      expect(stored!.winner).to.equal(stored!.writers![0]);
    }
    expect(outcomes).to.deep.equal(Array(TRIALS).fill(1));
  });

  it(`findOneAndUpdate on a status ('pending' -> decided) answers the document to exactly one of two writers, ${TRIALS} times`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { insertedId } = await collections[0]!.insertOne({ status: 'pending', trial });
      const answers = await Promise.all(collections.map((c, w) =>
        c.findOneAndUpdate({ _id: insertedId, status: 'pending' }, { $set: { status: w ? 'rejected' : 'approved', by: w } }, { returnDocument: 'after' })));
      const winners = answers.filter((a) => a !== null);
      expect(winners, `trial ${trial}`).to.have.length(1);
      const stored = await collections[0]!.findOne({ _id: insertedId });
      expect(stored!.status).to.equal(winners[0]!.status); // what the winner was told is what is stored
    }
  });

  it('a delete and a guarded update of one document: never both', async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { insertedId } = await collections[0]!.insertOne({ state: 'open', trial });
      const [deleted, updated] = await Promise.all([
        collections[0]!.deleteOne({ _id: insertedId, state: 'open' }),
        collections[1]!.updateOne({ _id: insertedId, state: 'open' }, { $set: { state: 'closed' } }),
      ]);
      const stored = await collections[0]!.findOne({ _id: insertedId });
      expect(deleted.deletedCount + updated.modifiedCount, `trial ${trial}`).to.equal(1);
      expect(stored === null).to.equal(deleted.deletedCount === 1);
    }
  });

  it('answers a bulkWrite of 250 update statements (FerretDB 1.24.2 as published never does)', async () => {
    await collections[0]!.insertMany(Array.from({ length: 250 }, (_, i) => ({ bulk: i })));
    const result = await collections[0]!.bulkWrite(Array.from({ length: 250 }, (_, i) => ({ updateOne: { filter: { bulk: i }, update: { $set: { done: true } } } })));
    expect(result.modifiedCount).to.equal(250);
    expect(await collections[0]!.countDocuments({ done: true })).to.equal(250);
  });
});

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedDb } from '../../server/embedded-db/engine.ts';

const postgresUrl = process.env.TEST_POSTGRESQL_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port || 5432), hostname);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

describe('embedded database', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const tempDir = () => { const d = mkdtempSync(path.join(tmpdir(), 'key-accounts-engine-')); dirs.push(d); return d; };
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('keeps SQLite data in DATA_DIR/ferretdb across restarts', async () => {
    const dataDir = tempDir();
    let engine = await startEmbeddedDb({ dataDir, say: () => undefined });
    let client = await MongoClient.connect(engine.uri);
    await client.db('persist').collection('notes').insertOne({ text: '华为 visit notes' });
    await client.close();
    await engine.stop();
    engine = await startEmbeddedDb({ dataDir, say: () => undefined });
    client = await MongoClient.connect(engine.uri);
    try {
      expect(await client.db('persist').collection('notes').findOne({}, { projection: { _id: 0 } })).to.deep.equal({ text: '华为 visit notes' });
    } finally {
      await client.close();
      await engine.stop();
    }
  });

  it('runs on the PostgreSQL backend when given a PostgreSQL URL (skipped without a PostgreSQL server)', async function () {
    if (!(await reachable(postgresUrl))) this.skip();
    const engine = await startEmbeddedDb({ dataDir: tempDir(), postgresqlUrl: postgresUrl, say: () => undefined });
    const client = await MongoClient.connect(engine.uri);
    const dbName = `ka_pg_${Date.now()}`;
    try {
      const c = client.db(dbName).collection('customers');
      await c.createIndex({ code: 1 }, { unique: true });
      await c.insertOne({ code: 'ACME' });
      const dup = await c.insertOne({ code: 'ACME' }).then(() => undefined, (e: { code?: number }) => e.code);
      expect(dup).to.equal(11000);
      expect(await c.countDocuments({})).to.equal(1);
    } finally {
      await client.db(dbName).dropDatabase().catch(() => undefined);
      await client.close();
      await engine.stop();
    }
  });

  it('refuses a second engine on a data folder in use', async () => {
    const dataDir = tempDir();
    const engine = await startEmbeddedDb({ dataDir, say: () => undefined });
    try {
      const second = await startEmbeddedDb({ dataDir, say: () => undefined }).then(() => undefined, (e: Error) => e);
      expect(second?.message).to.match(/in use by the embedded database of process \d+/);
    } finally {
      await engine.stop();
    }
  });
});

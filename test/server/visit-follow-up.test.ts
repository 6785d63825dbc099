import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda } from 'agenda';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { startEmbeddedDb, type EmbeddedDb } from '../../server/embedded-db/engine.ts';
import { run, stop, until, type Running } from './processes.ts';

// Completing a visit sets off four steps (actions, satisfaction summary, next visit, alert; usecases/visit-follow-up.ts).
// The API process is killed with SIGKILL between two of them (KA_FAILPOINT, usecases/failpoint.ts); the worker then
// finishes the rest, each thing exactly once, and a second pass over the same visit changes nothing.

const SECRET = 'a-secret-that-is-long-enough-for-hs256-0123456789';

async function call(url: string, token: string | null, method: string, pathname: string, body?: unknown) {
  const res = await fetch(`${url}/api/v1${pathname}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
}

describe('a visit completion the process did not live to finish', function () {
  this.timeout(180_000);
  let engine: EmbeddedDb;
  let client: MongoClient;
  const dirs: string[] = [];
  const children: Running[] = [];
  const tempDir = () => { const d = mkdtempSync(path.join(tmpdir(), 'key-accounts-follow-up-')); dirs.push(d); return d; };
  const started = (r: Running) => { children.push(r); return r; };

  before(async () => {
    engine = await startEmbeddedDb({ dataDir: tempDir(), say: () => undefined });
    client = await MongoClient.connect(engine.uri);
  });
  after(async () => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await client?.close();
    await engine?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** What the follow-up of this visit has produced so far, read from the database. */
  async function produced(db: Db, visitId: ObjectId, customerId: ObjectId) {
    const [visit, customer, actions, alerts, open] = await Promise.all([
      db.collection('visits').findOne({ _id: visitId }),
      db.collection('customers').findOne({ _id: customerId }),
      db.collection('actions').find({ visitId }).toArray(),
      db.collection('notifications').find({ kind: 'satisfaction.alert', 'data.visitId': String(visitId) }).toArray(),
      db.collection('visits').find({ customerId, kind: 'cadence', status: 'scheduled' }).toArray(),
    ]);
    return {
      status: visit?.status, pending: visit?.followUpSince instanceof Date, version: visit?.__v,
      lastScore: customer?.satisfaction?.lastScore ?? null, actions: actions.map((a) => a.text).sort(),
      alertedUsers: alerts.map((n) => String(n.userId)).sort(), openCadenceVisits: open.length,
    };
  }

  for (const point of ['visit-follow-up:actions', 'visit-follow-up:next-visit']) {
    it(`SIGKILL at ${point}: the worker finishes the rest, each thing once`, async () => {
      const dbName = `e2e_${point.replace(/\W/g, '_')}`;
      const db = client.db(dbName);
      const env = {
        MONGODB_URI: `${engine.uri}${dbName}`, DATA_DIR: tempDir(), JWT_SECRET: SECRET, DEMO_DATA: 'false',
        ADMIN_EMAIL: 'root@example.org', ADMIN_PASSWORD: 'first admin password', WORKER_HEARTBEAT_SECONDS: '1',
        VISIT_FOLLOW_UP_AFTER_SECONDS: '1',
      };
      const api = started(run('server/index.ts', { ...env, KA_FAILPOINT: point }));
      const url = (await api.waitFor(/listening on (http:\/\/\S+)/))[1]!;

      const admin = (await call(url, null, 'POST', '/auth/login', { email: 'root@example.org', password: 'first admin password' })).body.accessToken as string;
      const people = {} as Record<'manager' | 'executive', { id: string; token: string }>;
      for (const role of ['manager', 'executive'] as const) {
        const email = `${role}@example.org`;
        const created = await call(url, admin, 'POST', '/users', { email, name: role, role, password: 'a long enough password' });
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        const token = (await call(url, null, 'POST', '/auth/login', { email, password: 'a long enough password' })).body.accessToken as string;
        people[role] = { id: created.body.id as string, token };
      }
      const customer = await call(url, people.manager.token, 'POST', '/customers', { code: 'FU-1', name: 'Follow-up GmbH' });
      expect(customer.status, JSON.stringify(customer.body)).to.equal(201);
      const visit = await call(url, people.manager.token, 'POST', `/customers/${String(customer.body.id)}/visits`, { scheduledFor: new Date(Date.now() + 86_400_000).toISOString() });
      expect(visit.status, JSON.stringify(visit.body)).to.equal(201);
      const [visitId, customerId] = [new ObjectId(visit.body.id as string), new ObjectId(customer.body.id as string)];

      // An unhappy customer with two complaints: two actions, a summary, an alert to the owner and the executive.
      const completion = await call(url, people.manager.token, 'POST', `/visits/${String(visitId)}/complete`, {
        satisfaction: 1, recommend: 2, summary: 'Deliveries late again',
        feedback: [{ category: 'delivery', text: 'late twice', severity: 'high' }, { category: 'billing', text: 'wrong invoice', severity: 'medium' }],
      }).then(() => 'answered', () => 'connection lost');
      expect(completion).to.equal('connection lost');
      await api.exited;
      expect(api.child.signalCode).to.equal('SIGKILL');

      // What the crash left: the visit completed and marked, only the steps before the crash point done.
      const left = await produced(db, visitId, customerId);
      expect(left.status).to.equal('completed');
      expect(left.pending).to.equal(true);
      expect(left.actions).to.deep.equal(['late twice', 'wrong invoice']);
      expect(left.alertedUsers).to.deep.equal([]);
      if (point === 'visit-follow-up:actions') expect(left.lastScore).to.equal(null);
      else expect(left.lastScore).to.equal(1);

      const worker = started(run('jobs/worker.ts', env));
      expect(await until(async () => !(await produced(db, visitId, customerId)).pending, 60_000), worker.output()).to.equal(true);
      const done = await produced(db, visitId, customerId);
      const expected = {
        status: 'completed', pending: false, version: left.version, lastScore: 1, actions: ['late twice', 'wrong invoice'],
        alertedUsers: [people.executive.id, people.manager.id].sort(), openCadenceVisits: 1,
      };
      expect(done).to.deep.equal(expected);

      // The same follow-up again (as if the worker had died before clearing the mark): nothing more.
      await db.collection('visits').updateOne({ _id: visitId }, { $set: { followUpSince: new Date(Date.now() - 60_000) } });
      await new Agenda({ backend: new MongoBackend({ mongo: db, collection: 'jobs' }) }).now('visits.follow-up', {});
      expect(await until(async () => !(await produced(db, visitId, customerId)).pending, 60_000), worker.output()).to.equal(true);
      expect(await produced(db, visitId, customerId)).to.deep.equal(expected);

      // The API answers the visit as completed, without its bookkeeping.
      const api2 = started(run('server/index.ts', env));
      const url2 = (await api2.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      const read = await call(url2, people.manager.token, 'GET', `/visits/${String(visitId)}`);
      expect(read.body.status).to.equal('completed');
      expect(read.body).to.not.have.property('followUpSince');
      expect(await stop(api2)).to.equal(0);
      expect(await stop(worker)).to.equal(0);
    });
  }
});

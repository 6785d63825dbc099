import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { handler, name } from '../../jobs/customers-import.ts';
import { ChangeModel } from '../../models/change.ts';
import { CustomerModel } from '../../models/customer.ts';
import { CustomerImportFileModel, CustomerImportModel, IMPORT_LEASE_MS, INLINE_IMPORT_ROWS, MAX_IMPORT_ROWS } from '../../models/customer-import-job.ts';
import { TierChangeModel } from '../../models/tier-change.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { dataDir, databaseUri } from '../setup.ts';

// CSV imports as worker jobs: 202 and a record to follow, problems by line, the row limit, who may read it, and an
// import whose worker was killed half-way through the writing, taken up again and finished exactly.

const send = (user: TestUser, text: string, headers: Record<string, string> = {}, query = '') =>
  api().post(`/api/v1/customers/import${query}`).set(bearer(user)).set('Content-Type', 'text/csv').set(headers).send(text);
const file = (prefix: string, rows: number, bad?: (i: number) => boolean) =>
  ['code,name,status', ...Array.from({ length: rows }, (_, i) => `${prefix}-${i},${prefix} Customer ${i},${bad?.(i) ? 'sleeping' : 'active'}`)].join('\n');

describe(`job ${name}`, function () {
  this.timeout(120_000);
  let admin: TestUser;
  let manager: TestUser;
  before(async () => {
    admin = await createUser({ role: 'admin' });
    manager = await createUser({ role: 'manager' });
  });

  it('refuses a file over the row limit with 413, before reading any row', async () => {
    const lines = ['code,name', ...Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => `X${i},N`)].join('\n');
    const problem = expectProblem(await send(admin, lines), 413);
    expect(problem.detail).to.match(/at most 100,000 rows; this file has 100,001/);
    expect(await CustomerImportModel.countDocuments({ rows: { $gt: MAX_IMPORT_ROWS } })).to.equal(0);
  });

  it('sends a large file to the worker: 202, then progress and the outcome at the Location, for its sender and admins only', async () => {
    const t = `J${randomUUID().slice(0, 6).toUpperCase()}`;
    const res = await send(manager, file(t, INLINE_IMPORT_ROWS + 1)).expect(202);
    expect(res.body).to.include({ state: 'queued', rows: INLINE_IMPORT_ROWS + 1, dryRun: false, attempts: 0 });
    expect(res.body).not.to.have.any.keys('file', 'leaseUntil');
    const other = await createUser({ role: 'manager' });
    expectProblem(await api().get(res.headers.location!).set(bearer(other)), 404);
    expect((await api().get('/api/v1/imports').set(bearer(other)).expect(200)).body.items).to.deep.equal([]);
    expect(await CustomerModel.countDocuments({ code: { $regex: `^${t}-` } })).to.equal(0); // nothing before the worker

    await handler({});
    const done = (await api().get(res.headers.location!).set(bearer(manager)).expect(200)).body;
    expect(done).to.include({ state: 'done', checked: INLINE_IMPORT_ROWS + 1, written: INLINE_IMPORT_ROWS + 1, attempts: 1, issueCount: 0, error: null });
    expect(done.summary).to.deep.equal({ created: INLINE_IMPORT_ROWS + 1, updated: 0, unchanged: 0 });
    expect(await CustomerModel.countDocuments({ code: { $regex: `^${t}-` }, ownerId: manager.id })).to.equal(INLINE_IMPORT_ROWS + 1);
    expect(await CustomerImportFileModel.findById(done.id).lean()).to.equal(null); // the file is not kept once done
    await api().get(res.headers.location!).set(bearer(admin)).expect(200);
    expect((await api().get('/api/v1/imports').set(bearer(manager)).expect(200)).body.items.map((i: { id: string }) => i.id)).to.include(done.id);
  });

  it('reports every bad row by line and writes nothing; a small file goes to the worker too when asked to', async () => {
    const t = `K${randomUUID().slice(0, 6).toUpperCase()}`;
    const res = await send(admin, file(t, 20, (i) => i === 4 || i === 11), { Prefer: 'respond-async' }).expect(202);
    await handler({});
    const failed = (await api().get(res.headers.location!).set(bearer(admin)).expect(200)).body;
    expect(failed).to.include({ state: 'failed', issueCount: 2, written: 0 });
    expect(failed.issues.map((i: { line: number; field: string }) => [i.line, i.field])).to.deep.equal([[6, 'status'], [13, 'status']]);
    expect(failed.error).to.match(/2 problem\(s\); nothing was written/);
    expect(await CustomerModel.countDocuments({ code: { $regex: `^${t}-` } })).to.equal(0);
  });

  it('after a worker is killed half-way through writing, the next run takes the import up and every row ends written once', async () => {
    const t = `L${randomUUID().slice(0, 6).toUpperCase()}`;
    const rows = 1600; // written in 500s: the run dies after the second batch
    const res = await send(admin, file(t, rows)).expect(202);
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'import-pass.ts')], {
      env: { ...process.env, NODE_ENV: 'test', MONGODB_URI: databaseUri(), DATA_DIR: dataDir, JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789', KA_FAILPOINT: 'import.written@2' },
      stdio: 'ignore',
    });
    const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));
    expect(signal).to.equal('SIGKILL');
    const halfway = (await CustomerImportModel.findById(res.body.id).lean())!;
    expect(halfway).to.include({ state: 'writing', written: 1000, attempts: 1 });
    expect(await CustomerModel.countDocuments({ code: { $regex: `^${t}-` } })).to.equal(1000);

    // Within its lease nobody takes it over; after it, the next run does.
    await handler({});
    expect((await CustomerImportModel.findById(res.body.id).lean())!).to.include({ state: 'writing', attempts: 1 });
    await handler({ now: new Date(Date.now() + IMPORT_LEASE_MS + 1000).toISOString() });
    const done = (await api().get(res.headers.location!).set(bearer(admin)).expect(200)).body;
    expect(done).to.include({ state: 'done', attempts: 2, written: rows - 1000 });
    expect(done.summary).to.deep.equal({ created: rows - 1000, updated: 0, unchanged: 1000 });
    const customers = await CustomerModel.find({ code: { $regex: `^${t}-` } }, { code: 1 }).lean();
    expect(customers).to.have.length(rows);
    expect(new Set(customers.map((c) => c.code)).size).to.equal(rows);
    const ids = customers.map((c) => c._id);
    expect(await TierChangeModel.countDocuments({ customerId: { $in: ids } })).to.equal(rows); // one first classification each
    expect(await ChangeModel.countDocuments({ customerId: { $in: ids }, action: 'imported' })).to.equal(rows); // one timeline entry each
  });
});

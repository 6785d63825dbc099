import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { ChangeModel } from '../../models/change.ts';
import { CustomerModel } from '../../models/customer.ts';
import { TierApprovalModel, TierChangeModel } from '../../models/tier-change.ts';
import { reclassify } from '../../models/tiering.ts';
import { VisitModel, keepCadenceVisits } from '../../models/visit.ts';
import { runDueImports } from '../../usecases/customer-import-run.ts';
import { api, bearer, createUser } from '../factories.ts';

// An import of a few thousand rows goes out in batches; what it stores must be what the row-by-row rules give.

const ROWS = 2000;

describe('POST /api/v1/customers/import of a few thousand rows', function () {
  this.timeout(180_000);
  const created: string[] = [];
  // Archived afterwards, so that later tests which look at the whole live book (a policy simulation lists at most 500
  // moves) do not find their own customers crowded out by these.
  after(() => CustomerModel.updateMany({ _id: { $in: created } }, { $set: { archived: true, archivedAt: new Date() } }));

  it('stores every customer classified as the tier rules would, with its timeline entry, first tier change, next visit and approvals, and exports them all', async () => {
    const t = randomUUID().slice(0, 6).toUpperCase();
    const admin = await createUser({ role: 'admin' });
    const owner = await createUser({ role: 'manager' });
    const member = await createUser({ role: 'manager' });
    const code = (i: number) => `${t}-${String(i).padStart(5, '0')}`;
    const row = (i: number, name: string) => [
      code(i), name, ['prospect', 'active', 'dormant'][i % 3], owner.email, i % 2 ? member.email : '', i % 20 ? code(i - (i % 20)) : '',
      `a${i % 5};b${i % 7}`, 'Energy', String(50_000_000_000 * (i % 7)), String(1 + (i % 5)),
    ].join(',');
    const header = 'code,name,status,ownerEmail,accountTeamEmails,parentCode,tags,company.industry,tierInputs.potential,tierInputs.strategicValue';
    // A file this large goes to the worker: 202 and the import record, run here as the worker would, then read back.
    const send = async (lines: string[]) => {
      const queued = await api().post('/api/v1/customers/import').set(bearer(admin)).set('Content-Type', 'text/csv').send(`${lines.join('\n')}\n`).expect(202);
      expect(queued.headers.location).to.equal(`/api/v1/imports/${queued.body.id}`);
      expect(queued.body).to.include({ state: 'queued', rows: ROWS, checked: 0, written: 0 });
      await runDueImports();
      const done = await api().get(queued.headers.location!).set(bearer(admin)).expect(200);
      expect(done.body).to.include({ state: 'done', checked: ROWS, attempts: 1, issueCount: 0 });
      return done.body as { summary: Record<string, number>; written: number };
    };

    const first = await send([header, ...Array.from({ length: ROWS }, (_, i) => row(i, `${t} Customer ${i}`))]);
    expect(first.summary).to.deep.equal({ created: ROWS, updated: 0, unchanged: 0 });
    expect(first.written).to.equal(ROWS);
    const ids = (await CustomerModel.find({ code: { $in: Array.from({ length: ROWS }, (_, i) => code(i)) } }, { _id: 1 }).lean()).map((c) => String(c._id));
    created.push(...ids);
    const customers = await CustomerModel.find({ _id: { $in: ids } }).lean();
    expect(customers).to.have.length(ROWS);
    const byCode = new Map(customers.map((c) => [c.code, c]));
    const sample = byCode.get(code(43))!;
    expect(sample).to.include({ name: `${t} Customer 43`, status: 'active', __v: 0, archived: false, tierRevision: 1 });
    expect(String(sample.ownerId)).to.equal(owner.id);
    expect(sample.accountTeam.map(String)).to.deep.equal([member.id]);
    expect(String(sample.parentId)).to.equal(String(byCode.get(code(40))!._id));
    expect(sample.tags).to.deep.equal(['a3', 'b1']);
    expect(sample.tierInputs).to.deep.equal({ potential: 50_000_000_000, strategicValue: 4 });

    // One timeline entry and one first tier change per customer.
    const imported = await ChangeModel.find({ customerId: { $in: ids }, action: 'imported' }, { customerId: 1, actorId: 1 }).lean();
    expect(new Set(imported.map((c) => String(c.customerId))).size).to.equal(ROWS);
    expect(imported.every((c) => String(c.actorId) === admin.id)).to.equal(true);
    const changes = await TierChangeModel.find({ customerId: { $in: ids } }).lean();
    expect(changes.map((c) => c.key).sort()).to.deep.equal(ids.map((id) => `${id}:1`).sort());
    expect(changes.every((c) => c.from === null && c.reason.includes('CSV import'))).to.equal(true);
    expect(new Set(customers.map((c) => c.tier))).to.deep.equal(new Set(['B', 'C']));

    // What the rules give: scoring again and replanning change nothing; S and A (none from these inputs under the
    // default policy) would wait for approval.
    expect(await reclassify({ customerIds: ids, trigger: 'check' })).to.include({ scanned: ROWS, rescored: 0, changed: 0, requested: 0 });
    expect(await keepCadenceVisits(ids)).to.deep.equal({ created: 0, moved: 0, cancelled: 0 });
    const visits = await VisitModel.find({ customerId: { $in: ids }, status: 'scheduled', kind: 'cadence' }, { customerId: 1, dueAt: 1 }).lean();
    expect(visits).to.have.length(ROWS);
    const keyAccounts = customers.filter((c) => c.tierComputed === 'S' || c.tierComputed === 'A');
    const pending = await TierApprovalModel.find({ customerId: { $in: ids }, status: 'pending' }, { customerId: 1, to: 1 }).lean();
    expect(pending.map((a) => String(a.customerId)).sort()).to.deep.equal(keyAccounts.map((c) => String(c._id)).sort());

    // The export pages through the book by name: every customer once, in name order.
    const exported = await api().get('/api/v1/customers/export').query({ q: t }).set(bearer(admin)).expect(200);
    const records = parse(exported.text, { bom: true, columns: true }) as Array<{ name: string; code: string; parentCode: string }>;
    expect(records.map((r) => r.name)).to.deep.equal(customers.map((c) => c.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // Each child names its parent, in every page (in name order a group's members are spread over all of them).
    const parentOf = (c: string) => { const i = Number(c.slice(c.lastIndexOf('-') + 1)); return i % 20 ? code(i - (i % 20)) : ''; };
    expect(records.filter((r) => r.parentCode !== parentOf(r.code))).to.deep.equal([]);
    expect(records.filter((r) => r.parentCode).length).to.equal(ROWS - Math.ceil(ROWS / 20));

    // Again with a new name on one row in ten: those are updated (version and timeline), the rest left alone.
    const again = await send([header, ...Array.from({ length: ROWS }, (_, i) => row(i, `${t} Customer ${i}${i % 10 ? '' : ' Renamed'}`))]);
    expect(again.summary).to.deep.equal({ created: 0, updated: ROWS / 10, unchanged: ROWS - ROWS / 10 });
    const renamed = await CustomerModel.find({ _id: { $in: ids }, __v: 1 }, { code: 1, name: 1 }).lean();
    expect(renamed.map((c) => c.code).sort()).to.deep.equal(Array.from({ length: ROWS / 10 }, (_, k) => code(k * 10)));
    expect(renamed.every((c) => c.name.endsWith(' Renamed'))).to.equal(true);
    const updates = (await ChangeModel.find({ customerId: { $in: renamed.map((c) => c._id) }, action: 'imported' }).lean()).filter((c) => c.fields.length);
    expect(updates).to.have.length(ROWS / 10);
    expect(updates.every((c) => c.fields.length === 1 && c.fields[0]!.field === 'name')).to.equal(true);
  });
});

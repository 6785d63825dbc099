import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { ChangeModel } from '../../models/change.ts';
import { CustomerModel, nameKeyOf } from '../../models/customer.ts';
import { csvColumns } from '../../models/customer-csv.ts';
import { VisitModel } from '../../models/visit.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

const token = () => randomUUID().slice(0, 8).toUpperCase();

async function makeCustomer(owner: TestUser, fields: Record<string, unknown> & { name: string }) {
  return CustomerModel.create({ code: `CSV-${token()}`, nameKey: nameKeyOf(fields.name), ownerId: owner.id, ...fields });
}

const exportCsv = (user: TestUser, query: Record<string, string> = {}) =>
  api().get('/api/v1/customers/export').query(query).set(bearer(user));
const importCsv = (user: TestUser, lines: string[] | string, query: Record<string, string> = {}) =>
  api().post('/api/v1/customers/import').query(query).set(bearer(user)).set('Content-Type', 'text/csv')
    .send(Array.isArray(lines) ? `${lines.join('\n')}\n` : lines);

const rowsOf = (text: string) => parse(text, { bom: true, columns: true }) as Array<Record<string, string>>;
const stored = (code: string) => CustomerModel.findOne({ code }).lean();
const everything = async () => ({ customers: await CustomerModel.countDocuments(), changes: await ChangeModel.countDocuments() });

describe('GET /api/v1/customers/export', () => {
  async function book() {
    const t = token();
    const owner = await createUser({ role: 'manager' });
    const member = await createUser({ role: 'manager' });
    const other = await createUser({ role: 'manager' });
    const group = await makeCustomer(other, { name: `${t} Group` });
    const alpha = await makeCustomer(owner, {
      name: `${t} Alpha`, status: 'active', accountTeam: [member.id], parentId: group._id, tags: ['steel', 'asia'],
      company: { industry: 'Steel', competitors: ['Acme', 'Globex'], employees: 1200 }, revenue12m: 350000,
    });
    await makeCustomer(other, { name: `${t} Beta`, accountTeam: [owner.id] });
    await makeCustomer(other, { name: `${t} Gamma` });
    await makeCustomer(owner, { name: `${t} Delta`, archived: true });
    return { t, owner, member, group, alpha };
  }

  it('streams every customer to an admin as a UTF-8 CSV attachment sorted by name, people as e-mails and the parent as its code', async () => {
    const { t, owner, member, group, alpha } = await book();
    const res = await exportCsv(await createUser({ role: 'admin' }), { q: t }).expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    const today = new Date().toISOString().slice(0, 10);
    expect(res.headers['content-disposition']).to.equal(`attachment; filename="customers-${today}.csv"`);
    expect(res.text.startsWith('\uFEFF')).to.equal(true);
    expect(res.text.slice(1).split('\n')[0]).to.equal(csvColumns.join(','));
    const rows = rowsOf(res.text);
    expect(rows.map((r) => r.name)).to.deep.equal([`${t} Alpha`, `${t} Beta`, `${t} Gamma`, `${t} Group`]);
    expect(rows[0]).to.include({
      code: alpha.code, status: 'active', ownerEmail: owner.email, accountTeamEmails: member.email, parentCode: group.code,
      tags: 'steel;asia', 'company.industry': 'Steel', 'company.competitors': 'Acme;Globex', 'company.employees': '1200',
      'company.annualRevenue': '', revenue12m: '350000', archived: 'false', currency: 'USD',
    });
  });

  it('gives a manager only their own and their team customers, with the filters of the list', async () => {
    const { t, owner } = await book();
    const names = async (query: Record<string, string>) => rowsOf((await exportCsv(owner, { q: t, ...query }).expect(200)).text).map((r) => r.name);
    expect(await names({})).to.deep.equal([`${t} Alpha`, `${t} Beta`]);
    expect(await names({ includeArchived: 'true' })).to.deep.equal([`${t} Alpha`, `${t} Beta`, `${t} Delta`]);
    expect(await names({ status: 'active' })).to.deep.equal([`${t} Alpha`]);
    expect(await names({ tag: 'asia' })).to.deep.equal([`${t} Alpha`]);
    expect(await names({ owner: 'me' })).to.deep.equal([`${t} Alpha`]);
  });

  it("lets a manager import their own export back unchanged, though the parent is another team's", async () => {
    const { t, owner, alpha } = await book();
    const exported = await exportCsv(owner, { q: t }).expect(200);
    const res = await importCsv(owner, exported.text).expect(200);
    expect(res.body).to.include({ created: 0, updated: 0, unchanged: 2 });
    expect((await stored(alpha.code))!.__v).to.equal(0);
  });

  it('refuses bad filters with 400 and a missing token with 401', async () => {
    const user = await createUser({ role: 'admin' });
    expectProblem(await exportCsv(user, { status: 'asleep' }), 400);
    expectProblem(await exportCsv(user, { 'q[$ne]': 'x' }), 400);
    expectProblem(await api().get('/api/v1/customers/export'), 401);
  });

  it('prefixes text cells a spreadsheet would run as a formula with an apostrophe, and an import takes it off again', async () => {
    const admin = await createUser({ role: 'admin' });
    const t = token();
    const customer = await makeCustomer(admin, {
      code: `${t}-F`, name: '=HYPERLINK("http://evil.example","click")', tags: ['@home'],
      company: { legalName: '+1 Trading', paymentNotes: '-10 days net', employees: 5 }, tierInputs: { potential: 100 },
    });
    const res = await exportCsv(admin, { q: t }).expect(200);
    const [row] = rowsOf(res.text);
    expect(row).to.include({
      name: '\'=HYPERLINK("http://evil.example","click")', tags: "'@home", 'company.legalName': "'+1 Trading",
      'company.paymentNotes': "'-10 days net", 'company.employees': '5', 'tierInputs.potential': '100',
    });
    const again = await importCsv(admin, res.text).expect(200);
    expect(again.body).to.include({ created: 0, updated: 0, unchanged: 1 });
    const after = await stored(customer.code);
    expect(after).to.include({ name: customer.name, __v: 0 });
    expect(after!.tags).to.deep.equal(['@home']);
  });

  it('keeps Unicode names through an export and an import, BOM included', async () => {
    const admin = await createUser({ role: 'admin' });
    const t = token();
    const created = await importCsv(admin, ['code,name,tags', `${t}-HW,华为技术 ${t},通信;设备`]).expect(200);
    expect(created.body).to.include({ created: 1 });
    const customer = await stored(`${t}-HW`);
    expect(customer).to.include({ name: `华为技术 ${t}`, nameKey: nameKeyOf(`华为技术 ${t}`) });
    expect(customer!.tags).to.deep.equal(['通信', '设备']);
    const exported = await exportCsv(admin, { q: t }).expect(200);
    expect(rowsOf(exported.text).map((r) => r.name)).to.deep.equal([`华为技术 ${t}`]);
    const again = await importCsv(admin, exported.text).expect(200);
    expect(again.body).to.include({ created: 0, updated: 0, unchanged: 1 });
    expect(await stored(`${t}-HW`)).to.deep.equal(customer);
  });
});

describe('POST /api/v1/customers/import', () => {
  async function scene() {
    const t = token();
    const admin = await createUser({ role: 'admin' });
    const owner = await createUser({ role: 'manager' });
    const member = await createUser({ role: 'manager' });
    const existing = await makeCustomer(owner, {
      code: `${t}-OLD`, name: `${t} Old`, tags: ['a'], company: { industry: 'Retail', employees: 10 }, revenue12m: 5000,
    });
    const file = [
      'code,name,status,ownerEmail,accountTeamEmails,tags,company.industry,company.employees,revenue12m,archived',
      `${t}-old,${t} Renamed,active,,${member.email},b;c,Energy,,999,true`,
      `${t}-new,${t} New,dormant,${owner.email},,x,Mining,42,0,false`,
    ];
    return { t, admin, owner, member, existing, file };
  }

  it('creates new codes and updates existing ones, ignoring revenue12m and archived, with a timeline entry each', async () => {
    const { t, admin, owner, member, existing, file } = await scene();
    const res = await importCsv(admin, file).expect(200);
    const created = await stored(`${t}-NEW`);
    expect(res.body).to.deep.equal({
      dryRun: false, created: 1, updated: 1, unchanged: 0,
      rows: [{ line: 2, code: `${t}-OLD`, action: 'updated', id: existing.id }, { line: 3, code: `${t}-NEW`, action: 'created', id: String(created!._id) }],
    });
    const updated = await stored(`${t}-OLD`);
    expect(updated).to.include({ name: `${t} Renamed`, nameKey: nameKeyOf(`${t} Renamed`), status: 'active', revenue12m: 5000, archived: false, __v: 1 });
    expect(String(updated!.ownerId)).to.equal(owner.id);
    expect(updated!.accountTeam.map(String)).to.deep.equal([member.id]);
    expect(updated!.tags).to.deep.equal(['b', 'c']);
    expect(updated!.company).to.deep.equal({ industry: 'Energy' });
    expect(created).to.include({ name: `${t} New`, nameKey: nameKeyOf(`${t} New`), status: 'dormant', revenue12m: 0, archived: false, currency: 'USD' });
    expect(String(created!.ownerId)).to.equal(owner.id);
    expect(created!.company).to.deep.equal({ industry: 'Mining', employees: 42 });

    const [change] = await ChangeModel.find({ customerId: existing._id }).lean();
    expect(change).to.include({ action: 'imported', entity: 'customer' });
    expect(String(change!.actorId)).to.equal(admin.id);
    expect(change!.fields.map((f) => f.field).sort()).to.deep.equal(['accountTeam', 'company.employees', 'company.industry', 'name', 'status', 'tags']);
    expect(change!.fields.find((f) => f.field === 'status')).to.deep.equal({ field: 'status', old: 'prospect', new: 'active' });
    const createdChanges = await ChangeModel.find({ customerId: created!._id }).lean();
    expect(createdChanges.map((c) => c.action)).to.deep.equal(['imported']);
  });

  it('answers 409 naming a customer changed by someone else meanwhile, leaves it alone and writes the other rows', async () => {
    const { t, admin, existing, file } = await scene();
    const bulkWrite = CustomerModel.bulkWrite;
    // Another user's write lands between the import's checks and its own (batched) write.
    let raced = false;
    CustomerModel.bulkWrite = (async (...args: Parameters<typeof bulkWrite>) => {
      if (!raced) await CustomerModel.collection.updateOne({ _id: existing._id }, { $set: { status: 'lost' }, $inc: { __v: 1 } });
      raced = true;
      return bulkWrite.apply(CustomerModel, args);
    }) as unknown as typeof bulkWrite;
    try {
      const problem = expectProblem(await importCsv(admin, file), 409);
      expect(problem.detail).to.include(`not written: ${t}-OLD.`);
    } finally {
      CustomerModel.bulkWrite = bulkWrite;
    }
    expect(await stored(`${t}-OLD`)).to.include({ name: existing.name, status: 'lost', __v: 1 });
    expect(await ChangeModel.countDocuments({ customerId: existing._id })).to.equal(0);
    const created = await stored(`${t}-NEW`);
    expect(created).to.include({ name: `${t} New` });
    expect(await ChangeModel.countDocuments({ customerId: created!._id, action: 'imported' })).to.equal(1);
  });

  it('with dryRun=true answers what it would do and writes nothing', async () => {
    const { t, admin, existing, file } = await scene();
    const before = await everything();
    const res = await importCsv(admin, file, { dryRun: 'true' }).expect(200);
    expect(res.body).to.include({ dryRun: true, created: 1, updated: 1, unchanged: 0 });
    expect(res.body.rows[1]).to.deep.equal({ line: 3, code: `${t}-NEW`, action: 'created' });
    expect(await everything()).to.deep.equal(before);
    expect(await stored(`${t}-OLD`)).to.deep.equal(existing.toObject());
  });

  it('lists every bad row with its line and column and writes nothing when one row is bad', async () => {
    const { t, owner } = await scene();
    const before = await everything();
    // Line breaks as Excel writes them, CRLF, one of them inside a quoted cell.
    const res = await importCsv(owner, [
      'code,name,status,ownerEmail,company.address',
      `${t}-1,${t} One,active,,`,
      `${t}-2,${t} Two,asleep,,`,
      `${t}-3,${t} Three,active,,"Line A\r\nLine B"`,
      `${t}-4,${t} Four,,nobody-${t.toLowerCase()}@test.local,`,
      `${t}-5,,active,,`,
      `${t}-6,${t} Six`,
    ].join('\r\n'));
    const problem = expectProblem(res, 400);
    expect(problem.errors!.map((e) => [(e as { line?: number }).line, e.field])).to.deep.equal([[3, 'status'], [6, 'ownerEmail'], [7, 'name'], [8, '']]);
    expect(await everything()).to.deep.equal(before);
    expect(await stored(`${t}-1`)).to.equal(null);
  });

  it('refuses a code twice in one file, an unknown column, and a parent loop', async () => {
    const { t, admin, existing } = await scene();
    const before = await everything();
    const twice = expectProblem(await importCsv(admin, ['code,name', `${t}-D,${t} D`, `${t}-d,${t} D again`]), 400);
    expect(twice.errors).to.deep.equal([{ line: 3, field: 'code', message: `code ${t}-D is also on line 2; a file names each customer once` }]);
    const unknown = expectProblem(await importCsv(admin, ['code,name,colour', `${t}-U,${t} U,red`]), 400);
    expect(unknown.errors!.map((e) => [(e as { line?: number }).line, e.field])).to.deep.equal([[1, 'colour']]);
    const child = await makeCustomer(admin, { name: `${t} Child`, parentId: existing._id });
    const loop = expectProblem(await importCsv(admin, ['code,name,parentCode', `${existing.code},${existing.name},${child.code}`]), 400);
    expect(loop.errors!.map((e) => e.field)).to.deep.equal(['parentCode']);
    expect(await everything()).to.deep.equal({ ...before, customers: before.customers + 1 });
  });

  it('links a new customer to a parent that is new in the same file', async () => {
    const { t, admin } = await scene();
    await importCsv(admin, ['code,name,parentCode', `${t}-KID,${t} Kid,${t}-MUM`, `${t}-MUM,${t} Mum,`]).expect(200);
    const [kid, mum] = [await stored(`${t}-KID`), await stored(`${t}-MUM`)];
    expect(String(kid!.parentId)).to.equal(String(mum!._id));
  });

  it("refuses a manager's rows for customers they may not change or hand over, and writes none", async () => {
    const { t, owner, member, existing } = await scene();
    const other = await createUser({ role: 'manager' });
    const foreign = await makeCustomer(other, { name: `${t} Foreign` });
    await CustomerModel.updateOne({ _id: existing._id }, { accountTeam: [member.id] });
    const before = await everything();
    const res = await importCsv(member, [
      'code,name,ownerEmail,accountTeamEmails,parentCode',
      `${foreign.code},Taken over,,,`,
      `${t}-MINE,${t} Mine,${other.email},,`,
      `${existing.code},${existing.name},${member.email},${member.email},`,
      `${t}-KID,${t} Kid,,,${foreign.code}`,
      `${t}-OK,${t} Fine,,${owner.email},`,
    ]);
    expect(expectProblem(res, 400).errors!.map((e) => [(e as { line?: number }).line, e.field]))
      .to.deep.equal([[2, 'code'], [3, 'ownerEmail'], [4, 'ownerEmail'], [5, 'parentCode']]);
    expect(await everything()).to.deep.equal(before);
    expect(await stored(foreign.code)).to.deep.equal(foreign.toObject());
  });

  it('hands the open visits of a customer whose owner the file changes to the new owner', async () => {
    const t = token();
    const admin = await createUser({ role: 'admin' });
    const [before, after] = [await createUser({ role: 'manager' }), await createUser({ role: 'manager' })];
    await importCsv(admin, ['code,name,ownerEmail', `${t}-MOVE,${t} Move,${before.email}`]).expect(200);
    const customer = (await stored(`${t}-MOVE`))!;
    const open = (await VisitModel.findOne({ customerId: customer._id, status: 'scheduled' }).lean())!;
    expect(String(open.ownerId)).to.equal(before.id);
    await importCsv(admin, ['code,name,ownerEmail', `${t}-MOVE,${t} Move,${after.email}`]).expect(200);
    expect(String((await stored(`${t}-MOVE`))!.ownerId)).to.equal(after.id);
    expect(String((await VisitModel.findById(open._id).lean())!.ownerId)).to.equal(after.id);
  });

  it('refuses executives with 403, another content type with 415 and a missing token with 401, writing nothing', async () => {
    const { admin, file } = await scene();
    const before = await everything();
    expectProblem(await importCsv(await createUser({ role: 'executive' }), file), 403);
    expectProblem(await api().post('/api/v1/customers/import').set(bearer(admin)).send({ code: 'X', name: 'Y' }), 415);
    expectProblem(await api().post('/api/v1/customers/import').set('Content-Type', 'text/csv').send(file.join('\n')), 401);
    expectProblem(await importCsv(admin, file, { dryRun: 'perhaps' }), 400);
    expect(await everything()).to.deep.equal(before);
  });
});

import { expect } from 'chai';
import { KnowledgeModel } from '../../models/knowledge.ts';
import { KnowledgeVersionModel } from '../../models/knowledge-versions.ts';
import { api, bearer, createUser, expectProblem } from '../factories.ts';
import { ownCategory, uid, writeEntry } from '../knowledge-world.ts';

const url = (id: string) => `/api/v1/knowledge/${id}`;
const stored = (id: string) => KnowledgeModel.findById(id).lean();

describe('POST /api/v1/knowledge', () => {
  it('lets every signed-in role write an entry, answered with its version, ETag and Location', async () => {
    for (const role of ['manager', 'executive', 'admin'] as const) {
      const user = await createUser({ role });
      const category = ownCategory();
      const res = await api().post('/api/v1/knowledge').set(bearer(user))
        .send({ problem: '  Printer jams  ', solution: 'Use the manual feed', category, tags: ['Paper', 'PAPER', 'Ｔｒａｙ'], product: 'LaserJet 5' })
        .expect(201);
      expect(res.headers.etag).to.equal('"0"');
      expect(res.headers.location).to.equal(url(res.body.id));
      expect(res.body).to.include({ problem: 'Printer jams', symptoms: '', category, product: 'LaserJet 5', archived: false, uses: 0, version: 1, sourceCaseId: null });
      expect(res.body.tags, 'normalised, each once').to.deep.equal(['paper', 'tray']);
      expect(res.body).to.include({ createdById: user.id, editedById: user.id });
      const row = await stored(res.body.id);
      expect(row?.terms).to.include.members(['printer', 'jams', 'manual', 'feed', 'laserjet', 'paper', 'tray']);
      expect(row?.categoryKey).to.equal(category.toLowerCase());
    }
  });

  it('indexes Chinese text by characters and pairs', async () => {
    const user = await createUser();
    const res = await api().post('/api/v1/knowledge').set(bearer(user))
      .send({ problem: '打印机卡纸', solution: '使用手动进纸', category: ownCategory() }).expect(201);
    expect((await stored(res.body.id))?.terms).to.include.members(['卡纸', '打印', '卡', '纸', '手动']);
  });

  it('refuses bad input with 400 naming each field, and stores nothing', async () => {
    const user = await createUser();
    const category = ownCategory();
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{}, ['problem', 'solution', 'category']],
      [{ problem: ' ', solution: 'x', category }, ['problem']],
      [{ problem: 'p', solution: 'x'.repeat(8001), category }, ['solution']],
      [{ problem: 'p', solution: 's', category, tags: 'paper' }, ['tags']],
      [{ problem: 'p', solution: 's', category, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, ['tags']],
      [{ problem: 'p', solution: 's', category, uses: 99 }, ['uses']],
      [{ problem: 'p', solution: 's', category, sourceCaseId: '0123456789abcdef01234567' }, ['sourceCaseId']],
    ];
    for (const [body, fields] of cases) {
      const problem = expectProblem(await api().post('/api/v1/knowledge').set(bearer(user)).send(body), 400);
      expect(problem.errors?.map((e) => e.field), JSON.stringify(body)).to.have.members(fields);
    }
    expect(await KnowledgeModel.countDocuments({ categoryKey: category.toLowerCase() })).to.equal(0);
  });

  it('answers 401 without a token', async () => {
    expectProblem(await api().post('/api/v1/knowledge').send({ problem: 'p', solution: 's', category: 'c' }), 401);
    expectProblem(await api().get('/api/v1/knowledge'), 401);
  });
});

describe('GET /api/v1/knowledge/:id', () => {
  it('answers any signed-in user the entry with its version count and ETag', async () => {
    const author = await createUser();
    const entry = await writeEntry(author, { problem: 'VPN drops', solution: 'Renew the certificate', category: ownCategory() });
    for (const role of ['manager', 'executive', 'admin'] as const) {
      const res = await api().get(url(entry.id)).set(bearer(await createUser({ role, team: 'Elsewhere' }))).expect(200);
      expect(res.body).to.include({ id: entry.id, problem: 'VPN drops', version: 1 });
      expect(res.headers.etag).to.equal('"0"');
    }
  });

  it('answers 404 for a missing or malformed id', async () => {
    const user = await createUser();
    for (const id of ['0123456789abcdef01234567', 'not-an-id']) {
      expectProblem(await api().get(url(id)).set(bearer(user)), 404);
      expectProblem(await api().get(`${url(id)}/versions`).set(bearer(user)), 404);
      expectProblem(await api().patch(url(id)).set(bearer(user)).send({ problem: 'x' }), 404);
    }
  });
});

describe('PATCH /api/v1/knowledge/:id', () => {
  it('lets anyone signed in edit: each edit a new version by its author, the earlier ones listed with author and time', async () => {
    const author = await createUser();
    const editor = await createUser({ role: 'manager', team: 'Other' });
    const executive = await createUser({ role: 'executive' });
    const entry = await writeEntry(author, { problem: 'Screen flickers', solution: 'Update the driver', category: ownCategory() });
    const first = await api().patch(url(entry.id)).set(bearer(editor)).set('If-Match', '"0"')
      .send({ solution: 'Replace the cable', tags: ['Display'] }).expect(200);
    expect(first.body).to.include({ version: 2, solution: 'Replace the cable', editedById: editor.id, createdById: author.id });
    expect(first.headers.etag).to.equal('"1"');
    await api().patch(url(entry.id)).set(bearer(executive)).send({ symptoms: 'Only on the second monitor' }).expect(200);

    const versions = await api().get(`${url(entry.id)}/versions`).set(bearer(editor)).expect(200);
    expect(versions.body.items.map((v: { version: number }) => v.version)).to.deep.equal([2, 1]);
    expect(versions.body.items[0]).to.include({ solution: 'Replace the cable', editedById: editor.id, symptoms: '' });
    expect(versions.body.items[1]).to.include({ solution: 'Update the driver', editedById: author.id, editedByName: 'Test manager' });
    expect(versions.body.items[1].editedAt).to.be.a('string');
    const now = await api().get(url(entry.id)).set(bearer(author)).expect(200);
    expect(now.body).to.include({ version: 3, symptoms: 'Only on the second monitor', editedById: executive.id });

    expect(await KnowledgeVersionModel.countDocuments({ knowledgeId: entry.id })).to.equal(2);
    const row = await stored(entry.id);
    expect(row?.terms, 'the terms follow the text').to.include.members(['cable', 'display', 'monitor']).and.not.include('driver');
  });

  it('pages the versions', async () => {
    const author = await createUser();
    const entry = await writeEntry(author, { problem: 'v0', solution: 's', category: ownCategory() });
    for (let i = 1; i <= 4; i++) await api().patch(url(entry.id)).set(bearer(author)).send({ problem: `v${i}` }).expect(200);
    const one = await api().get(`${url(entry.id)}/versions?limit=3`).set(bearer(author)).expect(200);
    expect(one.body.items.map((v: { problem: string }) => v.problem)).to.deep.equal(['v3', 'v2', 'v1']);
    const two = await api().get(`${url(entry.id)}/versions?limit=3&cursor=${one.body.nextCursor}`).set(bearer(author)).expect(200);
    expect(two.body.items.map((v: { problem: string }) => v.problem)).to.deep.equal(['v0']);
    expect(two.body.nextCursor).to.equal(null);
    expectProblem(await api().get(`${url(entry.id)}/versions?cursor=bad`).set(bearer(author)), 400);
  });

  it('refuses a stale If-Match with 412 and changes nothing', async () => {
    const author = await createUser();
    const entry = await writeEntry(author, { problem: 'Slow login', solution: 'Clear the cache', category: ownCategory() });
    await api().patch(url(entry.id)).set(bearer(author)).send({ solution: 'Restart' }).expect(200);
    expectProblem(await api().patch(url(entry.id)).set(bearer(author)).set('If-Match', '"0"').send({ solution: 'Late' }), 412);
    expect((await stored(entry.id))?.solution).to.equal('Restart');
    expect(await KnowledgeVersionModel.countDocuments({ knowledgeId: entry.id })).to.equal(1);
  });

  it('makes no version for an edit that changes nothing', async () => {
    const author = await createUser();
    const entry = await writeEntry(author, { problem: 'Same', solution: 'Same', category: ownCategory(), tags: ['a1'] });
    const res = await api().patch(url(entry.id)).set(bearer(author)).send({ problem: 'Same', tags: ['A1'] }).expect(200);
    expect(res.body.version).to.equal(1);
    expect(await KnowledgeVersionModel.countDocuments({ knowledgeId: entry.id })).to.equal(0);
  });

  it('refuses bad input with 400 and changes nothing', async () => {
    const author = await createUser();
    const entry = await writeEntry(author, { problem: 'Bad input', solution: 's', category: ownCategory() });
    for (const [body, field] of [[{}, ''], [{ problem: '' }, 'problem'], [{ archived: 'soon' }, 'archived'], [{ uses: 5 }, 'uses'], [{ category: null }, 'category']] as const) {
      const problem = expectProblem(await api().patch(url(entry.id)).set(bearer(author)).send(body), 400);
      if (field) expect(problem.errors?.map((e) => e.field)).to.deep.equal([field]);
    }
    const row = await stored(entry.id);
    expect(row).to.include({ problem: 'Bad input', __v: 0, uses: 0 });
  });
});

describe('PATCH /api/v1/knowledge/:id archived', () => {
  it('archives and restores for the author, an executive or an admin; another manager gets 403 and nothing changes', async () => {
    const author = await createUser();
    const other = await createUser();
    const executive = await createUser({ role: 'executive' });
    const admin = await createUser({ role: 'admin' });
    const category = ownCategory();
    const entry = await writeEntry(author, { problem: `Fax ${uid()}`, solution: 'Retire the fax', category });

    expectProblem(await api().patch(url(entry.id)).set(bearer(other)).send({ archived: true }), 403);
    expect(await stored(entry.id)).to.include({ archived: false, __v: 0 });

    for (const user of [author, executive, admin]) {
      const archived = await api().patch(url(entry.id)).set(bearer(user)).send({ archived: true }).expect(200);
      expect(archived.body).to.include({ archived: true, archivedById: user.id });
      expect(archived.body.archivedAt).to.be.a('string');
      expectProblem(await api().patch(url(entry.id)).set(bearer(other)).send({ archived: false }), 403);
      const restored = await api().patch(url(entry.id)).set(bearer(user)).send({ archived: false }).expect(200);
      expect(restored.body).to.include({ archived: false, archivedAt: null, archivedById: null });
    }
    expect((await stored(entry.id))?.__v, 'each archive and restore is a version').to.equal(6);
  });

  it('keeps an archived entry out of lists and searches unless asked for, and its content unedited until restored', async () => {
    const author = await createUser();
    const category = ownCategory();
    const word = `zq${uid()}`;
    const entry = await writeEntry(author, { problem: `Modem ${word}`, solution: 'Reset', category });
    await api().patch(url(entry.id)).set(bearer(author)).send({ archived: true }).expect(200);

    const ids = async (query: string) => (await api().get(`/api/v1/knowledge?${query}`).set(bearer(author)).expect(200)).body.items.map((i: { id: string }) => i.id);
    expect(await ids(`category=${encodeURIComponent(category)}`)).to.deep.equal([]);
    expect(await ids(`q=${word}`)).to.deep.equal([]);
    expect(await ids(`category=${encodeURIComponent(category)}&archived=true`)).to.deep.equal([entry.id]);
    expect(await ids(`q=${word}&archived=true`)).to.deep.equal([entry.id]);

    expectProblem(await api().patch(url(entry.id)).set(bearer(author)).send({ solution: 'Edited' }), 409);
    expect((await stored(entry.id))?.solution).to.equal('Reset');
    const restored = await api().patch(url(entry.id)).set(bearer(author)).send({ archived: false, solution: 'Edited' }).expect(200);
    expect(restored.body).to.include({ archived: false, solution: 'Edited' });
    expect(await KnowledgeModel.exists({ _id: entry.id }), 'never deleted').to.not.equal(null);
  });
});

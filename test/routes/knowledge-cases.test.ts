import { expect } from 'chai';
import type { Types } from 'mongoose';
import { CaseModel } from '../../models/case.ts';
import { KnowledgeModel } from '../../models/knowledge.ts';
import { KnowledgeUseModel } from '../../models/knowledge-uses.ts';
import { api, bearer, expectProblem } from '../factories.ts';
import { caseWorld, makeCase, ownCategory, writeEntry } from '../knowledge-world.ts';

const convert = (caseId: unknown) => `/api/v1/cases/${String(caseId)}/knowledge`;
const used = (id: string) => `/api/v1/knowledge/${id}/used`;
const entriesOf = (caseId: Types.ObjectId) => KnowledgeModel.find({ sourceCaseId: caseId }).lean();

describe('POST /api/v1/cases/:id/knowledge', () => {
  it("turns the owner's resolved case into an entry linked to it, and adds it to the case", async () => {
    const w = await caseWorld();
    const res = await api().post(convert(w.kase._id)).set(bearer(w.owner)).expect(201);
    expect(res.body).to.include({
      problem: 'Printer jams on thick paper', symptoms: 'The tray jams on 200 g/m² stock every morning',
      solution: 'Use the manual feed tray for stock above 160 g/m²', category: 'Printing', sourceCaseId: w.kase.id,
      createdById: w.owner.id, uses: 0, version: 1, archived: false,
    });
    expect(res.body.tags).to.deep.equal(['paper', 'tray']);
    expect(res.headers.location).to.equal(`/api/v1/knowledge/${res.body.id}`);
    const kase = await CaseModel.findById(w.kase._id).lean();
    expect(kase?.knowledgeIds.map(String)).to.deep.equal([res.body.id]);
    expect(kase?.__v, 'the case changed, so its version moved').to.equal((w.kase.__v ?? 0) + 1);
  });

  it('takes the fields the body gives instead of the case\'s', async () => {
    const w = await caseWorld({ status: 'closed', closedAt: new Date() });
    const res = await api().post(convert(w.kase._id)).set(bearer(w.owner))
      .send({ problem: 'Thick paper jams', solution: 'Manual feed', tags: ['Media'], product: 'LaserJet 5' }).expect(201);
    expect(res.body).to.include({ problem: 'Thick paper jams', solution: 'Manual feed', product: 'LaserJet 5', category: 'Printing' });
    expect(res.body.tags).to.deep.equal(['media']);
  });

  it('answers 409 naming the existing entry when the case was turned already, and keeps one entry', async () => {
    const w = await caseWorld();
    const first = await api().post(convert(w.kase._id)).set(bearer(w.owner)).expect(201);
    const problem = expectProblem(await api().post(convert(w.kase._id)).set(bearer(w.executive)).send({ problem: 'Again' }), 409);
    expect(problem.detail).to.include(first.body.id);
    expect(await entriesOf(w.kase._id)).to.have.length(1);
    expect((await CaseModel.findById(w.kase._id).lean())?.knowledgeIds.map(String)).to.deep.equal([first.body.id]);
  });

  it('relinks an existing entry a crash left out of the case when it is turned again', async () => {
    const w = await caseWorld();
    const first = await api().post(convert(w.kase._id)).set(bearer(w.owner)).expect(201);
    await CaseModel.updateOne({ _id: w.kase._id }, { $set: { knowledgeIds: [] } });
    expectProblem(await api().post(convert(w.kase._id)).set(bearer(w.owner)), 409);
    expect((await CaseModel.findById(w.kase._id).lean())?.knowledgeIds.map(String)).to.deep.equal([first.body.id]);
  });

  it('lets executives and admins turn any case; helpers and the customer\'s team get 403, others 404, and nothing is written', async () => {
    const w = await caseWorld();
    for (const user of [w.helper, w.customerOwner]) expectProblem(await api().post(convert(w.kase._id)).set(bearer(user)), 403);
    expectProblem(await api().post(convert(w.kase._id)).set(bearer(w.stranger)), 404);
    expectProblem(await api().post(convert('0123456789abcdef01234567')).set(bearer(w.admin)), 404);
    expectProblem(await api().post(convert('not-an-id')).set(bearer(w.admin)), 404);
    expectProblem(await api().post(convert(w.kase._id)), 401);
    expect(await entriesOf(w.kase._id)).to.have.length(0);
    for (const user of [w.executive, w.admin]) {
      const other = await makeCase(w.owner, w.customerOwner);
      const res = await api().post(convert(other._id)).set(bearer(user)).expect(201);
      expect(res.body.createdById).to.equal(user.id);
    }
  });

  it('refuses a case not yet resolved with 409, and bad input with 400, writing nothing', async () => {
    for (const status of ['open', 'in_progress', 'reopened']) {
      const w = await caseWorld({ status, resolvedAt: null });
      const problem = expectProblem(await api().post(convert(w.kase._id)).set(bearer(w.owner)), 409);
      expect(problem.detail).to.include(status);
      expect(await entriesOf(w.kase._id)).to.have.length(0);
    }
    const w = await caseWorld();
    for (const body of [{ problem: '' }, { tags: [1] }, { sourceCaseId: w.kase.id }]) {
      expectProblem(await api().post(convert(w.kase._id)).set(bearer(w.owner)).send(body), 400);
    }
    const empty = await caseWorld({ solution: '' });
    const problem = expectProblem(await api().post(convert(empty.kase._id)).set(bearer(empty.owner)), 400);
    expect(problem.errors?.map((e) => e.field)).to.deep.equal(['solution']);
    expect(await entriesOf(w.kase._id)).to.have.length(0);
    expect(await entriesOf(empty.kase._id)).to.have.length(0);
    expect((await CaseModel.findById(w.kase._id).lean())?.knowledgeIds).to.deep.equal([]);
  });
});

describe('POST /api/v1/knowledge/:id/used', () => {
  it('counts the entry once per case, adds it to the case, and lists the entry by its uses', async () => {
    const w = await caseWorld();
    const category = ownCategory();
    const entry = await writeEntry(w.stranger, { problem: 'Jam', solution: 'Manual feed', category });
    const other = await writeEntry(w.stranger, { problem: 'Other', solution: 'x', category });

    const first = await api().post(used(entry.id)).set(bearer(w.owner)).send({ caseId: w.kase.id }).expect(201);
    expect(first.body).to.include({ id: entry.id, uses: 1, version: 1 });
    expect(first.headers.etag, 'a use is not an edit').to.equal('"0"');
    const again = await api().post(used(entry.id)).set(bearer(w.helper)).send({ caseId: w.kase.id }).expect(200);
    expect(again.body.uses).to.equal(1);

    const second = await makeCase(w.owner, w.customerOwner);
    await api().post(used(entry.id)).set(bearer(w.customerOwner)).send({ caseId: second.id }).expect(201);
    expect((await KnowledgeModel.findById(entry.id).lean())?.uses).to.equal(2);
    expect(await KnowledgeUseModel.countDocuments({ knowledgeId: entry.id })).to.equal(2);
    expect((await CaseModel.findById(w.kase._id).lean())?.knowledgeIds.map(String)).to.deep.equal([entry.id]);
    expect((await CaseModel.findById(second._id).lean())?.knowledgeIds.map(String)).to.deep.equal([entry.id]);

    const listed = await api().get('/api/v1/knowledge').query({ category }).set(bearer(w.stranger)).expect(200);
    expect(listed.body.items.map((i: { id: string }) => i.id)).to.deep.equal([entry.id, other.id]);
  });

  it('lets everyone who can see the case count it: owner, helper, the customer\'s team, executives and admins', async () => {
    const w = await caseWorld();
    for (const user of [w.owner, w.helper, w.customerOwner, w.executive, w.admin]) {
      const entry = await writeEntry(w.stranger, { problem: 'Jam', solution: 'x', category: ownCategory() });
      await api().post(used(entry.id)).set(bearer(user)).send({ caseId: w.kase.id }).expect(201);
    }
  });

  it('refuses a case the caller cannot see or that does not exist with the same 400, and changes nothing', async () => {
    const w = await caseWorld();
    const entry = await writeEntry(w.owner, { problem: 'Jam', solution: 'x', category: ownCategory() });
    const hidden = expectProblem(await api().post(used(entry.id)).set(bearer(w.stranger)).send({ caseId: w.kase.id }), 400);
    const missing = expectProblem(await api().post(used(entry.id)).set(bearer(w.stranger)).send({ caseId: '0123456789abcdef01234567' }), 400);
    expect(hidden.errors).to.deep.equal(missing.errors);
    for (const body of [{}, { caseId: 'nope' }, { caseId: w.kase.id, extra: 1 }]) {
      expectProblem(await api().post(used(entry.id)).set(bearer(w.owner)).send(body), 400);
    }
    expectProblem(await api().post(used('0123456789abcdef01234567')).set(bearer(w.owner)).send({ caseId: w.kase.id }), 404);
    expectProblem(await api().post(used(entry.id)).send({ caseId: w.kase.id }), 401);
    expect(await KnowledgeUseModel.countDocuments({ knowledgeId: entry.id })).to.equal(0);
    expect((await KnowledgeModel.findById(entry.id).lean())?.uses).to.equal(0);
    expect((await CaseModel.findById(w.kase._id).lean())?.knowledgeIds).to.deep.equal([]);
  });

  it('refuses an archived entry with 409', async () => {
    const w = await caseWorld();
    const entry = await writeEntry(w.owner, { problem: 'Old', solution: 'x', category: ownCategory() });
    await api().patch(`/api/v1/knowledge/${entry.id}`).set(bearer(w.owner)).send({ archived: true }).expect(200);
    expectProblem(await api().post(used(entry.id)).set(bearer(w.owner)).send({ caseId: w.kase.id }), 409);
    expect(await KnowledgeUseModel.countDocuments({ knowledgeId: entry.id })).to.equal(0);
  });

  it('makes good a count a crash left behind: the next use sets uses from the uses recorded', async () => {
    const w = await caseWorld();
    const entry = await writeEntry(w.owner, { problem: 'Crash', solution: 'x', category: ownCategory() });
    await api().post(used(entry.id)).set(bearer(w.owner)).send({ caseId: w.kase.id }).expect(201);
    await KnowledgeModel.updateOne({ _id: entry.id }, { $set: { uses: 0 } }); // as if the count had not been written
    const res = await api().post(used(entry.id)).set(bearer(w.owner)).send({ caseId: w.kase.id }).expect(200);
    expect(res.body.uses).to.equal(1);
  });
});

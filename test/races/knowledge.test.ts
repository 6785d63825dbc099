import { expect } from 'chai';
import { CaseModel } from '../../models/case.ts';
import { KnowledgeModel } from '../../models/knowledge.ts';
import { KnowledgeUseModel } from '../../models/knowledge-uses.ts';
import { KnowledgeVersionModel } from '../../models/knowledge-versions.ts';
import { api, bearer } from '../factories.ts';
import { caseWorld, makeCase, ownCategory, writeEntry } from '../knowledge-world.ts';
import { oneWinner, trials } from '../race.ts';

// Knowledge writes raced over HTTP: each effect that must happen once (a use per case, an entry per case, a version
// per edit) holds when two requests for it arrive together.

const used = (id: string) => `/api/v1/knowledge/${id}/used`;

describe('knowledge races', () => {
  it('counts the same use sent twice at once once: one 201, one 200, uses up by one', async () => {
    const w = await caseWorld();
    await trials(async () => {
      const entry = await writeEntry(w.owner, { problem: 'Race', solution: 'x', category: ownCategory() });
      const answers = await Promise.all([w.owner, w.helper].map((u) => api().post(used(entry.id)).set(bearer(u)).send({ caseId: w.kase.id })));
      expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 201]);
      expect((await KnowledgeModel.findById(entry.id).lean())?.uses).to.equal(1);
      expect(await KnowledgeUseModel.countDocuments({ knowledgeId: entry.id })).to.equal(1);
      const ids = (await CaseModel.findById(w.kase._id).lean())?.knowledgeIds.map(String) ?? [];
      expect(ids.filter((id) => id === entry.id)).to.have.length(1);
    });
  });

  it('counts two cases at once both: uses up by two', async () => {
    const w = await caseWorld();
    const other = await makeCase(w.owner, w.customerOwner);
    await trials(async () => {
      const entry = await writeEntry(w.owner, { problem: 'Race', solution: 'x', category: ownCategory() });
      const answers = await Promise.all([w.kase.id, other.id].map((caseId) => api().post(used(entry.id)).set(bearer(w.owner)).send({ caseId })));
      expect(answers.map((r) => r.status)).to.deep.equal([201, 201]);
      expect((await KnowledgeModel.findById(entry.id).lean())?.uses).to.equal(2);
    });
  });

  it('turns a case turned twice at once into one entry: one 201, one 409 naming it', async () => {
    const w = await caseWorld();
    await trials(async () => {
      const kase = await makeCase(w.owner, w.customerOwner);
      const answers = await Promise.all([w.owner, w.executive].map((u) => api().post(`/api/v1/cases/${kase.id}/knowledge`).set(bearer(u))));
      const { winner, problem } = oneWinner(answers, 201, 409);
      expect(problem.detail).to.include(winner.body.id);
      expect(await KnowledgeModel.countDocuments({ sourceCaseId: kase._id })).to.equal(1);
      expect((await CaseModel.findById(kase._id).lean())?.knowledgeIds.map(String)).to.deep.equal([winner.body.id]);
    });
  });

  it('lets one of two edits with the same If-Match land (200, 412), keeping one past version', async () => {
    const w = await caseWorld();
    await trials(async (i) => {
      const entry = await writeEntry(w.owner, { problem: 'Race', solution: 'first', category: ownCategory() });
      const answers = await Promise.all(['left', 'right'].map((solution) => api().patch(`/api/v1/knowledge/${entry.id}`)
        .set(bearer(i % 2 ? w.owner : w.helper)).set('If-Match', '"0"').send({ solution })));
      const { winner } = oneWinner(answers, 200, 412);
      const stored = await KnowledgeModel.findById(entry.id).lean();
      expect(stored).to.include({ solution: winner.body.solution, __v: 1 });
      const versions = await KnowledgeVersionModel.find({ knowledgeId: entry.id }).lean();
      expect(versions.map((v) => [v.version, v.solution])).to.deep.equal([[1, 'first']]);
    });
  });
});

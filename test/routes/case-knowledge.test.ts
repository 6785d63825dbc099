import { expect } from 'chai';
import { KnowledgeModel } from '../../models/knowledge.ts';
import { KnowledgeUseModel } from '../../models/knowledge-uses.ts';
import { caseWorld, openCase, stepCase, storedCase } from '../case-world.ts';
import { api, bearer } from '../factories.ts';
import { ownCategory, uid, writeEntry } from '../knowledge-world.ts';

// A case and the knowledge base meet twice: reading a case suggests the entries that may solve it, and a case
// resolved with entries counts each as used in it.

describe('GET /api/v1/cases/:id with knowledge suggestions', () => {
  it('suggests the entries of the same category and words, best first, and none archived', async () => {
    const w = await caseWorld();
    const category = ownCategory();
    const word = `router${uid()}`;
    const close = await writeEntry(w.owner, { problem: `${word} drops the VPN every hour`, solution: 'Update the firmware', category });
    const loose = await writeEntry(w.owner, { problem: 'Another problem of the same kind', solution: 'Call support', category });
    const archived = await writeEntry(w.owner, { problem: `${word} drops the VPN too`, solution: 'Old advice', category });
    await KnowledgeModel.updateOne({ _id: archived.id }, { $set: { archived: true } });
    // words of this test only: entries of other tests share none of them, nor the category
    const { body: kase } = await openCase(w, w.opener, { category, subject: `${word} ${word}`, description: '' });

    const res = await api().get(`/api/v1/cases/${kase.id}`).set(bearer(w.opener)).expect(200);
    const ids = (res.body.suggestions as Array<{ id: string }>).map((s) => s.id);
    expect(ids[0]).to.equal(close.id);
    expect(ids).to.include(loose.id).and.not.include(archived.id);
  });
});

describe('POST /api/v1/cases/:id/resolve with knowledgeIds', () => {
  it('counts each entry as used in the case, once, and refuses an entry that does not exist or is archived', async () => {
    const w = await caseWorld();
    const entry = await writeEntry(w.owner, { problem: 'Printer jams', solution: 'Manual tray', category: ownCategory() });
    const archived = await writeEntry(w.owner, { problem: 'Old printer', solution: 'Replace it', category: ownCategory() });
    await KnowledgeModel.updateOne({ _id: archived.id }, { $set: { archived: true } });
    const { body: kase } = await openCase(w);

    const refused = await api().post(`/api/v1/cases/${kase.id}/resolve`).set(bearer(w.opener))
      .send({ solution: 'Used the manual tray', knowledgeIds: [entry.id, archived.id] }).expect(400);
    expect(refused.body.errors[0].field).to.equal('knowledgeIds');
    expect((await storedCase(kase.id)).status).to.equal('open');
    expect(await KnowledgeUseModel.countDocuments({ knowledgeId: entry.id })).to.equal(0);

    const resolved = await stepCase(kase.id, 'resolve', w.opener, { solution: 'Used the manual tray', knowledgeIds: [entry.id] });
    expect(resolved.status).to.equal('resolved');
    expect((await storedCase(kase.id)).knowledgeIds.map(String)).to.deep.equal([entry.id]);
    expect(await KnowledgeUseModel.countDocuments({ knowledgeId: entry.id, caseId: kase.id })).to.equal(1);
    expect((await KnowledgeModel.findById(entry.id).lean())!.uses).to.equal(1);
  });
});

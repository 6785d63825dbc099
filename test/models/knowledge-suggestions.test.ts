import { expect } from 'chai';
import { KnowledgeModel, suggestionsFor } from '../../models/knowledge.ts';
import { knowledgeListItemSchema } from '../../schemas/knowledge.ts';
import { createUser } from '../factories.ts';
import { ownCategory, uid, writeEntry, type EntryInput } from '../knowledge-world.ts';

// suggestionsFor through the database, as GET /cases/:id calls it. The words, tags and categories are the test's own,
// so entries other tests wrote never match.

async function write(inputs: EntryInput[]) {
  const user = await createUser();
  const ids: string[] = [];
  for (const input of inputs) ids.push((await writeEntry(user, input)).id);
  return ids;
}

describe('suggestionsFor', () => {
  it('ranks entries by the words shared with the case, plus its category and tags; archived entries are left out', async () => {
    const [w1, w2, tag, category, other] = [`zq${uid()}`, `zq${uid()}`, `tag-${uid()}`, ownCategory(), ownCategory()];
    const [bothWords, tagAndSolution, categoryOnly, categoryAndWord, archived] = await write([
      { problem: `${w1} ${w2}`, solution: 'x', category: other },
      { problem: 'y', solution: `try ${w1}`, category: other, tags: [tag] },
      { problem: 'z', solution: 'x', category },
      { problem: `about ${w2}`, solution: 'x', category },
      { problem: `${w1} ${w2}`, solution: 'x', category },
      { problem: 'unrelated', solution: 'x', category: other },
    ]);
    await KnowledgeModel.updateOne({ _id: archived }, { $set: { archived: true } });
    const suggested = await suggestionsFor({ category: category.toUpperCase(), tags: [tag.toUpperCase()], subject: `${w1} ${w2}`, description: '' });
    expect(suggested.map((s) => s.id)).to.deep.equal([bothWords, categoryAndWord, tagAndSolution, categoryOnly]);
    expect(suggested.map((s) => s.score)).to.deep.equal([6, 5, 3, 2]);
    expect(suggested[0]).to.include({ problem: `${w1} ${w2}`, archived: false, uses: 0, version: 1 });
    // the shape GET /cases/:id answers them in
    for (const s of suggested) {
      const { error } = knowledgeListItemSchema.validate(JSON.parse(JSON.stringify(s)), { presence: 'required' });
      expect(error?.message).to.equal(undefined);
    }
  });

  it('reads the description too, answers at most `limit`, the most used first among equals', async () => {
    const word = `zq${uid()}`;
    const ids = await write([1, 2, 3, 4, 5, 6, 7].map((n) => ({ problem: `${word} ${n}`, solution: 'x', category: ownCategory() })));
    await KnowledgeModel.updateOne({ _id: ids[0] }, { $set: { uses: 9 } });
    const kase = { category: ownCategory(), subject: 'Customer called', description: `It says ${word} again` };
    const five = await suggestionsFor(kase);
    expect(five.map((s) => s.id)).to.deep.equal([ids[0], ids[6], ids[5], ids[4], ids[3]]);
    expect(await suggestionsFor(kase, 2)).to.have.length(2);
  });

  it('matches Chinese words by character pairs', async () => {
    const category = ownCategory();
    const [copier, solutionOnly, apart] = await write([
      { problem: '复印机卡纸', solution: '清理', category },
      { problem: '打印质量', solution: '清理卡纸', category },
      { problem: '银行卡', solution: '纸张', category },
    ]);
    const suggested = await suggestionsFor({ category, subject: '打印机卡纸', description: '' }, 50);
    const mine = suggested.map((s) => s.id).filter((id) => [copier, solutionOnly, apart].includes(id));
    // 复印机卡纸 shares 印机, 机卡 and 卡纸 (3 each); 打印质量 shares 打印 in its problem (3) and 卡纸 in its solution (2);
    // 银行卡 ... 纸张 holds 卡 and 纸 apart, so only the category (2) brings it
    expect(mine).to.deep.equal([copier, solutionOnly, apart]);
    expect(mine.map((id) => suggested.find((s) => s.id === id)?.score)).to.deep.equal([11, 7, 2]);
  });

  it('answers nothing when no entry shares anything with the case', async () => {
    expect(await suggestionsFor({ category: ownCategory(), tags: [`t${uid()}`], subject: `zq${uid()}`, description: '' })).to.deep.equal([]);
  });
});

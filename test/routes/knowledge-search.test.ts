import { expect } from 'chai';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { ownCategory, setUses, uid, writeEntry, type EntryInput } from '../knowledge-world.ts';

// Ranking over HTTP. Each test lists within a category of its own, so other tests' entries never come between.

type Item = { id: string; score?: number; uses: number; problem: string };

async function list(user: TestUser, query: Record<string, string | number>) {
  const res = await api().get('/api/v1/knowledge').set(bearer(user)).query(query).expect(200);
  return res.body as { items: Item[]; nextCursor: string | null };
}

/** Writes the entries in order (so the last is the newest), all in one new category; answers their ids and the category. */
async function entries(user: TestUser, inputs: Array<Omit<EntryInput, 'category'>>) {
  const category = ownCategory();
  const ids: string[] = [];
  for (const input of inputs) ids.push((await writeEntry(user, { ...input, category })).id);
  return { ids, category };
}

describe('GET /api/v1/knowledge?q= (English)', () => {
  it('ranks by where the words are found: problem and symptoms above solution above tags and labels', async () => {
    const user = await createUser();
    const { ids: [inProblem, inSolution, inTag, inSymptoms, elsewhere], category } = await entries(user, [
      { problem: 'Toner smears the page', solution: 'Replace the drum' },
      { problem: 'Faint print', solution: 'Shake the toner cartridge' },
      { problem: 'Streaks', solution: 'Clean the rollers', tags: ['toner'] },
      { problem: 'Grey background', symptoms: 'Toner everywhere on the page', solution: 'Clean it' },
      { problem: 'Paper curls', solution: 'Store paper dry' },
    ]);
    const { items } = await list(user, { q: 'TONER', category });
    expect(items.map((i) => i.id)).to.deep.equal([inSymptoms, inProblem, inSolution, inTag]);
    expect(items.map((i) => i.score)).to.deep.equal([3, 3, 2, 1]);
    expect(items.map((i) => i.id)).to.not.include(elsewhere);
  });

  it('ranks entries matching more of the words first, then the most used, then the newest', async () => {
    const user = await createUser();
    const { ids: [both, oneOld, oneUsed, oneNew], category } = await entries(user, [
      { problem: 'Scanner jams and skews', solution: 'Clean' },
      { problem: 'Scanner slow', solution: 'Update' },
      { problem: 'Scanner offline', solution: 'Reconnect' },
      { problem: 'Scanner noisy', solution: 'Oil it' },
    ]);
    await setUses(oneUsed!, 4);
    const { items } = await list(user, { q: 'scanner jams', category });
    expect(items.map((i) => i.id)).to.deep.equal([both, oneUsed, oneNew, oneOld]);
    expect(items[0]!.score).to.equal(6);
  });

  it('pages a ranked answer with its cursor', async () => {
    const user = await createUser();
    const { ids, category } = await entries(user, [1, 2, 3, 4, 5].map((n) => ({ problem: `Router reboot ${n}`, solution: 'Wait' })));
    const first = await list(user, { q: 'router', category, limit: 2 });
    const second = await list(user, { q: 'router', category, limit: 2, cursor: first.nextCursor! });
    const third = await list(user, { q: 'router', category, limit: 2, cursor: second.nextCursor! });
    expect([...first.items, ...second.items, ...third.items].map((i) => i.id)).to.deep.equal([...ids].reverse());
    expect(third.nextCursor).to.equal(null);
  });

  it('finds nothing for a query of only common words, and matches full-width and upper-case input', async () => {
    const user = await createUser();
    const { ids: [entry], category } = await entries(user, [{ problem: 'Projector overheats', solution: 'Clean the filter' }]);
    expect((await list(user, { q: 'the and of', category })).items).to.deep.equal([]);
    expect((await list(user, { q: 'ＰＲＯＪＥＣＴＯＲ', category })).items.map((i) => i.id)).to.deep.equal([entry]);
  });
});

describe('GET /api/v1/knowledge?q= (Chinese and mixed)', () => {
  it('finds 打印机卡纸 by 卡纸, ranks the problem above the solution, and leaves out 卡 and 纸 apart', async () => {
    const user = await createUser();
    const { ids: [inProblem, inSolution, apart], category } = await entries(user, [
      { problem: '打印机卡纸', solution: '使用手动进纸盒' },
      { problem: '打印质量差', solution: '清理卡纸后重新校准' },
      { problem: '银行卡读不出', solution: '换一张纸质表格' },
    ]);
    const { items } = await list(user, { q: '卡纸', category });
    expect(items.map((i) => i.id)).to.deep.equal([inProblem, inSolution]);
    expect(items.map((i) => i.score)).to.deep.equal([3, 2]);
    expect(items.map((i) => i.id)).to.not.include(apart);
  });

  it('scores each pair of a longer query, so more of the phrase ranks higher', async () => {
    const user = await createUser();
    const { ids: [full, part], category } = await entries(user, [
      { problem: '打印机卡纸报错', solution: '清理' },
      { problem: '打印速度慢', solution: '升级' },
    ]);
    const { items } = await list(user, { q: '打印机卡纸', category });
    expect(items.map((i) => i.id)).to.deep.equal([full, part]);
    expect(items[0]!.score).to.equal(12);
    expect(items[1]!.score).to.equal(3);
  });

  it('matches a mixed query of Latin and Chinese words', async () => {
    const user = await createUser();
    const word = `hp${uid()}`;
    const { ids: [both, chineseOnly, latinOnly], category } = await entries(user, [
      { problem: `${word} 打印机卡纸`, solution: 'x' },
      { problem: '复印机卡纸', solution: 'x' },
      { problem: `${word} toner`, solution: 'x' },
    ]);
    const { items } = await list(user, { q: `${word}卡纸`, category });
    // both words first; the two matching one word each tie, and the newer comes first
    expect(items.map((i) => i.id)).to.deep.equal([both, latinOnly, chineseOnly]);
    expect(items.map((i) => i.score)).to.deep.equal([6, 3, 3]);
  });
});

describe('GET /api/v1/knowledge (lists and filters)', () => {
  it('lists by how often entries solved cases, then newest, keyset-paged', async () => {
    const user = await createUser();
    const { ids: [a, b, c, d], category } = await entries(user, [
      { problem: 'a', solution: 's' }, { problem: 'b', solution: 's' }, { problem: 'c', solution: 's' }, { problem: 'd', solution: 's' },
    ]);
    await setUses(b!, 3);
    await setUses(c!, 1);
    const first = await list(user, { category, limit: 3 });
    expect(first.items.map((i) => i.id)).to.deep.equal([b, c, d]);
    expect(first.items.every((i) => !('score' in i)), 'no score without q').to.equal(true);
    const second = await list(user, { category, limit: 3, cursor: first.nextCursor! });
    expect(second.items.map((i) => i.id)).to.deep.equal([a]);
    expect(second.nextCursor).to.equal(null);
  });

  it('filters by tag and by category whatever their case', async () => {
    const user = await createUser();
    const tag = `Tag-${uid()}`;
    const { ids: [tagged], category } = await entries(user, [{ problem: 'x', solution: 's', tags: [tag] }, { problem: 'y', solution: 's' }]);
    expect((await list(user, { tag: tag.toUpperCase() })).items.map((i) => i.id)).to.deep.equal([tagged]);
    expect((await list(user, { category: category.toUpperCase() })).items).to.have.length(2);
    expect((await list(user, { category, tag: 'absent-tag' })).items).to.deep.equal([]);
  });

  it('refuses bad query input with 400', async () => {
    const user = await createUser();
    for (const query of ['limit=0', 'limit=201', 'archived=maybe', `q=${'x'.repeat(201)}`, 'cursor=%21%21', 'unknown=1']) {
      expectProblem(await api().get(`/api/v1/knowledge?${query}`).set(bearer(user)), 400);
    }
    // a ranked list's cursor is not a plain list's
    const ranked = Buffer.from(JSON.stringify({ o: 2 })).toString('base64url');
    expectProblem(await api().get(`/api/v1/knowledge?cursor=${ranked}`).set(bearer(user)), 400);
  });
});

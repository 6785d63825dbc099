import { expect } from 'chai';
import { Types } from 'mongoose';
import { GiftModel } from '../../models/gift.ts';
import { GiftUsageModel } from '../../models/gift-allowance.ts';
import { loadDemoGifts, type DemoPeople } from '../../server/demo-gifts.ts';
import { createUser, type TestUser } from '../factories.ts';
import { makeCustomer } from '../gifts.ts';

// The demo gifts, given through the use case at a clock of their own (March 2033): within the default allowances, one
// waiting for approval, one approved beyond them, one reversed; the allowances agree with the ledger; loaded once.

const as = (u: TestUser, name: string) => ({ id: u.id, email: u.email, name, role: u.role, team: u.team });

describe('demo gifts', () => {
  it('gives gifts within and beyond the allowances, one waiting, once', async () => {
    const [anna, ben, chen] = await Promise.all([1, 2, 3].map(() => createUser({ role: 'manager' })));
    const exec = await createUser({ role: 'executive' });
    for (const u of [anna!, ben!, chen!]) for (let i = 0; i < 3; i++) await makeCustomer(u);
    const people: DemoPeople = { anna: as(anna!, 'Anna'), ben: as(ben!, 'Ben'), chen: as(chen!, 'Chen'), exec: as(exec, 'Erin') };
    const now = Date.parse('2033-03-20T12:00:00Z');
    expect(await loadDemoGifts('UTC', people, now)).to.equal(9);
    const giverIds = [anna!, ben!, chen!].map((u) => new Types.ObjectId(u.id));
    const entries = await GiftModel.find({ giverId: { $in: giverIds } }).lean();
    const count = (f: (e: (typeof entries)[number]) => boolean) => entries.filter(f).length;
    expect(count((e) => e.status === 'pending_approval')).to.equal(1);
    expect(count((e) => e.status === 'approved' && e.kind === 'gift')).to.equal(1);
    expect(count((e) => e.kind === 'reversal')).to.equal(1);
    expect(new Set(entries.map((e) => e.month))).to.deep.equal(new Set(['2033-02', '2033-03']));
    for (const usage of await GiftUsageModel.find({ userId: { $in: giverIds } }).lean()) {
      const applied = entries.filter((e) => String(e.giverId) === String(usage.userId) && e.month === usage.month && e.currency === usage.currency && e.status === 'applied');
      expect(usage.spent, usage.key).to.equal(applied.reduce((sum, e) => sum + e.cost, 0));
    }
    expect(await loadDemoGifts('UTC', people, now)).to.equal(0);
  });
});

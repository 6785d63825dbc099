import { expect } from 'chai';
import { Types } from 'mongoose';
import { GiftModel, monthIn } from '../../models/gift.ts';
import { GiftUsageModel } from '../../models/gift-allowance.ts';
import { NotificationModel } from '../../models/notification.ts';
import { api, bearer, createUser, type TestUser } from '../factories.ts';
import { giftBody, give, makeCustomer, setAllowances } from '../gifts.ts';
import { TRIALS, oneWinner, trials } from '../race.ts';
import { config } from '../setup.ts';

// Gifts given at the same moment by one person: never more than the allowance is applied, whatever the order the
// requests land in, and the stored ledger and the allowance's usage agree. Decisions and reversals raced too.

const LIMIT = 1_000;
const PARALLEL = 10;

type Gift = { id: string; status: string; cost: number };

/** The giver's USD usage this month and their applied entries, checked against each other and the allowance. */
async function expectLedgerAgrees(giver: TestUser) {
  const month = monthIn(config.timezone, new Date());
  const usage = await GiftUsageModel.findOne({ key: `${giver.id}:${month}:USD` }).lean();
  const applied = await GiftModel.find({ giverId: new Types.ObjectId(giver.id), currency: 'USD', status: 'applied' }).lean();
  const net = applied.reduce((sum, g) => sum + g.cost, 0);
  expect(usage?.spent ?? 0, 'usage = applied gifts less reversals').to.equal(net);
  expect(net, 'within the allowance').to.be.at.most(LIMIT);
  const taken = (usage?.taken ?? []).map((t) => t.split(':')[0]);
  expect([...taken].sort(), 'the gifts that took from the allowance are the applied ones').to.deep.equal(applied.filter((g) => g.kind === 'gift').map((g) => String(g._id)).sort());
  return net;
}

describe('gift races', function () {
  this.timeout(300_000);
  let admin: TestUser;
  let givers: TestUser[];
  let customerOf: Map<string, string>;
  before(async () => {
    admin = await createUser({ role: 'admin' });
    givers = await Promise.all(Array.from({ length: TRIALS * 3 }, () => createUser({ role: 'manager' })));
    customerOf = new Map(await Promise.all(givers.map(async (g) => [g.id, String((await makeCustomer(g))._id)] as [string, string])));
    await setAllowances(admin, givers.map((user) => ({ user, allowances: { USD: LIMIT } })));
  });
  const giverFor = (set: number, i: number) => givers[set * TRIALS + i]!;

  it(`applies ${PARALLEL} gifts given at once only as far as the allowance holds them, ${TRIALS} times`, async () => {
    await trials(async (i) => {
      const giver = giverFor(0, i);
      // costs that fit in different ways: 300s, 250s and a 400 that fits only if it lands early
      const costs = Array.from({ length: PARALLEL }, (_, k) => [300, 250, 400, 100][(k + i) % 4]!);
      const answers = await Promise.all(costs.map((cost) => give(giver, giftBody(customerOf.get(giver.id), { cost }))));
      expect(answers.map((r) => r.status)).to.deep.equal(costs.map(() => 201));
      const gifts = answers.map((r) => r.body as Gift);
      const applied = gifts.filter((g) => g.status === 'applied').reduce((sum, g) => sum + g.cost, 0);
      const spent = await expectLedgerAgrees(giver);
      expect(applied).to.equal(spent);
      // the allowance only grew during the race, so a gift sent to approval did not fit at the end either
      for (const g of gifts.filter((x) => x.status === 'pending_approval')) expect(g.cost, `pending ${g.cost} with ${LIMIT - spent} left`).to.be.above(LIMIT - spent);
    });
  });

  it(`reverses a gift once when two reversals come at once, giving its cost back once, ${TRIALS} times`, async () => {
    await trials(async (i) => {
      const giver = giverFor(1, i);
      const gift = (await give(giver, giftBody(customerOf.get(giver.id), { cost: 600 })).expect(201)).body as Gift;
      const answers = await Promise.all([giver, admin].map((by) => api().post(`/api/v1/gifts/${gift.id}/reverse`).set(bearer(by)).send({ reason: `by ${by.role}` })));
      oneWinner(answers, 201, 409);
      expect(await GiftModel.countDocuments({ reversesId: gift.id })).to.equal(1);
      expect(await expectLedgerAgrees(giver)).to.equal(0);
    });
  });

  it(`gives a reversed cost back while new gifts race for it, never beyond the allowance, ${TRIALS} times`, async () => {
    await trials(async (i) => {
      const giver = giverFor(2, i);
      const customerId = customerOf.get(giver.id);
      const full = (await give(giver, giftBody(customerId, { cost: LIMIT })).expect(201)).body as Gift;
      await Promise.all([
        api().post(`/api/v1/gifts/${full.id}/reverse`).set(bearer(giver)).send({ reason: 'wrong amount' }).expect(201),
        ...[400, 400, 400].map((cost) => give(giver, giftBody(customerId, { cost })).expect(201)),
      ]);
      expect(await expectLedgerAgrees(giver)).to.be.at.most(800);
    });
  });

  it(`decides a waiting gift once when an approval and a rejection come at once, ${TRIALS} times`, async () => {
    const executive = await createUser({ role: 'executive' });
    const giver = givers[0]!;
    await trials(async () => {
      const gift = (await give(giver, giftBody(customerOf.get(giver.id), { cost: LIMIT + 1 })).expect(201)).body as Gift;
      const answers = await Promise.all([
        api().post(`/api/v1/gifts/${gift.id}/approve`).set(bearer(executive)).send({}),
        api().post(`/api/v1/gifts/${gift.id}/reject`).set(bearer(admin)).send({ comment: 'no' }),
      ]);
      const { winner, index } = oneWinner(answers, 200, 409);
      const stored = await GiftModel.findById(gift.id).lean();
      expect(stored!.status).to.equal(index === 0 ? 'approved' : 'rejected');
      expect(winner.body.status).to.equal(stored!.status);
      expect(String(stored!.decidedById)).to.equal(index === 0 ? executive.id : admin.id);
      expect(await NotificationModel.countDocuments({ key: `gift.decided:${gift.id}` })).to.equal(1);
    });
  });
});

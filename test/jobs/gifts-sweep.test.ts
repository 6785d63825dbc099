import { expect } from 'chai';
import { Types } from 'mongoose';
import { define, handler, name } from '../../jobs/gifts-sweep.ts';
import { GiftModel } from '../../models/gift.ts';
import { GiftUsageModel } from '../../models/gift-allowance.ts';
import { NotificationModel } from '../../models/notification.ts';
import { createUser, recordingAgenda, type TestUser } from '../factories.ts';
import { makeCustomer } from '../gifts.ts';

// gifts.sweep finishes what a request that stopped midway left: run directly against the database, twice, to show
// each effect happens once.

const HOUR = 3_600_000;

/** A ledger entry written straight to the database, as a request would have before it stopped. */
async function entry(giver: TestUser, customerId: Types.ObjectId, fields: Record<string, unknown>) {
  const _id = new Types.ObjectId();
  return GiftModel.create({
    _id, key: `gift:${String(_id)}`, kind: 'gift', customerId, item: 'Flowers', cost: 500, currency: 'USD', reasonCategory: 'apology',
    reason: 'Late', month: '2031-03', status: 'applied', giverId: giver.id, giverName: 'Giver', giverTeam: 'North', byId: giver.id, byName: 'Giver',
    createdAt: new Date(), ...fields,
  });
}

describe('jobs/gifts-sweep', () => {
  it('registers its handler under its name', () => {
    const { agenda, calls } = recordingAgenda();
    define(agenda);
    expect(calls.define![0]).to.equal(name);
  });

  it('notifies the deciders of a waiting gift and the giver of a decision once, however often it runs', async () => {
    const giver = await createUser({ role: 'manager' });
    const executive = await createUser({ role: 'executive' });
    const customer = await makeCustomer(giver);
    const now = new Date();
    const waiting = await entry(giver, customer._id, { status: 'pending_approval', createdAt: now });
    const decided = await entry(giver, customer._id, { status: 'rejected', decidedById: executive.id, decidedByName: 'Exec', decidedAt: now, decisionComment: 'No' });
    const first = await handler({ now: now.toISOString() });
    expect(first.notified).to.be.at.least(2);
    expect(await NotificationModel.countDocuments({ key: `gift.approval:${String(waiting._id)}:${executive.id}` })).to.equal(1);
    expect(await NotificationModel.countDocuments({ key: `gift.approval:${String(waiting._id)}:${giver.id}` })).to.equal(0);
    const told = await NotificationModel.findOne({ key: `gift.decided:${String(decided._id)}` }).lean();
    expect(told).to.include({ kind: 'gift.decided', title: `Your gift Flowers for ${customer.name} was rejected`, body: 'Exec: No' });
    expect(String(told!.userId)).to.equal(giver.id);
    const ofThese = () => NotificationModel.countDocuments({ 'data.giftId': { $in: [String(waiting._id), String(decided._id)] } });
    const count = await ofThese();
    const again = await handler({ now: now.toISOString() });
    expect(again.notified).to.equal(0);
    expect(await ofThese()).to.equal(count);
  });

  it('returns the allowance a gift took but never wrote to the ledger, once, and only after an hour', async () => {
    const giver = await createUser({ role: 'manager' });
    const customer = await makeCustomer(giver);
    const now = new Date();
    const written = await entry(giver, customer._id, { month: now.toISOString().slice(0, 7), cost: 300 });
    const lost = Types.ObjectId.createFromTime(Math.floor((now.getTime() - 2 * HOUR) / 1000));
    const recent = Types.ObjectId.createFromTime(Math.floor((now.getTime() - 60_000) / 1000));
    const key = `${giver.id}:${now.toISOString().slice(0, 7)}:USD`;
    await GiftUsageModel.create({
      key, userId: giver.id, month: now.toISOString().slice(0, 7), currency: 'USD', spent: 300 + 200 + 100,
      taken: [`${String(written._id)}:300`, `${String(lost)}:200`, `${String(recent)}:100`],
    });
    const first = await handler({ now: now.toISOString() });
    expect(first.returned).to.be.at.least(1);
    const after = await GiftUsageModel.findOne({ key }).lean();
    expect(after).to.deep.include({ spent: 400, taken: [`${String(written._id)}:300`, `${String(recent)}:100`] });
    await handler({ now: now.toISOString() });
    expect((await GiftUsageModel.findOne({ key }).lean())!.spent).to.equal(400);
  });

  it('gives back the cost of an applied gift whose reversal was written but not given back, once', async () => {
    const giver = await createUser({ role: 'manager' });
    const customer = await makeCustomer(giver);
    const now = new Date();
    const month = now.toISOString().slice(0, 7);
    const gift = await entry(giver, customer._id, { month, cost: 800 });
    await entry(giver, customer._id, { key: `reversal:${String(gift._id)}`, kind: 'reversal', month, cost: -800, reversesId: gift._id, createdAt: now });
    const key = `${giver.id}:${month}:USD`;
    await GiftUsageModel.create({ key, userId: giver.id, month, currency: 'USD', spent: 800, taken: [`${String(gift._id)}:800`] });
    await handler({ now: now.toISOString() });
    expect(await GiftUsageModel.findOne({ key }).lean()).to.deep.include({ spent: 0, returned: [String(gift._id)] });
    await handler({ now: now.toISOString() });
    expect((await GiftUsageModel.findOne({ key }).lean())!.spent).to.equal(0);
  });
});

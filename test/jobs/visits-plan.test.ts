import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import { CustomerModel, nameKeyOf } from '../../models/customer.ts';
import { defaultPolicyRules, savePolicy } from '../../models/tier-policy.ts';
import { VisitModel } from '../../models/visit.ts';
import { define, handler, name, schedule } from '../../jobs/visits-plan.ts';
import { createUser, recordingAgenda } from '../factories.ts';

const DAY = 24 * 60 * 60 * 1000;

async function makeCustomer(ownerId: string, fields: Record<string, unknown>) {
  const customerName = `Plan Job Co ${randomUUID().slice(0, 8)}`;
  return CustomerModel.create({ code: `VP-${randomUUID().slice(0, 12)}`, name: customerName, nameKey: nameKeyOf(customerName), ownerId, ...fields });
}

describe(`job ${name}`, () => {
  before(async () => {
    await savePolicy(defaultPolicyRules, 'visits.plan tests', { id: new Types.ObjectId().toString(), name: 'visits.plan test' });
  });

  it('creates the missing cadence visits, cancels the archived customer\'s, and creates nothing on a second run', async () => {
    const owner = await createUser({ role: 'manager' });
    const tiered = await makeCustomer(owner.id, { tier: 'S', tierUpdatedAt: new Date('2026-05-01T00:00:00Z'), status: 'lost' });
    const untiered = await makeCustomer(owner.id, {});
    const archived = await makeCustomer(owner.id, { tier: 'B', tierUpdatedAt: new Date() });
    await handler();
    await CustomerModel.updateOne({ _id: archived._id }, { $set: { archived: true, archivedAt: new Date() } });
    const mine = [tiered._id, untiered._id, archived._id];
    const first = await handler();
    expect(first.cancelled).to.be.at.least(1);
    const visits = await VisitModel.find({ customerId: { $in: mine } }).lean();
    const of = (id: Types.ObjectId) => visits.filter((v) => String(v.customerId) === String(id));
    expect(of(tiered._id).map((v) => [v.status, v.dueAt.toISOString()])).to.deep.equal([['scheduled', new Date(Date.parse('2026-05-01T00:00:00Z') + 30 * DAY).toISOString()]]);
    expect(of(untiered._id).map((v) => [v.status, v.dueAt.getTime()])).to.deep.equal([['scheduled', untiered.createdAt.getTime() + 180 * DAY]]);
    expect(of(archived._id).map((v) => [v.status, v.reason])).to.deep.equal([['cancelled', 'customer archived']]);

    const second = await handler();
    expect(second).to.deep.equal({ created: 0, moved: 0, cancelled: 0 });
    expect(await VisitModel.find({ customerId: { $in: mine } }).lean()).to.deep.equal(visits);
  });

  it('registers its handler and an hourly schedule', async () => {
    const { agenda, calls } = recordingAgenda();
    define(agenda);
    expect(calls.define![0]).to.equal(name);
    await schedule(agenda);
    expect(calls.every![1]).to.equal(name);
  });
});

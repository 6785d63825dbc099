import { expect } from 'chai';
import { Types } from 'mongoose';
import { CustomerModel } from '../../models/customer.ts';
import { TierApprovalModel, TierChangeModel } from '../../models/tier-change.ts';
import { defaultPolicyRules, savePolicy } from '../../models/tier-policy.ts';
import { define, handler, name, schedule } from '../../jobs/tiers.ts';
import { testConfig } from '../setup.ts';
import { api, bearer, createCustomer, createUser, recordingAgenda } from '../factories.ts';

// The job rescores the whole book, so these tests assert on their own customers only and on the run being idempotent.

const DAY = 86_400_000;
const stored = async (id: string) => (await CustomerModel.findById(id).lean())!;
const history = (id: string) => TierChangeModel.find({ customerId: id }).sort({ at: 1, key: 1 }).lean();
// Under the default policy: potential 10M gives 25 points, strategic value 5 gives 20: 45, tier B; value 1 alone: C.
const inputsB = { potential: 1_000_000_000, strategicValue: 5 };

describe(`job ${name}`, () => {
  let admin: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    admin = await createUser({ role: 'admin' });
    await savePolicy(defaultPolicyRules, 'job tests', { id: admin.id, name: 'Test admin' });
  });

  it('rescores under the current policy, and a second run writes and records nothing', async () => {
    const owner = await createUser();
    const customer = await createCustomer(owner, { tierInputs: inputsB });
    // Raw: inputs changed behind the routes' back, as a data fix would.
    await CustomerModel.updateOne({ _id: customer.id }, { $set: { 'tierInputs.strategicValue': 1, 'tierInputs.potential': 0 } });
    const first = await handler({});
    expect(first.scanned).to.be.at.least(1);
    expect(await stored(customer.id)).to.include({ tier: 'C', tierSource: 'computed', tierScore: 0 });
    expect((await history(customer.id)).map((h) => [h.from, h.to, h.reason.split(';')[0]])).to.deep.equal([[null, 'B', 'new customer'], ['B', 'C', 'reclassification']]);

    const changes = await TierChangeModel.countDocuments({});
    const approvals = await TierApprovalModel.countDocuments({});
    const again = await handler({});
    expect(again).to.include({ rescored: 0, changed: 0, requested: 0, tiersCaughtUp: 0, approvalsFinished: 0 });
    expect(await TierChangeModel.countDocuments({})).to.equal(changes);
    expect(await TierApprovalModel.countDocuments({})).to.equal(approvals);
  });

  it('finishes a change that was recorded but never reached its customer (a crash between the two writes)', async () => {
    const owner = await createUser();
    const customer = await createCustomer(owner, { tierInputs: inputsB });
    const before = await stored(customer.id);
    // The record of revision 2 exists, the customer still shows revision 1.
    await TierChangeModel.create({
      key: `${customer.id}:${before.tierRevision + 1}`, customerId: customer.id, from: 'B', to: 'C', score: 45, policyVersion: before.tierPolicyVersion,
      source: 'override', reason: 'crashed halfway', byId: null, byName: 'tier classification', at: new Date(),
    });
    const result = await handler({});
    expect(result.tiersCaughtUp).to.be.at.least(1);
    const after = await stored(customer.id);
    expect(after.tierRevision).to.be.at.least(before.tierRevision + 1);
    // Once caught up, the rules apply again: with no override the computed B comes back, recorded as a new revision.
    expect(after.tier).to.equal('B');
    const keys = (await history(customer.id)).map((h) => h.key);
    expect(new Set(keys).size).to.equal(keys.length);
    expect((await history(customer.id)).map((h) => h.to)).to.deep.equal(['B', 'C', 'B']);
  });

  it('applies an approval that was decided but never applied', async () => {
    const owner = await createUser();
    const customer = await createCustomer(owner, { tierInputs: inputsB });
    const approval = await TierApprovalModel.create({
      key: `${customer.id}:manual`, customerId: customer.id, from: 'B', to: 'A', source: 'override', score: 45, policyVersion: 1,
      reason: 'pilot partner', override: { tier: 'A', reason: 'pilot partner', expiresAt: null }, requestedById: owner.id,
      requestedByName: 'Owner', requestedAt: new Date(), status: 'approved', decidedById: admin.id, decidedByName: 'Test admin', decidedAt: new Date(),
    });
    const result = await handler({});
    expect(result.approvalsFinished).to.be.at.least(1);
    expect(await stored(customer.id)).to.include({ tier: 'A', tierSource: 'override' });
    expect((await TierApprovalModel.findById(approval._id).lean())!.appliedAt).to.be.an.instanceOf(Date);
    const last = (await history(customer.id)).at(-1)!;
    expect(last).to.include({ from: 'B', to: 'A', source: 'override' });
    expect(String(last.approvalId)).to.equal(String(approval._id));
    expect((await handler({})).approvalsFinished, 'applied once').to.equal(0);
  });

  it('frees the pending slot a closed approval still holds (a crash between the two steps of superseding)', async () => {
    const owner = await createUser();
    const customer = await createCustomer(owner, { tierInputs: inputsB });
    const stale = await TierApprovalModel.create({
      key: customer.id, customerId: customer.id, from: 'B', to: 'A', source: 'computed', score: 61, policyVersion: 1, reason: 'old',
      requestedByName: 'tier classification', requestedAt: new Date(), status: 'superseded', decidedAt: new Date(),
    });
    // Enough for A under the default policy: 10M potential (25), value 5 (20), a 5M win (30) and loyalty (2.5) = 77.5.
    const deal = await api().post(`/api/v1/customers/${customer.id}/projects`).set(bearer(owner)).send({ name: 'Big deal', stage: 'won', value: 500_000_000 }).expect(201);
    const pending = await TierApprovalModel.find({ customerId: customer.id, status: 'pending' }).lean();
    expect(pending.map((a) => [a.from, a.to, a.key])).to.deep.equal([['B', 'A', customer.id]]);
    expect((await TierApprovalModel.findById(stale._id).lean())!.key).to.equal(`${customer.id}:${stale._id}`);
    await api().delete(`/api/v1/projects/${deal.body.id}`).set(bearer(owner)).expect(204);
    expect((await TierApprovalModel.findById(pending[0]!._id).lean())!.status, 'settled once the score no longer asks for A').to.equal('superseded');
  });

  it('lets an override lapse at asOf and falls back to the computed tier', async () => {
    const owner = await createUser();
    const customer = await createCustomer(owner, { tierInputs: inputsB });
    await CustomerModel.updateOne({ _id: customer.id }, { $set: {
      tier: 'C', tierSource: 'override',
      tierOverride: { tier: 'C', reason: 'quiet quarter', byId: new Types.ObjectId(owner.id), byName: 'Owner', at: new Date(), expiresAt: new Date(Date.now() + 2 * DAY) },
    } });
    await handler({});
    expect(await stored(customer.id)).to.include({ tier: 'C', tierSource: 'override' });
    await handler({ asOf: new Date(Date.now() + 3 * DAY).toISOString() });
    const after = await stored(customer.id);
    expect(after).to.include({ tier: 'B', tierSource: 'computed', tierOverride: null });
    expect((await history(customer.id)).at(-1)!.reason).to.include('the override expired');
    await handler({}); // back to today for every customer the future run touched (revenue window, loyalty)
    let error: unknown;
    await handler({ asOf: 'someday' }).catch((e: unknown) => { error = e; });
    expect(String(error)).to.include('asOf');
  });

  it('is defined on Agenda and scheduled on TIER_CRON in TZ', async () => {
    const { agenda: fake, calls } = recordingAgenda();
    define(fake);
    await schedule(fake, testConfig({ TIER_CRON: '15 3 * * 1-5', TZ: 'Asia/Shanghai' }));
    expect(calls.define![0]).to.equal(name);
    expect(calls.every).to.deep.equal(['15 3 * * 1-5', name, { reason: 'nightly reclassification' }, { timezone: 'Asia/Shanghai' }]);
    expect(() => testConfig({ TZ: 'Mars/Olympus' })).to.throw(/TZ must be an IANA time zone/);
    expect(() => testConfig({ TIER_CRON: 'nightly' })).to.throw(/TIER_CRON must be a five-field cron/);
  });
});

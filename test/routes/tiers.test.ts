import { expect } from 'chai';
import { CustomerModel } from '../../models/customer.ts';
import { TierApprovalModel, TierChangeModel } from '../../models/tier-change.ts';
import { defaultPolicyRules, savePolicy, type PolicyRules } from '../../models/tier-policy.ts';
import { rescore } from '../../models/tiering.ts';
import { api, bearer, createCustomer, createUser, expectProblem } from '../factories.ts';

// A policy in which strategicValue and potential decide the tier, so a test picks a tier through tierInputs:
// strategicValue 5 alone is 45 (B), 2 alone is 11.3 (C); with potential 500k it is 67.5 (A); with 1M, 90 (S).
const rules: PolicyRules = {
  ...defaultPolicyRules,
  criteria: [
    { key: 'potential', weight: 45, scale: { kind: 'linear', min: 0, max: 1_000_000 } },
    { key: 'strategicValue', weight: 45, scale: { kind: 'linear', min: 1, max: 5 } },
    { key: 'revenue12m', weight: 4, scale: { kind: 'bands', bands: [{ min: 1, points: 100 }] } },
    { key: 'relationship', weight: 3, scale: { kind: 'linear', min: 0, max: 10 } },
    { key: 'loyalty', weight: 3, scale: { kind: 'bands', bands: [{ min: 0, points: 100 }] } },
  ],
};
const inputsFor = { S: { strategicValue: 5, potential: 1_000_000 }, A: { strategicValue: 5, potential: 500_000 }, B: { strategicValue: 5 }, C: { strategicValue: 2 } };

const tierUrl = (id: string) => `/api/v1/customers/${id}/tier`;
const overrideUrl = (id: string) => `${tierUrl(id)}/override`;
const stored = async (id: string) => (await CustomerModel.findById(id).lean())!;
const changes = (id: string) => TierChangeModel.find({ customerId: id }).sort({ at: 1, _id: 1 }).lean();
const approvals = (id: string) => TierApprovalModel.find({ customerId: id }).sort({ requestedAt: 1, _id: 1 }).lean();

/** Moves the customer's inputs straight in the database, then rescoring as a change of inputs would. */
async function setInputs(id: string, tierInputs: Record<string, number>) {
  await CustomerModel.updateOne({ _id: id }, { $set: { tierInputs } });
  return rescore(id, 'test');
}

let policyVersion = 0;

async function world(tier: keyof typeof inputsFor = 'B') {
  const owner = await createUser({ role: 'manager', team: 'Tiers' });
  const member = await createUser({ role: 'manager', team: 'Tiers' });
  const stranger = await createUser({ role: 'manager', team: 'Elsewhere' });
  const executive = await createUser({ role: 'executive' });
  const admin = await createUser({ role: 'admin' });
  const customer = await createCustomer(owner, { accountTeam: [member.id], tierInputs: inputsFor[tier] });
  return { owner, member, stranger, executive, admin, customer };
}

describe('tiers', () => {
  before(async () => {
    policyVersion = (await savePolicy(rules, 'tiers route tests', { id: '0123456789abcdef01234567', name: 'test' })).version;
  });

  describe('GET /api/v1/customers/:id/tier', () => {
    it('shows a new customer scored under the policy, with a line per criterion and missing inputs flagged', async () => {
      const w = await world('B');
      await rescore(w.customer.id, 'test');
      const res = await api().get(tierUrl(w.customer.id)).set(bearer(w.owner)).expect(200);
      expect(res.body).to.include({ customerId: w.customer.id, tier: 'B', tierSource: 'computed', score: 45, computedTier: 'B', policyVersion });
      expect(res.body.override).to.equal(null);
      expect(res.body.pendingApproval).to.equal(null);
      expect(res.body.scoredAt).to.be.a('string');
      expect(res.body.breakdown.map((l: { criterion: string }) => l.criterion)).to.deep.equal(rules.criteria.map((c) => c.key));
      const line = Object.fromEntries(res.body.breakdown.map((l: { criterion: string }) => [l.criterion, l]));
      expect(line.strategicValue).to.deep.equal({ criterion: 'strategicValue', input: 5, points: 100, weight: 45, contribution: 45 });
      expect(line.revenue12m).to.deep.equal({ criterion: 'revenue12m', input: 0, points: 0, weight: 4, contribution: 0 });
      for (const key of ['potential', 'relationship', 'loyalty']) {
        expect(line[key], key).to.include({ input: null, points: 0, contribution: 0 });
        expect(line[key].missing, key).to.be.a('string').and.not.equal('');
      }
      expect(res.body.history).to.have.length(1);
      expect(res.body.history[0]).to.deep.include({ from: null, to: 'B', score: 45, policyVersion, source: 'computed', approvalId: null });
      expect(res.body.history[0].by).to.deep.equal({ id: null, name: 'tier classification' });
      const customer = await stored(w.customer.id);
      expect(customer).to.include({ tier: 'B', tierScore: 45, tierComputed: 'B', tierSource: 'computed', tierPolicyVersion: policyVersion });
      expect(res.body.updatedAt).to.equal(customer.tierUpdatedAt!.toISOString());

      expectProblem(await api().get(tierUrl(w.customer.id)).set(bearer(w.stranger)), 404);
      const seen = await api().get(tierUrl(w.customer.id)).set(bearer(w.executive)).expect(200);
      expect(seen.body).to.deep.equal(res.body);
      expectProblem(await api().get(tierUrl('0123456789abcdef01234567')).set(bearer(w.admin)), 404);
      expectProblem(await api().get(tierUrl(w.customer.id)), 401);
    });

    it('answers the same shape with nulls for a customer never scored', async () => {
      const w = await world('B');
      await CustomerModel.updateOne({ _id: w.customer.id }, {
        $set: { tier: null, tierScore: null, tierComputed: null, tierPolicyVersion: null, tierScoredAt: null, tierSource: null, tierUpdatedAt: null },
        $unset: { tierBreakdown: 1 },
      });
      await TierChangeModel.deleteMany({ customerId: w.customer.id });
      const res = await api().get(tierUrl(w.customer.id)).set(bearer(w.member)).expect(200);
      expect(res.body).to.deep.equal({
        customerId: w.customer.id, tier: null, tierSource: null, score: null, computedTier: null, policyVersion: null, scoredAt: null,
        updatedAt: null, breakdown: [], override: null, pendingApproval: null, history: [],
      });
      expect((await stored(w.customer.id)).tier, 'reading does not score').to.equal(null);
    });
  });

  describe('computed moves', () => {
    it('applies B <-> C at once and records each move; rescoring again records nothing', async () => {
      const w = await world('B');
      expect(await setInputs(w.customer.id, inputsFor.C)).to.include({ changed: 1 });
      expect(await stored(w.customer.id)).to.include({ tier: 'C', tierComputed: 'C', tierScore: 11.3, tierSource: 'computed' });
      let history = await changes(w.customer.id);
      expect(history).to.have.length(2);
      expect(history[1]).to.include({ from: 'B', to: 'C', source: 'computed', score: 11.3, policyVersion, byId: null, byName: 'tier classification' });
      expect(history[1]!.reason).to.include('test');

      expect(await rescore(w.customer.id, 'test')).to.include({ changed: 0, rescored: 0, requested: 0 });
      expect(await changes(w.customer.id)).to.have.length(2);

      await setInputs(w.customer.id, inputsFor.B);
      history = await changes(w.customer.id);
      expect(history.map((h) => [h.from, h.to])).to.deep.equal([[null, 'B'], ['B', 'C'], ['C', 'B']]);
      expect(await approvals(w.customer.id)).to.have.length(0);
      expect((await stored(w.customer.id)).tierRevision).to.equal(3);
    });
  });

  describe('approvals of key-tier moves', () => {
    it('starts a customer scored into A at B with a request, which an executive approves once', async () => {
      const w = await world('A');
      await rescore(w.customer.id, 'test');
      expect(await stored(w.customer.id)).to.include({ tier: 'B', tierComputed: 'A', tierScore: 67.5 });
      const [pending, ...others] = await approvals(w.customer.id);
      expect(others).to.have.length(0);
      expect(pending).to.include({ status: 'pending', from: 'B', to: 'A', source: 'computed', policyVersion });
      const view = (await api().get(tierUrl(w.customer.id)).set(bearer(w.owner)).expect(200)).body;
      expect(view.pendingApproval).to.include({ id: String(pending!._id), status: 'pending', from: 'B', to: 'A', customerId: w.customer.id });

      const approveUrl = `/api/v1/tier-approvals/${String(pending!._id)}/approve`;
      expectProblem(await api().post(approveUrl).set(bearer(w.owner)).send({}), 403);
      expect((await TierApprovalModel.findById(pending!._id).lean())!.status).to.equal('pending');

      const res = await api().post(approveUrl).set(bearer(w.executive)).send({ comment: 'good growth' }).expect(200);
      expect(res.body).to.include({ id: String(pending!._id), status: 'approved', decidedById: w.executive.id, comment: 'good growth' });
      expect(res.body.appliedAt).to.be.a('string');
      expect(res.body.customer).to.deep.equal({ id: w.customer.id, code: w.customer.code, name: w.customer.name, tier: 'A' });
      expect(await stored(w.customer.id)).to.include({ tier: 'A', tierSource: 'computed' });
      const last = (await changes(w.customer.id)).at(-1)!;
      expect(last).to.include({ from: 'B', to: 'A', source: 'computed' });
      expect(String(last.approvalId)).to.equal(String(pending!._id));
      expect(String(last.byId)).to.equal(w.executive.id);
      const decided = (await TierApprovalModel.findById(pending!._id).lean())!;
      expect(decided).to.include({ status: 'approved' });
      expect(decided.appliedAt).to.be.instanceOf(Date);

      expectProblem(await api().post(approveUrl).set(bearer(w.admin)).send({}), 409);
      expect(await changes(w.customer.id)).to.have.length(2);
      expectProblem(await api().post('/api/v1/tier-approvals/0123456789abcdef01234567/approve').set(bearer(w.admin)).send({}), 404);
    });

    it('keeps the tier when rejected, and does not ask again for the same move under the same policy', async () => {
      const w = await world('A');
      const [pending] = await approvals(w.customer.id);
      const rejectUrl = `/api/v1/tier-approvals/${String(pending!._id)}/reject`;
      for (const body of [{}, { comment: 'no' }, { comment: 'x'.repeat(1001) }]) {
        const problem = expectProblem(await api().post(rejectUrl).set(bearer(w.executive)).send(body), 400);
        expect(problem.errors!.map((e) => e.field)).to.deep.equal(['comment']);
      }
      expectProblem(await api().post(rejectUrl).set(bearer(w.owner)).send({ comment: 'too early' }), 403);
      const res = await api().post(rejectUrl).set(bearer(w.executive)).send({ comment: 'too early to call it a partner' }).expect(200);
      expect(res.body).to.include({ status: 'rejected', comment: 'too early to call it a partner', appliedAt: null });
      expect((await stored(w.customer.id)).tier).to.equal('B');

      expect(await rescore(w.customer.id, 'test')).to.include({ requested: 0 });
      await setInputs(w.customer.id, { ...inputsFor.A, potential: 600_000 }); // a new score, still A
      expect((await approvals(w.customer.id)).map((a) => a.status)).to.deep.equal(['rejected']);
      expect((await stored(w.customer.id)).tier).to.equal('B');
      expect(await changes(w.customer.id)).to.have.length(1);
    });
  });

  describe('overrides', () => {
    it('applies an owner override B -> C at once, waits for approval into A, and applies an executive override into S', async () => {
      const w = await world('B');
      const res = await api().post(overrideUrl(w.customer.id)).set(bearer(w.owner)).send({ tier: 'C', reason: 'stalled relationship' }).expect(200);
      expect(res.body).to.include({ tier: 'C', tierSource: 'override', computedTier: 'B' });
      expect(res.body.override).to.include({ tier: 'C', reason: 'stalled relationship', byId: w.owner.id, expiresAt: null, active: true });
      let customer = await stored(w.customer.id);
      expect(customer).to.include({ tier: 'C', tierSource: 'override' });
      expect(customer.tierOverride).to.include({ tier: 'C', reason: 'stalled relationship' });
      expect(String(customer.tierOverride!.byId)).to.equal(w.owner.id);
      const last = (await changes(w.customer.id)).at(-1)!;
      expect(last).to.include({ from: 'B', to: 'C', source: 'override', reason: 'stalled relationship' });
      expect(String(last.byId)).to.equal(w.owner.id);

      const asked = await api().post(overrideUrl(w.customer.id)).set(bearer(w.owner)).send({ tier: 'A', reason: 'new framework deal' }).expect(202);
      expect(asked.body.status).to.equal('pending');
      expect(asked.body.approval).to.include({ status: 'pending', from: 'C', to: 'A', source: 'override', requestedById: w.owner.id, customerId: w.customer.id });
      expect(asked.headers.location).to.equal(`/api/v1/tier-approvals/${asked.body.approval.id}`);
      expect((await stored(w.customer.id)).tier).to.equal('C');
      expect(await changes(w.customer.id)).to.have.length(2);

      const set = await api().post(overrideUrl(w.customer.id)).set(bearer(w.executive)).send({ tier: 'S', reason: 'board decision' }).expect(200);
      expect(set.body).to.include({ tier: 'S', tierSource: 'override' });
      customer = await stored(w.customer.id);
      expect(customer).to.include({ tier: 'S', tierSource: 'override' });
      expect(customer.tierOverride).to.include({ tier: 'S', reason: 'board decision' });
      expect((await changes(w.customer.id)).at(-1)).to.include({ from: 'C', to: 'S', source: 'override' });
      expect((await TierApprovalModel.findById(asked.body.approval.id).lean())!.status).to.equal('superseded');
      expect(set.body.pendingApproval).to.equal(null);
    });

    it("puts an owner's approved override request on the customer as its override", async () => {
      const w = await world('B');
      const asked = await api().post(overrideUrl(w.customer.id)).set(bearer(w.owner)).send({ tier: 'A', reason: 'new framework deal' }).expect(202);
      const view = (await api().get(tierUrl(w.customer.id)).set(bearer(w.owner)).expect(200)).body;
      expect(view).to.include({ tier: 'B', tierSource: 'computed', override: null });
      expect(view.pendingApproval).to.include({ id: asked.body.approval.id, to: 'A', source: 'override' });
      const res = await api().post(`/api/v1/tier-approvals/${asked.body.approval.id}/approve`).set(bearer(w.admin)).expect(200);
      expect(res.body).to.include({ status: 'approved', decidedById: w.admin.id, comment: '' });
      const customer = await stored(w.customer.id);
      expect(customer).to.include({ tier: 'A', tierSource: 'override' });
      expect(customer.tierOverride).to.include({ tier: 'A', reason: 'new framework deal' });
      expect(String(customer.tierOverride!.byId)).to.equal(w.owner.id);
      const last = (await changes(w.customer.id)).at(-1)!;
      expect(last).to.include({ from: 'B', to: 'A', source: 'override' });
      expect(String(last.approvalId)).to.equal(asked.body.approval.id);
      // The override holds against the score (B) on the next rescore.
      expect(await rescore(w.customer.id, 'test')).to.include({ changed: 0, requested: 0 });
      expect((await stored(w.customer.id)).tier).to.equal('A');
    });

    it('refuses a team member who is not the owner (403), another team (404), and bad input (400), changing nothing', async () => {
      const w = await world('B');
      const before = { customer: await stored(w.customer.id), changes: await changes(w.customer.id), approvals: await approvals(w.customer.id) };
      expectProblem(await api().post(overrideUrl(w.customer.id)).set(bearer(w.member)).send({ tier: 'C', reason: 'member try' }), 403);
      expectProblem(await api().post(overrideUrl(w.customer.id)).set(bearer(w.stranger)).send({ tier: 'C', reason: 'stranger try' }), 404);
      const bad: Array<[Record<string, unknown>, string]> = [
        [{ tier: 'C' }, 'reason'],
        [{ tier: 'C', reason: 'no' }, 'reason'],
        [{ tier: 'C', reason: 'x'.repeat(501) }, 'reason'],
        [{ tier: 'C', reason: 'expired', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
        [{ tier: 'C', reason: 'not a date', expiresAt: 'tomorrow' }, 'expiresAt'],
        [{ tier: 'X', reason: 'unknown tier' }, 'tier'],
        [{ tier: { $ne: null }, reason: 'operator' }, 'tier'],
        [{ tier: 'C', reason: 'extra', byId: w.owner.id }, 'byId'],
      ];
      for (const [body, field] of bad) {
        const problem = expectProblem(await api().post(overrideUrl(w.customer.id)).set(bearer(w.executive)).send(body), 400);
        expect([...new Set(problem.errors!.map((e) => e.field))], JSON.stringify(body)).to.deep.equal([field]);
      }
      expectProblem(await api().delete(overrideUrl(w.customer.id)).set(bearer(w.member)), 403);
      expectProblem(await api().delete(overrideUrl(w.customer.id)).set(bearer(w.stranger)), 404);
      expect({ customer: await stored(w.customer.id), changes: await changes(w.customer.id), approvals: await approvals(w.customer.id) }).to.deep.equal(before);
    });

    it('falls back to the computed tier on the next rescore once the override has expired', async () => {
      const w = await world('B');
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const set = await api().post(overrideUrl(w.customer.id)).set(bearer(w.owner)).send({ tier: 'C', reason: 'quiet quarter', expiresAt }).expect(200);
      expect(set.body.override).to.include({ expiresAt, active: true });
      await CustomerModel.updateOne({ _id: w.customer.id }, { $set: { 'tierOverride.expiresAt': new Date(Date.now() - 60_000) } });
      const view = (await api().get(tierUrl(w.customer.id)).set(bearer(w.owner)).expect(200)).body;
      expect(view).to.include({ tier: 'C', tierSource: 'override' });
      expect(view.override).to.include({ tier: 'C', active: false });

      await rescore(w.customer.id, 'test');
      const customer = await stored(w.customer.id);
      expect(customer).to.include({ tier: 'B', tierSource: 'computed', tierOverride: null });
      const last = (await changes(w.customer.id)).at(-1)!;
      expect(last).to.include({ from: 'C', to: 'B', source: 'computed' });
      expect(last.reason).to.include('the override expired');
    });

    it('DELETE returns the customer to its computed tier through the rules, and 409 when there is no override', async () => {
      const w = await world('B');
      expectProblem(await api().delete(overrideUrl(w.customer.id)).set(bearer(w.owner)), 409);
      await api().post(overrideUrl(w.customer.id)).set(bearer(w.owner)).send({ tier: 'C', reason: 'quiet quarter' }).expect(200);
      const res = await api().delete(overrideUrl(w.customer.id)).set(bearer(w.owner)).expect(200);
      expect(res.body).to.include({ tier: 'B', tierSource: 'computed', override: null });
      expect(await stored(w.customer.id)).to.include({ tier: 'B', tierSource: 'computed', tierOverride: null });
      expect((await changes(w.customer.id)).map((h) => [h.from, h.to, h.source])).to.deep.equal([[null, 'B', 'computed'], ['B', 'C', 'override'], ['C', 'B', 'computed']]);
      expectProblem(await api().delete(overrideUrl(w.customer.id)).set(bearer(w.owner)), 409);

      // Out of a key tier, the way back waits for approval like any computed move.
      await api().post(overrideUrl(w.customer.id)).set(bearer(w.executive)).send({ tier: 'A', reason: 'pilot partner' }).expect(200);
      const back = await api().delete(overrideUrl(w.customer.id)).set(bearer(w.admin)).expect(200);
      expect(back.body).to.include({ tier: 'A', override: null });
      expect(back.body.pendingApproval).to.include({ from: 'A', to: 'B', source: 'computed', status: 'pending' });
      expect((await stored(w.customer.id)).tierOverride).to.equal(null);
    });

    it('an override of the tier the customer already has pins it, and removing it makes the tier computed again', async () => {
      const w = await world('B');
      await api().post(overrideUrl(w.customer.id)).set(bearer(w.owner)).send({ tier: 'B', reason: 'hold through the reorganisation' }).expect(200);
      expect(await stored(w.customer.id)).to.include({ tier: 'B', tierSource: 'override' });
      const res = await api().delete(overrideUrl(w.customer.id)).set(bearer(w.owner)).expect(200);
      expect(res.body).to.include({ tier: 'B', tierSource: 'computed', override: null });
      expect(await stored(w.customer.id)).to.include({ tier: 'B', tierSource: 'computed', tierOverride: null });
      expect((await changes(w.customer.id)).map((h) => [h.from, h.to]), 'the tier never changed').to.deep.equal([[null, 'B']]);
    });
  });

  describe('GET /api/v1/tier-approvals', () => {
    it('lists pending requests oldest first with their customer, to executives and admins only', async () => {
      const w = await world('A');
      const second = await createCustomer(w.owner, { tierInputs: inputsFor.S });
      const mine = [w.customer.id, second.id];
      const seen: Array<{ id: string; customerId: string; requestedAt: string; status: string; customer: Record<string, unknown> }> = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: typeof seen; nextCursor: string | null } } = await api().get('/api/v1/tier-approvals').query({ limit: 50, ...(cursor ? { cursor } : {}) }).set(bearer(w.executive)).expect(200);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen.every((a) => a.status === 'pending')).to.equal(true);
      expect(seen.map((a) => a.requestedAt)).to.deep.equal([...seen.map((a) => a.requestedAt)].sort());
      expect(new Set(seen.map((a) => a.id)).size).to.equal(seen.length);
      const ours = seen.filter((a) => mine.includes(a.customerId));
      expect(ours.map((a) => a.customerId)).to.deep.equal(mine);
      expect(ours[1]!.customer).to.deep.equal({ id: second.id, code: second.code, name: second.name, tier: 'B' });
      expect(ours[1]).to.include({ from: 'B', to: 'S' });

      const one = await api().get(`/api/v1/tier-approvals?customerId=${second.id}&status=pending`).set(bearer(w.admin)).expect(200);
      expect(one.body.items.map((a: { id: string }) => a.id)).to.deep.equal([ours[1]!.id]);
      const read = await api().get(`/api/v1/tier-approvals/${ours[1]!.id}`).set(bearer(w.executive)).expect(200);
      expect(read.body).to.deep.equal(ours[1]);
      const none = await api().get(`/api/v1/tier-approvals?customerId=${second.id}&status=approved`).set(bearer(w.admin)).expect(200);
      expect(none.body.items).to.deep.equal([]);

      expectProblem(await api().get('/api/v1/tier-approvals').set(bearer(w.owner)), 403);
      expectProblem(await api().get(`/api/v1/tier-approvals/${ours[1]!.id}`).set(bearer(w.owner)), 403);
      expectProblem(await api().get('/api/v1/tier-approvals/0123456789abcdef01234567').set(bearer(w.admin)), 404);
      for (const query of ['status=open', 'customerId=123', 'status[$ne]=x', 'limit=0', 'cursor=bm9wZQ', 'color=red']) {
        expectProblem(await api().get(`/api/v1/tier-approvals?${query}`).set(bearer(w.admin)), 400);
      }
    });
  });
});

import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ActionModel } from '../../models/action.ts';
import { ChangeModel } from '../../models/change.ts';
import { CustomerModel } from '../../models/customer.ts';
import { NotificationModel } from '../../models/notification.ts';
import { PlanModel, periodBounds } from '../../models/plan.ts';
import { TierApprovalModel, TierChangeModel, revisionOf } from '../../models/tier-change.ts';
import { VisitModel } from '../../models/visit.ts';
import { api, bearer, createCustomer, createUser, type TestUser } from '../factories.ts';
import { oneWinner, trials } from '../race.ts';

// Decisions that happen once, raced by two people at the same moment: a tier approval decided twice, a visit completed
// twice (or completed and cancelled), a plan moved twice, a customer archived twice. Exactly one decision lands; the
// other person is told why with a 409, and everything stored (the record, its history, what followed from it) agrees
// with the answer each of them got.

const uid = () => randomUUID().slice(0, 8);

describe('races: decisions taken twice at once', function () {
  this.timeout(180_000);
  let owner: TestUser;
  let member: TestUser;
  let executive: TestUser;
  let executive2: TestUser;
  let admin: TestUser;

  before(async () => {
    const team = `Decisions-${uid()}`;
    [owner, member, executive, executive2, admin] = await Promise.all([
      createUser({ team }), createUser({ team }), createUser({ role: 'executive' }), createUser({ role: 'executive' }), createUser({ role: 'admin' }),
    ]);
  });

  describe('tier approvals', () => {
    /** A customer with an owner's override request into S or A waiting for leadership. */
    async function pendingApproval() {
      const customer = await createCustomer(owner, { accountTeam: [member.id] });
      const before = (await CustomerModel.findById(customer.id).lean())!;
      const to = before.tier === 'S' ? 'A' : 'S';
      const asked = await api().post(`/api/v1/customers/${customer.id}/tier/override`).set(bearer(owner)).send({ tier: to, reason: `race ${uid()}` }).expect(202);
      return { customerId: customer.id, from: before.tier ?? null, to, approvalId: asked.body.approval.id as string };
    }
    const decide = (id: string, decision: 'approve' | 'reject', by: TestUser) =>
      api().post(`/api/v1/tier-approvals/${id}/${decision}`).set(bearer(by)).send({ comment: `${decision} by ${by.email}` });

    /** The approval, the customer's tier and its history as the winner's answer says. */
    async function expectStoredAsAnswered(p: Awaited<ReturnType<typeof pendingApproval>>, status: 'approved' | 'rejected', by: TestUser) {
      const approval = (await TierApprovalModel.findById(p.approvalId).lean())!;
      expect(approval.status, 'stored approval status').to.equal(status);
      expect(String(approval.decidedById), 'decided by the winner').to.equal(by.id);
      const customer = (await CustomerModel.findById(p.customerId).lean())!;
      const history = await TierChangeModel.find({ customerId: p.customerId, approvalId: p.approvalId }).lean();
      if (status === 'approved') {
        expect(customer, 'the approved tier').to.include({ tier: p.to, tierSource: 'override' });
        expect(history.map((h) => [h.from, h.to]), 'one history entry for the approval').to.deep.equal([[p.from, p.to]]);
      } else {
        expect(customer.tier ?? null, 'the tier stays').to.equal(p.from);
        expect(customer.tierOverride, 'no override').to.equal(null);
        expect(history, 'no history entry for a rejected request').to.deep.equal([]);
      }
    }

    it('approve against reject: exactly one decision, and the approval, the tier and the history agree with it', async () => {
      await trials(async () => {
        const p = await pendingApproval();
        const answers = await Promise.all([decide(p.approvalId, 'approve', executive), decide(p.approvalId, 'reject', admin)]);
        const { winner, index } = oneWinner(answers, 200, 409);
        const status = index === 0 ? 'approved' : 'rejected';
        expect(winner.body.status, 'the winner is told what is stored').to.equal(status);
        await expectStoredAsAnswered(p, status, index === 0 ? executive : admin);
      });
    });

    it('approve against approve: applied once, by the one who was told so', async () => {
      await trials(async () => {
        const p = await pendingApproval();
        const answers = await Promise.all([decide(p.approvalId, 'approve', executive), decide(p.approvalId, 'approve', executive2)]);
        const { winner, index } = oneWinner(answers, 200, 409);
        expect(winner.body).to.include({ status: 'approved', decidedById: [executive, executive2][index]!.id });
        await expectStoredAsAnswered(p, 'approved', [executive, executive2][index]!);
      });
    });

    it("an approval decided while an executive sets the tier: the customer's tier is its latest history entry", async () => {
      await trials(async () => {
        const p = await pendingApproval();
        const answers = await Promise.all([
          decide(p.approvalId, 'approve', executive),
          api().post(`/api/v1/customers/${p.customerId}/tier/override`).set(bearer(executive2)).send({ tier: 'C', reason: 'set at once' }),
        ]);
        // The override always lands; the approval lands before it, or finds the request superseded by it (409).
        const statuses = answers.map((r) => r.status);
        expect(statuses[1], answers[1]!.text).to.equal(200);
        expect([200, 409], answers[0]!.text).to.include(statuses[0]);
        const customer = (await CustomerModel.findById(p.customerId).lean())!;
        const history = await TierChangeModel.find({ customerId: p.customerId }).lean();
        const latest = history.reduce((a, b) => (revisionOf(b.key) > revisionOf(a.key) ? b : a));
        expect({ tier: customer.tier, revision: customer.tierRevision }).to.deep.equal({ tier: latest.to, revision: history.length });
      });
    });
  });

  describe('visits', () => {
    const bodies = [
      { satisfaction: 1, recommend: 2, summary: 'Submission A', feedback: [{ category: 'support', text: 'A: hotline', severity: 'high' }, { category: 'docs', text: 'A: manuals', severity: 'low' }] },
      { satisfaction: 2, recommend: 5, summary: 'Submission B', feedback: [{ category: 'billing', text: 'B: invoices', severity: 'medium' }] },
    ];

    async function scheduledVisit() {
      const customer = await createCustomer(owner, { accountTeam: [member.id] });
      const visit = await api().post(`/api/v1/customers/${customer.id}/visits`).set(bearer(owner)).send({ scheduledFor: new Date().toISOString() }).expect(201);
      return { customerId: customer.id, visitId: visit.body.id as string };
    }

    /** What a completion leaves behind, all of it from `body`: or nothing at all when `body` is null. */
    async function expectCompletionFrom(v: { customerId: string; visitId: string }, body: (typeof bodies)[number] | null) {
      const visit = (await VisitModel.findById(v.visitId).lean())!;
      const actions = await ActionModel.find({ visitId: v.visitId }).sort({ key: 1 }).lean();
      const customer = (await CustomerModel.findById(v.customerId).lean())!;
      const alerts = await NotificationModel.find({ kind: 'satisfaction.alert', 'data.visitId': v.visitId }).lean();
      if (!body) {
        expect([actions.length, alerts.length, customer.satisfaction?.lastScore ?? null], 'nothing follows a cancelled visit').to.deep.equal([0, 0, null]);
        return;
      }
      expect(visit).to.include({ status: 'completed', satisfaction: body.satisfaction, recommend: body.recommend, summary: body.summary });
      expect(visit.feedback.map((f) => f.text), 'stored feedback').to.deep.equal(body.feedback.map((f) => f.text));
      expect(actions.map((a) => a.text), 'improvement actions').to.deep.equal(body.feedback.map((f) => f.text));
      expect(customer.satisfaction).to.include({ lastScore: body.satisfaction, lastRecommend: body.recommend });
      expect(alerts.filter((a) => String(a.userId) === owner.id), "the owner's alert").to.have.length(1);
      for (const alert of alerts) expect(alert.body).to.equal(`Satisfaction ${body.satisfaction}/5, likelihood to recommend ${body.recommend}/10.`);
    }

    it('completed twice with different bodies: one 200, one 409, and the visit, its actions, the summary and the alerts come from the winner', async () => {
      await trials(async () => {
        const v = await scheduledVisit();
        const answers = await Promise.all(bodies.map((body) => api().post(`/api/v1/visits/${v.visitId}/complete`).set(bearer(owner)).send(body)));
        const { winner, index } = oneWinner(answers, 200, 409);
        expect(winner.body).to.include({ status: 'completed', summary: bodies[index]!.summary });
        await expectCompletionFrom(v, bodies[index]!);
      });
    });

    it('completed and cancelled at once: one lands, the other is told the visit is closed', async () => {
      await trials(async () => {
        const v = await scheduledVisit();
        const answers = await Promise.all([
          api().post(`/api/v1/visits/${v.visitId}/complete`).set(bearer(owner)).send(bodies[0]),
          api().patch(`/api/v1/visits/${v.visitId}`).set(bearer(member)).send({ status: 'cancelled', reason: 'customer asked' }),
        ]);
        const { index } = oneWinner(answers, 200, 409);
        expect((await VisitModel.findById(v.visitId).lean())!.status).to.equal(index === 0 ? 'completed' : 'cancelled');
        await expectCompletionFrom(v, index === 0 ? bodies[0]! : null);
      });
    });
  });

  describe('plan status', () => {
    let period = 2040;
    async function planIn(status: 'draft' | 'submitted') {
      const customer = await createCustomer(owner, { accountTeam: [member.id] });
      const p = String(period++);
      const { start, end } = periodBounds(p);
      return PlanModel.create({ customerId: customer.id, period: p, periodStart: start, periodEnd: end, ownerId: owner.id, status });
    }
    const move = (id: unknown, by: TestUser, body: Record<string, unknown>) => api().patch(`/api/v1/plans/${String(id)}`).set(bearer(by)).send(body);

    it('submitted twice at once (no If-Match): one 200, one 409 naming the status it is in', async () => {
      await trials(async () => {
        const plan = await planIn('draft');
        const answers = await Promise.all([move(plan._id, owner, { status: 'submitted' }), move(plan._id, member, { status: 'submitted' })]);
        const { problem } = oneWinner(answers, 200, 409);
        expect(problem.detail).to.match(/submitted plan cannot move to submitted/);
        const stored = (await PlanModel.findById(plan._id).lean())!;
        expect([stored.status, stored.__v]).to.deep.equal(['submitted', 1]);
      });
    });

    it('approved against returned to draft: one lands, and the stored status, approver and comment are its', async () => {
      await trials(async () => {
        const plan = await planIn('submitted');
        const answers = await Promise.all([
          move(plan._id, executive, { status: 'approved' }),
          move(plan._id, admin, { status: 'draft', comment: 'targets too low' }),
        ]);
        const { winner, index } = oneWinner(answers, 200, 409);
        const stored = (await PlanModel.findById(plan._id).lean())!;
        expect(winner.body.status).to.equal(stored.status);
        if (index === 0) {
          expect(stored).to.include({ status: 'approved', statusComment: '' });
          expect(String(stored.approvedById)).to.equal(executive.id);
        } else {
          expect(stored).to.include({ status: 'draft', statusComment: 'targets too low', approvedById: null });
        }
      });
    });
  });

  describe('improvement actions without If-Match', () => {
    it('two updates at once both apply, one after the other, and the stored action is the later answer', async () => {
      const customer = await createCustomer(owner, { accountTeam: [member.id] });
      const visit = await api().post(`/api/v1/customers/${customer.id}/visits`).set(bearer(owner)).send({ scheduledFor: new Date().toISOString() }).expect(201);
      await api().post(`/api/v1/visits/${visit.body.id}/complete`).set(bearer(owner))
        .send({ satisfaction: 4, recommend: 9, feedback: [{ category: 'support', text: 'Faster answers', severity: 'medium' }] }).expect(200);
      const action = (await ActionModel.findOne({ visitId: visit.body.id }).lean())!;
      await trials(async (i) => {
        const answers = await Promise.all([
          api().patch(`/api/v1/actions/${String(action._id)}`).set(bearer(owner)).send({ status: 'done', resolution: `Done ${i}` }),
          api().patch(`/api/v1/actions/${String(action._id)}`).set(bearer(member)).send({ status: 'in_progress', resolution: `Working ${i}` }),
        ]);
        expect(answers.map((r) => r.status), answers.map((r) => r.text.slice(0, 120)).join(' | ')).to.deep.equal([200, 200]);
        const later = answers.reduce((a, b) => (Number(JSON.parse(b.headers.etag!)) > Number(JSON.parse(a.headers.etag!)) ? b : a));
        const stored = (await ActionModel.findById(action._id).lean())!;
        expect(stored).to.include({ status: later.body.status, resolution: later.body.resolution });
        expect(`"${stored.__v}"`).to.equal(later.headers.etag);
      });
    });
  });

  describe('customers archived or restored twice at once', () => {
    it('both are answered with the state reached, and the timeline tells it once', async () => {
      const customer = await createCustomer(owner);
      await trials(async (i) => {
        const archive = i % 2 === 0;
        const send = () => (archive ? api().delete(`/api/v1/customers/${customer.id}`) : api().post(`/api/v1/customers/${customer.id}/restore`)).set(bearer(owner));
        const before = await ChangeModel.countDocuments({ entityId: customer.id, action: archive ? 'archived' : 'restored' });
        const answers = await Promise.all([send(), send()]);
        expect(answers.map((r) => r.status), answers.map((r) => r.text.slice(0, 120)).join(' | ')).to.deep.equal([200, 200]);
        for (const res of answers) expect(res.body.archived).to.equal(archive);
        expect((await CustomerModel.findById(customer.id).lean())!.archived).to.equal(archive);
        expect(await ChangeModel.countDocuments({ entityId: customer.id, action: archive ? 'archived' : 'restored' }), 'one timeline entry').to.equal(before + 1);
      });
    });
  });
});

import { expect } from 'chai';
import { CaseModel } from '../../models/case.ts';
import { ChangeModel } from '../../models/change.ts';
import { CustomerModel } from '../../models/customer.ts';
import { NotificationModel, type NotificationKind } from '../../models/notification.ts';
import { caseWorld, expectSteps, openCase, stepCase, storedCase, type CaseWorld } from '../case-world.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { ownCategory, writeEntry } from '../knowledge-world.ts';

const told = async (caseId: string, kind: NotificationKind) =>
  (await NotificationModel.find({ 'data.caseId': caseId, kind }).lean()).map((n) => String(n.userId)).sort();

/** Posts a step expecting a problem with `status`, and checks the case did not change. */
async function refused(id: string, path: string, by: TestUser, body: Record<string, unknown> | undefined, status: number) {
  const before = await storedCase(id);
  const req = api().post(`/api/v1/cases/${id}/${path}`).set(bearer(by));
  const problem = expectProblem(body === undefined ? await req : await req.send(body), status);
  const after = await storedCase(id);
  expect(after.__v, `${path} changed nothing`).to.equal(before.__v);
  expect(after.history).to.have.length(before.history.length);
  return problem;
}

describe('POST /api/v1/cases/:id/start', () => {
  it("moves an open case in progress for the owner or an admin; the owner's first step answers the customer", async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    await refused(body.id, 'start', w.member, undefined, 403);
    await refused(body.id, 'start', w.executive, undefined, 403);
    await refused(body.id, 'start', w.stranger, undefined, 404);
    const res = await api().post(`/api/v1/cases/${body.id}/start`).set(bearer(w.opener)).expect(200);
    expect(res.headers.etag).to.equal('"1"');
    expect(res.body).to.include({ status: 'in_progress', respondMet: true });
    expect(res.body.respondedAt).to.be.a('string');
    await refused(body.id, 'start', w.opener, undefined, 409);
    const admin = (await openCase(w)).body;
    const started = await stepCase(admin.id, 'start', w.admin, undefined);
    expect(started).to.include({ status: 'in_progress', respondedAt: null }); // an admin's step is not the owner's answer
  });

  it('refuses a stale If-Match with 412 and changes nothing', async () => {
    const w = await caseWorld();
    const { body, etag } = await openCase(w);
    await stepCase(body.id, 'comments', w.member, { text: 'Customer called again' });
    const before = await storedCase(body.id);
    expectProblem(await api().post(`/api/v1/cases/${body.id}/start`).set(bearer(w.opener)).set('If-Match', etag).send(), 412);
    expect((await storedCase(body.id)).__v).to.equal(before.__v);
    const ok = await api().post(`/api/v1/cases/${body.id}/start`).set(bearer(w.opener)).set('If-Match', `"${before.__v}"`).expect(200);
    expect(ok.headers.etag).to.equal(`"${before.__v + 1}"`);
  });
});

describe('POST /api/v1/cases/:id/comments', () => {
  it('takes a comment from whoever sees the case and tells the owner; the owner\'s comment is an answer', async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    const byMember = await stepCase(body.id, 'comments', w.member, { text: '  They are a key account, be quick  ' });
    expect(byMember.comments.map((c) => c.text)).to.deep.equal(['They are a key account, be quick']);
    expect(byMember.respondedAt).to.equal(null);
    expect(await told(body.id, 'case.comment')).to.deep.equal([w.opener.id]);
    const byOwner = await stepCase(body.id, 'comments', w.opener, { text: 'Called back, refund under way' });
    expect(byOwner.respondedAt).to.be.a('string');
    expect(byOwner.status).to.equal('open');
    await refused(body.id, 'comments', w.stranger, { text: 'hi' }, 404);
    const problem = await refused(body.id, 'comments', w.member, { text: '   ' }, 400);
    expect(problem.errors!.map((e) => e.field)).to.deep.equal(['text']);
    await refused(body.id, 'comments', w.member, { text: 'x', extra: 1 }, 400);
  });
});

describe('POST /api/v1/cases/:id/helpers', () => {
  it('lets the owner add a helper, who then sees and comments on the case but does not run it', async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    expectProblem(await api().get(`/api/v1/cases/${body.id}`).set(bearer(w.colleague)), 404);
    await refused(body.id, 'helpers', w.member, { userId: w.colleague.id }, 403);
    const added = await stepCase(body.id, 'helpers', w.opener, { userId: w.colleague.id });
    expect(added.helperIds).to.deep.equal([w.colleague.id]);
    expect(await told(body.id, 'case.helper')).to.deep.equal([w.colleague.id]);
    const seen = await api().get(`/api/v1/cases/${body.id}`).set(bearer(w.colleague)).expect(200);
    expect(seen.body.customer).to.have.keys('id', 'code', 'name');
    await stepCase(body.id, 'comments', w.colleague, { text: 'I know their billing system' });
    await refused(body.id, 'resolve', w.colleague, { solution: 'Refunded' }, 403);
    await refused(body.id, 'helpers', w.opener, { userId: w.colleague.id }, 409);
    const inactive = await createUser({ active: false });
    expect((await refused(body.id, 'helpers', w.opener, { userId: inactive.id }, 400)).errors![0]!.field).to.equal('userId');
    await refused(body.id, 'helpers', w.opener, { userId: w.opener.id }, 400);
    await refused(body.id, 'helpers', w.opener, { userId: 'nope' }, 400);
  });
});

describe('handover: POST /api/v1/cases/:id/handover, /handover/accept, /handover/decline', () => {
  it('moves ownership only when the one offered accepts; until then the first owner stays accountable', async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    await refused(body.id, 'handover', w.member, { toUserId: w.colleague.id }, 403);
    const offered = await stepCase(body.id, 'handover', w.opener, { toUserId: w.colleague.id, note: 'You know their billing' });
    expect(offered).to.include({ ownerId: w.opener.id, handovers: 0 });
    expect(offered.handover).to.include({ toUserId: w.colleague.id, note: 'You know their billing' });
    expect(await told(body.id, 'case.handover')).to.deep.equal([w.colleague.id]);
    // the one offered reads it before answering; nobody else answers for them
    await api().get(`/api/v1/cases/${body.id}`).set(bearer(w.colleague)).expect(200);
    await refused(body.id, 'handover/accept', w.member, undefined, 403);
    await refused(body.id, 'handover/accept', w.admin, undefined, 403);
    await refused(body.id, 'handover/accept', w.stranger, undefined, 404);
    const declined = await stepCase(body.id, 'handover/decline', w.colleague, { note: 'On leave next week' });
    expect(declined).to.include({ ownerId: w.opener.id, handover: null, handovers: 0 });
    expect((await NotificationModel.findOne({ 'data.caseId': body.id, 'data.answer': 'declined' }).lean())!.userId.toString()).to.equal(w.opener.id);
    expectProblem(await api().get(`/api/v1/cases/${body.id}`).set(bearer(w.colleague)), 404);
    await refused(body.id, 'handover/accept', w.colleague, undefined, 404);
    await refused(body.id, 'handover/accept', w.member, undefined, 409);

    await stepCase(body.id, 'handover', w.opener, { toUserId: w.member.id });
    const accepted = await stepCase(body.id, 'handover/accept', w.member, undefined);
    expect(accepted).to.include({ ownerId: w.member.id, openedById: w.opener.id, handover: null, handovers: 1 });
    expectSteps(accepted, ['opened', 'handover_offered', 'handover_declined', 'handover_offered', 'handover_accepted']);
    expect(accepted.respondedAt, "the opener's handover answered the customer").to.be.a('string');
    const entry = await ChangeModel.findOne({ entityId: body.id, action: 'handed_over' }).lean();
    expect(entry!.fields).to.deep.equal([{ field: 'ownerId', old: w.opener.id, new: w.member.id }]);
    // the opener still sees the case, no longer runs it
    await api().get(`/api/v1/cases/${body.id}`).set(bearer(w.opener)).expect(200);
    await refused(body.id, 'resolve', w.opener, { solution: 'Refunded' }, 403);
    await refused(body.id, 'handover', w.member, { toUserId: w.member.id }, 400);
    const resolved = await stepCase(body.id, 'resolve', w.member, { solution: 'Refunded the second charge' });
    const closed = await stepCase(body.id, 'close', w.member, { confirmedBy: 'Li Wei', csat: 5 });
    expect(closed.firstContactResolution, 'handed over: not a first-contact resolution').to.equal(false);
    expect(resolved.status).to.equal('resolved');
  });
});

describe('resolve, reopen and close', () => {
  /** A case resolved with a knowledge entry of its own (answers the case and the entry's id). */
  async function resolvedCase(w: CaseWorld, by = w.opener) {
    const { body } = await openCase(w, by);
    const entry = await writeEntry(by, { problem: 'Card charged twice', solution: 'Refund the second charge', category: ownCategory() });
    return { ...(await stepCase(body.id, 'resolve', by, { solution: 'Refunded the second charge', knowledgeIds: [entry.id] })), entryId: entry.id };
  }

  it('resolves with a solution and tells the followers; a first-contact resolution closes with the CSAT in the summary', async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    await refused(body.id, 'resolve', w.opener, {}, 400);
    await refused(body.id, 'resolve', w.opener, { solution: 'x', knowledgeIds: ['nope'] }, 400);
    await refused(body.id, 'resolve', w.executive, { solution: 'x' }, 403);
    await refused(body.id, 'close', w.opener, { confirmedBy: 'Li Wei', csat: 4 }, 409);
    const resolved = await stepCase(body.id, 'resolve', w.opener, { solution: 'Refunded the second charge' });
    expect(resolved).to.include({ status: 'resolved', resolveMet: true, respondMet: true, solution: 'Refunded the second charge' });
    expect(await told(body.id, 'case.resolved')).to.deep.equal([w.owner.id, w.member.id].sort());
    await refused(body.id, 'resolve', w.opener, { solution: 'again' }, 409);
    await refused(body.id, 'close', w.opener, { confirmedBy: 'Li Wei', csat: 6 }, 400);
    await refused(body.id, 'close', w.opener, { csat: 4 }, 400);
    await refused(body.id, 'close', w.member, { confirmedBy: 'Li Wei', csat: 4 }, 403);
    const closed = await stepCase(body.id, 'close', w.opener, { confirmedBy: 'Li Wei', csat: 2, comment: 'Took a week' });
    expect(closed).to.include({ status: 'closed', firstContactResolution: true });
    expect(closed.closure).to.deep.equal({ confirmedBy: 'Li Wei', csat: 2, comment: 'Took a week', automatic: false });
    expectSteps(closed, ['opened', 'resolved', 'closed']);
    const customer = await CustomerModel.findById(w.customer.id).lean();
    expect(customer!.satisfaction).to.include({ lastScore: 2, average: 2, lastRecommend: null });
    expect((await ChangeModel.find({ entityId: body.id }).sort({ at: 1 }).lean()).map((c) => c.action)).to.deep.equal(['created', 'resolved', 'closed']);
    // closed is final
    await refused(body.id, 'reopen', w.owner, { reason: 'again' }, 409);
    await refused(body.id, 'comments', w.opener, { text: 'one more thing' }, 409);
    await refused(body.id, 'handover', w.opener, { toUserId: w.member.id }, 409);
  });

  it("reopens by the owner, the customer's team or leadership, never by the opener alone, and no longer counts as first contact", async () => {
    const w = await caseWorld();
    const kase = await resolvedCase(w);
    expect((kase as { knowledgeIds?: string[] }).knowledgeIds).to.deep.equal([kase.entryId]);
    await stepCase(kase.id, 'helpers', w.opener, { userId: w.colleague.id });
    await refused(kase.id, 'reopen', w.colleague, { reason: 'Still charged' }, 403);
    await refused(kase.id, 'reopen', w.member, {}, 400);
    const reopened = await stepCase(kase.id, 'reopen', w.member, { reason: 'Still charged twice in April' });
    expect(reopened).to.include({ status: 'reopened', reopens: 1, resolvedAt: null, resolveMet: null });
    expect(await told(kase.id, 'case.reopened')).to.deep.equal([w.colleague.id, w.opener.id].sort());
    await refused(kase.id, 'reopen', w.member, { reason: 'again' }, 409);
    await stepCase(kase.id, 'start', w.opener, undefined);
    await stepCase(kase.id, 'resolve', w.opener, { solution: 'Card provider reversed it' });
    await stepCase(kase.id, 'reopen', w.executive, { reason: 'Customer called the CEO' });
    await stepCase(kase.id, 'resolve', w.admin, { solution: 'Credit note issued' });
    const closed = await stepCase(kase.id, 'close', w.admin, { confirmedBy: 'Li Wei', csat: 4 });
    expect(closed).to.include({ firstContactResolution: false, reopens: 2 });
    expectSteps(closed, ['opened', 'resolved', 'helper_added', 'reopened', 'started', 'resolved', 'reopened', 'resolved', 'closed']);
    const opener = await resolvedCase(w);
    await refused(opener.id, 'reopen', w.stranger, { reason: 'x' }, 404);
    await stepCase(opener.id, 'reopen', w.opener, { reason: 'The owner reopens their own case' });
  });

  it('records a target missed: answered after respondBy, resolved after resolveBy', async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    const past = new Date(Date.now() - 60_000);
    await CaseModel.updateOne({ _id: body.id }, { $set: { respondBy: past, resolveBy: past } });
    const started = await stepCase(body.id, 'start', w.opener, undefined);
    expect(started).to.include({ respondMet: false, resolveMet: false, overdue: true });
    const resolved = await stepCase(body.id, 'resolve', w.opener, { solution: 'Late, but done' });
    expect(resolved).to.include({ respondMet: false, resolveMet: false, overdue: false });
    expect(await storedCase(body.id)).to.include({ respondMet: false, resolveMet: false });
  });
});

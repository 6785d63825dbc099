import { expect } from 'chai';
import { ChangeModel } from '../../models/change.ts';
import { caseWorld, openCase, stepCase, storedCase, stepsOf } from '../case-world.ts';
import { api, bearer } from '../factories.ts';
import { oneWinner, trials } from '../race.ts';

// Two steps of one case at the same moment: each write is conditional on the version it read, so one never silently
// overwrites the other. With the same If-Match one lands and the other gets 412; without If-Match both land, in some
// order; two steps that exclude each other (accept and decline, close and reopen) end with one 200 and one 409.

describe('races on a service case', () => {
  it('two steps with the same ETag: one lands, the other gets 412, and the history holds only the winner', async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    await stepCase(body.id, 'helpers', w.opener, { userId: w.colleague.id });
    await trials(async (i) => {
      const before = await storedCase(body.id);
      const etag = `"${before.__v}"`;
      const answers = await Promise.all([
        api().post(`/api/v1/cases/${body.id}/comments`).set(bearer(w.opener)).set('If-Match', etag).send({ text: `owner ${i}` }),
        api().post(`/api/v1/cases/${body.id}/comments`).set(bearer(w.colleague)).set('If-Match', etag).send({ text: `helper ${i}` }),
      ]);
      const { winner } = oneWinner(answers, 200, 412);
      const after = await storedCase(body.id);
      expect(after.__v).to.equal(before.__v + 1);
      expect(after.comments.map((c) => c.text).slice(before.comments.length)).to.deep.equal([winner.body.comments.at(-1).text]);
      expect(winner.headers.etag).to.equal(`"${after.__v}"`);
    }, 10);
  });

  it('two comments without If-Match: both land, neither is lost', async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    await trials(async (i) => {
      const before = await storedCase(body.id);
      const answers = await Promise.all([w.opener, w.member].map((u, n) =>
        api().post(`/api/v1/cases/${body.id}/comments`).set(bearer(u)).send({ text: `trial ${i} comment ${n}` })));
      expect(answers.map((r) => r.status), answers.map((r) => r.text.slice(0, 100)).join(' | ')).to.deep.equal([200, 200]);
      const after = await storedCase(body.id);
      expect(after.__v).to.equal(before.__v + 2);
      expect(after.comments.map((c) => c.text).slice(-2).sort()).to.deep.equal([`trial ${i} comment 0`, `trial ${i} comment 1`]);
    }, 10);
  });

  it('accept and decline of one handover at once: one answer holds, the other gets 409', async () => {
    const w = await caseWorld();
    await trials(async () => {
      const { body } = await openCase(w);
      await stepCase(body.id, 'handover', w.opener, { toUserId: w.member.id });
      const answers = await Promise.all(['accept', 'decline'].map((a) => api().post(`/api/v1/cases/${body.id}/handover/${a}`).set(bearer(w.member)).send({})));
      const { index } = oneWinner(answers, 200, 409);
      const after = await storedCase(body.id);
      expect(String(after.ownerId)).to.equal(index === 0 ? w.member.id : w.opener.id);
      expect(stepsOf(after)).to.deep.equal(['opened', 'handover_offered', index === 0 ? 'handover_accepted' : 'handover_declined']);
      expect(after.handovers).to.equal(index === 0 ? 1 : 0);
    }, 8);
  });

  it("closing and reopening a resolved case at once: one holds, the other gets 409, the timeline tells only the winner's", async () => {
    const w = await caseWorld();
    await trials(async () => {
      const { body } = await openCase(w);
      await stepCase(body.id, 'resolve', w.opener, { solution: 'Refunded' });
      const answers = await Promise.all([
        api().post(`/api/v1/cases/${body.id}/close`).set(bearer(w.opener)).send({ confirmedBy: 'Li Wei', csat: 5 }),
        api().post(`/api/v1/cases/${body.id}/reopen`).set(bearer(w.member)).send({ reason: 'Still charged' }),
      ]);
      const { index } = oneWinner(answers, 200, 409);
      const after = await storedCase(body.id);
      expect(after.status).to.equal(index === 0 ? 'closed' : 'reopened');
      const actions = (await ChangeModel.find({ entityId: body.id }).sort({ at: 1, _id: 1 }).lean()).map((c) => c.action);
      expect(actions).to.deep.equal(['created', 'resolved', index === 0 ? 'closed' : 'reopened']);
    }, 8);
  });
});

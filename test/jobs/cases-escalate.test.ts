import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import * as escalate from '../../jobs/cases-escalate.ts';
import * as deliverJob from '../../jobs/notifications-deliver.ts';
import { CaseModel } from '../../models/case.ts';
import { ChangeModel } from '../../models/change.ts';
import { NotificationModel, type NotificationKind } from '../../models/notification.ts';
import { afterOnClock, localTimeIn } from '../../models/time-zone.ts';
import { notificationEmail } from '../../usecases/mail-compose.ts';
import { applyCaseEffects } from '../../usecases/case-effects.ts';
import { openCase as openCaseUseCase } from '../../usecases/case-open.ts';
import { caseBody, caseWorld, openCase, stepCase, storedCase, stepsOf, type CaseWorld } from '../case-world.ts';
import { api, bearer, recordingAgenda } from '../factories.ts';
import { config, testConfig } from '../setup.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const shanghai = testConfig({ TZ: 'Asia/Shanghai' });

const notices = (caseId: string, kind?: NotificationKind) =>
  NotificationModel.find({ 'data.caseId': caseId, ...(kind ? { kind } : {}) }).sort({ key: 1 }).lean();

/** A case opened now whose window runs from `opened` (moved back in time) to the targets given in minutes from it. */
async function caseWithWindow(w: CaseWorld, opened: Date, respondMinutes: number, resolveMinutes: number) {
  const { body } = await openCase(w);
  await CaseModel.collection.updateOne({ _id: (await CaseModel.findById(body.id))!._id }, {
    $set: { createdAt: opened, respondBy: new Date(opened.getTime() + respondMinutes * MIN), resolveBy: new Date(opened.getTime() + resolveMinutes * MIN) },
  });
  return body.id;
}

const run = (asOf: Date) => escalate.handler(shanghai, { asOf: asOf.toISOString() });

describe(`job ${escalate.name}`, () => {
  it('warns the owner once when a fifth of a window is left, and escalates a missed target once to the owner, the customer\'s owner and the executives', async () => {
    const w = await caseWorld();
    // every run below is at a moment already past, so the case's own clock (now) agrees with the job's
    const opened = new Date(Date.now() - 1100 * MIN);
    const id = await caseWithWindow(w, opened, 100, 1000);
    await run(new Date(opened.getTime() + 79 * MIN));
    expect([...await notices(id, 'case.warning'), ...await notices(id, 'case.escalated')], 'no warning before a fifth of the window is left').to.deep.equal([]);
    await run(new Date(opened.getTime() + 81 * MIN));
    const warning = await notices(id, 'case.warning');
    expect(warning.map((n) => [n.key, String(n.userId)])).to.deep.equal([[`case.warning:respond:${id}`, w.opener.id]]);
    expect(warning[0]!.title).to.equal(`Case for ${w.customer.name}: answer the customer by ${localTimeIn('Asia/Shanghai', new Date(opened.getTime() + 100 * MIN))}`);
    expect(warning[0]!.data).to.include({ target: 'respond', subject: 'Invoice charged twice' });
    await run(new Date(opened.getTime() + 90 * MIN));
    expect(await notices(id, 'case.warning'), 'warned once').to.have.length(1);

    await run(new Date(opened.getTime() + 101 * MIN));
    const escalated = await notices(id, 'case.escalated');
    const recipients = escalated.map((n) => String(n.userId));
    expect(recipients).to.include.members([w.opener.id, w.owner.id, w.executive.id]);
    expect(recipients).to.not.include(w.member.id);
    expect(new Set(escalated.map((n) => n.key)).size).to.equal(escalated.length);
    expect(escalated.every((n) => n.key.startsWith(`case.escalated:respond:${id}:`))).to.equal(true);
    const stored = await storedCase(id);
    expect(stepsOf(stored)).to.deep.equal(['opened', 'warned', 'escalated']);
    expect(stored.respondMet).to.equal(false);
    const again = await run(new Date(opened.getTime() + 102 * MIN));
    expect(again.sent).to.equal(0);
    expect(stepsOf(await storedCase(id))).to.deep.equal(['opened', 'warned', 'escalated']);

    // answered late: the resolve target is still watched, and only it
    await stepCase(id, 'start', w.opener, undefined);
    await run(new Date(opened.getTime() + 900 * MIN));
    expect((await notices(id, 'case.warning')).map((n) => n.key)).to.deep.equal([`case.warning:resolve:${id}`, `case.warning:respond:${id}`]);
    await run(new Date(opened.getTime() + 1001 * MIN));
    expect((await notices(id, 'case.escalated')).filter((n) => n.key.includes(':resolve:'))).to.have.length(escalated.length);
    expect(stepsOf(await storedCase(id))).to.deep.equal(['opened', 'warned', 'escalated', 'started', 'warned', 'escalated']);
    expect((await api().get(`/api/v1/cases/${id}`).set(bearer(w.owner)).expect(200)).body).to.include({ respondMet: false, resolveMet: false, overdue: true });
  });

  it('escalates exactly once when two workers run at the same moment', async () => {
    const w = await caseWorld();
    const opened = new Date(Date.now() - 10 * MIN);
    const ids = await Promise.all([1, 2, 3].map(() => caseWithWindow(w, opened, 5, 8)));
    const at = new Date(opened.getTime() + 9 * MIN);
    await Promise.all([run(at), run(at), run(at)]);
    for (const id of ids) {
      const kase = await storedCase(id);
      expect(stepsOf(kase), id).to.deep.equal(['opened', 'escalated', 'escalated']);
      const keys = (await notices(id, 'case.escalated')).map((n) => n.key);
      expect(new Set(keys).size).to.equal(keys.length);
      expect(keys.filter((k) => k.includes(`:${w.opener.id}`))).to.have.length(2); // respond and resolve, once each
    }
  });

  it('leaves resolved and answered targets alone', async () => {
    const w = await caseWorld();
    const opened = new Date(Date.now() - 10 * MIN);
    const id = await caseWithWindow(w, opened, 5, 8);
    await stepCase(id, 'resolve', w.opener, { solution: 'Done at once' });
    await run(new Date(opened.getTime() + 60 * MIN));
    expect(await notices(id, 'case.escalated')).to.have.length(0);
    expect(await notices(id, 'case.warning')).to.have.length(0);
  });

  it('closes a resolved case by itself after autoCloseDays without an answer: automatic, no CSAT, once', async () => {
    const w = await caseWorld();
    const { body } = await openCase(w);
    await stepCase(body.id, 'resolve', w.opener, { solution: 'Refunded' });
    const resolvedAt = new Date(Date.now() - 6 * DAY);
    await CaseModel.updateOne({ _id: body.id }, { $set: { resolvedAt } });
    await run(new Date());
    expect((await storedCase(body.id)).status, 'not yet: 6 days of 7').to.equal('resolved');
    const due = afterOnClock('Asia/Shanghai', resolvedAt, 7 * 1440);
    const results = await Promise.all([run(due), run(due)]);
    expect(results.map((r) => r.autoClosed).sort()).to.deep.equal([0, 1]);
    const closed = await storedCase(body.id);
    expect(closed).to.include({ status: 'closed', firstContactResolution: true });
    expect(closed.closure).to.deep.include({ automatic: true, csat: null, confirmedBy: '' });
    expect(stepsOf(closed)).to.deep.equal(['opened', 'resolved', 'auto_closed']);
    expect(closed.history.at(-1)!.by).to.deep.include({ id: null, name: 'system' });
    const timeline = await ChangeModel.find({ entityId: body.id, action: 'closed' }).lean();
    expect(timeline.map((c) => [c.actorId, c.actorName])).to.deep.equal([[null, 'system']]);
    expect((await notices(body.id, 'case.closed')).map((n) => String(n.userId)).sort()).to.deep.equal([w.owner.id, w.member.id, w.opener.id].sort());
    expect((await run(new Date(due.getTime() + DAY))).autoClosed).to.equal(0);
    // the timeline answers a system actor
    const answer = await api().get(`/api/v1/customers/${w.customer.id}/timeline`).set(bearer(w.owner)).expect(200);
    expect(answer.body.items.find((c: { action: string }) => c.action === 'closed')).to.include({ actorId: null, actorName: 'system' });
  });

  it('finishes the effects of a step a crash left undone, once', async () => {
    const w = await caseWorld();
    // the write alone, as a process that died right after it leaves it
    const outcome = await openCaseUseCase({ id: w.opener.id, email: w.opener.email, name: 'Opener', role: 'manager', team: 'South' },
      caseBody(w) as never, config.timezone);
    const id = String(('kase' in outcome ? outcome.kase : null)!._id);
    expect(await notices(id)).to.have.length(0);
    await run(new Date());
    expect(await notices(id), 'a request may still be at it within the grace period').to.have.length(0);
    const later = new Date(Date.now() + 2 * MIN);
    await Promise.all([run(later), run(later)]);
    expect((await notices(id, 'case.opened')).map((n) => String(n.userId)).sort()).to.deep.equal([w.owner.id, w.member.id].sort());
    expect(await ChangeModel.countDocuments({ entityId: id })).to.equal(1);
    expect(await storedCase(id)).to.include({ effectsSince: null, effectsDone: 1 });
  });

  it('tells the timeline and the people once when two passes run the same steps at once', async () => {
    const w = await caseWorld();
    const outcome = await openCaseUseCase({ id: w.opener.id, email: w.opener.email, name: 'Opener', role: 'manager', team: 'South' },
      caseBody(w) as never, config.timezone);
    const kase = ('kase' in outcome ? outcome.kase : null)!;
    await Promise.all([applyCaseEffects(kase), applyCaseEffects(kase), applyCaseEffects(kase)]);
    expect(await ChangeModel.countDocuments({ entityId: kase._id })).to.equal(1);
    expect(await notices(String(kase._id), 'case.opened')).to.have.length(2);
  });

  it("sends the new kinds to a webhook that asked for them, and e-mails them in Chinese", async () => {
    const w = await caseWorld();
    const received: Array<{ notification: { kind: string; data: Record<string, unknown> } }> = [];
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString('utf8'); });
      req.on('end', () => { received.push(JSON.parse(raw)); res.writeHead(204).end(); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    const hook = await api().post('/api/v1/webhooks').set(bearer(w.admin)).send({ url, kinds: ['case.escalated'] }).expect(201);
    try {
      const id = await caseWithWindow(w, new Date(Date.now() - 30 * MIN), 5, 600);
      await escalate.handler(shanghai, {});
      await deliverJob.handler(config, {});
      const mine = received.filter((r) => r.notification.data.caseId === id);
      expect(mine.length).to.be.at.least(3);
      expect(mine.every((r) => r.notification.kind === 'case.escalated')).to.equal(true);
    } finally {
      await api().delete(`/api/v1/webhooks/${hook.body.id}`).set(bearer(w.admin)).expect(204);
      server.closeAllConnections();
      server.close();
    }
    // each user chooses where the new kinds reach them
    const prefs = await api().get('/api/v1/me/preferences').set(bearer(w.owner)).expect(200);
    expect(prefs.body.kinds['case.escalated']).to.deep.equal({ feed: true, email: 'now' });
    expect(prefs.body.kinds['case.opened']).to.deep.equal({ feed: true, email: 'digest' });
    const changed = await api().patch('/api/v1/me/preferences').set(bearer(w.owner)).send({ kinds: { 'case.escalated': { email: 'digest' } } }).expect(200);
    expect(changed.body.kinds['case.escalated']).to.deep.equal({ feed: true, email: 'digest' });
    const mail = notificationEmail('zh', 'https://ka.example.com', {
      kind: 'case.escalated', title: 'x', body: 'y', customerName: '华为',
      data: { caseId: '0123456789abcdef01234567', subject: '发票重复扣款', target: 'respond', dueLocal: '2027-03-01 10:00 (Asia/Shanghai)' },
    });
    expect(mail.subject).to.equal('工单「发票重复扣款」已超过响应时限');
    expect(mail.text).to.include('2027-03-01 10:00 (Asia/Shanghai)').and.include('https://ka.example.com/api/v1/cases/0123456789abcdef01234567');
  });

  it('counts whole days of a target on the organisation\'s clock, across a change of summer time', () => {
    // 09:00 in Berlin on 27 March 2027 (UTC+1); two days later it is summer time (UTC+2) and still 09:00
    expect(afterOnClock('Europe/Berlin', new Date('2027-03-27T08:00:00Z'), 2 * 1440).toISOString()).to.equal('2027-03-29T07:00:00.000Z');
    expect(afterOnClock('Europe/Berlin', new Date('2027-03-27T08:00:00Z'), 2 * 1440 + 90).toISOString()).to.equal('2027-03-29T08:30:00.000Z');
    expect(afterOnClock('Asia/Shanghai', new Date('2027-03-27T08:00:00Z'), 60).toISOString()).to.equal('2027-03-27T09:00:00.000Z');
  });

  it('is defined, and scheduled every five minutes', async () => {
    const { agenda, calls } = recordingAgenda();
    escalate.define(agenda, config);
    await escalate.schedule(agenda);
    expect(calls.define![0]).to.equal('cases.escalate');
    expect(calls.every!.slice(0, 2)).to.deep.equal(['*/5 * * * *', 'cases.escalate']);
  });
});

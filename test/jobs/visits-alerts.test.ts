import { expect } from 'chai';
import { NotificationModel } from '../../models/notification.ts';
import { VisitModel } from '../../models/visit.ts';
import { dayIn, daysUntil } from '../../models/visit-alerts.ts';
import * as escalate from '../../jobs/visits-escalate.ts';
import * as remind from '../../jobs/visits-remind.ts';
import { testConfig } from '../setup.ts';
import { createCustomer, createUser, type TestUser } from '../factories.ts';

const DAY = 86_400_000;
const config = testConfig({ TZ: 'Asia/Shanghai', VISIT_REMINDER_DAYS: '7,1', VISIT_ESCALATE_AFTER_DAYS: '3', VISIT_MISSED_AFTER_DAYS: '14' });

async function openVisit(owner: TestUser, dueAt: Date, kind: 'adhoc' | 'cadence' = 'adhoc') {
  const customer = await createCustomer(owner);
  // The customer's own cadence visit, planned on create: for a cadence test it is the visit; otherwise out of the way.
  const planned = (await VisitModel.findOne({ customerId: customer.id, kind: 'cadence', status: 'scheduled' }))!;
  if (kind === 'cadence') {
    planned.set({ dueAt, scheduledFor: dueAt });
    return planned.save();
  }
  planned.set({ dueAt: new Date(Date.now() + 400 * DAY), scheduledFor: new Date(Date.now() + 400 * DAY) });
  await planned.save();
  return VisitModel.create({ customerId: customer.id, ownerId: owner.id, kind, dueAt, scheduledFor: dueAt, cadenceKey: `adhoc:${Math.random()}` });
}
const notices = (visitId: unknown) => NotificationModel.find({ 'data.visitId': String(visitId) }).sort({ key: 1 }).lean();

describe('visit reminders and escalations', () => {
  it('counts days on the organisation\'s clock', () => {
    // 23:30 UTC on 1 March is already 2 March in Shanghai.
    expect(dayIn('Asia/Shanghai', new Date('2027-03-01T23:30:00Z'))).to.equal('2027-03-02');
    expect(daysUntil('Asia/Shanghai', new Date('2027-03-01T23:30:00Z'), new Date('2027-03-03T01:00:00Z'))).to.equal(1);
    expect(daysUntil('UTC', new Date('2027-03-01T23:30:00Z'), new Date('2027-03-03T01:00:00Z'))).to.equal(2);
  });

  it('reminds the owner 7 days and 1 day before, each once, and the nearest only for a visit planned late', async () => {
    const owner = await createUser();
    const now = new Date('2027-03-01T02:00:00Z'); // 10:00 in Shanghai
    const week = await openVisit(owner, new Date('2027-03-08T03:00:00Z'));
    const soon = await openVisit(owner, new Date('2027-03-02T03:00:00Z'));
    const far = await openVisit(owner, new Date('2027-03-20T03:00:00Z'));
    await remind.handler(config, { asOf: now.toISOString() });
    expect((await notices(week._id)).map((n) => n.key)).to.deep.equal([`visit.reminder:7d:${week._id}:${owner.id}`]);
    expect((await notices(soon._id)).map((n) => n.key)).to.deep.equal([`visit.reminder:1d:${soon._id}:${owner.id}`]);
    expect(await notices(far._id)).to.have.length(0);
    const again = await remind.handler(config, { asOf: now.toISOString() });
    expect(again.sent, 'a re-run sends nothing new').to.equal(0);
    await remind.handler(config, { asOf: new Date('2027-03-07T02:00:00Z').toISOString() });
    expect((await notices(week._id)).map((n) => n.key)).to.deep.equal([`visit.reminder:1d:${week._id}:${owner.id}`, `visit.reminder:7d:${week._id}:${owner.id}`]);
    const [first] = await notices(soon._id);
    expect(first).to.include({ kind: 'visit.reminder', title: first!.title });
    expect(String(first!.userId)).to.equal(owner.id);
    expect(first!.title).to.match(/due tomorrow$/);
  });

  it('escalates to the owner and the executives past the grace period, and marks the visit missed later, once each', async () => {
    const owner = await createUser();
    const executive = await createUser({ role: 'executive' });
    const now = new Date();
    const late = await openVisit(owner, new Date(now.getTime() - 5 * DAY));
    const grace = await openVisit(owner, new Date(now.getTime() - 1 * DAY));
    const gone = await openVisit(owner, new Date(now.getTime() - 20 * DAY), 'cadence');
    const result = await escalate.handler(config, { asOf: now.toISOString() });
    expect(result.missed).to.be.at.least(1);
    const lateNotices = await notices(late._id);
    expect(lateNotices.map((n) => n.kind)).to.deep.include('visit.overdue');
    expect(lateNotices.map((n) => String(n.userId))).to.include.members([owner.id, executive.id]);
    expect(await notices(grace._id)).to.have.length(0);
    expect((await VisitModel.findById(gone._id).lean())!.status).to.equal('missed');
    expect((await VisitModel.findById(late._id).lean())!.status).to.equal('scheduled');
    expect((await notices(gone._id)).map((n) => n.kind)).to.include('visit.missed');
    // The next cadence visit: one, a cadence after the missed due date (C: 180 days), not already overdue.
    const next = await VisitModel.find({ customerId: gone.customerId, kind: 'cadence', status: 'scheduled' }).lean();
    expect(next).to.have.length(1);
    expect(String(next[0]!._id)).to.not.equal(String(gone._id));
    expect(next[0]!.dueAt.getTime()).to.equal(gone.dueAt.getTime() + 180 * DAY);
    const mine = async () => (await Promise.all([late, grace, gone].map((v) => notices(v._id)))).flat().length;
    const before = await mine();
    await escalate.handler(config, { asOf: now.toISOString() });
    expect(await mine(), 'a re-run notifies nobody twice').to.equal(before);
    expect(await VisitModel.countDocuments({ customerId: gone.customerId, kind: 'cadence', status: 'scheduled' })).to.equal(1);
  });

  it('is scheduled on the organisation\'s clock', async () => {
    const calls: unknown[][] = [];
    const agenda = { define: () => undefined, every: async (...args: unknown[]) => { calls.push(args); } } as never;
    await remind.schedule(agenda, config);
    await escalate.schedule(agenda, config);
    expect(calls.map((c) => [c[0], c[1], c[3]])).to.deep.equal([
      ['5 * * * *', 'visits.remind', { timezone: 'Asia/Shanghai' }], ['0 7 * * *', 'visits.escalate', { timezone: 'Asia/Shanghai' }],
    ]);
  });
});

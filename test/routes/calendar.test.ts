import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { CustomerModel } from '../../models/customer.ts';
import { UserModel } from '../../models/user.ts';
import { VisitModel } from '../../models/visit.ts';
import { createApp } from '../../server/app.ts';
import { config } from '../setup.ts';
import { api, bearer, createCustomer, createUser, expectProblem, type TestUser } from '../factories.ts';

const DAY = 86_400_000;

async function visit(owner: TestUser, customerId: string, fields: Record<string, unknown> = {}) {
  const at = new Date(Date.now() + 10 * DAY);
  const created = await VisitModel.create({ customerId, ownerId: owner.id, kind: 'adhoc', dueAt: at, scheduledFor: at, cadenceKey: `adhoc:${Math.random()}`, ...fields });
  return created;
}

async function feedUrl(user: TestUser): Promise<string> {
  const res = await api().post('/api/v1/me/calendar-token').set(bearer(user)).expect(201);
  expect(res.headers['cache-control']).to.equal('no-store');
  return new URL(res.body.url as string).pathname;
}

describe('calendar feed', () => {
  it("serves the token owner's scheduled visits as iCalendar, overdue ones included, nobody else's", async () => {
    const anna = await createUser({ role: 'manager' });
    const ben = await createUser({ role: 'manager' });
    const customer = await createCustomer(anna, { name: 'Fjord Energy AS' });
    const upcoming = await visit(anna, customer.id, { channel: 'video' });
    const overdue = await visit(anna, customer.id, { dueAt: new Date(Date.now() - 3 * DAY), scheduledFor: new Date(Date.now() - 3 * DAY) });
    const done = await visit(anna, customer.id, { status: 'completed', completedAt: new Date() });
    const bens = await visit(ben, customer.id);

    const path = await feedUrl(anna);
    const res = await api().get(path).expect(200);
    expect(res.headers['content-type']).to.match(/^text\/calendar/);
    const text = res.text;
    expect(text).to.match(/^BEGIN:VCALENDAR/);
    expect(text).to.include(`UID:${upcoming.id}@key-accounts`);
    expect(text).to.include(`UID:${overdue.id}@key-accounts`);
    expect(text).to.not.include(done.id);
    expect(text).to.not.include(bens.id);
    expect(text).to.include('SUMMARY:Visit: Fjord Energy AS');
    expect(text).to.include('(overdue)');
    // The customer's first cadence visit, planned when it was created, is Anna's too.
    const cadence = (await VisitModel.findOne({ customerId: customer.id, kind: 'cadence', status: 'scheduled' }).lean())!;
    expect(text).to.include(`UID:${cadence._id}@key-accounts`);
    expect(text).to.include('SUMMARY:Satisfaction visit: Fjord Energy AS');
    expect(text.match(/BEGIN:VEVENT/g)).to.have.length(3);
  });

  it('stops serving an address once rotated, for a deactivated user, and for a made-up token (404)', async () => {
    const anna = await createUser({ role: 'manager' });
    const first = await feedUrl(anna);
    await api().get(first).expect(200);
    const second = await feedUrl(anna);
    expect(second).to.not.equal(first);
    expectProblem(await api().get(first), 404);
    await api().get(second).expect(200);
    expectProblem(await api().get(second.replace(/.{5}\.ics$/, 'AAAAA.ics')), 404);
    expectProblem(await api().get(`/api/v1/calendar/${anna.id}.ics`), 404);
    expectProblem(await api().get(second.replace('.ics', '.txt')), 404);
    await UserModel.updateOne({ _id: anna.id }, { $set: { active: false } });
    expectProblem(await api().get(second), 404);
    const stored = (await UserModel.findById(anna.id).lean())!;
    expect(stored.calendarTokenHash, 'only a hash is stored').to.match(/^[0-9a-f]{64}$/);
    expect(second).to.not.include(stored.calendarTokenHash!);
  });

  it('needs a signed-in user to issue a token, and never writes the token to the logs', async () => {
    expectProblem(await api().post('/api/v1/me/calendar-token'), 401);
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const logged = createApp(config, pino({ level: 'info' }, sink));
    const anna = await createUser({ role: 'manager' });
    const res = await request(logged).post('/api/v1/me/calendar-token').set(bearer(anna)).expect(201);
    const token = res.body.token as string;
    await request(logged).get(`/api/v1/calendar/${token}.ics`).expect(200);
    const log = lines.join('');
    expect(log).to.include('/api/v1/calendar/[redacted].ics');
    expect(log).to.not.include(token.split('.')[1]!);
    expect(await CustomerModel.countDocuments({ ownerId: anna.id })).to.equal(0);
  });

  it('hands open visits on when the owner or the team changes, and lists only customers its owner may still see', async () => {
    const anna = await createUser({ role: 'manager' });
    const ben = await createUser({ role: 'manager' });
    const tom = await createUser({ role: 'manager' });
    const admin = await createUser({ role: 'admin' });
    const customer = await createCustomer(anna, { name: 'Harbor Logistics BV', accountTeam: [tom.id] });
    const cadence = (await VisitModel.findOne({ customerId: customer.id, kind: 'cadence', status: 'scheduled' }).lean())!;
    const toms = await visit(tom, customer.id);
    const done = await visit(anna, customer.id, { status: 'completed', completedAt: new Date() });
    const [annaFeed, benFeed, tomFeed] = [await feedUrl(anna), await feedUrl(ben), await feedUrl(tom)];
    expect((await api().get(annaFeed).expect(200)).text).to.include(`UID:${cadence._id}@key-accounts`);
    expect((await api().get(tomFeed).expect(200)).text).to.include(`UID:${toms.id}@key-accounts`);

    // The account goes to Ben; Tom stays on the team and keeps his visit; Anna's open one is Ben's now.
    await api().patch(`/api/v1/customers/${customer.id}`).set(bearer(admin)).send({ ownerId: ben.id }).expect(200);
    expect(String((await VisitModel.findById(cadence._id).lean())!.ownerId)).to.equal(ben.id);
    expect(String((await VisitModel.findById(toms._id).lean())!.ownerId)).to.equal(tom.id);
    expect(String((await VisitModel.findById(done._id).lean())!.ownerId)).to.equal(anna.id); // history stays as it was
    expect((await api().get(annaFeed).expect(200)).text).to.not.include('Harbor Logistics');
    expect((await api().get(benFeed).expect(200)).text).to.include(`UID:${cadence._id}@key-accounts`);

    // Tom leaves the team: his open visit goes to the owner.
    await api().patch(`/api/v1/customers/${customer.id}`).set(bearer(ben)).send({ accountTeam: [] }).expect(200);
    expect(String((await VisitModel.findById(toms._id).lean())!.ownerId)).to.equal(ben.id);
    expect((await api().get(tomFeed).expect(200)).text).to.not.include('Harbor Logistics');

    // Whatever a visit's owner says, the feed shows only customers its reader may see.
    await VisitModel.updateOne({ _id: toms._id }, { $set: { ownerId: tom.id } });
    expect((await api().get(tomFeed).expect(200)).text).to.not.include(toms.id);
  });
});

import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { define, deliver as deliverAll, handler, name, schedule } from '../../jobs/notifications-deliver.ts';
import { NotificationModel, notify, type NotificationKind } from '../../models/notification.ts';
import { DeliveryModel, MAX_ATTEMPTS } from '../../models/webhook.ts';
import { config } from '../setup.ts';
import { api, bearer, createUser, recordingAgenda, type TestUser } from '../factories.ts';

/** A delivery pass as the worker runs it, with the test configuration's allowed networks (the receivers' 127.0.0.1). */
const deliver = (options: Parameters<typeof deliverAll>[0] = {}) => deliverAll({ allowedNetworks: config.webhookAllowedNetworks, ...options });

type Answer = 'ok' | 'error' | 'hang';
type Received = { headers: IncomingHttpHeaders; raw: string; body: { notification?: { id: string } } & Record<string, unknown>; signatureValid: boolean; answer: Answer };

/**
 * A real HTTP receiver on 127.0.0.1. It checks each request's signature with the secret it was given and answers as
 * `answerFor` says for the n-th request carrying that notification (0-based): 204, 500, or nothing at all.
 */
async function receiver(answerFor: (n: number) => Answer = () => 'ok', port = 0) {
  const received: Received[] = [];
  let secret = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw);
      // As the README tells receivers: t and v1 from X-KA-Signature, the HMAC over "<t>.<raw body>".
      const header = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-ka-signature'] ?? ''));
      const expected = header ? createHmac('sha256', secret).update(`${header[1]}.${raw}`).digest() : Buffer.alloc(0);
      const given = header ? Buffer.from(header[2]!, 'hex') : Buffer.alloc(1);
      const signatureValid = given.length === expected.length && timingSafeEqual(given, expected);
      const n = received.filter((r) => r.body.notification?.id === body.notification?.id).length;
      const answer = answerFor(n);
      received.push({ headers: req.headers, raw, body, signatureValid, answer });
      if (answer === 'ok') res.writeHead(signatureValid ? 204 : 401).end();
      else if (answer === 'error') res.writeHead(500).end('down for maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/hooks/ka`,
    port: address.port,
    received,
    setSecret: (s: string) => { secret = s; },
    /** The requests about one notification. */
    about: (notificationId: string) => received.filter((r) => r.body.notification?.id === notificationId),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
type Receiver = Awaited<ReturnType<typeof receiver>>;

let admin: TestUser;
const opened: Array<{ webhookId: string; receiver?: Receiver }> = [];

/** A webhook registered over HTTP for this receiver; deactivated and closed after the test, so later runs skip it. */
async function webhookFor(r: Receiver, body: Record<string, unknown> = {}) {
  const res = await api().post('/api/v1/webhooks').set(bearer(admin)).send({ url: r.url, ...body }).expect(201);
  r.setSecret(res.body.secret);
  opened.push({ webhookId: res.body.id, receiver: r });
  return res.body as { id: string; secret: string };
}

async function notifyOne(user: TestUser, kind: NotificationKind = 'visit.reminder') {
  const key = `test.deliver:${randomUUID()}`;
  await notify([{ userId: user.id, kind, key, title: `Due soon ${key}`, body: 'Visit due in 7 days', data: { visitId: 'v1' } }]);
  return String((await NotificationModel.findOne({ key }).lean())!._id);
}

const deliveriesOf = (notificationId: string) => DeliveryModel.find({ notificationId }).lean();

describe(`job ${name}`, () => {
  let user: TestUser;
  before(async () => {
    admin = await createUser({ role: 'admin' });
    user = await createUser();
  });
  afterEach(async () => {
    for (const { webhookId, receiver: r } of opened.splice(0)) {
      await api().delete(`/api/v1/webhooks/${webhookId}`).set(bearer(admin)).expect(204);
      await r?.close();
    }
  });

  it('POSTs a new notification once, signed with the secret the webhook was given', async () => {
    const r = await receiver();
    const webhook = await webhookFor(r);
    const notificationId = await notifyOne(user);
    const result = await handler(config, {});
    expect(result.created).to.be.at.least(1);
    const [request, ...more] = r.about(notificationId);
    expect(more).to.have.length(0);
    expect(request!.signatureValid).to.equal(true);
    expect(request!.headers['content-type']).to.match(/^application\/json/);
    const [delivery] = await deliveriesOf(notificationId);
    expect(request!.headers['x-ka-delivery']).to.equal(String(delivery!._id));
    // The signed time is the delivery's: a receiver refuses one far from its clock, so a captured request cannot be replayed later.
    const signedAt = Number(/^t=(\d+),/.exec(String(request!.headers['x-ka-signature']))![1]) * 1000;
    expect(Math.abs(Date.now() - signedAt)).to.be.below(60_000);
    expect(request!.headers).not.to.have.property('x-ka-timestamp');
    const stored = await NotificationModel.findById(notificationId).lean();
    expect(request!.body).to.deep.equal({
      deliveryId: String(delivery!._id),
      notification: {
        id: notificationId, kind: 'visit.reminder', title: stored!.title, body: 'Visit due in 7 days', data: { visitId: 'v1' },
        userId: user.id, createdAt: stored!.createdAt.toISOString(),
      },
    });
    expect(delivery).to.include({ key: `${notificationId}:${webhook.id}`, state: 'delivered', attempts: 1, lastStatus: 204, lastError: null });
    expect(delivery!.deliveredAt).to.be.instanceOf(Date);

    const listed = await api().get(`/api/v1/webhooks/${webhook.id}/deliveries?state=delivered`).set(bearer(admin)).expect(200);
    const item = listed.body.items.find((d: { notificationId: string }) => d.notificationId === notificationId);
    expect(item).to.include({ id: String(delivery!._id), state: 'delivered', attempts: 1, lastStatus: 204 });
    expect(item).to.not.have.any.keys('payload', '_id');
  });

  it('retries a receiver that fails twice after each backoff, and it accepts the notification exactly once', async () => {
    const r = await receiver((n) => (n < 2 ? 'error' : 'ok'));
    await webhookFor(r);
    const notificationId = await notifyOne(user);
    const start = new Date();
    await deliver({ now: start });
    let [d] = await deliveriesOf(notificationId);
    expect(d).to.include({ state: 'pending', attempts: 1, lastStatus: 500 });
    expect(d!.nextAttemptAt!.getTime() - start.getTime()).to.equal(30_000);

    // Not yet due: nothing is sent.
    await deliver({ now: new Date(d!.nextAttemptAt!.getTime() - 1) });
    expect(r.about(notificationId)).to.have.length(1);

    await deliver({ now: d!.nextAttemptAt! });
    const second = d!.nextAttemptAt!;
    [d] = await deliveriesOf(notificationId);
    expect(d).to.include({ state: 'pending', attempts: 2, lastStatus: 500 });
    expect(d!.nextAttemptAt!.getTime() - second.getTime()).to.equal(60_000);

    await deliver({ now: d!.nextAttemptAt! });
    [d] = await deliveriesOf(notificationId);
    expect(d).to.include({ state: 'delivered', attempts: 3, lastStatus: 204, lastError: null, nextAttemptAt: null });

    await deliver({ now: new Date(d!.deliveredAt!.getTime() + 86_400_000) });
    const requests = r.about(notificationId);
    expect(requests.map((q) => q.answer)).to.deep.equal(['error', 'error', 'ok']);
    expect(requests.every((q) => q.signatureValid)).to.equal(true);
    expect(new Set(requests.map((q) => q.headers['x-ka-delivery'])).size).to.equal(1);
    expect(new Set(requests.map((q) => q.raw)).size, 'every attempt sends the same body').to.equal(1);
  });

  it('ends failed after the maximum attempts when the receiver never answers', async () => {
    const r = await receiver(() => 'hang');
    await webhookFor(r);
    const notificationId = await notifyOne(user);
    let now = new Date();
    for (let i = 0; i < MAX_ATTEMPTS; i += 1) {
      await deliver({ now, timeoutMs: 150 });
      const [d] = await deliveriesOf(notificationId);
      expect(d!.attempts).to.equal(i + 1);
      if (i < MAX_ATTEMPTS - 1) {
        expect(d!.state).to.equal('pending');
        expect(d!.nextAttemptAt!.getTime()).to.be.greaterThan(now.getTime());
        now = d!.nextAttemptAt!;
      }
    }
    const [d] = await deliveriesOf(notificationId);
    expect(d).to.include({ state: 'failed', attempts: MAX_ATTEMPTS, lastStatus: null, nextAttemptAt: null, deliveredAt: null });
    expect(d!.lastError).to.match(/no answer within 150 ms/);
    await deliver({ now: new Date(now.getTime() + 86_400_000), timeoutMs: 150 });
    expect(r.about(notificationId)).to.have.length(MAX_ATTEMPTS);
  });

  it('keeps a delivery pending while the receiver is down, and delivers it when it is back', async () => {
    const probe = await receiver();
    const { port, url } = probe;
    await probe.close();
    const res = await api().post('/api/v1/webhooks').set(bearer(admin)).send({ url }).expect(201);
    opened.push({ webhookId: res.body.id });
    const notificationId = await notifyOne(user);
    await deliver();
    let [d] = await deliveriesOf(notificationId);
    expect(d).to.include({ state: 'pending', attempts: 1, lastStatus: null });
    expect(d!.lastError).to.match(/ECONNREFUSED/);
    const back = await receiver(() => 'ok', port);
    back.setSecret(res.body.secret);
    opened[opened.length - 1]!.receiver = back;
    await deliver({ now: d!.nextAttemptAt! });
    [d] = await deliveriesOf(notificationId);
    expect(d).to.include({ state: 'delivered', attempts: 2 });
    expect(back.about(notificationId).map((q) => q.signatureValid)).to.deep.equal([true]);
  });

  it('makes no second delivery on a second run, nor when two runs overlap', async () => {
    const r1 = await receiver();
    const r2 = await receiver();
    const w1 = await webhookFor(r1);
    const w2 = await webhookFor(r2);
    const notificationId = await notifyOne(user);
    await Promise.all([deliver(), deliver()]);
    await deliver();
    const deliveries = await deliveriesOf(notificationId);
    expect(deliveries.map((d) => String(d.webhookId)).sort()).to.deep.equal([w1.id, w2.id].sort());
    expect(deliveries.every((d) => d.state === 'delivered')).to.equal(true);
    // Sequential runs send nothing again; overlapping ones may (at least once), but only under the same delivery id.
    for (const r of [r1, r2]) expect(new Set(r.about(notificationId).map((q) => q.headers['x-ka-delivery'])).size).to.equal(1);
    const before = r1.about(notificationId).length + r2.about(notificationId).length;
    expect((await deliver()).created).to.equal(0);
    expect(r1.about(notificationId).length + r2.about(notificationId).length).to.equal(before);
  });

  it('sends a webhook only the kinds it asked for, and nothing created before it existed', async () => {
    const earlier = await notifyOne(user, 'visit.reminder');
    const reminders = await receiver();
    const alerts = await receiver();
    const wr = await webhookFor(reminders, { kinds: ['visit.reminder'] });
    const wa = await webhookFor(alerts, { kinds: ['satisfaction.alert', 'visit.missed'] });
    const reminder = await notifyOne(user, 'visit.reminder');
    const alert = await notifyOne(user, 'satisfaction.alert');
    await deliver();
    expect(reminders.received.map((q) => q.body.notification?.id)).to.deep.equal([reminder]);
    expect(alerts.received.map((q) => q.body.notification?.id)).to.deep.equal([alert]);
    expect((await deliveriesOf(reminder)).map((d) => String(d.webhookId))).to.deep.equal([wr.id]);
    expect((await deliveriesOf(alert)).map((d) => String(d.webhookId))).to.deep.equal([wa.id]);
    expect(await deliveriesOf(earlier)).to.have.length(0);
  });

  it('registers the job and runs it every minute', async () => {
    const { agenda, calls } = recordingAgenda();
    define(agenda, config);
    await schedule(agenda);
    expect(calls.define![0]).to.equal(name);
    expect(calls.every!.slice(0, 2)).to.deep.equal(['1 minute', name]);
    let error: unknown;
    try { await handler(config, { now: 'yesterday' }); } catch (err) { error = err; }
    expect(String(error)).to.match(/now is not a date/);
  });
});

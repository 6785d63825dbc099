import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { handler as notifyApprovals } from '../../jobs/approvals-notify.ts';
import { handler, name } from '../../jobs/mail-send.ts';
import { EmailModel, SEND_LEASE_MS } from '../../models/email.ts';
import { NotificationModel, notify, type NotificationKind } from '../../models/notification.ts';
import { UserModel } from '../../models/user.ts';
import { api, bearer, createCustomer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { dataDir, databaseUri, testConfig } from '../setup.ts';

// The mail job against a real SMTP server (smtp-server, with a login) on 127.0.0.1. Every pass runs at a clock of its
// own far from the other tests' data (2031), at UTC hours before 08:00, so that only this file's users have a digest due.

type Received = { to: string[]; mail: ParsedMail; secure: boolean };
type Refusal = { code: number; message: string } | null;

type Tls = 'none' | 'starttls' | 'tls';

/** A relay: plain SMTP, STARTTLS offered, or TLS from the start (smtp-server's own self-signed certificate). */
async function smtpServer(refuse: (rcpt: string, attempt: number) => Refusal = () => null, tls: Tls = 'none') {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const server = new SMTPServer({
    logger: false, authMethods: ['PLAIN', 'LOGIN'],
    ...(tls === 'none' ? { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } : tls === 'tls' ? { secure: true } : {}),
    onAuth(auth, _session, callback) {
      if (auth.username === 'ka' && auth.password === 'relay-password') callback(null, { user: 'ka' });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      const n = attempts.get(address.address) ?? 0;
      attempts.set(address.address, n + 1);
      const refusal = refuse(address.address, n);
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail, secure: session.secure });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  // Only the test trusts the self-signed certificate; a real relay's is checked (README: NODE_EXTRA_CA_CERTS).
  const url = tls === 'tls' ? `smtps://ka:relay-password@127.0.0.1:${port}?tls.rejectUnauthorized=false`
    : tls === 'starttls' ? `smtp://ka:relay-password@127.0.0.1:${port}?requireTLS=true&tls.rejectUnauthorized=false`
      : `smtp://ka:relay-password@127.0.0.1:${port}`;
  return {
    url,
    received,
    to: (address: string) => received.filter((r) => r.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
type Smtp = Awaited<ReturnType<typeof smtpServer>>;

const PUBLIC_URL = 'https://ka.example.com';
const mailConfig = (smtpUrl: string) => testConfig({ SMTP_URL: smtpUrl, MAIL_FROM: 'Key accounts <ka@test.local>', PUBLIC_URL });
const pass = (smtp: { url: string }, at: Date | string) => handler(mailConfig(smtp.url), { now: new Date(at).toISOString() });
const at = (iso: string, plusMs = 0) => new Date(Date.parse(iso) + plusMs);
const fakeId = () => randomBytes(12).toString('hex');
const emailsOf = (user: TestUser) => EmailModel.find({ userId: user.id }).sort({ _id: 1 }).lean();

async function notifyAt(user: TestUser, kind: NotificationKind, now: Date, data: Record<string, unknown> = {}, title = `${kind} for ${user.email}`) {
  const key = `test.mail:${fakeId()}`;
  await notify([{ userId: user.id, kind, key, title, body: `Body of ${title}`, data }], now);
  return String((await NotificationModel.findOne({ key }).lean())!._id);
}

describe(`job ${name}`, function () {
  this.timeout(60_000);
  let smtp: Smtp;
  before(async () => {
    smtp = await smtpServer((rcpt, n) => {
      if (rcpt.startsWith('busy-') && n === 0) return { code: 451, message: '4.3.0 Mailbox busy, try again later' };
      if (rcpt.startsWith('gone-')) return { code: 550, message: '5.1.1 No such mailbox here' };
      return null;
    });
  });
  after(async () => {
    await smtp.close();
    // The notifications made here are dated 2031: later tests' webhooks would otherwise take them as new.
    await NotificationModel.deleteMany({ createdAt: { $gte: new Date('2031-01-01T00:00:00Z') } });
  });

  it('does nothing without SMTP_URL, and says so in /readyz', async () => {
    expect(await handler(testConfig(), {})).to.equal(null);
    const res = await api().get('/readyz');
    expect(res.body.mail).to.equal('off');
  });

  it('mails an alert at once: both parts, headers, the record\'s link, and only once per notification', async () => {
    const user = await createUser();
    const customer = await createCustomer(user);
    const visitId = fakeId();
    const now = at('2031-01-06T03:00:00Z');
    const id = await notifyAt(user, 'visit.overdue', now, { visitId, customerId: customer.id, daysOverdue: 4 }, `Visit to ${customer.name} is 4 days overdue`);
    const result = await pass(smtp, now);
    expect(result!.queued).to.be.greaterThanOrEqual(1);
    const got = smtp.to(user.email);
    expect(got).to.have.length(1);
    const { mail } = got[0]!;
    const [stored] = await emailsOf(user);
    expect(stored).to.include({ type: 'notification', state: 'sent', attempts: 1, to: user.email, key: `notification:${id}:${user.id}` });
    expect(stored!.sentAt!.toISOString()).to.equal(now.toISOString());
    expect(mail.from!.text).to.equal('"Key accounts" <ka@test.local>');
    expect(mail.subject).to.equal(`Visit to ${customer.name} is 4 days overdue`);
    expect(mail.messageId).to.equal(stored!.messageId);
    expect(mail.headers.get('x-ka-email')).to.equal(String(stored!._id));
    expect(mail.headers.get('auto-submitted')).to.equal('auto-generated');
    const link = `${PUBLIC_URL}/api/v1/visits/${visitId}`;
    expect(mail.text).to.include(`Body of Visit to ${customer.name} is 4 days overdue`).and.include(link);
    expect(mail.html).to.be.a('string').and.include(`<a href="${link}">`);

    // A later pass, a second pass at the same clock: nothing more for this notification.
    await pass(smtp, at('2031-01-06T03:01:00Z'));
    await pass(smtp, now);
    expect(smtp.to(user.email)).to.have.length(1);
    expect(await EmailModel.countDocuments({ userId: user.id })).to.equal(1);
    // ...and the user sees it in their own list.
    const mine = await api().get('/api/v1/me/emails').set(bearer(user)).expect(200);
    expect(mine.body.items.map((e: { id: string; state: string }) => [e.id, e.state])).to.deep.equal([[String(stored!._id), 'sent']]);
    expect(mine.body.items[0]).not.to.have.any.keys('text', 'html', 'leaseUntil');
  });

  it('writes in Chinese to a user who reads Chinese', async () => {
    const user = await createUser();
    const customer = await createCustomer(user);
    await api().patch('/api/v1/me/preferences').set(bearer(user)).send({ language: 'zh' }).expect(200);
    const now = at('2031-01-07T03:00:00Z');
    await notifyAt(user, 'satisfaction.alert', now, { customerId: customer.id, visitId: fakeId(), satisfaction: 2, recommend: 3 });
    await pass(smtp, now);
    const [got] = smtp.to(user.email);
    expect(got!.mail.subject).to.equal(`客户不满意：${customer.name}`);
    expect(got!.mail.text).to.include('满意度 2/5，推荐意愿 3/10。').and.include(`${PUBLIC_URL}/api/v1/visits/`);
    expect(got!.mail.html).to.include('<html lang="zh">').and.include('打开');
  });

  it('retries a temporary refusal with backoff and fails a permanent one, visible to the user and to admins', async () => {
    const busy = await createUser({ email: `busy-${fakeId().slice(0, 8)}@test.local` });
    const gone = await createUser({ email: `gone-${fakeId().slice(0, 8)}@test.local` });
    const admin = await createUser({ role: 'admin' });
    const now = at('2031-01-08T03:00:00Z');
    await notifyAt(busy, 'visit.missed', now);
    await notifyAt(gone, 'visit.missed', now);
    await pass(smtp, now);
    let [b] = await emailsOf(busy);
    const [g] = await emailsOf(gone);
    expect(b).to.include({ state: 'pending', attempts: 1 });
    expect(b!.lastError).to.include('451');
    expect(b!.nextAttemptAt!.toISOString()).to.equal(at('2031-01-08T03:01:00Z').toISOString());
    expect(g).to.include({ state: 'failed', attempts: 1 });
    expect(g!.lastError).to.include('550');
    expect(smtp.to(busy.email)).to.have.length(0);

    await pass(smtp, at('2031-01-08T03:00:30Z')); // not due yet
    expect((await emailsOf(busy))[0]).to.include({ state: 'pending', attempts: 1 });
    await pass(smtp, at('2031-01-08T03:01:00Z'));
    [b] = await emailsOf(busy);
    expect(b).to.include({ state: 'sent', attempts: 2 });
    expect(smtp.to(busy.email)).to.have.length(1);

    const own = await api().get('/api/v1/me/emails?state=failed').set(bearer(gone)).expect(200);
    expect(own.body.items).to.have.length(1);
    expect(own.body.items[0].lastError).to.include('No such mailbox');
    const listed = await api().get(`/api/v1/emails?state=failed&userId=${gone.id}`).set(bearer(admin)).expect(200);
    expect(listed.body.items.map((e: { id: string }) => e.id)).to.deep.equal([String(g!._id)]);
    expectProblem(await api().get('/api/v1/emails').set(bearer(gone)), 403);
    // An admin sends it again once the address is fixed: pending, attempts afresh; a second retry is refused.
    const retried = await api().post(`/api/v1/emails/${String(g!._id)}/retry`).set(bearer(admin)).expect(200);
    expect(retried.body).to.include({ state: 'pending', attempts: 0 });
    expectProblem(await api().post(`/api/v1/emails/${String(g!._id)}/retry`).set(bearer(admin)), 409);
    expectProblem(await api().post(`/api/v1/emails/${fakeId()}/retry`).set(bearer(admin)), 404);
    await EmailModel.updateOne({ _id: g!._id }, { $set: { state: 'failed' } }); // leave nothing due for the next tests
  });

  it('keeps an e-mail pending while the relay is down or refuses the login, and sends it when it is back', async () => {
    const user = await createUser();
    const now = at('2031-01-09T03:00:00Z');
    await notifyAt(user, 'visit.missed', now);
    const closed = await smtpServer();
    await closed.close();
    await pass(closed, now);
    let [e] = await emailsOf(user);
    expect(e).to.include({ state: 'pending', attempts: 1 });
    expect(e!.lastError).to.match(/ECONNREFUSED|ECONNECTION/);
    await pass({ url: smtp.url.replace('relay-password', 'wrong-password') }, at('2031-01-09T03:01:00Z'));
    [e] = await emailsOf(user);
    expect(e).to.include({ state: 'pending', attempts: 2 });
    expect(e!.lastError).to.match(/EAUTH|535|Invalid/);
    await pass(smtp, at('2031-01-09T03:03:00Z'));
    [e] = await emailsOf(user);
    expect(e).to.include({ state: 'sent', attempts: 3 });
    expect(smtp.to(user.email)).to.have.length(1);
  });

  it('speaks TLS to an smtps:// relay and upgrades with STARTTLS where asked to', async () => {
    for (const tls of ['tls', 'starttls'] as const) {
      const secure = await smtpServer(() => null, tls);
      const user = await createUser();
      const now = at(tls === 'tls' ? '2031-01-09T05:00:00Z' : '2031-01-09T05:10:00Z');
      await notifyAt(user, 'visit.missed', now);
      await pass(secure, now);
      const got = secure.to(user.email);
      expect(got, tls).to.have.length(1);
      expect(got[0]!.secure, tls).to.equal(true);
      expect((await emailsOf(user))[0]).to.include({ state: 'sent' });
      await secure.close();
    }
    // A relay that offers no STARTTLS is refused when TLS is required: nothing goes out in the clear.
    const user = await createUser();
    const now = at('2031-01-09T05:20:00Z');
    await notifyAt(user, 'visit.missed', now);
    await pass({ url: `${smtp.url}?requireTLS=true` }, now);
    expect(smtp.to(user.email)).to.have.length(0);
    expect((await emailsOf(user))[0], JSON.stringify((await emailsOf(user))[0])).to.include({ state: 'pending' });
    await EmailModel.updateMany({ userId: user.id }, { $set: { state: 'failed' } }); // leave nothing due for the next tests
  });

  describe('a worker killed in the middle of sending', () => {
    /** One pass in a child process that SIGKILLs itself at the failpoint; answers its exit signal (and output, if any). */
    function passInChild(now: Date, failpoint: string): Promise<string> {
      const child = spawn(process.execPath, [path.join(import.meta.dirname, 'mail-pass.ts')], {
        env: {
          ...process.env, NODE_ENV: 'test', MONGODB_URI: databaseUri(), DATA_DIR: dataDir, JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123456789',
          SMTP_URL: smtp.url, MAIL_FROM: 'Key accounts <ka@test.local>', PUBLIC_URL, MAIL_NOW: now.toISOString(), KA_FAILPOINT: failpoint,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (c: Buffer) => { output += c.toString('utf8'); });
      child.stderr!.on('data', (c: Buffer) => { output += c.toString('utf8'); });
      return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal === 'SIGKILL' ? 'SIGKILL' : `exit ${code}: ${output}`)));
    }

    async function threeAlerts(day: string) {
      await pass(smtp, at(`${day}T03:00:00Z`)); // whatever else is due is sent first, so the child sends only these
      const user = await createUser();
      const now = at(`${day}T03:01:00Z`);
      for (let i = 0; i < 3; i++) await notifyAt(user, 'visit.missed', now, {}, `Missed ${i} ${user.email}`);
      return { user, now };
    }
    const countsBySubject = (smtpTo: Received[]) => smtpTo.map((r) => r.mail.subject!).sort()
      .reduce((m, s) => m.set(s, (m.get(s) ?? 0) + 1), new Map<string, number>());

    it('before the relay accepted an e-mail: every e-mail arrives exactly once', async () => {
      const { user, now } = await threeAlerts('2031-01-10');
      expect(await passInChild(now, 'mail.before-send@2')).to.equal('SIGKILL');
      let emails = await emailsOf(user);
      expect(emails.map((e) => e.state)).to.deep.equal(['sent', 'sending', 'pending']);
      expect(smtp.to(user.email)).to.have.length(1);
      // Within the lease nobody touches the claimed one; the pending one goes.
      await pass(smtp, at(now.toISOString(), 30_000));
      expect((await emailsOf(user)).map((e) => e.state)).to.deep.equal(['sent', 'sending', 'sent']);
      await pass(smtp, at(now.toISOString(), SEND_LEASE_MS + 1000));
      emails = await emailsOf(user);
      expect(emails.map((e) => e.state)).to.deep.equal(['sent', 'sent', 'sent']);
      expect(emails.map((e) => e.attempts)).to.deep.equal([1, 2, 1]);
      expect([...countsBySubject(smtp.to(user.email)).values()]).to.deep.equal([1, 1, 1]);
    });

    it('after the relay accepted one but before that was recorded: that one alone comes twice, with the same Message-ID', async () => {
      const { user, now } = await threeAlerts('2031-01-11');
      expect(await passInChild(now, 'mail.after-send@2')).to.equal('SIGKILL');
      expect((await emailsOf(user)).map((e) => e.state)).to.deep.equal(['sent', 'sending', 'pending']);
      expect(smtp.to(user.email)).to.have.length(2);
      await pass(smtp, at(now.toISOString(), SEND_LEASE_MS + 1000));
      const emails = await emailsOf(user);
      expect(emails.map((e) => e.state)).to.deep.equal(['sent', 'sent', 'sent']);
      const got = smtp.to(user.email);
      const second = got.filter((r) => r.mail.messageId === emails[1]!.messageId);
      expect(second).to.have.length(2); // the documented at-least-once edge
      expect(got.filter((r) => r.mail.messageId === emails[0]!.messageId)).to.have.length(1);
      expect(got.filter((r) => r.mail.messageId === emails[2]!.messageId)).to.have.length(1);
    });
  });

  describe('the daily digest', () => {
    it("comes once, at the user's hour in their time zone, on their calendar day", async () => {
      const user = await createUser();
      const customer = await createCustomer(user); // its first cadence visit is due long before 2031: overdue
      await api().patch('/api/v1/me/preferences').set(bearer(user)).send({ timezone: 'America/Los_Angeles', digestHour: 20 }).expect(200);
      const plan = async (iso: string) => (await api().post(`/api/v1/customers/${customer.id}/visits`).set(bearer(user)).send({ scheduledFor: iso }).expect(201)).body.id as string;
      // In Los Angeles (UTC-7 in June) 2031-06-10T03:10Z is 20:10 on 9 June.
      const today = await plan('2031-06-09T18:00:00Z');
      const thisWeek = await plan('2031-06-12T18:00:00Z');
      await plan('2031-06-25T18:00:00Z'); // beyond the week
      await pass(smtp, '2031-06-10T02:50:00Z'); // 19:50 there: not yet
      expect(smtp.to(user.email)).to.have.length(0);
      await pass(smtp, '2031-06-10T03:10:00Z');
      const got = smtp.to(user.email);
      expect(got).to.have.length(1);
      const { mail } = got[0]!;
      expect(mail.subject).to.equal('Your key accounts for 2031-06-09: 3 items');
      const text = mail.text!;
      const order = ['Overdue visits', 'Visits due today', 'Visits due this week'].map((h) => text.indexOf(h));
      expect(order.every((i) => i >= 0)).to.equal(true);
      expect(order).to.deep.equal([...order].sort((a, b) => a - b));
      expect(text.indexOf(`${PUBLIC_URL}/api/v1/visits/${today}`)).to.be.greaterThan(order[1]!);
      expect(text.indexOf(`${PUBLIC_URL}/api/v1/visits/${thisWeek}`)).to.be.greaterThan(order[2]!);
      expect(text).to.include(`${customer.name}: adhoc visit due 2031-06-09`).and.include('2031-06-12');
      expect(text).not.to.include('2031-06-25');
      expect(mail.html).to.include(`<a href="${PUBLIC_URL}/api/v1/visits/${today}">`);
      const [stored] = await emailsOf(user);
      expect(stored).to.include({ type: 'digest', key: `digest:${user.id}:2031-06-09`, state: 'sent' });
      // Later the same local day: no second digest.
      await pass(smtp, '2031-06-10T06:59:00Z');
      expect(smtp.to(user.email)).to.have.length(1);
    });

    it('honours the preferences: channels per kind, the feed, no digest when there is nothing to tell', async () => {
      const user = await createUser();
      const customer = await createCustomer(user);
      const set = (body: object) => api().patch('/api/v1/me/preferences').set(bearer(user)).send(body);
      const defaults = (await api().get('/api/v1/me/preferences').set(bearer(user)).expect(200)).body;
      expect(defaults).to.deep.include({ language: 'en', timezone: null, effectiveTimezone: 'UTC', digestHour: 8, digest: true, mail: 'off' });
      expect(defaults.kinds['visit.reminder']).to.deep.equal({ feed: true, email: 'digest' });
      expect(defaults.kinds['visit.overdue']).to.deep.equal({ feed: true, email: 'now' });
      expect(defaults.kinds['satisfaction.alert']).to.deep.equal({ feed: true, email: 'now' });
      for (const bad of [{}, { timezone: 'Mars/Olympus' }, { digestHour: 24 }, { digestHour: '7' }, { kinds: { 'visit.soon': { email: 'now' } } },
        { kinds: { 'visit.overdue': { email: 'sometimes' } } }, { kinds: { 'visit.overdue': {} } }, { language: 'fr' }, { $set: { digest: false } }]) {
        expectProblem(await set(bad), 400);
      }
      expect((await UserModel.findById(user.id).lean())!.preferences).to.equal(null);

      // Changes from several devices at once all hold.
      await Promise.all([
        set({ kinds: { 'visit.overdue': { email: 'digest', feed: false } } }),
        set({ kinds: { 'satisfaction.alert': { email: 'off' } } }),
        set({ timezone: 'Asia/Shanghai' }),
        set({ digestHour: 9 }),
        set({ kinds: { 'visit.reminder': { feed: false } } }),
      ].map((p) => p.then((res) => expect(res.status).to.equal(200))));
      const prefs = (await api().get('/api/v1/me/preferences').set(bearer(user)).expect(200)).body;
      expect(prefs).to.deep.include({ timezone: 'Asia/Shanghai', effectiveTimezone: 'Asia/Shanghai', digestHour: 9 });
      expect(prefs.kinds['visit.overdue']).to.deep.equal({ feed: false, email: 'digest' });
      expect(prefs.kinds['satisfaction.alert']).to.deep.equal({ feed: true, email: 'off' });
      expect(prefs.kinds['visit.reminder']).to.deep.equal({ feed: false, email: 'digest' });

      // 00:30 UTC is 08:30 in Shanghai: before the user's 09:00.
      const now = at('2031-07-01T00:30:00Z');
      await notifyAt(user, 'visit.overdue', now, { customerId: customer.id, visitId: fakeId(), daysOverdue: 3 }, 'Overdue for the digest');
      await notifyAt(user, 'satisfaction.alert', now, { customerId: customer.id }, 'Alert nobody mails');
      await pass(smtp, now);
      expect(smtp.to(user.email)).to.have.length(0);
      const feed = (await api().get('/api/v1/notifications').set(bearer(user)).expect(200)).body.items.map((n: { kind: string }) => n.kind);
      expect(feed).to.include('satisfaction.alert').and.not.include('visit.overdue');

      await pass(smtp, '2031-07-01T01:00:00Z'); // 09:00 in Shanghai
      const [digest] = smtp.to(user.email);
      expect(digest!.mail.subject).to.match(/^Your key accounts for 2031-07-01: \d+ items?$/);
      expect(digest!.mail.text).to.include('Other notifications').and.include('Overdue for the digest').and.not.include('Alert nobody mails');

      // Reminders and alerts off, nothing due: no digest the next day, recorded as skipped.
      await set({ kinds: { 'visit.reminder': { email: 'off' }, 'visit.overdue': { email: 'off' } } }).expect(200);
      await pass(smtp, '2031-07-02T01:00:00Z');
      expect(smtp.to(user.email)).to.have.length(1);
      await set({ kinds: { 'visit.overdue': { email: 'digest' } } }).expect(200);
      await pass(smtp, '2031-07-03T01:00:00Z');
      const skipped = await EmailModel.findOne({ key: `digest:${user.id}:2031-07-03` }).lean();
      expect(skipped).to.include({ state: 'skipped', note: 'nothing to tell' });
      expect(smtp.to(user.email)).to.have.length(1);
    });

    it('lists the tier changes waiting for an executive, who may also have them mailed at once', async () => {
      const manager = await createUser();
      const executive = await createUser({ role: 'executive' });
      const customer = await createCustomer(manager);
      const asked = await api().post(`/api/v1/customers/${customer.id}/tier/override`).set(bearer(manager))
        .send({ tier: 'S', reason: 'Board-level sponsor signed the framework deal' });
      expect(asked.status, asked.text).to.equal(202);
      const approval = asked.body.approval as { id: string; from: string | null };
      // The deciders hear of it in their feed, once.
      await notifyApprovals({});
      await notifyApprovals({});
      const feed = (await api().get('/api/v1/notifications').set(bearer(executive)).expect(200)).body.items
        .filter((n: { data: { approvalId?: string } }) => n.data.approvalId === approval.id);
      expect(feed).to.have.length(1);
      expect(feed[0]).to.include({ kind: 'tier.approval', title: `Tier change waiting for approval: ${customer.name} ${approval.from ?? 'none'} -> S` });

      // In the digest, newest first, with a link to decide it.
      await api().patch('/api/v1/me/preferences').set(bearer(executive)).send({ timezone: 'America/Los_Angeles', digestHour: 20 }).expect(200);
      await pass(smtp, '2031-08-02T03:10:00Z');
      const [digest] = smtp.to(executive.email);
      const text = digest!.mail.text!;
      const section = text.indexOf('Tier changes waiting for your approval');
      expect(section).to.be.greaterThan(-1);
      expect(text.indexOf(`${customer.name}: ${approval.from ?? 'none'} -> S, asked by Test manager`)).to.be.greaterThan(section);
      expect(text.indexOf(`${PUBLIC_URL}/api/v1/tier-approvals/${approval.id}`)).to.be.greaterThan(section);

      // Or at once, as the executive chooses.
      await api().patch('/api/v1/me/preferences').set(bearer(executive)).send({ kinds: { 'tier.approval': { email: 'now' } } }).expect(200);
      await notifyAt(executive, 'tier.approval', at('2031-08-02T03:20:00Z'), { approvalId: approval.id, customerId: customer.id, from: approval.from, to: 'S' }, feed[0].title);
      await pass(smtp, '2031-08-02T03:20:00Z');
      const once = smtp.to(executive.email).filter((r) => r.mail.subject === feed[0].title);
      expect(once).to.have.length(1);
      expect(once[0]!.mail.text).to.include(`${PUBLIC_URL}/api/v1/tier-approvals/${approval.id}`);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { deliver } from '../../jobs/notifications-deliver.ts';
import { NotificationModel, notify } from '../../models/notification.ts';
import { DeliveryModel, WebhookModel } from '../../models/webhook.ts';
import { createApp } from '../../server/app.ts';
import { openapiDocument } from '../../server/openapi.ts';
import { bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { checkedApp } from '../response-check.ts';
import { logger, responseViolations, testConfig } from '../setup.ts';

// Webhooks must not become a way into the service's own network: every spelling of an internal address is refused
// when the webhook is registered, and again when it is called (the address actually connected to).

const appWith = (allowed: string) =>
  checkedApp(createApp(testConfig({ WEBHOOK_ALLOWED_NETWORKS: allowed }), logger), openapiDocument as never, responseViolations);

describe('webhooks cannot reach inside', () => {
  const closed = appWith('');
  let admin: TestUser;
  const created: Array<{ id: string; app: ReturnType<typeof appWith> }> = [];
  before(async () => {
    admin = await createUser({ role: 'admin' });
  });
  // Deactivated at the end of each test: a later delivery pass must not wait on addresses nobody listens at.
  afterEach(async () => {
    for (const { id, app } of created.splice(0)) await request(app).delete(`/api/v1/webhooks/${id}`).set(bearer(admin)).expect(204);
  });
  const register = (app: ReturnType<typeof appWith>, url: string) => request(app).post('/api/v1/webhooks').set(bearer(admin)).send({ url });

  const internal = [
    'http://169.254.169.254/latest/meta-data/', 'http://localhost:5432/', 'http://LOCALHOST/', 'http://127.0.0.1:6379/',
    'http://127.1/', 'http://0x7f.1/', 'http://2130706433/', 'http://017700000001/', 'http://0x7f000001/', 'http://0/',
    'http://0.0.0.0:3000/', 'http://10.0.0.5/', 'http://172.16.3.4/', 'http://172.31.255.255/', 'http://192.168.1.1/',
    'http://100.64.0.1/', 'http://224.0.0.1/', 'http://255.255.255.255/', 'https://[::1]/', 'http://[::]/',
    'http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/', 'http://[0:0:0:0:0:ffff:a9fe:a9fe]/', 'http://[::127.0.0.1]/',
    'http://[fd00:ec2::254]/', 'http://[fe80::1]/', 'http://[ff02::1]/', 'http://[64:ff9b::7f00:1]/', 'http://[2002:7f00:1::]/',
  ];

  it('refuses every spelling of an internal address at registration, storing nothing', async () => {
    const before = await WebhookModel.countDocuments();
    for (const url of internal) {
      const problem = expectProblem(await register(closed, url), 400);
      expect(problem.errors![0]!.field, url).to.equal('url');
      expect(problem.errors![0]!.message, url).to.match(/must reach a public address: .* is (a|an) /);
    }
    expect(await WebhookModel.countDocuments()).to.equal(before);
  });

  it('takes public addresses, and names that do not resolve yet (each delivery resolves them again)', async () => {
    for (const url of ['http://93.184.216.34/hook', 'https://[2606:2800:220:1:248:1893:25c8:1946]/hook', `https://hooks.example.test/${randomUUID()}`]) {
      const res = await register(closed, url);
      expect(res.status, `${url}: ${res.text}`).to.equal(201);
      created.push({ id: res.body.id, app: closed });
    }
  });

  it('takes the internal networks an operator allowed, and only those', async () => {
    const onPremises = appWith('10.20.0.0/16,192.168.5.10');
    for (const url of ['http://10.20.1.2/hook', 'http://192.168.5.10:8443/hook']) {
      const res = await register(onPremises, url);
      expect(res.status, `${url}: ${res.text}`).to.equal(201);
      created.push({ id: res.body.id, app: onPremises });
    }
    for (const url of ['http://10.21.0.1/hook', 'http://192.168.5.11/hook', 'http://127.0.0.1/hook']) expectProblem(await register(onPremises, url), 400);
  });

  it('checks again at delivery the address it connects to: a name or an address allowed then and not now is not called', async () => {
    // Counts the requests about this test's notification (other tests' future-dated notifications may come too).
    let notificationId = '';
    let requests = 0;
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString('utf8'); });
      req.on('end', () => {
        if ((JSON.parse(raw) as { notification: { id: string } }).notification.id === notificationId) requests += 1;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const loopback = appWith('127.0.0.1/32');
      const ids: string[] = [];
      for (const url of [`http://localhost:${port}/hook`, `http://127.0.0.1:${port}/hook`]) {
        const res = await register(loopback, url);
        expect(res.status, res.text).to.equal(201);
        ids.push(res.body.id);
        created.push({ id: res.body.id, app: loopback });
      }
      const user = await createUser();
      const key = `test.ssrf:${randomUUID()}`;
      await notify([{ userId: user.id, kind: 'visit.missed', key, title: 'Missed' }]);
      notificationId = String((await NotificationModel.findOne({ key }).lean())!._id);

      await deliver({ allowedNetworks: [] });
      expect(requests).to.equal(0);
      const refused = await DeliveryModel.find({ notificationId, webhookId: { $in: ids } }).lean();
      expect(refused.map((d) => String(d.webhookId)).sort()).to.deep.equal([...ids].sort());
      for (const d of refused) {
        expect(d).to.include({ state: 'pending', attempts: 1, lastStatus: null });
        expect(d.lastError).to.match(/^refused: (localhost resolves to )?127\.0\.0\.1 is a loopback address$/);
      }
      // The same deliveries, once the operator allows the network: the refusal above was the check, nothing else.
      await deliver({ allowedNetworks: ['127.0.0.1/32'], now: new Date(Date.now() + 86_400_000) });
      expect(requests).to.equal(2);
      expect((await DeliveryModel.find({ notificationId, webhookId: { $in: ids } }).lean()).map((d) => d.state)).to.deep.equal(['delivered', 'delivered']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { deliver as deliverAll } from '../../jobs/notifications-deliver.ts';
import { NotificationModel, notify } from '../../models/notification.ts';
import { DeliveryModel, WebhookModel } from '../../models/webhook.ts';
import { config } from '../setup.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

/** A delivery pass as the worker runs it, with the test configuration's allowed networks (the receivers' 127.0.0.1). */
const deliver = (options: Parameters<typeof deliverAll>[0] = {}) => deliverAll({ allowedNetworks: config.webhookAllowedNetworks, ...options });

const hookUrl = () => `https://hooks.example.test/ka/${randomUUID().slice(0, 8)}`;

describe('/api/v1/webhooks', () => {
  let admin: TestUser;
  let manager: TestUser;
  let executive: TestUser;
  const created: string[] = [];
  before(async () => {
    admin = await createUser({ role: 'admin' });
    manager = await createUser({ role: 'manager' });
    executive = await createUser({ role: 'executive' });
  });
  // The delivery job (here and in other tests) must not POST to these made-up hosts.
  afterEach(async () => {
    for (const id of created.splice(0)) await api().delete(`/api/v1/webhooks/${id}`).set(bearer(admin)).expect(204);
  });

  async function register(body: Record<string, unknown> = {}) {
    const res = await api().post('/api/v1/webhooks').set(bearer(admin)).send({ url: hookUrl(), ...body }).expect(201);
    created.push(res.body.id);
    return res;
  }

  describe('POST', () => {
    it('answers the signing secret once; no read answers it again, though it is stored to sign', async () => {
      const res = await register({ description: 'CRM sync', kinds: ['visit.reminder'] });
      const { secret, id } = res.body;
      expect(secret).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret, 'base64url')).to.have.length(32);
      expect(res.body).to.include({ active: true, description: 'CRM sync', createdById: admin.id, deactivatedAt: null });
      expect(res.body.kinds).to.deep.equal(['visit.reminder']);
      expect(res.headers.location).to.equal(`/api/v1/webhooks/${id}`);
      expect((await WebhookModel.findById(id).lean())!.secret).to.equal(secret);

      const one = await api().get(`/api/v1/webhooks/${id}`).set(bearer(admin)).expect(200);
      const list = await api().get('/api/v1/webhooks?active=true&limit=200').set(bearer(admin)).expect(200);
      expect(list.body.items.map((w: { id: string }) => w.id)).to.include(id);
      for (const text of [one.text, list.text]) expect(text).to.not.include(secret).and.not.include('"secret"');
      expect(one.body).to.include({ id, url: res.body.url, active: true });
    });

    it('takes every kind when none are named, and a second webhook gets another secret', async () => {
      const a = await register();
      const b = await register();
      expect(a.body.kinds).to.deep.equal([]);
      expect(a.body.secret).to.not.equal(b.body.secret);
    });

    it('refuses URLs that are not http(s), carry credentials or are not URLs, and bad kinds, with 400 and field errors', async () => {
      const before = await WebhookModel.countDocuments({});
      for (const url of ['ftp://hooks.example.test/x', 'https://user:pw@hooks.example.test/x', 'https://token@hooks.example.test/x', 'not a url', 'javascript:alert(1)', '']) {
        const problem = expectProblem(await api().post('/api/v1/webhooks').set(bearer(admin)).send({ url }), 400);
        expect(problem.errors!.map((e) => e.field), url).to.deep.equal(['url']);
      }
      const problem = expectProblem(await api().post('/api/v1/webhooks').set(bearer(admin)).send({ url: hookUrl(), kinds: ['visit.exploded'], secret: 'mine' }), 400);
      expect(problem.errors!.map((e) => e.field).sort()).to.deep.equal(['kinds.0', 'secret']);
      expectProblem(await api().post('/api/v1/webhooks').set(bearer(admin)).send({ url: hookUrl(), kinds: [] }), 400);
      expectProblem(await api().post('/api/v1/webhooks').set(bearer(admin)).send({}), 400);
      expect(await WebhookModel.countDocuments({})).to.equal(before);
    });
  });

  it('is for admins only: managers and executives get 403, no token 401', async () => {
    const { body } = await register();
    for (const user of [manager, executive]) {
      expectProblem(await api().get('/api/v1/webhooks').set(bearer(user)), 403);
      expectProblem(await api().post('/api/v1/webhooks').set(bearer(user)).send({ url: hookUrl() }), 403);
      expectProblem(await api().get(`/api/v1/webhooks/${body.id}`).set(bearer(user)), 403);
      expectProblem(await api().delete(`/api/v1/webhooks/${body.id}`).set(bearer(user)), 403);
      expectProblem(await api().get(`/api/v1/webhooks/${body.id}/deliveries`).set(bearer(user)), 403);
    }
    expectProblem(await api().get('/api/v1/webhooks'), 401);
    expect((await WebhookModel.findById(body.id).lean())!.active).to.equal(true);
  });

  it('answers 404 for an unknown webhook', async () => {
    for (const path of ['/api/v1/webhooks/0123456789abcdef01234567', '/api/v1/webhooks/nope', '/api/v1/webhooks/0123456789abcdef01234567/deliveries']) {
      expectProblem(await api().get(path).set(bearer(admin)), 404);
    }
    expectProblem(await api().delete('/api/v1/webhooks/0123456789abcdef01234567').set(bearer(admin)), 404);
  });

  describe('DELETE /api/v1/webhooks/:id', () => {
    it('deactivates: nothing more is sent, pending deliveries end failed, and the record stays readable', async () => {
      let requests = 0;
      const server = createServer((_req, res) => { requests += 1; res.writeHead(500).end(); });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
        const res = await api().post('/api/v1/webhooks').set(bearer(admin)).send({ url, kinds: ['tier.approval'] }).expect(201);
        const user = await createUser();
        const key = `test.webhooks:${randomUUID()}`;
        await notify([{ userId: user.id, kind: 'tier.approval', key, title: 'Approve a move to S' }]);
        const notificationId = (await NotificationModel.findOne({ key }).lean())!._id;
        await deliver();
        expect(requests).to.equal(1);
        const [pending] = await DeliveryModel.find({ notificationId }).lean();
        expect(pending).to.include({ state: 'pending', attempts: 1, lastStatus: 500 });

        await api().delete(`/api/v1/webhooks/${res.body.id}`).set(bearer(admin)).expect(204);
        await api().delete(`/api/v1/webhooks/${res.body.id}`).set(bearer(admin)).expect(204);
        const stored = (await WebhookModel.findById(res.body.id).lean())!;
        expect(stored.active).to.equal(false);
        expect(stored.deactivatedAt).to.be.instanceOf(Date);

        const key2 = `test.webhooks:${randomUUID()}`;
        await notify([{ userId: user.id, kind: 'tier.approval', key: key2, title: 'Another' }]);
        await deliver({ now: new Date(Date.now() + 86_400_000) });
        expect(requests).to.equal(1);
        const deliveries = await api().get(`/api/v1/webhooks/${res.body.id}/deliveries`).set(bearer(admin)).expect(200);
        expect(deliveries.body.items).to.have.length(1);
        expect(deliveries.body.items[0]).to.include({ id: String(pending!._id), state: 'failed', attempts: 1, lastError: 'webhook deleted' });
        const listed = await api().get('/api/v1/webhooks?active=false&limit=200').set(bearer(admin)).expect(200);
        expect(listed.body.items.find((w: { id: string }) => w.id === res.body.id)).to.include({ active: false });
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });

  it('answers an empty deliveries list for a new webhook and validates its filters', async () => {
    const { body } = await register();
    expectProblem(await api().get(`/api/v1/webhooks/${body.id}/deliveries?state=lost`).set(bearer(admin)), 400);
    const empty = await api().get(`/api/v1/webhooks/${body.id}/deliveries`).set(bearer(admin)).expect(200);
    expect(empty.body).to.deep.equal({ items: [], nextCursor: null });
  });
});

import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { NotificationModel, notify } from '../../models/notification.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';

const uid = () => randomUUID().slice(0, 8);

/** Notifications for `user`, oldest first, one millisecond apart so the feed's order is known. */
async function notifyMany(user: TestUser, count: number) {
  const keys: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const key = `test.feed:${uid()}:${i}`;
    await notify([{ userId: user.id, kind: 'visit.reminder', key, title: `Reminder ${i}`, body: `body ${i}`, data: { n: i } }]);
    keys.push(key);
  }
  const rows = await NotificationModel.find({ key: { $in: keys } }).lean();
  return keys.map((k) => String(rows.find((r) => r.key === k)!._id));
}

describe('GET /api/v1/notifications', () => {
  it('answers only the caller\'s own notifications, newest first, paged', async () => {
    const me = await createUser();
    const other = await createUser();
    const mine = await notifyMany(me, 3);
    await notifyMany(other, 2);
    const first = await api().get('/api/v1/notifications?limit=2').set(bearer(me)).expect(200);
    expect(first.body.items.map((n: { id: string }) => n.id)).to.deep.equal([mine[2], mine[1]]);
    expect(first.body.items[0]).to.include({ userId: me.id, kind: 'visit.reminder', title: 'Reminder 2', body: 'body 2', readAt: null });
    expect(first.body.items[0].data).to.deep.equal({ n: 2 });
    expect(first.body.items[0]).to.not.have.any.keys('_id', 'key');
    expect(first.body.nextCursor).to.be.a('string');
    const second = await api().get(`/api/v1/notifications?limit=2&cursor=${first.body.nextCursor}`).set(bearer(me)).expect(200);
    expect(second.body.items.map((n: { id: string }) => n.id)).to.deep.equal([mine[0]]);
    expect(second.body.nextCursor).to.equal(null);
  });

  it('with unread=true leaves out what was read', async () => {
    const me = await createUser();
    const [a, b] = await notifyMany(me, 2);
    await api().post(`/api/v1/notifications/${a}/read`).set(bearer(me)).expect(200);
    const unread = await api().get('/api/v1/notifications?unread=true').set(bearer(me)).expect(200);
    expect(unread.body.items.map((n: { id: string }) => n.id)).to.deep.equal([b]);
    const all = await api().get('/api/v1/notifications').set(bearer(me)).expect(200);
    expect(all.body.items.map((n: { id: string }) => n.id)).to.deep.equal([b, a]);
  });

  it('refuses bad query parameters with 400 and a field error', async () => {
    const me = await createUser();
    const res = expectProblem(await api().get('/api/v1/notifications?unread=maybe&limit=0&colour=red').set(bearer(me)), 400);
    expect(res.errors!.map((e) => e.field).sort()).to.deep.equal(['colour', 'limit', 'unread']);
    expectProblem(await api().get('/api/v1/notifications?cursor=bogus').set(bearer(me)), 400);
  });

  it('needs a token', async () => {
    expectProblem(await api().get('/api/v1/notifications'), 401);
  });
});

describe('POST /api/v1/notifications/:id/read', () => {
  it('marks the caller\'s notification read, and a second call keeps the first readAt', async () => {
    const me = await createUser();
    const [id] = await notifyMany(me, 1);
    const first = await api().post(`/api/v1/notifications/${id}/read`).set(bearer(me)).expect(200);
    expect(first.body.id).to.equal(id);
    expect(first.body.readAt).to.be.a('string');
    const stored = await NotificationModel.findById(id).lean();
    expect(stored!.readAt!.toISOString()).to.equal(first.body.readAt);
    const again = await api().post(`/api/v1/notifications/${id}/read`).set(bearer(me)).expect(200);
    expect(again.body.readAt).to.equal(first.body.readAt);
    expect((await NotificationModel.findById(id).lean())!.readAt!.toISOString()).to.equal(first.body.readAt);
  });

  it("answers 404 for another user's notification and leaves it unread", async () => {
    const me = await createUser();
    const other = await createUser({ role: 'admin' });
    const [theirs] = await notifyMany(other, 1);
    const res = expectProblem(await api().post(`/api/v1/notifications/${theirs}/read`).set(bearer(me)), 404);
    const missing = expectProblem(await api().post('/api/v1/notifications/0123456789abcdef01234567/read').set(bearer(me)), 404);
    expect(res.detail).to.equal(missing.detail);
    expectProblem(await api().post('/api/v1/notifications/not-an-id/read').set(bearer(me)), 404);
    expect((await NotificationModel.findById(theirs).lean())!.readAt).to.equal(null);
  });
});

describe('POST /api/v1/notifications/read-all', () => {
  it("marks all the caller's unread notifications read and no one else's", async () => {
    const me = await createUser();
    const other = await createUser();
    const mine = await notifyMany(me, 3);
    const theirs = await notifyMany(other, 1);
    await api().post(`/api/v1/notifications/${mine[0]}/read`).set(bearer(me)).expect(200);
    const res = await api().post('/api/v1/notifications/read-all').set(bearer(me)).expect(200);
    expect(res.body).to.deep.equal({ updated: 2 });
    expect(await NotificationModel.countDocuments({ _id: { $in: mine }, readAt: null })).to.equal(0);
    expect(await NotificationModel.countDocuments({ _id: { $in: theirs }, readAt: null })).to.equal(1);
    expect((await api().post('/api/v1/notifications/read-all').set(bearer(me)).expect(200)).body).to.deep.equal({ updated: 0 });
  });
});

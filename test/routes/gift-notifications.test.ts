import { expect } from 'chai';
import { NotificationModel } from '../../models/notification.ts';
import { takesKind, WebhookModel } from '../../models/webhook.ts';
import { notificationEmail, recordLink } from '../../usecases/mail-compose.ts';
import { api, bearer, createUser } from '../factories.ts';
import { giftBody, give, makeCustomer, setAllowances } from '../gifts.ts';

// The two gift notification kinds end to end: made when a gift waits and when it is decided, in the feed, chosen in
// the preferences, taken by webhooks, and told in an e-mail in English or Chinese with a link to the gift.

const PUBLIC_URL = 'https://ka.example.com';

describe('gift notifications (gift.approval, gift.decided)', () => {
  it('reach the deciders and then the giver in their feeds, and read as e-mails in English and Chinese', async () => {
    const admin = await createUser({ role: 'admin' });
    const executive = await createUser({ role: 'executive' });
    const giver = await createUser({ role: 'manager' });
    const customer = await makeCustomer(giver);
    await setAllowances(admin, [{ user: giver, allowances: { USD: 100 } }]);
    const gift = (await give(giver, giftBody(customer._id, { cost: 12_345, item: 'Hamper', reasonCategory: 'retention', reason: 'About to leave' })).expect(201)).body;

    const feed = await api().get('/api/v1/notifications').set(bearer(executive)).expect(200);
    const waiting = feed.body.items.find((n: { data: { giftId?: string } }) => n.data.giftId === gift.id);
    expect(waiting).to.deep.include({ kind: 'gift.approval', title: `Gift waiting for approval: Hamper (123.45 USD) for ${customer.name}` });
    expect(waiting.data).to.deep.include({ customerId: String(customer._id), cost: 12_345, currency: 'USD', reasonCategory: 'retention', item: 'Hamper' });

    const stored = (await NotificationModel.findOne({ kind: 'gift.approval', 'data.giftId': gift.id, userId: executive.id }).lean())!;
    const facts = { kind: stored.kind, title: stored.title, body: stored.body, data: stored.data as Record<string, unknown>, customerName: customer.name };
    const english = notificationEmail('en', PUBLIC_URL, facts);
    expect(english.subject).to.equal(stored.title);
    expect(english.text).to.include(`${PUBLIC_URL}/api/v1/gifts/${gift.id}`);
    const chinese = notificationEmail('zh', PUBLIC_URL, facts);
    expect(chinese.subject).to.equal(`待审批：送给 ${customer.name} 的礼品 Hamper（123.45 USD）`);
    expect(chinese.text).to.include('以「挽留」为由赠送');

    await api().post(`/api/v1/gifts/${gift.id}/reject`).set(bearer(executive)).send({ comment: 'Offer a discount instead' }).expect(200);
    const decided = await api().get('/api/v1/notifications').set(bearer(giver)).expect(200);
    expect(decided.body.items.map((n: { kind: string }) => n.kind)).to.deep.equal(['gift.decided']);
    expect(decided.body.items[0]).to.deep.include({ title: `Your gift Hamper for ${customer.name} was rejected`, body: 'Test executive: Offer a discount instead' });
    const told = decided.body.items[0] as { kind: 'gift.decided'; title: string; body: string; data: Record<string, unknown> };
    expect(notificationEmail('zh', PUBLIC_URL, { ...told, customerName: customer.name }).subject).to.equal(`您送给 ${customer.name} 的礼品 Hamper 被拒绝`);
    expect(recordLink(PUBLIC_URL, told.data)).to.equal(`${PUBLIC_URL}/api/v1/gifts/${gift.id}`);
  });

  it('come by e-mail at once by default, and each user may choose otherwise', async () => {
    const user = await createUser({ role: 'executive' });
    const prefs = await api().get('/api/v1/me/preferences').set(bearer(user)).expect(200);
    expect(prefs.body.kinds['gift.approval']).to.deep.equal({ feed: true, email: 'now' });
    expect(prefs.body.kinds['gift.decided']).to.deep.equal({ feed: true, email: 'now' });
    const changed = await api().patch('/api/v1/me/preferences').set(bearer(user)).send({ kinds: { 'gift.approval': { email: 'digest' } } }).expect(200);
    expect(changed.body.kinds['gift.approval']).to.deep.equal({ feed: true, email: 'digest' });
  });

  it('are taken by a webhook that asks for them', async () => {
    const admin = await createUser({ role: 'admin' });
    const res = await api().post('/api/v1/webhooks').set(bearer(admin)).send({ url: 'https://hooks.example.com/gifts', kinds: ['gift.approval', 'gift.decided'] }).expect(201);
    expect(res.body.kinds).to.deep.equal(['gift.approval', 'gift.decided']);
    const webhook = (await WebhookModel.findById(res.body.id).lean())!;
    expect(takesKind(webhook, 'gift.decided')).to.equal(true);
    expect(takesKind(webhook, 'tier.approval')).to.equal(false);
    await WebhookModel.updateOne({ _id: webhook._id }, { $set: { active: false } });
  });
});

import { expect } from 'chai';
import { GiftModel } from '../../models/gift.ts';
import { GiftUsageModel } from '../../models/gift-allowance.ts';
import { NotificationModel } from '../../models/notification.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { giftBody, giftWorld, give, ledgerOf, makeCase, makeCustomer, setAllowances, type GiftWorld } from '../gifts.ts';

// The decision on a gift beyond the allowance (executives and admins, never on their own gift) and the reversal (a new
// entry, never an edit), with what each does to the allowance and who is told.

type Gift = { id: string; status: string; cost: number; month: string; currency: string };

const approve = (user: TestUser, id: string, body: object = {}) => api().post(`/api/v1/gifts/${id}/approve`).set(bearer(user)).send(body);
const reject = (user: TestUser, id: string, body: object = { comment: 'Too much for a late delivery' }) => api().post(`/api/v1/gifts/${id}/reject`).set(bearer(user)).send(body);
const reverse = (user: TestUser, id: string, body: object = { reason: 'Entered twice' }) => api().post(`/api/v1/gifts/${id}/reverse`).set(bearer(user)).send(body);
const spentOf = async (user: TestUser, g: Gift) => (await GiftUsageModel.findOne({ key: `${user.id}:${g.month}:${g.currency}` }).lean())?.spent ?? 0;

describe('gift decisions and reversals', () => {
  let w: GiftWorld;
  const gift = async (cost: number, user?: TestUser): Promise<Gift> => (await give(user ?? w.owner, giftBody(w.customer._id, { cost })).expect(201)).body;
  before(async () => {
    w = await giftWorld();
    await setAllowances(w.admin, [{ user: w.owner, allowances: { USD: 10_000 } }, { user: w.executive, allowances: { USD: 0 } }]);
  });

  describe('POST /api/v1/gifts/:id/approve and /reject', () => {
    it('approves a waiting gift as approved spend that leaves the allowance as it was, and tells the giver', async () => {
      const waiting = await gift(20_000);
      const spent = await spentOf(w.owner, waiting);
      const res = await approve(w.executive, waiting.id, { comment: 'Key account, fine' }).expect(200);
      expect(res.body.status).to.equal('approved');
      expect(res.body.decision).to.deep.include({ id: w.executive.id, name: 'Test executive', comment: 'Key account, fine' });
      expect(await spentOf(w.owner, waiting)).to.equal(spent);
      const told = await NotificationModel.find({ kind: 'gift.decided', 'data.giftId': waiting.id }).lean();
      expect(told.map((n) => String(n.userId))).to.deep.equal([w.owner.id]);
      expect(told[0]!.title).to.equal(`Your gift Dinner voucher for ${w.customer.name} was approved`);
      // decided once
      const again = expectProblem(await reject(w.admin, waiting.id), 409);
      expect(again.detail).to.include('this one is approved');
      expect((await GiftModel.findById(waiting.id).lean())!.status).to.equal('approved');
    });

    it('rejects a waiting gift with a comment; the comment is required', async () => {
      const waiting = await gift(20_000);
      const problem = expectProblem(await reject(w.admin, waiting.id, {}), 400);
      expect(problem.errors).to.deep.equal([{ field: 'comment', message: 'comment is required' }]);
      expect((await GiftModel.findById(waiting.id).lean())!.status).to.equal('pending_approval');
      const res = await reject(w.admin, waiting.id).expect(200);
      expect(res.body).to.deep.include({ status: 'rejected' });
      expect(res.body.decision.comment).to.equal('Too much for a late delivery');
      expect(await NotificationModel.countDocuments({ kind: 'gift.decided', key: `gift.decided:${waiting.id}` })).to.equal(1);
    });

    it('answers 403 to managers (the giver and others) and changes nothing', async () => {
      const waiting = await gift(20_000);
      for (const who of [w.owner, w.member, w.outsider]) {
        expectProblem(await approve(who, waiting.id), 403);
        expectProblem(await reject(who, waiting.id), 403);
      }
      expect((await GiftModel.findById(waiting.id).lean())!).to.include({ status: 'pending_approval', decidedAt: null });
    });

    it('never lets an executive decide their own gift', async () => {
      const own = (await give(w.executive, giftBody(w.customer._id, { cost: 500 })).expect(201)).body as Gift;
      expect(own.status).to.equal('pending_approval');
      const notices = await NotificationModel.find({ kind: 'gift.approval', 'data.giftId': own.id }).lean();
      expect(notices.map((n) => String(n.userId))).to.not.include(w.executive.id);
      expectProblem(await approve(w.executive, own.id), 403);
      await approve(w.admin, own.id).expect(200);
    });

    it('answers 409 to a gift that did not wait (applied) and to a reversal, 404 to a missing one', async () => {
      const applied = await gift(100);
      expectProblem(await approve(w.executive, applied.id), 409);
      const reversal = (await reverse(w.owner, applied.id).expect(201)).body as Gift;
      expectProblem(await approve(w.executive, reversal.id), 409);
      expectProblem(await approve(w.executive, '0123456789abcdef01234567'), 404);
      expectProblem(await approve(w.executive, 'nope'), 404);
    });
  });

  describe('POST /api/v1/gifts/:id/reverse', () => {
    it('writes a negative entry linked to the gift, gives the cost back to its month, and keeps the gift as it was', async () => {
      const applied = await gift(700);
      const spent = await spentOf(w.owner, applied);
      const before = await GiftModel.findById(applied.id).lean();
      const res = await reverse(w.owner, applied.id, { reason: 'Customer refused the voucher' }).expect(201);
      expect(res.headers.location).to.equal(`/api/v1/gifts/${res.body.id}`);
      expect(res.body).to.include({ kind: 'reversal', cost: -700, status: 'applied', reversesId: applied.id, reason: 'Customer refused the voucher', month: applied.month });
      expect(res.body.by).to.deep.equal({ id: w.owner.id, name: 'Test manager' });
      expect(await spentOf(w.owner, applied)).to.equal(spent - 700);
      expect(await GiftModel.findById(applied.id).lean()).to.deep.equal(before);
      const read = await api().get(`/api/v1/gifts/${applied.id}`).set(bearer(w.owner)).expect(200);
      expect(read.body.reversedById).to.equal(res.body.id);
      // at most once
      expect(expectProblem(await reverse(w.admin, applied.id), 409).detail).to.equal('The gift is already reversed.');
      expect(await spentOf(w.owner, applied)).to.equal(spent - 700);
      expect(await GiftModel.countDocuments({ reversesId: applied.id })).to.equal(1);
    });

    it('reverses an approved gift out of the approved spend, leaving the allowance as it was', async () => {
      const waiting = await gift(30_000);
      await approve(w.admin, waiting.id).expect(200);
      const spent = await spentOf(w.owner, waiting);
      const res = await reverse(w.executive, waiting.id).expect(201);
      expect(res.body).to.include({ status: 'approved', cost: -30_000 });
      expect(await spentOf(w.owner, waiting)).to.equal(spent);
    });

    it('refuses a waiting gift, a rejected one and a reversal with 409', async () => {
      const waiting = await gift(30_000);
      expect(expectProblem(await reverse(w.owner, waiting.id), 409).detail).to.include('rejects it instead');
      await reject(w.admin, waiting.id).expect(200);
      expectProblem(await reverse(w.owner, waiting.id), 409);
      const applied = await gift(10);
      const reversal = (await reverse(w.owner, applied.id).expect(201)).body as Gift;
      expectProblem(await reverse(w.admin, reversal.id), 409);
    });

    it("answers 403 to a manager who sees the gift but did not give it, 404 to one who cannot see it; a reason is required", async () => {
      const applied = await gift(10);
      const before = await ledgerOf(w.owner);
      expectProblem(await reverse(w.member, applied.id), 403);
      expectProblem(await reverse(w.outsider, applied.id), 404);
      expect(expectProblem(await reverse(w.owner, applied.id, {}), 400).errors).to.deep.equal([{ field: 'reason', message: 'reason is required' }]);
      expect(await ledgerOf(w.owner)).to.deep.equal(before);
    });
  });

  describe('GET /api/v1/gifts and /gifts/:id', () => {
    it("shows a manager the gifts of the customers they may read and their own, not another team's", async () => {
      const mine = await gift(11);
      const other = await createUser({ role: 'manager', team: 'West' });
      const theirs = await makeCustomer(other);
      await setAllowances(w.admin, [{ user: other, allowances: { USD: 1_000 } }]);
      const theirGift = (await give(other, giftBody(theirs._id, { cost: 12 })).expect(201)).body as Gift;
      const ids = async (user: TestUser, query = '') => ((await api().get(`/api/v1/gifts?limit=200${query}`).set(bearer(user)).expect(200)).body.items as Gift[]).map((g) => g.id);
      expect(await ids(w.member)).to.include(mine.id).and.not.include(theirGift.id);
      expect(await ids(w.outsider)).to.not.include.members([mine.id, theirGift.id]);
      expect(await ids(other)).to.include(theirGift.id).and.not.include(mine.id);
      expect(await ids(w.executive, `&customerId=${String(theirs._id)}`)).to.deep.equal([theirGift.id]);
      // reading one answers as a missing one would
      const hidden = expectProblem(await api().get(`/api/v1/gifts/${mine.id}`).set(bearer(w.outsider)), 404);
      expect(hidden.detail).to.equal(expectProblem(await api().get('/api/v1/gifts/0123456789abcdef01234567').set(bearer(w.outsider)), 404).detail);
      await api().get(`/api/v1/gifts/${mine.id}`).set(bearer(w.member)).expect(200);
      await api().get(`/api/v1/gifts/${theirGift.id}`).set(bearer(w.admin)).expect(200);
    });

    it("pages a manager's list (their customers' entries and their own gifts elsewhere) newest first, each entry once", async () => {
      const manager = await createUser({ role: 'manager' });
      const colleague = await createUser({ role: 'manager' });
      const theirs = await makeCustomer(manager, [colleague]);
      const elsewhere = await makeCustomer(colleague);
      await setAllowances(w.admin, [{ user: manager, allowances: { USD: 1_000 } }, { user: colleague, allowances: { USD: 1_000 } }]);
      const kase = await makeCase(elsewhere._id, manager);
      const made: string[] = [];
      for (const [who, customer, extra] of [[manager, theirs, {}], [colleague, theirs, {}], [manager, elsewhere, { caseId: String(kase._id) }], [colleague, elsewhere, {}], [colleague, theirs, {}], [manager, theirs, {}]] as const) {
        made.push((await give(who, giftBody(customer._id, { cost: 10, ...extra })).expect(201)).body.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: Gift[]; nextCursor: string | null } } = await api().get(`/api/v1/gifts?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set(bearer(manager)).expect(200);
        seen.push(...res.body.items.map((g) => g.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      // all but the colleague's gift to a customer the manager may not read
      expect(seen).to.deep.equal([made[5], made[4], made[2], made[1], made[0]]);
    });

    it('filters by giver, status, month, kind, case and customer, newest first, in pages', async () => {
      const giver = await createUser({ role: 'manager' });
      const customer = await makeCustomer(giver);
      await setAllowances(w.admin, [{ user: giver, allowances: { EUR: 1_000 } }]);
      const made: Gift[] = [];
      for (const cost of [100, 200, 300, 2_000]) made.push((await give(giver, giftBody(customer._id, { cost, currency: 'EUR' })).expect(201)).body);
      const reversal = (await reverse(giver, made[0]!.id).expect(201)).body as Gift;
      const list = async (query: string) => ((await api().get(`/api/v1/gifts?${query}`).set(bearer(giver)).expect(200)).body.items as Gift[]).map((g) => g.id);
      expect(await list('giverId=me')).to.deep.equal([reversal.id, ...made.map((g) => g.id).reverse()]);
      expect(await list(`giverId=${giver.id}&status=pending_approval`)).to.deep.equal([made[3]!.id]);
      expect(await list('giverId=me&kind=reversal')).to.deep.equal([reversal.id]);
      expect(await list(`giverId=me&month=${made[0]!.month}&status=applied&kind=gift`)).to.deep.equal([made[2]!.id, made[1]!.id, made[0]!.id]);
      expect(await list('giverId=me&month=2001-01')).to.deep.equal([]);
      expect(await list(`customerId=${String(customer._id)}&caseId=0123456789abcdef01234567`)).to.deep.equal([]);
      const first = (await api().get('/api/v1/gifts?giverId=me&limit=2').set(bearer(giver)).expect(200)).body;
      expect(first.items.map((g: Gift) => g.id)).to.deep.equal([reversal.id, made[3]!.id]);
      const second = (await api().get(`/api/v1/gifts?giverId=me&limit=2&cursor=${first.nextCursor}`).set(bearer(giver)).expect(200)).body;
      expect(second.items.map((g: Gift) => g.id)).to.deep.equal([made[2]!.id, made[1]!.id]);
      for (const query of ['status=lost', 'month=2031-13', 'giverId=you', 'kind=edit', 'customerId=1', 'limit=0', 'cursor=%%%', 'customerId[$ne]=x']) {
        expectProblem(await api().get(`/api/v1/gifts?${query}`).set(bearer(giver)), 400);
      }
    });
  });
});

import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import type { Response } from 'supertest';
import { ProjectModel } from '../../models/project.ts';
import { PlanModel, periodBounds } from '../../models/plan.ts';
import { TierApprovalModel } from '../../models/tier-change.ts';
import { VisitModel } from '../../models/visit.ts';
import { api, bearer, createCustomer, createUser, type TestUser } from '../factories.ts';

// The lists' queries as the service sends them, captured from real requests, explained by the real database: each
// must be served by an index (on the embedded engine: pushed down to SQLite with its sort and limit; on MongoDB: no
// collection scan). A list that reads the whole collection is fine at demo size and fails at 10,000 customers.

type Issued = { collection: string; method: string; filter: Record<string, unknown>; options: Record<string, unknown> };

/** Sends the request and answers it with every query it issued. */
async function issuedBy(send: () => PromiseLike<Response>): Promise<{ res: Response; issued: Issued[] }> {
  const issued: Issued[] = [];
  mongoose.set('debug', (collection: string, method: string, ...args: unknown[]) => {
    issued.push({ collection, method, filter: (args[0] ?? {}) as Record<string, unknown>, options: (args[1] ?? {}) as Record<string, unknown> });
  });
  try {
    return { res: await send(), issued };
  } finally {
    mongoose.set('debug', false);
  }
}

const engine = process.env.TEST_MONGODB_URI ? 'mongodb' : process.env.TEST_FERRETDB_POSTGRESQL_URL ? 'postgresql' : 'sqlite';

/** What the database says about a find: whether an index serves it, and the plan to show when not. */
async function explain(q: Issued): Promise<{ indexed: boolean; exact: boolean; plan: string }> {
  const find: Record<string, unknown> = { find: q.collection, filter: q.filter };
  if (q.options.sort) find.sort = q.options.sort;
  if (q.options.limit) find.limit = q.options.limit;
  if (q.method === 'findOne') find.limit = 1;
  const res = await mongoose.connection.db!.command({ explain: find });
  if (engine === 'mongodb') {
    const plan = JSON.stringify(res.queryPlanner?.winningPlan);
    return { indexed: !plan.includes('COLLSCAN'), exact: true, plan };
  }
  // SQLite's EXPLAIN QUERY PLAN, one line per step: "SCAN <table>" alone reads every row, "SEARCH/SCAN ... USING INDEX" does not.
  const steps = ((res.queryPlanner as { Plan?: string[] }).Plan ?? []).map((line) => line.replace(/^.*detail=/, ''));
  const plan = steps.join('\n');
  const fullScan = steps.some((s) => /^SCAN \w+$/.test(s) && !s.startsWith('SCAN (') && !s.startsWith('SCAN e '));
  const filtered = Object.keys(q.filter).length > 0; // an empty filter has nothing to push down
  return { indexed: !fullScan && /USING (COVERING )?INDEX/.test(plan), exact: Boolean((res.filterPushdown || !filtered) && res.sortPushdown && res.limitPushdown), plan };
}

/** The list's own query: the find on `collection` with a sort and a limit. */
function listQuery(issued: Issued[], collection: string): Issued {
  const found = issued.filter((q) => q.collection === collection && q.method === 'find' && q.options.limit);
  expect(found, `queries issued: ${issued.map((q) => `${q.collection}.${q.method}`).join(', ')}`).to.not.be.empty;
  return found[0]!;
}

async function expectServedByIndex(q: Issued) {
  const { indexed, exact, plan } = await explain(q);
  expect(indexed, `${q.collection} ${JSON.stringify(q.filter)} sort ${JSON.stringify(q.options.sort)}:\n${plan}`).to.equal(true);
  // Filter, sort and limit all pushed down: SQLite reads about a page, not every match.
  expect(exact, `${q.collection} ${JSON.stringify(q.filter)}: not pushed down whole\n${plan}`).to.equal(true);
}

describe('list queries at scale', function () {
  let manager: TestUser;
  let colleague: TestUser;
  let executive: TestUser;
  let own: { id: string };
  let theirs: { id: string };
  let entry: { id: string };

  before(async function () {
    if (engine === 'postgresql') this.skip(); // the PostgreSQL backend explains in its own terms
    manager = await createUser({ role: 'manager' });
    colleague = await createUser({ role: 'manager' });
    executive = await createUser({ role: 'executive' });
    // Team members and tags in the stored arrays: the embedded engine plans array membership differently once any
    // document holds an element there.
    own = await createCustomer(manager, { tags: ['scale', 'north'], accountTeam: [colleague.id] });
    theirs = await createCustomer(colleague, { accountTeam: [manager.id] });
    const overdue = new Date(Date.now() - 3 * 86_400_000);
    await VisitModel.create({
      customerId: own.id, ownerId: manager.id, kind: 'adhoc', status: 'scheduled', dueAt: overdue, scheduledFor: overdue, cadenceKey: `adhoc:${new Types.ObjectId()}`,
    });
    const { start, end } = periodBounds('2027');
    await PlanModel.create({ customerId: own.id, period: '2027', periodStart: start, periodEnd: end, ownerId: manager.id });
    entry = (await api().post('/api/v1/knowledge').set(bearer(manager)).send({ problem: 'Scale 打印机', solution: 's', category: 'Scale', tags: ['scale'] })).body;
    await api().patch(`/api/v1/knowledge/${entry.id}`).set(bearer(manager)).send({ solution: 'edited' }).expect(200);
    await TierApprovalModel.create({
      key: theirs.id, customerId: theirs.id, to: 'S', source: 'computed', reason: 'test', requestedByName: 'test', requestedAt: new Date(),
    });
    await api().post('/api/v1/gifts').set(bearer(manager)).send({ customerId: own.id, item: 'Tea', cost: 100, currency: 'USD', reasonCategory: 'thanks', reason: 'test' }).expect(201);
  });

  const lists: Array<[string, () => TestUser, () => string, string]> = [
    ['a manager\'s customers in name order', () => manager, () => '/customers?limit=50', 'customers'],
    ['all customers in name order', () => executive, () => '/customers?limit=50', 'customers'],
    ['customers by update and by revenue', () => executive, () => '/customers?limit=50&sort=-revenue12m', 'customers'],
    ['customers with a tag', () => executive, () => '/customers?limit=50&tag=scale', 'customers'],
    ['customers of a status', () => executive, () => '/customers?limit=50&status=prospect', 'customers'],
    ['customers of a tier', () => executive, () => '/customers?limit=50&tier=B', 'customers'],
    ['a customer\'s contacts', () => manager, () => `/customers/${own.id}/contacts`, 'contacts'],
    ['a customer\'s projects', () => manager, () => `/customers/${own.id}/projects`, 'projects'],
    ['a manager\'s own projects', () => manager, () => '/projects?owner=me', 'projects'],
    ['a manager\'s overdue visits', () => manager, () => '/visits?owner=me&overdue=true', 'visits'],
    ['a customer\'s visits', () => manager, () => `/visits?customerId=${own.id}`, 'visits'],
    ['a manager\'s improvement actions', () => manager, () => '/actions?owner=me', 'actions'],
    ['pending tier approvals', () => executive, () => '/tier-approvals', 'tier_approvals'],
    ['all plans', () => executive, () => '/plans', 'plans'],
    ['a manager\'s own plans', () => manager, () => '/plans?owner=me', 'plans'],
    ['a customer\'s plans', () => manager, () => `/customers/${own.id}/plans`, 'plans'],
    ['a user\'s notifications', () => manager, () => '/notifications', 'notifications'],
    ['a customer\'s timeline', () => manager, () => `/customers/${own.id}/timeline`, 'changes'],
    ['knowledge by uses', () => manager, () => '/knowledge', 'knowledge'],
    ['knowledge of a category', () => manager, () => '/knowledge?category=Scale', 'knowledge'],
    ['knowledge with a tag', () => manager, () => '/knowledge?tag=scale', 'knowledge'],
    ['knowledge sharing a query\'s words', () => manager, () => '/knowledge?q=scale%20打印机', 'knowledge'],
    ['an entry\'s past versions', () => manager, () => `/knowledge/${entry.id}/versions`, 'knowledge_versions'],
    ['the gift ledger', () => executive, () => '/gifts', 'gifts'],
    ['a giver\'s gifts', () => manager, () => '/gifts?giverId=me', 'gifts'],
    ['gifts waiting for approval', () => executive, () => '/gifts?status=pending_approval', 'gifts'],
    ['a customer\'s gifts', () => executive, () => `/gifts?customerId=${own.id}`, 'gifts'],
    ['the gifts a manager may see', () => manager, () => '/gifts', 'gifts'],
  ];
  for (const [what, user, url, collection] of lists) {
    it(`serves ${what} from an index, filter, sort and limit pushed down`, async () => {
      const { res, issued } = await issuedBy(() => api().get(`/api/v1${url()}`).set(bearer(user())));
      expect(res.status, res.text).to.equal(200);
      await expectServedByIndex(listQuery(issued, collection));
    });
  }

  it('serves every query of a manager\'s overdue visits from an index, with no lookup of all their customers', async () => {
    const { res, issued } = await issuedBy(() => api().get('/api/v1/visits?owner=me&overdue=true').set(bearer(manager)));
    expect(res.status).to.equal(200);
    expect(res.body.items.map((v: { customerId: string }) => v.customerId)).to.include(own.id);
    for (const q of issued.filter((i) => i.method === 'find' || i.method === 'findOne')) {
      const { indexed, plan } = await explain(q);
      expect(indexed, `${q.collection} ${JSON.stringify(q.filter)}:\n${plan}`).to.equal(true);
    }
  });

  it('serves both queries of the gifts a manager may see (their own, their customers\') from an index, no $or across them', async () => {
    const { res, issued } = await issuedBy(() => api().get('/api/v1/gifts').set(bearer(manager)));
    expect(res.status).to.equal(200);
    const lists = issued.filter((q) => q.collection === 'gifts' && q.method === 'find' && q.options.limit);
    expect(lists).to.have.length(2);
    for (const q of lists) await expectServedByIndex(q);
  });

  it('serves GET /customers/:id/tier with one read of the customer', async () => {
    const { res, issued } = await issuedBy(() => api().get(`/api/v1/customers/${own.id}/tier`).set(bearer(manager)));
    expect(res.status).to.equal(200);
    // every query the process issued meanwhile is captured, so work left over from an earlier request (a report row
    // brought up to date) may show up too: the route's own reads are those of this customer
    const reads = issued.filter((q) => q.collection === 'customers' && JSON.stringify(q.filter).includes(own.id));
    expect(reads, JSON.stringify(issued.filter((q) => q.collection === 'customers'))).to.have.length(1);
    await expectServedByIndex(listQuery(issued, 'tier_changes'));
  });
});

describe('lists narrowed to an owner, of customers a manager partly sees', () => {
  it('reads past the rows of customers the manager may not see until the page is full, in order', async () => {
    const manager = await createUser({ role: 'manager' });
    const other = await createUser({ role: 'manager' });
    const mine = await createCustomer(manager);
    const hidden = await createCustomer(other);
    // The manager owns projects on both; the newest ones are on the customer they cannot see.
    const deal = (customerId: string, name: string) => ProjectModel.create({ customerId, name, value: 1, currency: 'USD', ownerId: manager.id });
    const visible = [await deal(mine.id, 'v1'), await deal(mine.id, 'v2'), await deal(mine.id, 'v3')];
    for (let i = 0; i < 5; i++) await deal(hidden.id, `h${i}`);
    const first = await api().get('/api/v1/projects?owner=me&limit=2').set(bearer(manager)).expect(200);
    expect(first.body.items.map((p: { name: string }) => p.name)).to.deep.equal(['v3', 'v2']);
    expect(first.body.nextCursor).to.be.a('string');
    const second = await api().get(`/api/v1/projects?owner=me&limit=2&cursor=${first.body.nextCursor}`).set(bearer(manager)).expect(200);
    expect(second.body.items.map((p: { name: string }) => p.name)).to.deep.equal(['v1']);
    expect(second.body.nextCursor).to.equal(null);
    // Its owner sees them all; the stored projects are unchanged.
    const theirs = await api().get(`/api/v1/projects?customerId=${hidden.id}`).set(bearer(other)).expect(200);
    expect(theirs.body.items).to.have.length(5);
    expect(await ProjectModel.countDocuments({ ownerId: manager.id })).to.equal(visible.length + 5);
  });
});

import { expect } from 'chai';
import { ServicePolicyModel, currentServicePolicy, defaultServiceRules, type ServiceRules } from '../../models/service-policy.ts';
import { caseWorld, openCase, storedCase } from '../case-world.ts';
import { api, bearer, createUser, expectProblem, type TestUser } from '../factories.ts';
import { oneWinner, trials } from '../race.ts';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('GET/PUT /api/v1/service-policy', () => {
  let admin: TestUser;
  let manager: TestUser;
  const put = (rules: object, etag?: string) => {
    const req = api().put('/api/v1/service-policy').set(bearer(admin));
    return (etag === undefined ? req : req.set('If-Match', etag)).send(rules);
  };
  const current = async () => api().get('/api/v1/service-policy').set(bearer(manager)).expect(200);

  before(async () => {
    admin = await createUser({ role: 'admin' });
    manager = await createUser();
  });
  // Other tests read the targets in force: leave the defaults in force again.
  after(async () => {
    const res = await current();
    await put({ ...clone(defaultServiceRules), note: 'defaults again after the policy tests' }, res.headers.etag).expect(200);
  });

  it('answers the policy in force to any signed-in user, with its version as ETag', async () => {
    const res = await current();
    expect(res.headers.etag).to.equal(`"v${res.body.version}"`);
    expect(res.body.targets).to.have.keys('S', 'A', 'B', 'C', 'none');
    expect(res.body.targets.S).to.have.keys('low', 'normal', 'high', 'critical');
    if (res.body.version === 1) {
      expect(res.body.targets.S.critical).to.deep.equal({ respondMinutes: 60, resolveMinutes: 480 });
      expect(res.body.targets.C.low).to.deep.equal({ respondMinutes: 2880, resolveMinutes: 14400 });
      expect(res.body).to.include({ warnPercent: 20, autoCloseDays: 7, createdById: null });
    }
    expectProblem(await api().get('/api/v1/service-policy'), 401);
  });

  it('saves a new version for an admin with If-Match; the next cases get its targets, open ones keep theirs', async () => {
    const w = await caseWorld('A');
    const before = await openCase(w, w.opener, { severity: 'high' });
    const res = await current();
    const rules: ServiceRules = clone(defaultServiceRules);
    rules.targets.A.high = { respondMinutes: 30, resolveMinutes: 90 };
    rules.autoCloseDays = 3;
    const saved = await put({ ...rules, note: 'A/high faster' }, res.headers.etag).expect(200);
    expect(saved.body).to.include({ version: res.body.version + 1, note: 'A/high faster', createdById: admin.id, autoCloseDays: 3 });
    expect(saved.headers.etag).to.equal(`"v${res.body.version + 1}"`);
    expect((await currentServicePolicy()).targets.A.high).to.deep.equal({ respondMinutes: 30, resolveMinutes: 90 });
    const after = await openCase(w, w.opener, { severity: 'high' });
    expect(after.body.policyVersion).to.equal(saved.body.version);
    const stored = await storedCase(after.body.id);
    expect(stored.resolveBy.getTime() - stored.history[0]!.at.getTime()).to.equal(90 * 60_000);
    expect((await storedCase(before.body.id)).policyVersion).to.equal(res.body.version);
  });

  it('refuses a manager (403), no If-Match (428), a stale one (412) and an inconsistent or bad policy (400), storing nothing', async () => {
    const res = await current();
    const versions = () => ServicePolicyModel.countDocuments();
    const count = await versions();
    expectProblem(await api().put('/api/v1/service-policy').set(bearer(manager)).set('If-Match', res.headers.etag as string).send(defaultServiceRules), 403);
    expectProblem(await put(clone(defaultServiceRules)), 428);
    expectProblem(await put(clone(defaultServiceRules), `"v${res.body.version - 1}"`), 412);
    expectProblem(await put(clone(defaultServiceRules), '"7"'), 412);
    const slower = clone(defaultServiceRules);
    slower.targets.B.low = { respondMinutes: 600, resolveMinutes: 300 };
    expect(expectProblem(await put(slower, res.headers.etag), 400).errors).to.deep.equal([
      { field: 'targets.B.low.resolveMinutes', message: 'resolveMinutes (300) must not be shorter than respondMinutes (600)' },
    ]);
    const missing = clone(defaultServiceRules) as unknown as { targets: Record<string, unknown>; warnPercent: number };
    delete missing.targets.none;
    missing.warnPercent = 95;
    const fields = expectProblem(await put(missing, res.headers.etag), 400).errors!.map((e) => e.field).sort();
    expect(fields).to.deep.equal(['targets.none', 'warnPercent']);
    const zero = clone(defaultServiceRules);
    zero.targets.S.critical.respondMinutes = 0;
    expect(expectProblem(await put(zero, res.headers.etag), 400).errors!.map((e) => e.field)).to.deep.equal(['targets.S.critical.respondMinutes']);
    expect(await versions()).to.equal(count);
  });

  it('lets one of two admins saving at once with the same ETag win; the other gets 412', async () => {
    await trials(async (i) => {
      const res = await current();
      const bodies = [5, 6].map((days) => ({ ...clone(defaultServiceRules), autoCloseDays: days, note: `trial ${i}` }));
      const answers = await Promise.all(bodies.map((b) => put(b, res.headers.etag)));
      const { winner } = oneWinner(answers, 200, 412);
      const now = await currentServicePolicy();
      expect(now.version).to.equal(res.body.version + 1);
      expect(now.autoCloseDays).to.equal(winner.body.autoCloseDays);
    }, 5);
  });
});

import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { name as reclassifyAllJob } from '../../jobs/tiers.ts';
import { CustomerModel } from '../../models/customer.ts';
import { TierApprovalModel, TierChangeModel } from '../../models/tier-change.ts';
import { requestOverride } from '../../models/tier-decisions.ts';
import { TierPolicyModel, criterionKeys, defaultPolicyRules, savePolicy } from '../../models/tier-policy.ts';
import { reclassify } from '../../models/tiering.ts';
import { api, bearer, createCustomer, createUser, expectProblem, uniqueCode, type TestUser } from '../factories.ts';

const url = '/api/v1/tier-policy';
const jobs = () => mongoose.connection.db!.collection('jobs');
const versionCount = () => TierPolicyModel.countDocuments({});
const newestVersion = async () => (await TierPolicyModel.find({}).sort({ version: -1 }).limit(1).lean())[0]!.version;

// Uses three of the five criteria: the other two count for nothing.
const variant = () => ({
  criteria: [
    { key: 'potential', weight: 50, scale: { kind: 'linear', min: 0, max: 2_000_000_000 } },
    { key: 'strategicValue', weight: 30, scale: { kind: 'bands', bands: [{ min: 4, points: 100 }, { min: 2, points: 50 }] } },
    { key: 'relationship', weight: 20, scale: { kind: 'linear', min: 0, max: 20 } },
  ],
  thresholds: { S: 85, A: 65, B: 45 },
  cadenceDays: { S: 21, A: 45, B: 120, C: 365 },
  note: `fewer criteria ${randomUUID().slice(0, 8)}`,
});
type Body = ReturnType<typeof variant> & Record<string, unknown>;

describe('tier policy API', () => {
  let admin: TestUser;
  let executive: TestUser;
  let manager: TestUser;
  const queuedReasons: string[] = [];

  before(async () => {
    admin = await createUser({ role: 'admin' });
    executive = await createUser({ role: 'executive' });
    manager = await createUser({ role: 'manager' });
  });

  after(async () => {
    await savePolicy(defaultPolicyRules, 'defaults restored by the tier policy tests', { id: admin.id, name: 'Test admin' });
    // No worker ran them; a worker started by a later test must not rescore every customer because of these tests.
    await jobs().deleteMany({ name: reclassifyAllJob, 'data.reason': { $in: queuedReasons } });
  });

  describe('GET /api/v1/tier-policy', () => {
    it('answers the current policy, its ETag and what each criterion reads, to a manager', async () => {
      const res = await api().get(url).set(bearer(manager)).expect(200);
      const body = res.body as { version: number; criteria: Array<{ key: string; weight: number }>; criterionInputs: Record<string, string> };
      expect(body.version).to.equal(await newestVersion());
      expect(res.headers.etag).to.equal(`"v${body.version}"`);
      expect(body.criteria.reduce((sum, c) => sum + c.weight, 0)).to.equal(100);
      expect(body).to.include.keys('id', 'thresholds', 'cadenceDays', 'note', 'createdAt', 'createdById', 'createdByName');
      expect(Object.keys(body.criterionInputs)).to.have.members([...criterionKeys]);
    });

    it('answers 401 without a token', async () => {
      expectProblem(await api().get(url), 401);
    });
  });

  describe('PUT /api/v1/tier-policy', () => {
    it('stores the next version by the admin, answers it and queues a reclassification of every customer', async () => {
      const before = await newestVersion();
      const body = variant();
      const res = await api().put(url).set(bearer(admin)).set('If-Match', `"v${before}"`).send(body).expect(200);
      const version = before + 1;
      expect(res.body.version).to.equal(version);
      expect(res.headers.etag).to.equal(`"v${version}"`);
      expect(res.body).to.deep.include({ criteria: body.criteria, thresholds: body.thresholds, cadenceDays: body.cadenceDays, note: body.note, createdById: admin.id });

      const stored = await TierPolicyModel.findOne({ version }).lean();
      expect(stored).to.deep.include({ criteria: body.criteria, note: body.note, createdByName: 'Test admin' });
      expect(String(stored!.createdById)).to.equal(admin.id);
      expect((await api().get(url).set(bearer(manager)).expect(200)).body.version).to.equal(version);

      const reason = `policy v${version} saved by Test admin`;
      queuedReasons.push(reason);
      const job = await jobs().findOne({ name: reclassifyAllJob, 'data.reason': reason });
      expect(job, 'queued tiers.reclassify-all job').to.not.equal(null);
    });

    const invalid: Array<[string, string, (b: Body) => unknown]> = [
      ['weights summing to 90', 'criteria', (b) => { b.criteria[0]!.weight = 40; }],
      ['a criterion twice', 'criteria.1.key', (b) => { b.criteria[1]!.key = 'potential'; }],
      ['thresholds not descending', 'thresholds', (b) => { b.thresholds = { S: 60, A: 70, B: 40 }; }],
      ['a linear scale with max not above min', 'criteria.0.scale.max', (b) => { b.criteria[0]!.scale = { kind: 'linear', min: 10, max: 10 }; }],
      ['an unknown criterion key', 'criteria.0.key', (b) => { b.criteria[0]!.key = 'revenue'; }],
      ['band points above 100', 'criteria.1.scale.bands.0.points', (b) => { (b.criteria[1]!.scale as { bands: Array<{ points: number }> }).bands[0]!.points = 120; }],
      ['an unknown field', 'extra', (b) => { b.extra = true; }],
      ['an operator object in place of a number', 'thresholds.S', (b) => { (b.thresholds as Record<string, unknown>).S = { $gt: 0 }; }],
      ['a missing cadence', 'cadenceDays.C', (b) => { delete (b.cadenceDays as Partial<Body['cadenceDays']>).C; }],
    ];
    for (const [what, field, spoil] of invalid) {
      it(`rejects ${what} with 400 naming ${field}, and stores nothing`, async () => {
        const count = await versionCount();
        const body = variant() as Body;
        spoil(body);
        const problem = expectProblem(await api().put(url).set(bearer(admin)).send(body), 400);
        expect(problem.errors?.map((e) => e.field)).to.include(field);
        expect(await versionCount()).to.equal(count);
      });
    }

    for (const role of ['executive', 'manager'] as const) {
      it(`answers 403 to the ${role} role and stores nothing`, async () => {
        const count = await versionCount();
        expectProblem(await api().put(url).set(bearer(role === 'executive' ? executive : manager)).send(variant()), 403);
        expect(await versionCount()).to.equal(count);
      });
    }

    it('answers 412 to a stale If-Match and stores nothing', async () => {
      await savePolicy(defaultPolicyRules, 'moves the version on', { id: admin.id, name: 'Test admin' });
      const count = await versionCount();
      const stale = (await newestVersion()) - 1;
      expectProblem(await api().put(url).set(bearer(admin)).set('If-Match', `"v${stale}"`).send(variant()), 412);
      expectProblem(await api().put(url).set(bearer(admin)).set('If-Match', '"7"').send(variant()), 412);
      expect(await versionCount()).to.equal(count);
    });

    it('of two admins saving with the same If-Match at the same moment, exactly one gets the next version', async () => {
      const current = await newestVersion();
      const count = await versionCount();
      const answers = await Promise.all([0, 1].map(() => api().put(url).set(bearer(admin)).set('If-Match', `"v${current}"`).send(variant())));
      expect(answers.map((r) => r.status).sort()).to.deep.equal([200, 412]);
      expect(await versionCount()).to.equal(count + 1);
      expect(await newestVersion()).to.equal(current + 1);
    });
  });

  describe('GET /api/v1/tier-policy/versions', () => {
    it('lists every version newest first, page by page', async () => {
      await savePolicy(defaultPolicyRules, 'versions 1', { id: admin.id, name: 'Test admin' });
      const { note: _note, ...rules } = variant();
      await savePolicy(rules as typeof defaultPolicyRules, 'versions 2', { id: admin.id, name: 'Test admin' });
      const newest = await newestVersion();
      const first = await api().get(`${url}/versions?limit=2`).set(bearer(manager)).expect(200);
      expect(first.body.items.map((p: { version: number }) => p.version)).to.deep.equal([newest, newest - 1]);
      expect(first.body.items[0].note).to.equal('versions 2');
      expect(first.body.items[0]).to.not.have.property('_id');
      const second = await api().get(`${url}/versions?limit=2&cursor=${first.body.nextCursor}`).set(bearer(manager)).expect(200);
      expect(second.body.items.map((p: { version: number }) => p.version)).to.deep.equal([newest - 2, newest - 3]);

      const all = await api().get(`${url}/versions?limit=200`).set(bearer(executive)).expect(200);
      expect(all.body.items).to.have.length(await versionCount());
      expect(all.body.nextCursor).to.equal(null);
      expectProblem(await api().get(`${url}/versions?cursor=bm9wZQ`).set(bearer(manager)), 400);
    });
  });

  describe('POST /api/v1/tier-policy/simulate', () => {
    const region = `tier-sim-${randomUUID().slice(0, 8)}`;
    // Under the default scales: potential 1e9 -> 25 points of weight, strategicValue 5 -> 20, 3 -> 10; no revenue,
    // projects or contacts add nothing. Defaults: B >= 40, else C. The candidate: S >= 40, A >= 30, B >= 20.
    const people = {
      high: { potential: 1_000_000_000, strategicValue: 5 }, // 45: B, candidate S
      middle: { potential: 1_000_000_000, strategicValue: 3 }, // 35: C, candidate A
      low: { potential: 500_000_000, strategicValue: 3 }, // 22.5: C, candidate B
      none: { potential: 0, strategicValue: 1 }, // 0: C, candidate C
      pinned: { potential: 1_000_000_000, strategicValue: 5 }, // 45: B, then an admin's override to C holds it there
      lapsed: { potential: 1_000_000_000, strategicValue: 5 }, // 45: B, its override to C expired: candidate S
      archived: { potential: 1_000_000_000, strategicValue: 5 }, // 45: B, archived: not simulated
    };
    type Name = keyof typeof people;
    const candidate = { ...defaultPolicyRules, thresholds: { S: 40, A: 30, B: 20 }, note: 'ignored' };
    const ids = {} as Record<Name, string>;
    const codes = {} as Record<Name, string>;
    const names = {} as Record<Name, string>;

    before(async () => {
      await savePolicy(defaultPolicyRules, 'simulation baseline', { id: admin.id, name: 'Test admin' });
      for (const [name, tierInputs] of Object.entries(people) as Array<[Name, (typeof people)[Name]]>) {
        const made = await createCustomer(admin, { code: uniqueCode('TPS'), company: { region }, tierInputs });
        ids[name] = made.id;
        codes[name] = made.code;
        names[name] = made.name;
      }
      await reclassify({ customerIds: Object.values(ids) });
      await requestOverride(new Types.ObjectId(ids.pinned), { tier: 'C', reason: 'kept small on purpose' }, { id: admin.id, name: 'Test admin', role: 'admin' });
      const lapsed = { tier: 'C', reason: 'was small', byId: new Types.ObjectId(admin.id), byName: 'Test admin', at: new Date(Date.now() - 86_400_000), expiresAt: new Date(Date.now() - 3_600_000) };
      await CustomerModel.updateOne({ _id: ids.lapsed }, { $set: { tierOverride: lapsed } });
      await CustomerModel.updateOne({ _id: ids.archived }, { $set: { archived: true, archivedAt: new Date() } });
      const tiers = Object.fromEntries((await CustomerModel.find({ 'company.region': region }).lean()).map((c) => [c.code, c.tier]));
      expect(tiers).to.deep.equal({
        [codes.high]: 'B', [codes.middle]: 'C', [codes.low]: 'C', [codes.none]: 'C', [codes.pinned]: 'C', [codes.lapsed]: 'B', [codes.archived]: 'B',
      });
    });

    const snapshot = async () => ({
      customers: await CustomerModel.find({ 'company.region': region }).sort({ code: 1 }).lean(),
      changes: await TierChangeModel.countDocuments({}),
      approvals: await TierApprovalModel.countDocuments({}),
      versions: await versionCount(),
      version: await newestVersion(),
      jobs: await jobs().countDocuments({}),
    });
    const mine = (moves: Array<{ code: string }>) => moves.filter((m) => Object.values(codes).includes(m.code));

    it('answers where each customer would land under the candidate, and writes nothing', async () => {
      const before = await snapshot();
      const res = await api().post(`${url}/simulate`).set(bearer(executive)).send(candidate).expect(200);
      expect(res.body.policyVersion).to.equal(before.version);
      const expected = [
        { customerId: ids.high, code: codes.high, name: names.high, from: 'B', to: 'S', score: 45, needsApproval: true },
        { customerId: ids.middle, code: codes.middle, name: names.middle, from: 'C', to: 'A', score: 35, needsApproval: true },
        { customerId: ids.low, code: codes.low, name: names.low, from: 'C', to: 'B', score: 22.5, needsApproval: false },
        { customerId: ids.lapsed, code: codes.lapsed, name: names.lapsed, from: 'B', to: 'S', score: 45, needsApproval: true },
      ].sort((a, b) => (a.code < b.code ? -1 : 1));
      expect(mine(res.body.moves)).to.deep.equal(expected);

      const { current, candidate: next } = res.body.counts as { current: Record<string, number>; candidate: Record<string, number> };
      const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      const simulated = await CustomerModel.countDocuments({ archived: false });
      expect(sum(current)).to.equal(simulated);
      expect(sum(next)).to.equal(simulated);
      expect(Object.keys(next)).to.have.members(['S', 'A', 'B', 'C']);
      expect(res.body.movesTotal).to.be.at.least(res.body.moves.length);
      expect(res.body.moves.length).to.be.at.most(500);

      expect(await snapshot()).to.deep.equal(before);
    });

    it('moves none of these customers when the candidate is the policy they were scored under', async () => {
      const res = await api().post(`${url}/simulate`).set(bearer(admin)).send(defaultPolicyRules).expect(200);
      expect(mine(res.body.moves)).to.deep.equal([]);
    });

    it('rejects an inconsistent candidate with 400 and answers 403 to a manager', async () => {
      const spoiled = { ...candidate, thresholds: { S: 20, A: 30, B: 40 } };
      const problem = expectProblem(await api().post(`${url}/simulate`).set(bearer(admin)).send(spoiled), 400);
      expect(problem.errors?.map((e) => e.field)).to.deep.equal(['thresholds']);
      expectProblem(await api().post(`${url}/simulate`).set(bearer(manager)).send(candidate), 403);
    });
  });
});

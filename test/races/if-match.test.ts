import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ActionModel } from '../../models/action.ts';
import { ChangeModel } from '../../models/change.ts';
import { ContactModel } from '../../models/contact.ts';
import { CustomerModel } from '../../models/customer.ts';
import { PlanModel, periodBounds } from '../../models/plan.ts';
import { ProjectModel } from '../../models/project.ts';
import { UserModel } from '../../models/user.ts';
import { VisitModel } from '../../models/visit.ts';
import { api, bearer, createCustomer, createUser, type TestUser } from '../factories.ts';
import { oneWinner, trials } from '../race.ts';
import type { AnyModel } from '../../models/db-compat.ts';

// Every route that takes If-Match, raced: two writes sent at once with the same ETag. Exactly one lands (200), the
// other is told its ETag is stale (412); the stored record holds the winner's fields and nothing of the loser's, and
// the customer's timeline records the winner's change only.

type Body = Record<string, unknown>;
type Target = {
  url: string;
  user: TestUser;
  model: AnyModel;
  id: string;
  /** The customer whose timeline records changes of this record, when it has one. */
  timelineOf?: string;
  /** Two bodies for a trial: each sets a field both set (to its own value) and, mostly, a field only it sets. */
  bodies: (i: number, before: Body) => [Body, Body];
};

const uid = () => randomUUID().slice(0, 8);
const day = (i: number, base = '2031-01-01') => new Date(Date.parse(`${base}T09:00:00.000Z`) + i * 86_400_000).toISOString();

/** The stored record as JSON (ids and dates as strings), read from the database, not through the API. */
const storedJson = async (model: AnyModel, id: string): Promise<Body> => JSON.parse(JSON.stringify(await model.findById(id).lean()));

/** `{company: {industry: 'x'}}` as `[['company.industry', 'x']]`. */
function leaves(body: Body, prefix = ''): Array<[string, unknown]> {
  return Object.entries(body).flatMap(([key, value]) => (value && typeof value === 'object' && !Array.isArray(value)
    ? leaves(value as Body, `${prefix}${key}.`)
    : [[`${prefix}${key}`, value] as [string, unknown]]));
}
const at = (doc: Body, path: string) => path.split('.').reduce<unknown>((v, k) => (v as Body | null | undefined)?.[k], doc);
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const updatesOf = (entityId: string) => ChangeModel.find({ entityId, action: 'updated' }).sort({ at: 1, _id: 1 }).lean();

/** Two PATCHes at once with the record's ETag: one 200 and one 412, the winner's fields stored, none of the loser's. */
async function raceTwoWrites(target: Target) {
  await trials(async (i) => {
    const before = await storedJson(target.model, target.id);
    const bodies = target.bodies(i, before);
    const timelineBefore = target.timelineOf ? (await updatesOf(target.id)).length : 0;
    const answers = await Promise.all(bodies.map((body) => api().patch(target.url).set(bearer(target.user)).set('If-Match', `"${before.__v as number}"`).send(body)));
    const { winner, index } = oneWinner(answers, 200, 412);
    const after = await storedJson(target.model, target.id);
    expect(after.__v, 'one write, one version').to.equal((before.__v as number) + 1);
    expect(winner.headers.etag).to.equal(`"${after.__v as number}"`);
    await expectApplied(target, before, after, [bodies[index]!], bodies[1 - index]!);
    if (target.timelineOf) expect(await updatesOf(target.id), 'one timeline entry for the race').to.have.length(timelineBefore + 1);
  });
}

/** Two PATCHes at once without If-Match: each applies to the record as the other left it, so both land, in some order. */
async function raceTwoBlindWrites(target: Target) {
  await trials(async (i) => {
    const before = await storedJson(target.model, target.id);
    const bodies = target.bodies(i, before);
    const timelineBefore = target.timelineOf ? (await updatesOf(target.id)).length : 0;
    const answers = await Promise.all(bodies.map((body) => api().patch(target.url).set(bearer(target.user)).send(body)));
    expect(answers.map((r) => r.status), answers.map((r) => r.text.slice(0, 120)).join(' | ')).to.deep.equal([200, 200]);
    const after = await storedJson(target.model, target.id);
    expect(after.__v, 'two writes, two versions').to.equal((before.__v as number) + 2);
    const later = answers.findIndex((r) => r.headers.etag === `"${after.__v as number}"`);
    expect(later, 'one answer carries the stored version').to.be.at.least(0);
    await expectApplied(target, before, after, [bodies[1 - later]!, bodies[later]!]);
    if (target.timelineOf) expect(await updatesOf(target.id), 'both changes on the timeline').to.have.length(timelineBefore + 2);
  });
}

/**
 * The stored record holds the fields of `applied` (later bodies over earlier ones) and, for the fields only `lost`
 * sets, what was there before; the newest timeline entry names the fields of the last body applied.
 */
async function expectApplied(target: Target, before: Body, after: Body, applied: Body[], lost: Body = {}) {
  const stored = new Map(applied.flatMap((body) => leaves(body)));
  for (const [path, value] of stored) expect(same(at(after, path), value), `${path}: the value applied last`).to.equal(true);
  for (const [path] of leaves(lost).filter(([p]) => !stored.has(p))) {
    expect(same(at(after, path), at(before, path)), `${path}: untouched by the loser`).to.equal(true);
  }
  if (target.timelineOf) {
    const last = (await updatesOf(target.id)).at(-1)!;
    expect(last.fields.map((f) => f.field).sort()).to.deep.equal(leaves(applied.at(-1)!).map(([path]) => path).sort());
  }
}

describe('races: two writes to one record at once', function () {
  this.timeout(120_000);
  let owner: TestUser;
  let other: TestUser;
  let admin: TestUser;
  let customer: Awaited<ReturnType<typeof createCustomer>>;

  before(async () => {
    const team = `Races-${uid()}`;
    [owner, other, admin] = await Promise.all([createUser({ team }), createUser({ team }), createUser({ role: 'admin' })]);
    customer = await createCustomer(owner);
  });
  /** Whichever of two people is not `current`, so a field moves whoever wins. */
  const notCurrent = (current: unknown) => (current === owner.id ? other.id : owner.id);

  let plans = 0;
  /** Each route that takes If-Match, with a fresh record to race on. */
  const targets: Record<string, () => Promise<Target>> = {
    '/customers/:id': async () => ({
      url: `/api/v1/customers/${customer.id}`, user: owner, model: CustomerModel, id: customer.id, timelineOf: customer.id,
      bodies: (i) => [
        { name: `Race A${i} ${uid()}`, company: { industry: `Industry A${i}` } },
        { name: `Race B${i} ${uid()}`, company: { region: `Region B${i}` } },
      ],
    }),
    '/contacts/:id': async () => {
      const res = await api().post(`/api/v1/customers/${customer.id}/contacts`).set(bearer(owner)).send({ name: `Racing Contact ${uid()}` }).expect(201);
      return {
        url: `/api/v1/contacts/${res.body.id}`, user: owner, model: ContactModel, id: res.body.id, timelineOf: customer.id,
        bodies: (i) => [{ title: `Title A${i}`, department: `Dept A${i}` }, { title: `Title B${i}`, needs: `Needs B${i}` }],
      };
    },
    '/projects/:id': async () => {
      const res = await api().post(`/api/v1/customers/${customer.id}/projects`).set(bearer(owner)).send({ name: `Racing Project ${uid()}`, value: 1 }).expect(201);
      return {
        url: `/api/v1/projects/${res.body.id}`, user: owner, model: ProjectModel, id: res.body.id, timelineOf: customer.id,
        bodies: (i) => [{ name: `Project A${i}`, products: [`Product A${i}`] }, { name: `Project B${i}`, value: 1000 + i }],
      };
    },
    '/plans/:id': async () => {
      const period = String(2031 + plans++); // one plan per customer and period
      const { start, end } = periodBounds(period);
      const plan = await PlanModel.create({ customerId: customer.id, period, periodStart: start, periodEnd: end, ownerId: owner.id, status: 'draft' });
      return {
        url: `/api/v1/plans/${plan.id}`, user: owner, model: PlanModel, id: plan.id,
        bodies: (i, before) => [{ strategy: `Strategy A${i}` }, { strategy: `Strategy B${i}`, ownerId: notCurrent(before.ownerId) }],
      };
    },
    '/visits/:id': async () => {
      const res = await api().post(`/api/v1/customers/${customer.id}/visits`).set(bearer(owner)).send({ scheduledFor: day(0) }).expect(201);
      return {
        url: `/api/v1/visits/${res.body.id}`, user: owner, model: VisitModel, id: res.body.id,
        bodies: (i, before) => [
          { scheduledFor: day(i + 1), reason: `Reason A${i}`, ownerId: notCurrent(before.ownerId) },
          { scheduledFor: day(i + 1, '2032-01-01'), reason: `Reason B${i}`, channel: before.channel === 'call' ? 'video' : 'call' },
        ],
      };
    },
    '/actions/:id': async () => {
      const visit = await api().post(`/api/v1/customers/${customer.id}/visits`).set(bearer(owner)).send({ scheduledFor: day(0) }).expect(201);
      await api().post(`/api/v1/visits/${visit.body.id}/complete`).set(bearer(owner))
        .send({ satisfaction: 4, recommend: 9, feedback: [{ category: 'support', text: 'Faster answers', severity: 'medium' }] }).expect(200);
      const action = (await ActionModel.findOne({ visitId: visit.body.id }).lean())!;
      return {
        url: `/api/v1/actions/${String(action._id)}`, user: owner, model: ActionModel, id: String(action._id),
        bodies: (i, before) => [{ resolution: `Resolution A${i}`, dueDate: day(i) }, { resolution: `Resolution B${i}`, ownerId: notCurrent(before.ownerId) }],
      };
    },
    '/users/:id': async () => {
      const user = await createUser({ team: `Races-${uid()}` });
      return {
        url: `/api/v1/users/${user.id}`, user: admin, model: UserModel, id: user.id,
        bodies: (i) => [{ name: `Name A${i}`, team: `Team A${i}` }, { name: `Name B${i}` }],
      };
    },
  };

  for (const [route, make] of Object.entries(targets)) {
    it(`PATCH ${route}: one 200, one 412, and nothing of the loser's stored`, async () => { await raceTwoWrites(await make()); });
    it(`PATCH ${route} without If-Match: both land, one after the other`, async () => { await raceTwoBlindWrites(await make()); });
  }

  for (const kind of ['contacts', 'projects'] as const) {
    it(`DELETE /${kind}/:id against a PATCH with the same If-Match: one lands, and the timeline tells only that one`, async () => {
      const model: AnyModel = kind === 'contacts' ? ContactModel : ProjectModel;
      await trials(async (i) => {
        const made = await api().post(`/api/v1/customers/${customer.id}/${kind}`).set(bearer(owner)).send({ name: `Doomed ${i} ${uid()}` }).expect(201);
        const url = `/api/v1/${kind}/${made.body.id}`;
        const answers = await Promise.all([
          api().delete(url).set(bearer(owner)).set('If-Match', made.headers.etag!),
          api().patch(url).set(bearer(owner)).set('If-Match', made.headers.etag!).send({ name: `Renamed ${i}` }),
        ]);
        const stored = await model.findById(made.body.id).lean<Body>();
        const actions = (await ChangeModel.find({ entityId: made.body.id }).sort({ at: 1, _id: 1 }).lean()).map((c) => c.action);
        const [deleted, patched] = answers.map((r) => r.status);
        if (deleted === 204) {
          // The PATCH read the record before the delete (412) or after it (404).
          expect([412, 404], `the PATCH after a delete: ${patched}`).to.include(patched);
          expect(stored, 'deleted').to.equal(null);
          expect(actions).to.deep.equal(['created', 'deleted']);
        } else {
          oneWinner([answers[1]!, answers[0]!], 200, 412);
          expect(stored).to.include({ name: `Renamed ${i}` });
          expect(actions).to.deep.equal(['created', 'updated']);
        }
      });
    });
  }
});

import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import { expect } from 'chai';
import { CustomerModel, nameKeyOf } from '../../models/customer.ts';
import { ProjectModel, type ProjectStage } from '../../models/project.ts';
import { define, handler, name, schedule } from '../../jobs/revenue.ts';
import { api, bearer, createUser, recordingAgenda, type TestUser } from '../factories.ts';

const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

async function makeCustomer(owner: TestUser, revenue12m = 0) {
  const customerName = `Revenue Co ${randomUUID().slice(0, 8)}`;
  return CustomerModel.create({
    code: `RV-${randomUUID().slice(0, 12)}`, name: customerName, nameKey: nameKeyOf(customerName), ownerId: owner.id, currency: 'USD', revenue12m,
  });
}

function makeProject(customerId: Types.ObjectId, ownerId: string, stage: ProjectStage, value: number, wonAt: Date | null) {
  return ProjectModel.create({ customerId, name: `Deal ${randomUUID().slice(0, 8)}`, stage, value, currency: 'USD', ownerId, wonAt });
}

// The report row's bookkeeping (reportRev, reportPending: models/report-rows.ts) follows revenue12m; the file does not.
const stored = async (id: unknown) => Object.fromEntries(Object.entries((await CustomerModel.findById(id).lean())!)
  .filter(([key]) => key !== 'reportRev' && key !== 'reportPending')) as { revenue12m: number } & Record<string, unknown>;

describe(`job ${name}`, () => {
  it('recomputes revenue12m from projects won in the last 365 days, dropping wins that aged out', async () => {
    const owner = await createUser({ role: 'manager' });
    const aged = await makeCustomer(owner, 1000); // stored while the win was recent
    await makeProject(aged._id, owner.id, 'closed', 1000, daysAgo(400));
    const mixed = await makeCustomer(owner, 0);
    await makeProject(mixed._id, owner.id, 'won', 300, daysAgo(10));
    await makeProject(mixed._id, owner.id, 'delivering', 200, daysAgo(100));
    await makeProject(mixed._id, owner.id, 'closed', 50, daysAgo(364));
    await makeProject(mixed._id, owner.id, 'won', 4000, daysAgo(366));
    await makeProject(mixed._id, owner.id, 'lost', 999, null);
    await makeProject(mixed._id, owner.id, 'negotiation', 777, null);
    const current = await makeCustomer(owner, 80);
    await makeProject(current._id, owner.id, 'won', 80, daysAgo(1));
    const before = { aged: await stored(aged._id), mixed: await stored(mixed._id), current: await stored(current._id) };

    const { updated } = await handler({});
    expect(updated).to.be.at.least(2);
    expect((await stored(aged._id)).revenue12m).to.equal(0);
    expect((await stored(mixed._id)).revenue12m).to.equal(550);
    // Derived values only: nothing else of the customer moves, not even its version or updatedAt.
    expect({ ...(await stored(aged._id)), revenue12m: 1000 }).to.deep.equal(before.aged);
    expect({ ...(await stored(mixed._id)), revenue12m: 0 }).to.deep.equal(before.mixed);
    expect(await stored(current._id)).to.deep.equal(before.current);
    expect((await handler({})).updated, 'a second run finds nothing to do').to.equal(0);
  });

  it('no longer counts a project won through the API once its win is over 365 days old', async () => {
    const owner = await createUser({ role: 'manager' });
    const customer = await makeCustomer(owner);
    const res = await api().post(`/api/v1/customers/${customer.id}/projects`).set(bearer(owner)).send({ name: 'Old win', stage: 'won', value: 640 }).expect(201);
    expect((await stored(customer._id)).revenue12m).to.equal(640);
    await ProjectModel.updateOne({ _id: res.body.id }, { $set: { wonAt: daysAgo(366) } });
    await handler({});
    expect((await stored(customer._id)).revenue12m).to.equal(0);
    const read = await api().get(`/api/v1/customers/${customer.id}`).set(bearer(owner)).expect(200);
    expect(read.body.revenue12m).to.equal(0);
    expect(await ProjectModel.exists({ _id: res.body.id }), 'the project itself stays').to.not.equal(null);
  });

  it('measures the window from asOf when given', async () => {
    const owner = await createUser({ role: 'manager' });
    const customer = await makeCustomer(owner);
    await makeProject(customer._id, owner.id, 'won', 70, daysAgo(364));
    await handler({ asOf: new Date().toISOString() });
    expect((await stored(customer._id)).revenue12m).to.equal(70);
    await handler({ asOf: new Date(Date.now() + 2 * DAY).toISOString() });
    expect((await stored(customer._id)).revenue12m).to.equal(0);
    await handler({}); // back to today for every customer the future run touched
    expect((await stored(customer._id)).revenue12m).to.equal(70);
    let error: unknown;
    await handler({ asOf: 'someday' }).catch((e: unknown) => { error = e; });
    expect(String(error)).to.include('asOf');
  });

  it('is defined on Agenda under its name and scheduled daily', async () => {
    const owner = await createUser({ role: 'manager' });
    const customer = await makeCustomer(owner, 5);
    const { agenda: fake, calls } = recordingAgenda();
    define(fake);
    await schedule(fake);
    expect(calls.define![0]).to.equal(name);
    expect(calls.every!.slice(0, 2)).to.deep.equal(['30 2 * * *', name]);
    const processor = calls.define![1] as (job: { attrs: { data: unknown } }) => Promise<void>;
    await processor({ attrs: { data: {} } });
    expect((await stored(customer._id)).revenue12m).to.equal(0);
  });
});

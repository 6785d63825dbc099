import { expect } from 'chai';
import newman, { type NewmanRunSummary } from 'newman';
import { liveServices, signInAt } from './processes.ts';

// The Postman collection the service serves, run by newman against a live service as a REST client would: the
// account manager walk-through, from sign-in to a completed visit, with nothing set but baseUrl, email and password.

describe('the Postman collection, run by newman', function () {
  this.timeout(180_000);
  const startService = liveServices('postman');

  it("walks an account manager's day: sign in, customer, contact, project, tier, visit planned and completed", async () => {
    const { url } = await startService();
    const post = (route: string, body: object, token?: string) => fetch(`${url}${route}`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
    });
    const admin = await signInAt(url);
    const manager = { email: 'ingrid.manager@example.org', password: 'a long enough password' };
    expect((await post('/api/v1/users', { ...manager, name: 'Ingrid Manager', role: 'manager', team: 'Nordics' }, admin)).status).to.equal(201);

    const collection = (await (await fetch(`${url}/api/postman.json`)).json()) as newman.NewmanRunOptions['collection'];
    const summary = await new Promise<NewmanRunSummary>((resolve, reject) => {
      newman.run({
        collection, folder: 'Account manager walk-through', reporters: [],
        envVar: [{ key: 'baseUrl', value: url }, { key: 'email', value: manager.email }, { key: 'password', value: manager.password }],
      }, (err, result) => (err ? reject(err) : resolve(result)));
    });
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? ''}: ${f.error.message}`);
    expect(failures).to.deep.equal([]);
    const codes = summary.run.executions.map((e) => (e.response as unknown as { code: number }).code);
    expect(codes).to.deep.equal([200, 201, 201, 201, 200, 201, 200]);
    expect(summary.run.stats.assertions).to.include({ total: 13, failed: 0 });

    // What the walk-through stored, read back as the manager: the visit completed, with its improvement action.
    const answer = (i: number) => JSON.parse(String((summary.run.executions[i]!.response as unknown as { stream: Buffer }).stream)) as Record<string, string>;
    const [created, visit] = [answer(1), answer(5)];
    const token = await signInAt(url, manager);
    const get = async (route: string) => (await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Record<string, unknown>>;
    expect(await get(`/api/v1/visits/${visit.id}`)).to.include({ status: 'completed', satisfaction: 4, recommend: 9 });
    const customer = await get(`/api/v1/customers/${created.id}`);
    expect(customer).to.include({ code: created.code, ownerId: visit.ownerId });
    expect((customer.openActions as unknown[]).length).to.equal(1);
    expect(((await get(`/api/v1/customers/${created.id}/contacts`)).items as unknown[]).length).to.equal(1);
    expect(((await get(`/api/v1/projects?customerId=${created.id}`)).items as unknown[]).length).to.equal(1);
  });
});

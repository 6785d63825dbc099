import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../server/app.ts';
import { openapiDocument } from '../../server/openapi.ts';
import { api, bearer, createCustomer, createUser, expectProblem } from '../factories.ts';
import { checkedApp } from '../response-check.ts';
import { logger, responseViolations, testConfig } from '../setup.ts';

// GET /metrics on the API: only with METRICS_TOKEN, only to its bearer, counting by route template.

const TOKEN = 'metrics-token-for-the-tests-0123456789abcdef';
const withMetrics = checkedApp(createApp(testConfig({ METRICS_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '2' }), logger), openapiDocument as never, responseViolations);
const scrape = async () => (await request(withMetrics).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;
/** The value of one sample line of the text format (0 when absent). */
const sample = (text: string, line: string) => Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1] ?? 0);

describe('GET /metrics', () => {
  it('is not served without METRICS_TOKEN, and only to its bearer with it', async () => {
    expectProblem(await api().get('/metrics'), 404);
    expectProblem(await request(withMetrics).get('/metrics'), 401);
    const user = await createUser({ role: 'admin' });
    expectProblem(await request(withMetrics).get('/metrics').set(bearer(user)), 401); // a user's token is not the metrics token
    expectProblem(await request(withMetrics).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`), 401);
    const res = await request(withMetrics).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(res.text).to.include('# TYPE ka_http_requests_total counter').and.include('ka_process_cpu_user_seconds_total');
  });

  it('counts and times answers by route template, never by the ids in the path, and counts rate-limit refusals', async () => {
    const manager = await createUser();
    const customer = await createCustomer(manager);
    // The limit counts per clock minute: not across its end.
    if (Date.now() % 60_000 > 57_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 100));
    const line = 'ka_http_requests_total{method="GET",route="/api/v1/customers/:id",status="200"}';
    const before = await scrape();
    await request(withMetrics).get(`/api/v1/customers/${customer.id}`).set(bearer(manager)).expect(200);
    await request(withMetrics).get(`/api/v1/customers/${customer.id}`).set(bearer(manager)).expect(200);
    await request(withMetrics).get('/api/v1/no-such-thing').set(bearer(manager)).expect(404);
    expectProblem(await request(withMetrics).get('/api/v1/me').set(bearer(manager)), 429); // the third request of this user in the minute (the limit is 2)
    const after = await scrape();
    expect(sample(after, line) - sample(before, line)).to.equal(2);
    expect(sample(after, 'ka_http_request_duration_seconds_count{method="GET",route="/api/v1/customers/:id"}')).to.be.at.least(2);
    expect(sample(after, 'ka_http_requests_total{method="GET",route="unmatched",status="404"}')).to.be.at.least(1);
    expect(sample(after, 'ka_rate_limited_total{limit="user"}') - sample(before, 'ka_rate_limited_total{limit="user"}')).to.equal(1);
    expect(after).to.not.include(customer.id);
  });
});

import { expect } from 'chai';
import express from 'express';
import { pinoHttp } from 'pino-http';
import request from 'supertest';
import { errorHandler, HttpError } from '../../server/errors.ts';
import { api, bearer, createUser, expectProblem } from '../factories.ts';
import { pino } from 'pino';
import { UserModel } from '../../models/user.ts';
import { config } from '../setup.ts';

describe('errors as application/problem+json', () => {
  it('answers malformed JSON with 400', async () => {
    const res = await api().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"email": "a@b.c",');
    expect(expectProblem(res, 400).title).to.equal('Malformed JSON');
  });

  it('answers a body over the size limit with 413 and stores nothing', async () => {
    const admin = await createUser({ role: 'admin' });
    const limitBytes = Number.parseInt(config.bodyLimit, 10) * 1024;
    const res = await api().post('/api/v1/users').set(bearer(admin))
      .send({ email: 'big@test.local', name: 'x'.repeat(limitBytes), role: 'manager', password: 'a long enough password' });
    expectProblem(res, 413);
    expect(await UserModel.exists({ email: 'big@test.local' })).to.equal(null);
  });

  it('answers an unknown route with 404 naming the method and path', async () => {
    const res = await api().get('/api/v1/no-such-thing');
    expect(expectProblem(res, 404).detail).to.equal('No route for GET /api/v1/no-such-thing.');
  });

  it('echoes a sane X-Request-Id and puts it in the problem; replaces one that is not', async () => {
    const res = await api().get('/api/v1/nothing').set('X-Request-Id', 'trace-123');
    expect(res.headers['x-request-id']).to.equal('trace-123');
    expect(res.body.requestId).to.equal('trace-123');
    const odd = await api().get('/api/v1/nothing').set('X-Request-Id', '<script>');
    expect(odd.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers on every answer', async () => {
    const res = await api().get('/healthz');
    expect(res.headers).to.include({ 'x-content-type-options': 'nosniff' });
    expect(res.headers).to.not.have.property('x-powered-by');
    expect(res.headers['content-security-policy']).to.include("default-src 'self'");
  });

  describe('the error middleware', () => {
    // A tiny app with the real middleware, to reach the branches no route of ours takes on purpose.
    const lines: string[] = [];
    const captured = pino({ level: 'error' }, { write: (line: string) => { lines.push(line); } });
    const probe = express();
    probe.use(pinoHttp({ logger: captured, autoLogging: false }));
    probe.get('/boom', () => { throw new Error('database password is hunter2'); });
    probe.get('/teapot', () => { throw Object.assign(new Error('short and stout'), { status: 418 }); });
    probe.get('/http', () => { throw new HttpError(409, 'Conflict', 'Already there.'); });
    probe.get('/dup', () => { throw Object.assign(new Error('E11000'), { code: 11000, keyValue: { code: 'ACME' } }); });
    probe.use(errorHandler);

    it('answers an unexpected error with a generic 500 and logs it, without leaking its message', async () => {
      const res = await request(probe).get('/boom');
      const problem = expectProblem(res, 500);
      expect(res.text).to.not.include('hunter2');
      expect(problem.title).to.equal('Internal server error');
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; err?: { stack?: string } });
      expect(logged.some((l) => l.msg === 'unhandled error' && l.err?.stack?.startsWith('Error: database password is hunter2') === true)).to.equal(true);
    });

    it('keeps the status of a 4xx error thrown by a library', async () => {
      expectProblem(await request(probe).get('/teapot'), 418);
    });

    it('maps HttpError and duplicate keys (11000) to their status', async () => {
      expect(expectProblem(await request(probe).get('/http'), 409).detail).to.equal('Already there.');
      expect(expectProblem(await request(probe).get('/dup'), 409).detail).to.equal('A record with this code already exists.');
    });
  });
});

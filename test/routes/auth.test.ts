import { expect } from 'chai';
import { createHash, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { LoginThrottleModel } from '../../models/login-throttle.ts';
import { RateCounterModel } from '../../models/rate-limit.ts';
import { RefreshTokenModel } from '../../models/refresh-token.ts';
import { UserModel } from '../../models/user.ts';
import { createApp } from '../../server/app.ts';
import { rateLimiterFor } from '../../server/rate-limiter.ts';
import { api, createUser, expectProblem, login, tokenFor, uniqueEmail } from '../factories.ts';
import { config, logger, testConfig } from '../setup.ts';

const me = (token: string) => api().get('/api/v1/me').set('Authorization', `Bearer ${token}`);

describe('POST /api/v1/auth/login', () => {
  it('answers a Bearer token pair whose access token is HS256 with issuer, audience, subject and expiry', async () => {
    const user = await createUser({ role: 'executive' });
    const tokens = await login(user);
    expect(tokens.tokenType).to.equal('Bearer');
    expect(tokens.expiresIn).to.equal(900);
    expect(tokens.refreshToken).to.match(/^[A-Za-z0-9_-]{43}$/);
    const decoded = jwt.decode(tokens.accessToken, { complete: true })!;
    expect(decoded.header.alg).to.equal('HS256');
    const payload = decoded.payload as jwt.JwtPayload;
    expect(payload).to.include({ sub: user.id, iss: 'key-accounts', aud: 'key-accounts-api', role: 'executive' });
    expect(payload.exp! - payload.iat!).to.equal(900);
    const res = await me(tokens.accessToken).expect(200);
    expect(res.body).to.include({ id: user.id, email: user.email, role: 'executive' });
    expect(res.body).to.not.have.any.keys('passwordHash', '_id', '__v');
  });

  it('accepts the email in any letter case', async () => {
    const user = await createUser();
    await api().post('/api/v1/auth/login').send({ email: user.email.toUpperCase(), password: user.password }).expect(200);
  });

  it('stores only a hash of the refresh token', async () => {
    const user = await createUser();
    const { refreshToken } = await login(user);
    const stored = await RefreshTokenModel.find({ userId: user.id }).lean();
    expect(stored).to.have.length(1);
    expect(stored[0]!.tokenHash).to.equal(createHash('sha256').update(refreshToken).digest('hex'));
    expect(JSON.stringify(stored)).to.not.include(refreshToken);
  });

  it('gives the same 401 for a wrong password, an unknown email and a deactivated account', async () => {
    const user = await createUser();
    const inactive = await createUser({ active: false });
    const answers = await Promise.all([
      api().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong password here' }),
      api().post('/api/v1/auth/login').send({ email: uniqueEmail('nobody'), password: 'wrong password here' }),
      api().post('/api/v1/auth/login').send({ email: inactive.email, password: inactive.password }),
    ]);
    const bodies = answers.map((res) => {
      const { title, status, detail, type } = expectProblem(res, 401);
      return { title, status, detail, type };
    });
    expect(bodies[1]).to.deep.equal(bodies[0]);
    expect(bodies[2]).to.deep.equal(bodies[0]);
    expect(await RefreshTokenModel.countDocuments({ userId: { $in: [user.id, inactive.id] } })).to.equal(0);
  });

  it('rejects a missing password and an unknown field with 400 naming each field', async () => {
    const res = await api().post('/api/v1/auth/login').send({ email: 'a@b.c', admin: true });
    const problem = expectProblem(res, 400);
    expect(problem.errors!.map((e) => e.field)).to.have.members(['password', 'admin']);
  });

  it('rejects an operator object in place of the email with 400', async () => {
    const user = await createUser();
    const res = await api().post('/api/v1/auth/login').send({ email: { $gt: '' }, password: user.password });
    expect(expectProblem(res, 400).errors!.map((e) => e.field)).to.deep.equal(['email']);
  });

  describe('rate limits', () => {
    it('slows down guessing from one address, doubling the wait, without locking the owner out elsewhere', async () => {
      const limited = createApp(testConfig({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', TRUST_PROXY: 'true' }), logger);
      const user = await createUser();
      const from = (address: string, password: string) =>
        request(limited).post('/api/v1/auth/login').set('X-Forwarded-For', address).send({ email: user.email, password });
      const attacker = '203.0.113.7';
      for (let i = 0; i < 4; i++) await from(attacker, 'not the password').expect(401);
      // Past 3 failures the address waits, even with the right password.
      let res = await from(attacker, user.password);
      expectProblem(res, 429);
      expect(Number(res.headers['retry-after'])).to.be.within(1, 2);
      // The owner, from anywhere else, signs in as usual; other accounts from the attacker's address too.
      await from('198.51.100.20', user.password).expect(200);
      const other = await createUser();
      await request(limited).post('/api/v1/auth/login').set('X-Forwarded-For', attacker).send({ email: other.email, password: other.password }).expect(200);
      // After the wait one more try, and the next wait is twice as long.
      await new Promise((r) => setTimeout(r, 1100));
      await from(attacker, 'still not it').expect(401);
      res = await from(attacker, 'again not it');
      expectProblem(res, 429);
      expect(Number(res.headers['retry-after'])).to.equal(2);
      // Neither the address nor the e-mail is stored in clear.
      const stored = await LoginThrottleModel.find({}).lean();
      expect(JSON.stringify(stored)).to.not.include(user.email).and.not.include(attacker);
    });

    it('limits every signed-in user to RATE_LIMIT_PER_MINUTE requests, counted across API processes, with RateLimit headers', async () => {
      const limits = testConfig({ RATE_LIMIT_PER_MINUTE: '5' });
      // Two configurations: two limiters, as two API processes have (server/rate-limiter.ts).
      const limits2 = testConfig({ RATE_LIMIT_PER_MINUTE: '5' });
      const [one, two] = [createApp(limits, logger), createApp(limits2, logger)];
      // A window is a clock minute: start early in one, so the count does not reset half-way.
      if (Date.now() % 60_000 > 50_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 100));
      const user = await createUser();
      const token = tokenFor(user);
      const get = (app: typeof one) => request(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
      const remaining: string[] = [];
      for (const app of [one, one, one]) {
        const res = await get(app).expect(200);
        expect(res.headers['ratelimit-policy']).to.equal('"per-user";q=5;w=60');
        remaining.push(/r=(\d+)/.exec(String(res.headers.ratelimit))![1]!);
      }
      expect(remaining).to.deep.equal(['4', '3', '2']);
      // The other process learns of them once the counts are shared, within a second of its own first request.
      await new Promise((r) => setTimeout(r, 1100));
      expect(/r=(\d+)/.exec(String((await get(two).expect(200)).headers.ratelimit))![1]).to.equal('4'); // not yet
      await new Promise((r) => setTimeout(r, 1100));
      expect(/r=(\d+)/.exec(String((await get(two).expect(200)).headers.ratelimit))![1]).to.equal('0'); // 3 + 1 + this one
      const refused = await get(two);
      expect(expectProblem(refused, 429).detail).to.match(/More than 5 requests in a minute/);
      expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
      // The database holds the shared count: the five let through.
      await Promise.all([rateLimiterFor(limits)!.flush(), rateLimiterFor(limits2)!.flush()]);
      const [counter] = await RateCounterModel.find({ _id: { $regex: `^${user.id}:` } }).lean();
      expect(counter!.count).to.equal(5);
      // Another user is counted apart.
      const other = await createUser();
      await request(one).get('/api/v1/me').set('Authorization', `Bearer ${tokenFor(other)}`).expect(200);
    });

    it('answers 429 once one address makes too many attempts', async () => {
      const limited = createApp(testConfig({ LOGIN_MAX_PER_IP: '2' }), logger);
      const user = await createUser();
      await request(limited).post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(200);
      await request(limited).post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(200);
      expectProblem(await request(limited).post('/api/v1/auth/login').send({ email: user.email, password: user.password }), 429);
    });
  });
});

describe('POST /api/v1/auth/refresh', () => {
  it('rotates: the new pair works and the old refresh token is refused', async () => {
    const user = await createUser();
    const first = await login(user);
    const second = (await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body;
    expect(second.refreshToken).to.not.equal(first.refreshToken);
    await me(second.accessToken).expect(200);
    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }), 401);
  });

  it('revokes the whole family when a used refresh token is presented again', async () => {
    const user = await createUser();
    const first = await login(user);
    const second = (await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body;
    const third = (await api().post('/api/v1/auth/refresh').send({ refreshToken: second.refreshToken }).expect(200)).body;
    // An attacker replays the first token: everything from that login is signed out, the newest token included.
    const replay = expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }), 401);
    expect(replay.detail).to.match(/already used/);
    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: third.refreshToken }), 401);
    const family = await RefreshTokenModel.find({ userId: user.id }).lean();
    expect(family).to.have.length(3);
    expect(family.every((t) => t.revokedAt)).to.equal(true);
  });

  it('lets only one of two simultaneous refreshes of the same token succeed', async () => {
    const user = await createUser();
    const { refreshToken } = await login(user);
    const answers = await Promise.all([1, 2].map(() => api().post('/api/v1/auth/refresh').send({ refreshToken })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses[0]).to.equal(200);
    expect(statuses[1]).to.equal(401);
  });

  it('keeps other logins of the same user when one family is revoked', async () => {
    const user = await createUser();
    const laptop = await login(user);
    const phone = await login(user);
    await api().post('/api/v1/auth/refresh').send({ refreshToken: laptop.refreshToken }).expect(200);
    await api().post('/api/v1/auth/refresh').send({ refreshToken: laptop.refreshToken }).expect(401);
    await api().post('/api/v1/auth/refresh').send({ refreshToken: phone.refreshToken }).expect(200);
  });

  it('refuses an unknown or expired token', async () => {
    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: 'x'.repeat(43) }), 401);
    const user = await createUser();
    const { refreshToken } = await login(user);
    await RefreshTokenModel.updateOne({ userId: user.id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken }), 401);
  });
});

describe('sessions', () => {
  it('ends at once: after logout the access tokens of that login are refused, other logins go on', async () => {
    const user = await createUser();
    const laptop = await login(user);
    const phone = await login(user);
    await me(laptop.accessToken).expect(200);
    await api().post('/api/v1/auth/logout').send({ refreshToken: laptop.refreshToken }).expect(204);
    expect(expectProblem(await me(laptop.accessToken), 401).detail).to.match(/signed out/);
    await me(phone.accessToken).expect(200);
  });

  it("ends every session signed out at the same moment (the list of ended sessions loses none)", async () => {
    const user = await createUser();
    const logins = await Promise.all(Array.from({ length: 6 }, () => login(user)));
    await Promise.all(logins.map((l) => api().post('/api/v1/auth/logout').send({ refreshToken: l.refreshToken }).expect(204)));
    for (const l of logins) expectProblem(await me(l.accessToken), 401);
    expect((await UserModel.findById(user.id).lean())!.endedSessions).to.have.length(6);
    await me((await login(user)).accessToken).expect(200); // a new sign-in works
  });

  it('ends every access token of a login whose refresh token was replayed', async () => {
    const user = await createUser();
    const first = await login(user);
    const second = (await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body;
    await me(second.accessToken).expect(200);
    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }), 401);
    expectProblem(await me(first.accessToken), 401);
    expectProblem(await me(second.accessToken), 401);
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('revokes the refresh token so it can no longer be used', async () => {
    const user = await createUser();
    const { refreshToken } = await login(user);
    await api().post('/api/v1/auth/logout').send({ refreshToken }).expect(204);
    expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken }), 401);
    const stored = await RefreshTokenModel.findOne({ userId: user.id }).lean();
    expect(stored!.revokedAt).to.be.an.instanceOf(Date);
  });
});

describe('access tokens', () => {
  let user: Awaited<ReturnType<typeof createUser>>;
  const claims = () => ({ role: user.role });
  const base = () => ({ subject: user.id, issuer: config.jwt.issuer, audience: config.jwt.audience, expiresIn: 60 });
  before(async () => { user = await createUser(); });

  it('accepts a token signed as the service signs', async () => {
    await me(jwt.sign(claims(), config.jwt.secret, { ...base(), algorithm: 'HS256' })).expect(200);
  });

  const forged: Array<[string, () => string]> = [
    ['alg none', () => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: user.id, iss: config.jwt.issuer, aud: config.jwt.audience, iat: now, exp: now + 60 })}.`;
    }],
    ['another HMAC algorithm (HS512)', () => jwt.sign(claims(), config.jwt.secret, { ...base(), algorithm: 'HS512' })],
    ['an RSA key of the caller (RS256)', () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return jwt.sign(claims(), privateKey, { ...base(), algorithm: 'RS256' });
    }],
    ['a bad signature', () => jwt.sign(claims(), 'not-the-secret-not-the-secret-not-the-secret', { ...base(), algorithm: 'HS256' })],
    ['a wrong audience', () => jwt.sign(claims(), config.jwt.secret, { ...base(), audience: 'someone-else', algorithm: 'HS256' })],
    ['a wrong issuer', () => jwt.sign(claims(), config.jwt.secret, { ...base(), issuer: 'evil', algorithm: 'HS256' })],
    ['an expired time', () => jwt.sign({ ...claims(), exp: Math.floor(Date.now() / 1000) - 10 }, config.jwt.secret, {
      subject: user.id, issuer: config.jwt.issuer, audience: config.jwt.audience, algorithm: 'HS256',
    })],
    ['a subject that is not a user id', () => jwt.sign(claims(), config.jwt.secret, { ...base(), subject: '{"$ne":null}', algorithm: 'HS256' })],
  ];
  for (const [what, token] of forged) {
    it(`refuses a token with ${what} with 401`, async () => {
      const res = await me(token());
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer/);
    });
  }

  it('refuses a request without a token, or with another scheme, with 401', async () => {
    expectProblem(await api().get('/api/v1/me'), 401);
    expectProblem(await api().get('/api/v1/me').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`), 401);
  });

  it('stops working as soon as the user is deactivated', async () => {
    const victim = await createUser();
    const tokens = await login(victim);
    await me(tokens.accessToken).expect(200);
    await UserModel.updateOne({ _id: victim.id }, { $set: { active: false } });
    expectProblem(await me(tokenFor(victim)), 401);
    expectProblem(await me(tokens.accessToken), 401);
  });
});

import { expect } from 'chai';
import { RefreshTokenModel } from '../../models/refresh-token.ts';
import { UserModel, verifyPassword } from '../../models/user.ts';
import { api, bearer, createUser, expectProblem, login, uniqueEmail, type TestUser } from '../factories.ts';

describe('users (admin)', () => {
  let admin: TestUser;
  before(async () => { admin = await createUser({ role: 'admin' }); });

  describe('POST /api/v1/users', () => {
    it('creates a user who can then sign in, and never answers the password or its hash', async () => {
      const email = uniqueEmail('new');
      const res = await api().post('/api/v1/users').set(bearer(admin))
        .send({ email: `  ${email.toUpperCase()} `, name: ' Nina New ', role: 'manager', team: 'East', password: 'a long enough password' })
        .expect(201);
      expect(res.body).to.include({ email, name: 'Nina New', role: 'manager', team: 'East', active: true });
      expect(res.body).to.not.have.any.keys('password', 'passwordHash', '_id', '__v');
      expect(res.headers.location).to.equal(`/api/v1/users/${res.body.id}`);
      expect(res.headers.etag).to.equal('"0"');
      const stored = await UserModel.findById(res.body.id).lean();
      expect(stored!.passwordHash).to.match(/^scrypt\$/);
      expect(await verifyPassword('a long enough password', stored!.passwordHash)).to.equal(true);
      await api().post('/api/v1/auth/login').send({ email, password: 'a long enough password' }).expect(200);
    });

    it('answers 409 for an email that exists in another letter case, and stores nothing', async () => {
      const existing = await createUser();
      const res = await api().post('/api/v1/users').set(bearer(admin))
        .send({ email: existing.email.toUpperCase(), name: 'Dup', role: 'manager', password: 'a long enough password' });
      expectProblem(res, 409);
      expect(await UserModel.countDocuments({ email: existing.email })).to.equal(1);
    });

    it('answers 400 naming every bad field, and stores nothing', async () => {
      const before = await UserModel.countDocuments({});
      const res = await api().post('/api/v1/users').set(bearer(admin))
        .send({ email: 'not-an-email', role: 'king', password: 'short', isAdmin: true });
      const problem = expectProblem(res, 400);
      expect(problem.errors!.map((e) => e.field)).to.have.members(['email', 'name', 'role', 'password', 'isAdmin']);
      expect(await UserModel.countDocuments({})).to.equal(before);
    });

    it('is refused to managers and executives with 403', async () => {
      for (const role of ['manager', 'executive'] as const) {
        const user = await createUser({ role });
        const email = uniqueEmail('x');
        expectProblem(await api().post('/api/v1/users').set(bearer(user))
          .send({ email, name: 'X', role: 'admin', password: 'a long enough password' }), 403);
        expect(await UserModel.exists({ email })).to.equal(null);
      }
    });
  });

  describe('GET /api/v1/users', () => {
    it('pages through every user with an opaque cursor, without repeats', async () => {
      const team = `Paging-${Date.now()}`;
      const made = await Promise.all([1, 2, 3, 4, 5].map(() => createUser({ team })));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await api().get("/api/v1/users").set(bearer(admin)).query({ team, limit: 2, ...(cursor ? { cursor } : {}) }).expect(200);
        expect(res.body.items.length).to.be.at.most(2);
        seen.push(...res.body.items.map((u: { id: string }) => u.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).to.have.members(made.map((u) => u.id));
      expect(seen).to.have.length(5);
    });

    it('filters by role and active', async () => {
      const team = `Filter-${Date.now()}`;
      const exec = await createUser({ role: 'executive', team });
      await createUser({ role: 'manager', team });
      const gone = await createUser({ role: 'executive', team, active: false });
      const res = await api().get('/api/v1/users').set(bearer(admin)).query({ team, role: 'executive', active: 'true' }).expect(200);
      expect(res.body.items.map((u: { id: string }) => u.id)).to.deep.equal([exec.id]);
      expect(res.body.items.map((u: { id: string }) => u.id)).to.not.include(gone.id);
    });

    it('answers 400 for a limit over 200, a forged cursor and an operator in the query', async () => {
      expect(expectProblem(await api().get('/api/v1/users?limit=500').set(bearer(admin)), 400).errors![0]!.field).to.equal('limit');
      const forged = Buffer.from(JSON.stringify({ id: { $gt: '' } })).toString('base64url');
      expectProblem(await api().get(`/api/v1/users?cursor=${forged}`).set(bearer(admin)), 400);
      const problem = expectProblem(await api().get('/api/v1/users?role[$ne]=admin').set(bearer(admin)), 400);
      expect(problem.errors![0]!.field).to.equal('role[$ne]');
    });

    it('is refused to a manager with 403', async () => {
      expectProblem(await api().get('/api/v1/users').set(bearer(await createUser())), 403);
    });
  });

  describe('GET /api/v1/users/:id', () => {
    it('answers the user with an ETag', async () => {
      const user = await createUser();
      const res = await api().get(`/api/v1/users/${user.id}`).set(bearer(admin)).expect(200);
      expect(res.body).to.include({ id: user.id, email: user.email });
      expect(res.headers.etag).to.equal('"0"');
    });

    it('answers 404 problem+json for an unknown id and for something that is not an id', async () => {
      expectProblem(await api().get('/api/v1/users/0123456789abcdef01234567').set(bearer(admin)), 404);
      expectProblem(await api().get('/api/v1/users/not-an-id').set(bearer(admin)), 404);
    });
  });

  describe('PATCH /api/v1/users/:id', () => {
    it('changes the fields given and bumps the ETag', async () => {
      const user = await createUser();
      const res = await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).set('If-Match', '"0"')
        .send({ name: 'Renamed', team: 'West', role: 'executive' }).expect(200);
      expect(res.body).to.include({ name: 'Renamed', team: 'West', role: 'executive' });
      expect(res.headers.etag).to.equal('"1"');
      expect(await UserModel.findById(user.id).lean()).to.include({ name: 'Renamed', team: 'West', role: 'executive' });
    });

    it('answers 412 to a stale If-Match and changes nothing', async () => {
      const user = await createUser();
      await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).set('If-Match', '"0"').send({ name: 'First' }).expect(200);
      expectProblem(await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).set('If-Match', '"0"').send({ name: 'Second' }), 412);
      expectProblem(await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).set('If-Match', 'garbage').send({ name: 'Third' }), 412);
      expect((await UserModel.findById(user.id).lean())!.name).to.equal('First');
    });

    it('deactivates instead of deleting: tokens and sessions stop working, the record stays', async () => {
      const user = await createUser();
      const tokens = await login(user);
      await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).send({ active: false }).expect(200);
      expectProblem(await api().get('/api/v1/me').set('Authorization', `Bearer ${tokens.accessToken}`), 401);
      expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: tokens.refreshToken }), 401);
      expectProblem(await api().post('/api/v1/auth/login').send({ email: user.email, password: user.password }), 401);
      expect((await UserModel.findById(user.id).lean())!.active).to.equal(false);
      expect(await RefreshTokenModel.countDocuments({ userId: user.id, revokedAt: null })).to.equal(0);
      expectProblem(await api().delete(`/api/v1/users/${user.id}`).set(bearer(admin)), 404);
      // Reactivated, the user signs in again.
      await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).send({ active: true }).expect(200);
      await login(user);
    });

    it('sets a new password, which ends the old sessions', async () => {
      const user = await createUser();
      const tokens = await login(user);
      await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).send({ password: 'a brand new password' }).expect(200);
      expectProblem(await api().post('/api/v1/auth/refresh').send({ refreshToken: tokens.refreshToken }), 401);
      await api().post('/api/v1/auth/login').send({ email: user.email, password: 'a brand new password' }).expect(200);
    });

    it('answers 409 when an admin would deactivate or demote themselves', async () => {
      const self = await createUser({ role: 'admin' });
      expectProblem(await api().patch(`/api/v1/users/${self.id}`).set(bearer(self)).send({ active: false }), 409);
      expectProblem(await api().patch(`/api/v1/users/${self.id}`).set(bearer(self)).send({ role: 'manager' }), 409);
      expect(await UserModel.findById(self.id).lean()).to.include({ active: true, role: 'admin' });
    });

    it('answers 400 for an empty or invalid patch, and 403 to a manager', async () => {
      const user = await createUser();
      expectProblem(await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).send({}), 400);
      const bad = expectProblem(await api().patch(`/api/v1/users/${user.id}`).set(bearer(admin)).send({ role: 'root', email: 'x@y.z' }), 400);
      expect(bad.errors!.map((e) => e.field)).to.have.members(['role', 'email']);
      expectProblem(await api().patch(`/api/v1/users/${user.id}`).set(bearer(await createUser())).send({ name: 'Hacked' }), 403);
      expect((await UserModel.findById(user.id).lean())!.name).to.equal('Test manager');
    });
  });
});

describe('GET /api/v1/me', () => {
  it('answers the signed-in user to every role', async () => {
    for (const role of ['admin', 'executive', 'manager'] as const) {
      const user = await createUser({ role, team: 'North' });
      const res = await api().get('/api/v1/me').set(bearer(user)).expect(200);
      expect(res.body).to.include({ id: user.id, role, team: 'North' });
      expect(res.body).to.not.have.property('passwordHash');
    }
  });
});

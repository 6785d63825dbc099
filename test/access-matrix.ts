import { expect } from 'chai';
import type { Test } from 'supertest';
import { expectProblem, type TestUser } from './factories.ts';

// The access rules every customer-scoped resource (contacts, projects, plans, visits, actions) shares, as one table of
// tests: a manager outside the customer gets the same 404 as for a missing record and changes nothing; an executive
// reads but gets 403 on writes; the owner, an account-team member and an admin are served.

/** People around one customer: its owner and team member, a manager of the same team who is not on it, leadership. */
export type AccessWorld = { owner: TestUser; member: TestUser; outsider: TestUser; executive: TestUser; admin: TestUser };

export type AccessRoute<W> = { name: string; write: boolean; ok: number; call: (w: W, user: TestUser) => Test };

export type CustomerAccess<W extends AccessWorld> = {
  routes: AccessRoute<W>[];
  world: () => Promise<W>;
  /** Everything the routes may touch, read from the database: a refused request leaves it as it was. */
  stored: (w: W) => Promise<unknown>;
  /** What a served write changes (default: `stored`). */
  written?: (w: W) => Promise<unknown>;
  /** The same world with the route's record (the customer, for routes under /customers/) replaced by a missing one. */
  absent: (w: W, route: AccessRoute<W>) => W;
  /** The id of the record, which a served read shows. */
  recordId: (w: W) => string;
};

export function describeCustomerAccess<W extends AccessWorld>(m: CustomerAccess<W>): void {
  const written = m.written ?? m.stored;
  for (const route of m.routes) {
    describe(route.name, () => {
      it('answers 404 to a manager outside the customer, the same as for a missing one, and changes nothing', async () => {
        const w = await m.world();
        const before = await m.stored(w);
        const refused = expectProblem(await route.call(w, w.outsider), 404);
        expect(await m.stored(w)).to.deep.equal(before);
        // Nothing in the answer tells an existing record of another team from one that does not exist.
        expect(refused.detail).to.equal(expectProblem(await route.call(m.absent(w, route), w.owner), 404).detail);
      });

      it(route.write ? 'answers 403 to an executive and changes nothing' : 'answers an executive', async () => {
        const w = await m.world();
        const before = await m.stored(w);
        const res = await route.call(w, w.executive);
        if (route.write) expectProblem(res, 403);
        else expect(res.status).to.equal(200);
        expect(await m.stored(w)).to.deep.equal(before);
      });

      for (const who of ['admin', 'member', 'owner'] as const) {
        it(`is done for the ${who === 'member' ? 'account-team member' : who}`, async () => {
          const w = await m.world();
          const before = await written(w);
          const res = await route.call(w, w[who]);
          expect(res.status, JSON.stringify(res.body)).to.equal(route.ok);
          if (route.write) expect(await written(w)).to.not.deep.equal(before);
          else expect(JSON.stringify(res.body)).to.include(m.recordId(w));
        });
      }
    });
  }
}

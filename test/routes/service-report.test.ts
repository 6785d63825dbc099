import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import { CaseModel } from '../../models/case.ts';
import { KnowledgeModel } from '../../models/knowledge.ts';
import { KnowledgeUseModel } from '../../models/knowledge-uses.ts';
import { api, bearer, createCustomer, createUser } from '../factories.ts';

// The service report against a book of cases built by hand, each figure worked out below. The cases are written
// straight into the collection so that they can be opened in May 2031 and answered as the figures need.

const HOUR = 3_600_000;
const at = (day: number, hour = 9) => new Date(Date.UTC(2031, 4, day, hour));

describe('GET /api/v1/reports/service', () => {
  let team: string;
  let leader: Awaited<ReturnType<typeof createUser>>;
  let entries: Types.ObjectId[];

  before(async () => {
    team = `Service ${randomUUID().slice(0, 8)}`;
    const [anna, ben] = [await createUser({ role: 'manager', team }), await createUser({ role: 'manager', team })];
    leader = await createUser({ role: 'executive' });
    const customer = await createCustomer(anna);
    const base = (opened: Date, owner: { id: string }, fields: Record<string, unknown>) => ({
      customerId: new Types.ObjectId(customer.id), channel: 'phone', category: 'billing', severity: 'normal', subject: 'A problem',
      description: '', tags: [], openedById: new Types.ObjectId(owner.id), ownerId: new Types.ObjectId(owner.id), helperIds: [], handover: null,
      respondBy: new Date(opened.getTime() + HOUR), resolveBy: new Date(opened.getTime() + 8 * HOUR), respondedAt: null, resolvedAt: null,
      closedAt: null, solution: '', knowledgeIds: [], closure: null, handovers: 0, reopens: 0, firstContactResolution: null,
      respondMet: null, resolveMet: null, comments: [], history: [], createdAt: opened, updatedAt: opened, __v: 0, ...fields,
    });
    await CaseModel.collection.insertMany([
      // S: closed at first contact, both targets met, 2 h to resolve, CSAT 5
      base(at(3), anna, { tier: 'S', status: 'closed', respondMet: true, resolveMet: true, resolvedAt: new Date(at(3).getTime() + 2 * HOUR), firstContactResolution: true, closure: { csat: 5, confirmedBy: 'x', comment: '', automatic: false } }),
      // S: handed over, closed, resolution target missed, 10 h, CSAT 3
      base(at(10), anna, { tier: 'S', status: 'closed', respondMet: true, resolveMet: false, resolvedAt: new Date(at(10).getTime() + 10 * HOUR), firstContactResolution: false, handovers: 1, closure: { csat: 3, confirmedBy: 'x', comment: '', automatic: false } }),
      // A: resolved, waiting for the customer; response missed, resolved in 4 h
      base(at(20), ben, { tier: 'A', status: 'resolved', respondMet: false, resolveMet: true, resolvedAt: new Date(at(20).getTime() + 4 * HOUR) }),
      // not classified: still open, nothing decided
      base(at(31, 20), ben, { tier: null, status: 'open' }),
      // opened in June: not in May's report
      base(new Date(Date.UTC(2031, 5, 1, 9)), anna, { tier: 'S', status: 'open' }),
    ]);
    entries = (await KnowledgeModel.collection.insertMany([1, 2].map((n) => ({ problem: `Problem ${n} ${team}`, category: 'billing', archived: false })))).insertedIds as unknown as Types.ObjectId[];
    entries = Object.values(entries);
    await KnowledgeUseModel.insertMany([
      { knowledgeId: entries[0], caseId: new Types.ObjectId(), userId: new Types.ObjectId(anna.id), at: at(4) },
      { knowledgeId: entries[1], caseId: new Types.ObjectId(), userId: new Types.ObjectId(anna.id), at: at(5) },
      { knowledgeId: entries[1], caseId: new Types.ObjectId(), userId: new Types.ObjectId(anna.id), at: at(6) },
      { knowledgeId: entries[1], caseId: new Types.ObjectId(), userId: new Types.ObjectId(anna.id), at: new Date(Date.UTC(2031, 5, 2)) },
    ]);
  });

  it('answers first-contact resolution, targets met, time to resolve and CSAT of the cases opened in the period, by tier and team', async () => {
    const res = await api().get('/api/v1/reports/service').query({ period: '2031-05', team }).set(bearer(leader)).expect(200);
    expect(res.body.totals).to.deep.equal({
      opened: 4, open: 1, resolved: 3, closed: 2, firstContactResolutions: 1, firstContactResolutionRate: 0.5,
      respondMetRate: 0.6667, resolveMetRate: 0.6667, medianHoursToResolve: 4, csat: 4, csatAnswers: 2,
    });
    const tier = (t: string) => res.body.byTier.find((r: { tier: string }) => r.tier === t);
    expect(tier('S')).to.include({ opened: 2, closed: 2, firstContactResolutionRate: 0.5, respondMetRate: 1, resolveMetRate: 0.5, medianHoursToResolve: 6, csat: 4 });
    expect(tier('A')).to.include({ opened: 1, resolved: 1, closed: 0, firstContactResolutionRate: null, respondMetRate: 0, resolveMetRate: 1, medianHoursToResolve: 4, csat: null });
    expect(tier('none')).to.include({ opened: 1, open: 1, respondMetRate: null, resolveMetRate: null, medianHoursToResolve: null });
    expect(tier('B')).to.include({ opened: 0 });
    expect(res.body.byTeam).to.deep.equal([{ team, ...res.body.totals }]);
    const used = res.body.knowledgeUsedMost.filter((k: { knowledgeId: string }) => entries.map(String).includes(k.knowledgeId));
    expect(used.map((k: { cases: number }) => k.cases)).to.deep.equal([2, 1]);
  });

  it('narrows by tier, answers CSV, and refuses managers and a malformed period', async () => {
    const s = await api().get('/api/v1/reports/service').query({ period: '2031-Q2', team, tier: 'S' }).set(bearer(leader)).expect(200);
    expect(s.body.totals).to.include({ opened: 3, closed: 2 });
    const csv = await api().get('/api/v1/reports/service').query({ period: '2031-05', team }).set(bearer(leader)).set('Accept', 'text/csv').expect(200);
    expect(csv.headers['content-type']).to.match(/text\/csv/);
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines[0]).to.equal('dimension,key,opened,open,resolved,closed,firstContactResolutionRate,respondMetRate,resolveMetRate,medianHoursToResolve,csat,csatAnswers');
    expect(lines[1]).to.equal('total,,4,1,3,2,0.5,0.6667,0.6667,4,4,2');
    const manager = await createUser({ role: 'manager', team });
    await api().get('/api/v1/reports/service').set(bearer(manager)).expect(403);
    const bad = await api().get('/api/v1/reports/service').query({ period: '2031-13' }).set(bearer(leader)).expect(400);
    expect(bad.body.errors[0].field).to.equal('period');
  });
});

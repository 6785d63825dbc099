import { expect } from 'chai';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../../models/db-compat.ts';
import { needsAlert, npsCategory, satisfactionSummary } from '../../models/satisfaction.ts';
import { VisitModel, cadenceDueAt, closedKey, openCadenceKey } from '../../models/visit.ts';

const at = (iso: string) => new Date(iso);
const cadence = { S: 30, A: 60, B: 90, C: 180 };

describe('models/satisfaction', () => {
  it('buckets likelihood to recommend as NPS does', () => {
    expect([0, 6, 7, 8, 9, 10].map(npsCategory)).to.deep.equal(['detractor', 'detractor', 'passive', 'passive', 'promoter', 'promoter']);
  });

  it('alerts on a score of 1-2 or a detractor, not otherwise', () => {
    expect(needsAlert({ satisfaction: 2, recommend: 10 })).to.equal(true);
    expect(needsAlert({ satisfaction: 5, recommend: 6 })).to.equal(true);
    expect(needsAlert({ satisfaction: 3, recommend: 7 })).to.equal(false);
  });

  it('summarises the last visit, the mean of the last four and the trend against up to three before', () => {
    // Given out of order on purpose; by date the scores are 5, 4, 2, 3, 4 (oldest first).
    const visits = [
      { completedAt: at('2026-03-01T00:00:00Z'), satisfaction: 2, recommend: 5 },
      { completedAt: at('2026-01-01T00:00:00Z'), satisfaction: 5, recommend: 10 },
      { completedAt: at('2026-05-01T00:00:00Z'), satisfaction: 4, recommend: 8 },
      { completedAt: at('2026-02-01T00:00:00Z'), satisfaction: 4, recommend: 9 },
      { completedAt: at('2026-04-01T00:00:00Z'), satisfaction: 3, recommend: 6 },
    ];
    // Last four: 4, 3, 2, 4 -> 13 / 4 = 3.25; the three before the last: 3, 2, 4 -> mean 3 < 4: up.
    expect(satisfactionSummary(visits)).to.deep.equal({
      lastScore: 4, average: 3.25, lastRecommend: 8, npsCategory: 'passive', trend: 'up', lastVisitAt: at('2026-05-01T00:00:00Z'),
    });
    const down = satisfactionSummary([...visits, { completedAt: at('2026-06-01T00:00:00Z'), satisfaction: 1, recommend: 0 }]);
    // Last four: 1, 4, 3, 2 -> 2.5; before: 4, 3, 2 -> 3 > 1: down.
    expect(down).to.include({ lastScore: 1, average: 2.5, trend: 'down', npsCategory: 'detractor' });
    const flat = satisfactionSummary([visits[1]!, { completedAt: at('2026-02-01T00:00:00Z'), satisfaction: 5, recommend: 9 }]);
    expect(flat).to.include({ trend: 'flat', average: 5 });
    expect(satisfactionSummary([visits[0]!])).to.include({ trend: null, average: 2 });
    expect(satisfactionSummary([])).to.deep.equal({
      lastScore: null, average: null, lastRecommend: null, npsCategory: null, trend: null, lastVisitAt: null,
    });
  });
});

describe('models/visit', () => {
  it('dates the cadence from the last visit, else the tier assignment, else creation, with C for untiered', () => {
    const created = at('2026-01-01T10:00:00Z');
    const tiered = at('2026-02-01T10:00:00Z');
    const visited = at('2026-03-01T10:00:00Z');
    expect(cadenceDueAt({ tier: 'S', createdAt: created, tierUpdatedAt: tiered, satisfaction: { lastVisitAt: visited } }, cadence))
      .to.deep.equal(at('2026-03-31T10:00:00Z'));
    expect(cadenceDueAt({ tier: 'A', createdAt: created, tierUpdatedAt: tiered }, cadence)).to.deep.equal(at('2026-04-02T10:00:00Z'));
    expect(cadenceDueAt({ tier: null, createdAt: created }, cadence)).to.deep.equal(at('2026-06-30T10:00:00Z'));
  });

  it('refuses a second open cadence visit of one customer through the unique index', async () => {
    const customerId = new Types.ObjectId();
    const fields = {
      customerId, ownerId: new Types.ObjectId(), kind: 'cadence' as const, dueAt: new Date(), scheduledFor: new Date(), cadenceKey: openCadenceKey(customerId),
    };
    const first = await VisitModel.create(fields);
    const err = await VisitModel.create(fields).then(() => null, (e: unknown) => e);
    expect(isDuplicateKeyError(err), String(err)).to.equal(true);
    expect(await VisitModel.countDocuments({ customerId })).to.equal(1);
    // Once closed, the key is free for the next one.
    await VisitModel.updateOne({ _id: first._id }, { $set: { status: 'completed', cadenceKey: closedKey(first) } });
    await VisitModel.create(fields);
    expect(await VisitModel.countDocuments({ customerId })).to.equal(2);
  });
});

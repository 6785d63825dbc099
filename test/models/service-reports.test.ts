import { expect } from 'chai';
import { Types } from 'mongoose';
import { currentPlanPeriods, riskReasonsOf, type RiskFacts } from '../../models/at-risk-report.ts';
import { periodOf, type ScopedCustomer } from '../../models/report-scope.ts';
import { satisfactionNumbers } from '../../models/satisfaction-report.ts';
import { discipline } from '../../models/visit-report.ts';

// The plain functions behind the service-level reports, without a database.

describe('service-level report functions', () => {
  it('periodOf: months, quarters, years and the rolling default, each with the period before it', () => {
    const q = periodOf('2026-Q1', new Date());
    expect(q.months).to.deep.equal(['2026-01', '2026-02', '2026-03']);
    expect(q.previous).to.deep.equal({ from: new Date('2025-10-01T00:00:00Z'), to: new Date('2026-01-01T00:00:00Z') });
    expect(periodOf('2026-12', new Date()).to).to.deep.equal(new Date('2027-01-01T00:00:00Z'));
    const rolling = periodOf(undefined, new Date('2026-12-03T10:00:00Z'));
    expect([rolling.months[0], rolling.months.at(-1), rolling.label]).to.deep.equal(['2026-01', '2026-12', '2026-01..2026-12']);
    expect(periodOf(undefined, new Date('2026-03-31T23:59:59Z')).from).to.deep.equal(new Date('2025-04-01T00:00:00Z'));
  });

  it('satisfactionNumbers: the NPS buckets at their edges, the mean and NPS rounded', () => {
    const n = satisfactionNumbers([{ satisfaction: 5, recommend: 9 }, { satisfaction: 4, recommend: 8 }, { satisfaction: 4, recommend: 7 }, { satisfaction: 2, recommend: 6 }, { satisfaction: 1, recommend: 0 }, { satisfaction: 5, recommend: 10 }]);
    expect(n).to.deep.equal({ visits: 6, meanSatisfaction: 3.5, promoters: 2, passives: 2, detractors: 2, nps: 0 });
    expect(satisfactionNumbers([{ satisfaction: 4, recommend: 9 }, { satisfaction: 4, recommend: 9 }, { satisfaction: 5, recommend: 3 }]))
      .to.deep.include({ meanSatisfaction: 4.33, nps: 33.3 });
    expect(satisfactionNumbers([])).to.deep.equal({ visits: 0, meanSatisfaction: null, promoters: 0, passives: 0, detractors: 0, nps: null });
  });

  it('discipline: on time up to the due instant, upcoming visits left out of the share', () => {
    const now = new Date('2026-09-01T00:00:00Z');
    const v = (status: string, due: string, completed?: string) => ({ customerId: 'c', ownerId: 'o', status, dueAt: new Date(due), completedAt: completed ? new Date(completed) : null });
    expect(discipline([
      v('completed', '2026-08-01T12:00:00Z', '2026-08-01T12:00:00Z'), v('completed', '2026-08-01', '2026-08-02'), v('missed', '2026-08-10'),
      v('scheduled', '2026-08-31'), v('scheduled', '2026-09-02'),
    ], now)).to.deep.equal({ due: 5, onTime: 1, late: 1, missed: 1, overdue: 1, upcoming: 1, onCadence: 0.25 });
    expect(discipline([v('scheduled', '2026-10-01')], now).onCadence).to.equal(null);
  });

  it('riskReasonsOf: each reason at its threshold', () => {
    const c = (satisfaction: ScopedCustomer['satisfaction']): ScopedCustomer => ({ _id: new Types.ObjectId(), code: 'X', name: 'X', tier: 'S', ownerId: new Types.ObjectId(), satisfaction });
    const none: RiskFacts = { overdueSince: null, missedAt: null, openHighCases: 0, planStatus: 'approved' };
    const codes = (s: ScopedCustomer['satisfaction'], f = none) => riskReasonsOf(c(s), f).map((r) => r.code);
    expect(codes({ lastScore: 3, average: 3, trend: 'flat' })).to.deep.equal([]);
    expect(codes({ lastScore: 2, average: 3.5, trend: 'up' })).to.deep.equal(['low_satisfaction']);
    expect(codes({ lastScore: 4, average: 2.99, trend: 'down' })).to.deep.equal(['low_satisfaction', 'falling_satisfaction']);
    expect(codes(null, { ...none, planStatus: 'closed' })).to.deep.equal([]);
    expect(codes(null, { overdueSince: new Date(), missedAt: new Date(), openHighCases: 2, planStatus: 'submitted' }))
      .to.deep.equal(['overdue_visit', 'missed_visit', 'open_high_case', 'no_approved_plan']);
  });

  it('currentPlanPeriods: the year and quarter in UTC', () => {
    expect(currentPlanPeriods(new Date('2026-12-31T23:59:59Z'))).to.deep.equal(['2026', '2026-Q4']);
    expect(currentPlanPeriods(new Date('2027-04-01T00:00:00Z'))).to.deep.equal(['2027', '2027-Q2']);
  });
});

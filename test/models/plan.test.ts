import { expect } from 'chai';
import { Types } from 'mongoose';
import {
  attainmentOf, copiedContent, definitionOf, describeMoves, mergeById, moveRefusal, periodBounds, planAttainment,
} from '../../models/plan.ts';

const iso = (b: { start: Date; end: Date }) => [b.start.toISOString(), b.end.toISOString()];

describe('periodBounds', () => {
  it('answers a year from its first instant to the next year', () => {
    expect(iso(periodBounds('2027'))).to.deep.equal(['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']);
    expect(iso(periodBounds('2024'))).to.deep.equal(['2024-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
  });

  it('answers each quarter, the fourth ending at the next year', () => {
    expect(['Q1', 'Q2', 'Q3', 'Q4'].map((q) => iso(periodBounds(`2027-${q}`)))).to.deep.equal([
      ['2027-01-01T00:00:00.000Z', '2027-04-01T00:00:00.000Z'],
      ['2027-04-01T00:00:00.000Z', '2027-07-01T00:00:00.000Z'],
      ['2027-07-01T00:00:00.000Z', '2027-10-01T00:00:00.000Z'],
      ['2027-10-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z'],
    ]);
  });

  it('throws on anything that is not a year or a quarter', () => {
    for (const bad of ['2027-Q5', '2027-Q0', '27', '2027-01', '2027Q1', ' 2027', '']) expect(() => periodBounds(bad), bad).to.throw(/not a period/);
  });
});

describe('attainmentOf', () => {
  it('answers actual / target and the same capped at 1', () => {
    expect(attainmentOf({ target: 100, actual: 50 })).to.deep.equal({ ratio: 0.5, capped: 0.5 });
    expect(attainmentOf({ target: 200, actual: 300 })).to.deep.equal({ ratio: 1.5, capped: 1 });
    expect(attainmentOf({ target: 10, actual: 10 })).to.deep.equal({ ratio: 1, capped: 1 });
    expect(attainmentOf({ target: 10, actual: 0 })).to.deep.equal({ ratio: 0, capped: 0 });
  });

  it('rounds to four decimals', () => {
    expect(attainmentOf({ target: 3, actual: 1 })).to.deep.equal({ ratio: 0.3333, capped: 0.3333 });
    expect(attainmentOf({ target: 3, actual: 2 }).ratio).to.equal(0.6667);
  });

  it('answers null without an actual or with a target of 0', () => {
    for (const objective of [{ target: 100 }, { target: 100, actual: null }, { target: 0, actual: 5 }]) {
      expect(attainmentOf(objective), JSON.stringify(objective)).to.deep.equal({ ratio: null, capped: null });
    }
  });
});

describe('planAttainment', () => {
  it("answers the mean of the objectives' capped attainments", () => {
    expect(planAttainment([{ target: 100, actual: 50 }, { target: 200, actual: 300 }])).to.equal(0.75);
    expect(planAttainment([{ target: 3, actual: 1 }, { target: 3, actual: 1 }, { target: 1, actual: 1 }])).to.equal(0.5555);
  });

  it('leaves out objectives without an attainment, and answers null when none has one', () => {
    expect(planAttainment([{ target: 100, actual: 50 }, { target: 100 }, { target: 0, actual: 3 }])).to.equal(0.5);
    expect(planAttainment([{ target: 100 }])).to.equal(null);
    expect(planAttainment([])).to.equal(null);
  });
});

describe('moveRefusal', () => {
  const owner = { ownerSide: true, leadership: false };
  const executive = { ownerSide: false, leadership: true };
  const admin = { ownerSide: true, leadership: true };

  it('allows the moves of the table to whoever they name', () => {
    expect(moveRefusal('draft', 'submitted', owner, {})).to.equal(null);
    expect(moveRefusal('submitted', 'approved', executive, {})).to.equal(null);
    expect(moveRefusal('submitted', 'draft', admin, { comment: 'why' })).to.equal(null);
    expect(moveRefusal('approved', 'closed', owner, { review: 'done' })).to.equal(null);
    expect(moveRefusal('approved', 'closed', executive, { review: 'done' })).to.equal(null);
  });

  it('answers 403 to the wrong side, 400 for a missing comment or review, 409 for a move not in the table', () => {
    expect(moveRefusal('draft', 'submitted', executive, {})).to.include({ status: 403 });
    expect(moveRefusal('submitted', 'approved', owner, {})).to.include({ status: 403 });
    expect(moveRefusal('submitted', 'draft', executive, {})).to.include({ status: 400, field: 'comment' });
    expect(moveRefusal('approved', 'closed', admin, {})).to.include({ status: 400, field: 'review' });
    expect(moveRefusal('draft', 'submitted', owner, { review: 'x' })).to.include({ status: 400, field: 'review' });
    expect(moveRefusal('draft', 'approved', admin, {})).to.deep.equal({
      status: 409,
      message: "A draft plan cannot move to approved; allowed: draft -> submitted by the plan's owner, the customer's owner or account team, or an admin.",
    });
    expect(moveRefusal('closed', 'approved', admin, {})!.message).to.include('a closed plan is final');
  });

  it('describes the moves out of each status', () => {
    expect(describeMoves('submitted')).to.equal('submitted -> approved by an executive or an admin; submitted -> draft by an executive or an admin, with a comment');
  });
});

describe('mergeById', () => {
  const a = { _id: new Types.ObjectId(), title: 'A', target: 1, actual: null };
  const b = { _id: new Types.ObjectId(), title: 'B', target: 2, actual: 5 };

  it('keeps the ids and unsent fields of items named by id, adds new ones, and drops the rest', () => {
    const { items, errors } = mergeById([a, b], [{ id: String(b._id), actual: 7 }, { title: 'C', target: 3 }], 'objectives', { actual: null });
    expect(errors).to.deep.equal([]);
    expect(items[0]).to.deep.equal({ ...b, actual: 7 });
    expect(items[1]).to.include({ title: 'C', target: 3, actual: null });
    expect(items[1]!._id).to.be.instanceOf(Types.ObjectId);
    expect([a, b].map((x) => String(x._id))).to.not.include(String(items[1]!._id));
  });

  it('names ids that are not stored or appear twice', () => {
    const unknown = String(new Types.ObjectId());
    const { errors } = mergeById([a], [{ id: unknown }, { id: String(a._id) }, { id: String(a._id) }], 'objectives', {});
    expect(errors.map((e) => e.field)).to.deep.equal(['objectives.0.id', 'objectives.2.id']);
  });
});

describe('definitionOf', () => {
  const plan = {
    strategy: 'S', ownerId: new Types.ObjectId(), resources: [{ _id: new Types.ObjectId(), kind: 'people', amount: 1 }],
    objectives: [{ _id: new Types.ObjectId(), title: 'T', metric: 'm', target: 5, actual: 1, status: 'open', dueDate: new Date('2027-01-01T00:00:00Z') }],
  };

  it("ignores objectives' actuals and statuses, and sees every other change", () => {
    const same = { ...plan, ownerId: String(plan.ownerId), objectives: [{ ...plan.objectives[0]!, actual: 9, status: 'achieved', dueDate: new Date('2027-01-01T00:00:00Z') }] };
    expect(definitionOf(same)).to.equal(definitionOf(plan));
    expect(definitionOf({ ...plan, strategy: 'Other' })).to.not.equal(definitionOf(plan));
    expect(definitionOf({ ...plan, objectives: [{ ...plan.objectives[0]!, target: 6 }] })).to.not.equal(definitionOf(plan));
    expect(definitionOf({ ...plan, resources: [{ ...plan.resources[0]!, amount: 2 }] })).to.not.equal(definitionOf(plan));
    expect(definitionOf({ ...plan, objectives: [] })).to.not.equal(definitionOf(plan));
  });
});

describe('copiedContent', () => {
  it('keeps targets, empties actuals and moves due dates by the distance between the periods', () => {
    const source = {
      strategy: 'S', periodStart: periodBounds('2026-Q1').start,
      objectives: [{ _id: new Types.ObjectId(), title: 'T', metric: 'm', target: 5, actual: 4, unit: 'x', status: 'missed' as const, dueDate: new Date('2026-02-15T00:00:00Z') }],
      resources: [{ _id: new Types.ObjectId(), kind: 'budget' as const, amount: 100, unit: 'EUR', description: 'D', ownerId: null }],
    };
    const copy = copiedContent(source, '2026-Q2');
    expect(copy.objectives).to.deep.equal([{ title: 'T', metric: 'm', target: 5, unit: 'x', actual: null, status: 'open', dueDate: new Date('2026-05-16T00:00:00Z') }]);
    expect(copy.resources).to.deep.equal([{ kind: 'budget', amount: 100, unit: 'EUR', description: 'D', ownerId: null }]);
  });
});

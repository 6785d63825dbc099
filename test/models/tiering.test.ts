import { expect } from 'chai';
import { Types } from 'mongoose';
import type { Tier } from '../../models/customer.ts';
import { defaultPolicyRules, type PolicyRules, type Scale } from '../../models/tier-policy.ts';
import { emptyInputs, needsApproval, pointsFor, scoreTier, tierOf, type TierInputs, type TierScore } from '../../models/tier-scoring.ts';
import { planTier, type TierState } from '../../models/tiering.ts';

const policy: PolicyRules = defaultPolicyRules;
const inputs = (fields: Partial<TierInputs>): TierInputs => ({ ...emptyInputs(), ...fields });
const scored = (score: number, tier: Tier): TierScore => ({ score, tier, breakdown: [] });
const now = new Date('2026-06-01T12:00:00Z');
const state = (fields: Partial<TierState> = {}): TierState => ({ _id: new Types.ObjectId(), tierRevision: 0, ...fields });

describe('tier scoring', () => {
  describe('pointsFor', () => {
    const bands: Scale = { kind: 'bands', bands: [{ min: 5, points: 100 }, { min: 3, points: 75 }, { min: 1, points: 50 }] };
    const linear: Scale = { kind: 'linear', min: 1, max: 5 };

    it('gives the points of the highest band reached, counting a band from exactly its min, and 0 below all', () => {
      expect(pointsFor(bands, 0.9)).to.equal(0);
      expect(pointsFor(bands, 1)).to.equal(50);
      expect(pointsFor(bands, 2.99)).to.equal(50);
      expect(pointsFor(bands, 3)).to.equal(75);
      expect(pointsFor(bands, 5)).to.equal(100);
      expect(pointsFor(bands, 1e9)).to.equal(100);
    });

    it('reads bands whatever order they are given in', () => {
      expect(pointsFor({ kind: 'bands', bands: [{ min: 1, points: 50 }, { min: 5, points: 100 }, { min: 3, points: 75 }] }, 4)).to.equal(75);
    });

    it('scales linearly from 0 at min to 100 at max, clamped at both ends, to one decimal', () => {
      expect(pointsFor(linear, 1)).to.equal(0);
      expect(pointsFor(linear, 2)).to.equal(25);
      expect(pointsFor(linear, 4)).to.equal(75);
      expect(pointsFor(linear, 5)).to.equal(100);
      expect(pointsFor(linear, 0)).to.equal(0);
      expect(pointsFor(linear, 9)).to.equal(100);
      expect(pointsFor({ kind: 'linear', min: 0, max: 1_000_000_000 }, 333_333_333)).to.equal(33.3);
      expect(pointsFor({ kind: 'linear', min: 0, max: 3 }, 2)).to.equal(66.7);
    });
  });

  describe('scoreTier', () => {
    it('sums points x weight into a score rounded to one decimal, with one line per criterion in the policy order', () => {
      // 75x30 + 25x25 + 75x20 + 70x15 + 50x10 = 5925 -> 59.25 -> 59.3, just under A.
      const result = scoreTier(policy, { revenue12m: 150_000_000, potential: 250_000_000, strategicValue: 4, relationship: 7, loyalty: 2 });
      expect(result.score).to.equal(59.3);
      expect(result.tier).to.equal('B');
      expect(result.breakdown).to.deep.equal([
        { criterion: 'revenue12m', input: 150_000_000, points: 75, weight: 30, contribution: 22.5 },
        { criterion: 'potential', input: 250_000_000, points: 25, weight: 25, contribution: 6.3 },
        { criterion: 'strategicValue', input: 4, points: 75, weight: 20, contribution: 15 },
        { criterion: 'relationship', input: 7, points: 70, weight: 15, contribution: 10.5 },
        { criterion: 'loyalty', input: 2, points: 50, weight: 10, contribution: 5 },
      ]);
    });

    it('scores a missing input 0 and says why, apart from an input that is merely 0', () => {
      const result = scoreTier(policy, inputs({ revenue12m: 0, strategicValue: 5 }));
      expect(result.score).to.equal(20);
      expect(result.tier).to.equal('C');
      const byKey = Object.fromEntries(result.breakdown.map((l) => [l.criterion, l]));
      expect(byKey.revenue12m).to.deep.equal({ criterion: 'revenue12m', input: 0, points: 0, weight: 30, contribution: 0 });
      for (const key of ['potential', 'relationship', 'loyalty'] as const) {
        expect(byKey[key]!.input, key).to.equal(null);
        expect(byKey[key]!.points, key).to.equal(0);
        expect(byKey[key]!.contribution, key).to.equal(0);
        expect(byKey[key]!.missing, key).to.be.a('string').and.not.equal('');
      }
      expect(byKey.strategicValue!.missing).to.equal(undefined);
    });

    it('scores a customer with no data at all 0, tier C', () => {
      const result = scoreTier(policy, emptyInputs());
      expect(result).to.include({ score: 0, tier: 'C' });
      expect(result.breakdown.map((l) => l.criterion)).to.deep.equal(policy.criteria.map((c) => c.key));
      expect(result.breakdown.every((l) => l.missing && l.points === 0)).to.equal(true);
    });

    it('puts a score of exactly 80 in S', () => {
      // 100x30 + 100x25 + 100x20 + 0x15 + 50x10 = 8000.
      const result = scoreTier(policy, { revenue12m: 500_000_000, potential: 1_000_000_000, strategicValue: 5, relationship: 0, loyalty: 1 });
      expect(result).to.include({ score: 80, tier: 'S' });
    });

    it('rounds before it compares with the thresholds', () => {
      // A single criterion weighted 100 scoring 79.95 points on a linear scale: 79.95 rounds to 80.0 (S).
      const one: PolicyRules = { ...policy, criteria: [{ key: 'potential', weight: 100, scale: { kind: 'linear', min: 0, max: 10_000 } }] };
      expect(scoreTier(one, inputs({ potential: 7_995 }))).to.include({ score: 80, tier: 'S' });
      expect(scoreTier(one, inputs({ potential: 7_994 }))).to.include({ score: 79.9, tier: 'A' });
    });
  });

  it('tierOf: each threshold counts as reached at exactly its value', () => {
    const t = policy.thresholds;
    expect([80, 79.9, 60, 59.9, 40, 39.9, 0, 100].map((s) => tierOf(t, s))).to.deep.equal(['S', 'A', 'A', 'B', 'B', 'C', 'C', 'S']);
  });

  it('needsApproval: moves into or out of S or A, and a first classification into them; never B <-> C or staying put', () => {
    const cases: Array<[Tier | null, Tier, boolean]> = [
      ['B', 'C', false], ['C', 'B', false], [null, 'B', false], [null, 'C', false],
      ['B', 'A', true], ['C', 'S', true], ['A', 'B', true], ['S', 'C', true], ['S', 'A', true], ['A', 'S', true], [null, 'A', true], [null, 'S', true],
      ['A', 'A', false], ['S', 'S', false], ['B', 'B', false],
    ];
    for (const [from, to, expected] of cases) expect(needsApproval(from, to), `${from} -> ${to}`).to.equal(expected);
  });
});

describe('planTier', () => {
  it('applies a B -> C move at once as computed, stores the fresh score and settles what was pending', () => {
    const plan = planTier(state({ tier: 'B', tierScore: 45, tierComputed: 'B', tierPolicyVersion: 3 }), scored(30, 'C'), 3, now, 'nightly');
    expect(plan.change).to.deep.include({ to: 'C', source: 'computed' });
    expect(plan.change!.reason).to.include('nightly').and.include('score 30 under policy v3');
    expect(plan.request).to.equal(undefined);
    expect(plan.supersedePending).to.equal(true);
    expect(plan.set).to.deep.include({ tierScore: 30, tierComputed: 'C', tierPolicyVersion: 3, tierScoredAt: now });
  });

  it('applies a C -> B move at once', () => {
    const plan = planTier(state({ tier: 'C' }), scored(45, 'B'), 1, now);
    expect(plan.change).to.deep.include({ to: 'B', source: 'computed' });
    expect(plan.request).to.equal(undefined);
  });

  it('asks for approval of B -> A and keeps the tier meanwhile', () => {
    const plan = planTier(state({ tier: 'B' }), scored(65, 'A'), 2, now);
    expect(plan.change).to.equal(undefined);
    expect(plan.request).to.deep.include({ to: 'A', source: 'computed' });
    expect(plan.supersedePending).to.not.equal(true);
  });

  it('asks for approval of a move out of a key tier (A -> C)', () => {
    const plan = planTier(state({ tier: 'A' }), scored(10, 'C'), 2, now);
    expect(plan.change).to.equal(undefined);
    expect(plan.request).to.deep.include({ to: 'C', source: 'computed' });
  });

  it('starts a first classification into S at B and asks for S', () => {
    const plan = planTier(state({ tier: null }), scored(90, 'S'), 1, now);
    expect(plan.change).to.deep.include({ to: 'B', source: 'computed' });
    expect(plan.change!.reason).to.include('initial classification');
    expect(plan.request).to.deep.include({ to: 'S', source: 'computed' });
  });

  it('classifies a first C or B at once', () => {
    expect(planTier(state(), scored(10, 'C'), 1, now)).to.deep.include({ change: { to: 'C', source: 'computed', reason: 'score 10 under policy v1' } });
  });

  it('does nothing at all when neither the score nor the tier moved', () => {
    const breakdown = [{ criterion: 'potential', input: 1, points: 50, weight: 100, contribution: 50 }];
    const same = state({ tier: 'B', tierSource: 'computed', tierScore: 50, tierComputed: 'B', tierPolicyVersion: 4, tierBreakdown: breakdown });
    const plan = planTier(same, { score: 50, tier: 'B', breakdown: breakdown as TierScore['breakdown'] }, 4, now);
    expect(plan.set).to.deep.equal({});
    expect(plan.change).to.equal(undefined);
    expect(plan.request).to.equal(undefined);
  });

  it('stores a new score under the same tier without a change', () => {
    const plan = planTier(state({ tier: 'B', tierScore: 50, tierComputed: 'B', tierPolicyVersion: 4 }), scored(52, 'B'), 4, now);
    expect(plan.set).to.deep.include({ tierScore: 52, tierScoredAt: now });
    expect(plan.change).to.equal(undefined);
    expect(plan.request).to.equal(undefined);
  });

  it('holds an active override against the score', () => {
    const override = { tier: 'A' as Tier, reason: 'strategic bet', byId: new Types.ObjectId(), byName: 'Exec', at: now, expiresAt: new Date(now.getTime() + 86_400_000) };
    const plan = planTier(state({ tier: 'A', tierOverride: override }), scored(10, 'C'), 1, now);
    expect(plan.change).to.equal(undefined);
    expect(plan.request).to.equal(undefined);
    expect(plan.set).to.not.have.property('tierOverride');
    const forever = planTier(state({ tier: 'C', tierOverride: { ...override, tier: 'C', expiresAt: null } }), scored(45, 'B'), 1, now);
    expect(forever.change).to.equal(undefined);
    expect(forever.set).to.not.have.property('tierOverride');
  });

  it('clears an expired override and falls back to the computed tier through the rules', () => {
    const expired = { tier: 'C' as Tier, reason: 'on hold', byId: new Types.ObjectId(), byName: 'Owner', at: now, expiresAt: new Date(now.getTime() - 1) };
    const plan = planTier(state({ tier: 'C', tierOverride: expired }), scored(45, 'B'), 1, now);
    expect(plan.set.tierOverride).to.equal(null);
    expect(plan.change).to.deep.include({ to: 'B', source: 'computed' });
    expect(plan.change!.reason).to.include('the override expired');
    // Out of a key tier, the fall-back waits for approval like any computed move.
    const fromKey = planTier(state({ tier: 'S', tierOverride: { ...expired, tier: 'S' } }), scored(45, 'B'), 1, now);
    expect(fromKey.set.tierOverride).to.equal(null);
    expect(fromKey.change).to.equal(undefined);
    expect(fromKey.request).to.deep.include({ to: 'B', source: 'computed' });
  });

  it('counts an override expiring exactly now as expired', () => {
    const plan = planTier(state({ tier: 'C', tierOverride: { tier: 'C', reason: 'x', byId: new Types.ObjectId(), byName: 'O', at: now, expiresAt: now } }), scored(45, 'B'), 1, now);
    expect(plan.set.tierOverride).to.equal(null);
    expect(plan.change).to.deep.include({ to: 'B' });
  });
});

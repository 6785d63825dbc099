import type { Types } from 'mongoose';
import { ContactModel } from './contact.ts';
import { inOrAll } from './db-compat.ts';
import { ProjectModel, revenueStages } from './project.ts';
import type { TierInputs } from './tier-scoring.ts';

// Gathers each customer's criterion inputs from the customer, its contacts and its projects.

export type ScoredCustomer = {
  _id: Types.ObjectId;
  revenue12m?: number | null;
  tierInputs?: { potential?: number | null; strategicValue?: number | null } | null;
};

const YEAR_MS = 365.25 * 24 * 60 * 60 * 1000;
const attitudeSign = { supporter: 1, neutral: 0, opponent: -1 } as const;
const roleWeight = { decision_maker: 2, influencer: 1 } as const;

/** The inputs of each customer, by id; `now` fixes the loyalty clock. */
export async function tierInputsFor(customers: ScoredCustomer[], now = new Date()): Promise<Map<string, TierInputs>> {
  const ids = customers.map((c) => c._id);
  const byIds = inOrAll('customerId', ids);
  const [contacts, wins] = await Promise.all([
    ContactModel.find(
      { ...byIds, decisionRole: { $in: ['decision_maker', 'influencer'] as const }, attitude: { $ne: null }, influence: { $ne: null } },
      { customerId: 1, decisionRole: 1, influence: 1, attitude: 1 },
    ).lean(),
    ProjectModel.find({ ...byIds, stage: { $in: revenueStages }, wonAt: { $ne: null } }, { customerId: 1, wonAt: 1 }).lean(),
  ]);

  const support = new Map<string, number>();
  for (const c of contacts) {
    const key = String(c.customerId);
    const weight = roleWeight[c.decisionRole as keyof typeof roleWeight] * (c.influence ?? 0) * attitudeSign[c.attitude!];
    support.set(key, (support.get(key) ?? 0) + weight);
  }
  const firstWin = new Map<string, number>();
  for (const p of wins) {
    const key = String(p.customerId);
    const at = p.wonAt!.getTime();
    if (at < (firstWin.get(key) ?? Infinity)) firstWin.set(key, at);
  }

  return new Map(customers.map((c) => {
    const key = String(c._id);
    return [key, inputsOf(c, support.get(key), firstWin.get(key), now)];
  }));
}

/** One customer's inputs from its own fields, the weighted support of its contacts and the time of its first win. */
export function inputsOf(c: Omit<ScoredCustomer, '_id'>, support: number | undefined, firstWinAt: number | undefined, now: Date): TierInputs {
  return {
    revenue12m: c.revenue12m ?? 0,
    potential: c.tierInputs?.potential ?? null,
    strategicValue: c.tierInputs?.strategicValue ?? null,
    relationship: support ?? null,
    loyalty: firstWinAt === undefined ? null : Math.max(0, Math.round(((now.getTime() - firstWinAt) / YEAR_MS) * 10) / 10),
  };
}

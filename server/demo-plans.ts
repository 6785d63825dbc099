import { Types } from 'mongoose';
import { CustomerModel } from '../models/customer.ts';
import { PlanModel, periodBounds, withRevenueActuals, type PlanStatus } from '../models/plan.ts';

// Account plans for the demo book: every S and A customer and a third of the B ones get a 2026 plan (approved, or
// closed with a review and frozen actuals) and a 2027 one (draft or submitted). The first key accounts in code order
// are left without an approved 2026 plan (none, submitted, draft), so the plans report has gaps to show.
// Deterministic: every choice follows from the customer's position, so every demo start looks the same.

type DemoUser = { _id: Types.ObjectId; name: string; role: string };
type DemoCustomer = { _id: Types.ObjectId; code: string; tier?: string | null; ownerId: Types.ObjectId; accountTeam?: Types.ObjectId[]; currency: string; revenue12m: number };

const day = 86_400_000;
const strategies = [
  'Move from product supplier to long-term partner: joint roadmap, quarterly executive reviews, one service desk.',
  'Defend the installed base against the challenger and win the next network refresh.',
  'Grow wallet share in managed services; start with one pilot site and scale region by region.',
  'Repair the relationship after last year\'s outages: fix the top three complaints first, then expand.',
];
const secondary = [
  { title: 'Quarterly executive reviews held', metric: 'meetings', target: 4, unit: 'meetings', actuals: [4, 3, 2, 5] },
  { title: 'Customer satisfaction (visit average)', metric: 'satisfaction', target: 4.5, unit: 'score 1-5', actuals: [4.2, 4.6, 3.8, 4.5] },
  { title: 'Pilot sites live', metric: 'pilots', target: 3, unit: 'sites', actuals: [1, 3, 2, 4] },
  { title: 'Reference visits hosted for other prospects', metric: 'reference visits', target: 2, unit: 'visits', actuals: [0, 2, 1, 3] },
];
const reviews = [
  'Revenue ahead of plan thanks to the core upgrade; executive cadence slipped in Q3. Keep the sponsor model for 2027.',
  'Pilots took longer than planned; the customer asked to merge the second wave into next year\'s plan.',
];

function revenueTarget(customer: DemoCustomer, year: number) {
  // Round figures in major units of the currency, a little above the last twelve months' revenue.
  const base = Math.max(customer.revenue12m, 50_000_000) * (year === 2027 ? 1.25 : 1.1);
  return Math.round(base / 100_000_000) * 100_000_000;
}

function progress(actual: number, target: number, status: PlanStatus) {
  if (actual >= target) return 'achieved';
  return status === 'closed' ? 'missed' : actual >= target * 0.75 ? 'on_track' : 'at_risk';
}

function planFor(customer: DemoCustomer, i: number, period: string, status: PlanStatus, leader: DemoUser | undefined, now: number) {
  const year = Number(period.slice(0, 4));
  const { start, end } = periodBounds(period);
  const past = year === 2026;
  const extra = [secondary[i % secondary.length]!, ...(i % 2 ? [secondary[(i + 1) % secondary.length]!] : [])];
  const owner = customer.ownerId;
  const approved = status === 'approved' || status === 'closed';
  return {
    _id: new Types.ObjectId(), customerId: customer._id, period, periodStart: start, periodEnd: end, status, ownerId: owner,
    strategy: strategies[i % strategies.length]!,
    objectives: [
      { title: `Won revenue ${year}`, metric: 'revenue', target: revenueTarget(customer, year), unit: customer.currency, actual: null,
        dueDate: new Date(end.getTime() - day), status: past ? 'on_track' : 'open' },
      ...extra.map((o, k) => ({
        title: o.title, metric: o.metric, target: o.target, unit: o.unit, actual: past ? o.actuals[(i + k) % o.actuals.length]! : null,
        dueDate: new Date(end.getTime() - day), status: past ? progress(o.actuals[(i + k) % o.actuals.length]!, o.target, status) : 'open',
      })),
    ],
    resources: [
      { kind: 'people', description: 'Account team: sales lead and solution architect', amount: 1 + (i % 3), unit: 'FTE', ownerId: owner },
      { kind: 'budget', description: 'Joint workshops and pilot hardware', amount: (2 + (i % 5)) * 10_000_00, unit: customer.currency, ownerId: owner },
      ...(customer.tier === 'S' || customer.tier === 'A'
        ? [{ kind: 'executive_sponsor', description: `Executive sponsor: ${leader?.name ?? 'to be named'}`, amount: 1, unit: 'person', ownerId: leader?._id ?? null }]
        : []),
      ...(i % 2 === 0 ? [{ kind: 'support', description: 'Dedicated support engineer days', amount: 20 + (i % 4) * 10, unit: 'days', ownerId: customer.accountTeam?.[0] ?? owner }] : []),
    ],
    approvedById: approved ? leader?._id ?? null : null,
    approvedAt: approved ? new Date(start.getTime() + 20 * day) : null,
    closedAt: status === 'closed' ? new Date(now) : null,
    review: status === 'closed' ? reviews[i % reviews.length]! : '',
    statusComment: status === 'submitted' ? 'Ready for the leadership review' : '',
  };
}

/** Loads demo plans into an empty plans collection; answers how many plans it created. */
export async function loadDemoPlans(users: DemoUser[], now = Date.now()): Promise<number> {
  if ((await PlanModel.countDocuments({}).limit(1)) > 0) return 0;
  const leader = users.find((u) => u.role === 'executive') ?? users.find((u) => u.role === 'admin');
  const customers = await CustomerModel.find({ archived: false, tier: { $in: ['S', 'A', 'B'] } },
    { code: 1, tier: 1, ownerId: 1, accountTeam: 1, currency: 1, revenue12m: 1 }).sort({ code: 1 }).lean<DemoCustomer[]>();
  const keyAccounts = customers.filter((c) => c.tier === 'S' || c.tier === 'A');
  const planned = [...keyAccounts, ...customers.filter((c) => c.tier === 'B').filter((_, i) => i % 3 === 0)];
  const plans = planned.flatMap((customer, i) => {
    // The first three key accounts: no 2026 plan, one still submitted, one still a draft.
    const status2026: PlanStatus | null = i === 0 ? null : i === 1 ? 'submitted' : i === 2 ? 'draft' : i % 3 === 0 ? 'closed' : 'approved';
    const status2027: PlanStatus = i % 2 ? 'submitted' : 'draft';
    return [
      ...(status2026 ? [planFor(customer, i, '2026', status2026, leader, now)] : []),
      planFor(customer, i, '2027', status2027, leader, now),
    ];
  });
  // Closed plans keep the revenue they had won when they closed; the others read it live from the projects.
  const closing = plans.filter((p) => p.status === 'closed');
  const frozen = await withRevenueActuals(closing.map((p) => ({ ...p, status: 'approved' })));
  frozen.forEach((p, k) => {
    closing[k]!.objectives = p.objectives.map((o) => (o.metric === 'revenue' ? { ...o, status: progress(o.actual ?? 0, o.target, 'closed') } : o));
  });
  if (plans.length) await PlanModel.insertMany(plans, { ordered: false });
  return plans.length;
}

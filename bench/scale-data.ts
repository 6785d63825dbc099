// The book bench/scale.ts serves: N customers spread over owners, teams, regions, industries and tags, 3 contacts,
// 1-2 projects, one open visit (about 15 % overdue), tier history, some approvals and a plan each. Written through the
// models in batches (validated, with their defaults), so every document has the shape the service writes.
import { Types } from 'mongoose';
import { ContactModel } from '../models/contact.ts';
import { CustomerModel, nameKeyOf } from '../models/customer.ts';
import { PlanModel, periodBounds } from '../models/plan.ts';
import { ProjectModel } from '../models/project.ts';
import { TierApprovalModel, TierChangeModel } from '../models/tier-change.ts';
import { defaultPolicyRules, savePolicy } from '../models/tier-policy.ts';
import { UserModel, hashPassword } from '../models/user.ts';
import { VisitModel } from '../models/visit.ts';

const DAY = 86_400_000;
const BATCH = 1000;
export const industries = ['Energy', 'Telecom', 'Retail', 'Banking', 'Insurance', 'Automotive', 'Healthcare', 'Logistics', 'Public sector', 'Media', 'Mining', 'Chemicals'];
export const regions = ['EMEA', 'APAC', 'Americas', 'Nordics', 'DACH', 'MEA'];
export const tagNames = Array.from({ length: 30 }, (_, i) => `tag${i}`);
const words = ['Nordic', 'Grid', 'Alpine', 'Pacific', 'Atlas', 'Orion', 'Summit', 'Harbor', 'Delta', 'Vertex', 'Aurora', 'Cedar', 'Falcon', 'Granite', 'Helix', 'Ion'];
const forms = ['AG', 'GmbH', 'Ltd', 'SA', 'Inc', 'Oy', 'BV', 'plc'];

/** A small deterministic generator, so two runs load the same book. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Book = {
  admin: Types.ObjectId; executive: Types.ObjectId; manager: Types.ObjectId; managers: Types.ObjectId[];
  customerIds: Types.ObjectId[]; approvalIds: Types.ObjectId[]; period: string;
};

async function inBatches<T>(items: T[], write: (batch: T[]) => Promise<unknown>) {
  const started = Date.now();
  for (let i = 0; i < items.length; i += BATCH) await write(items.slice(i, i + BATCH));
  if (process.env.BENCH_VERBOSE) console.log(`  ${items.length} rows in ${Date.now() - started} ms`);
}

export async function loadBook(total: number, now = new Date()): Promise<Book> {
  const rnd = random(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const passwordHash = await hashPassword('bench password 123');
  const teams = ['North', 'South', 'East', 'West', 'Central', 'Key accounts', 'Public', 'Growth'];
  const [admin, executive, manager] = await UserModel.insertMany([
    { email: 'admin@bench.local', name: 'Bench Admin', role: 'admin', passwordHash },
    { email: 'exec@bench.local', name: 'Bench Executive', role: 'executive', passwordHash },
    { email: 'manager@bench.local', name: 'Bench Manager', role: 'manager', team: 'Key accounts', passwordHash },
  ]);
  const others = await UserModel.insertMany(Array.from({ length: 40 }, (_, i) => ({
    email: `m${i}@bench.local`, name: `Manager ${i}`, role: 'manager', team: teams[i % teams.length], passwordHash,
  })));
  const managers = [manager!._id, ...others.map((u) => u._id)];
  await savePolicy(defaultPolicyRules, 'bench', { id: String(admin!._id), name: 'Bench Admin' });

  // The bench manager owns 3 % of the book (300 of 10,000) and is on the team of another 1 %.
  const customers = Array.from({ length: total }, (_, i) => {
    const name = `${pick(words)} ${pick(words)} ${String(i).padStart(5, '0')} ${pick(forms)}`;
    const ownerId = rnd() < 0.03 ? manager!._id : others[Math.floor(rnd() * others.length)]!._id;
    const team = [pick(others)._id, ...(rnd() < 0.01 ? [manager!._id] : [])].filter((id) => !id.equals(ownerId));
    const tier = rnd() < 0.05 ? 'S' : rnd() < 0.2 ? 'A' : rnd() < 0.5 ? 'B' : 'C';
    const score = { S: 85, A: 65, B: 45, C: 20 }[tier]! + Math.round(rnd() * 10);
    const tags = [...new Set([pick(tagNames), pick(tagNames), ...(rnd() < 0.5 ? [pick(tagNames)] : [])])];
    return {
      _id: new Types.ObjectId(), code: `SC-${String(i).padStart(6, '0')}`, name, nameKey: nameKeyOf(name),
      status: pick(['prospect', 'active', 'active', 'active', 'dormant', 'lost']), ownerId, accountTeam: team, tags, currency: 'EUR',
      company: {
        legalName: `${name} Holding`, industry: pick(industries), region: pick(regions), country: pick(['DE', 'FR', 'SE', 'CN', 'US', 'BR', 'ZA']),
        employees: Math.round(rnd() * 50_000), annualRevenue: Math.round(rnd() * 1e11), ownership: 'private',
        website: `https://www.customer${i}.example`, goals: 'Grow the installed base; consolidate suppliers. '.repeat(4),
        painPoints: 'Slow delivery of spare parts in the north; invoices in the wrong format. '.repeat(3),
      },
      tierInputs: { potential: Math.round(rnd() * 1e10), strategicValue: 1 + Math.floor(rnd() * 5) },
      revenue12m: Math.round(rnd() * 1e9), tier, tierScore: score, tierComputed: tier, tierPolicyVersion: 1, tierSource: 'computed',
      tierScoredAt: new Date(now.getTime() - DAY), tierUpdatedAt: new Date(now.getTime() - 20 * DAY), tierRevision: 2,
      tierBreakdown: ['revenue12m', 'potential', 'strategicValue', 'relationship', 'loyalty'].map((criterion) => ({
        criterion, input: Math.round(rnd() * 100), points: Math.round(rnd() * 100), weight: 20, contribution: Math.round(rnd() * 20),
      })),
      archived: rnd() < 0.02,
      satisfaction: { lastScore: 1 + Math.floor(rnd() * 5), average: 3.5, lastVisitAt: new Date(now.getTime() - 60 * DAY) },
    };
  });
  await inBatches(customers, (b) => CustomerModel.insertMany(b));

  await inBatches(customers.flatMap((c, i) => [0, 1, 2].map((k) => ({
    customerId: c._id, name: `${pick(['Anna', 'Li', 'Omar', 'Sofia', 'Jens', 'Mei', 'Paulo'])} ${pick(['Berg', 'Wang', 'Haddad', 'Costa', 'Meyer'])} ${i}-${k}`,
    title: pick(['CIO', 'CTO', 'Head of purchasing', 'Engineer']), decisionRole: pick(['decision_maker', 'influencer', 'user']),
    influence: 1 + Math.floor(rnd() * 5), attitude: pick(['supporter', 'neutral', 'opponent']), email: `p${i}-${k}@customer.example`,
    needs: 'Reliable delivery and one contact person.', ownerId: c.ownerId,
  }))), (b) => ContactModel.insertMany(b));

  await inBatches(customers.flatMap((c, i) => Array.from({ length: i % 2 ? 1 : 2 }, (_, k) => {
    const stage = pick(['lead', 'qualified', 'proposal', 'negotiation', 'won', 'won', 'lost', 'delivering']);
    const won = ['won', 'delivering'].includes(stage);
    return {
      customerId: c._id, name: `Project ${i}-${k}`, stage, value: Math.round(rnd() * 1e8), currency: 'EUR', ownerId: c.ownerId,
      wonAt: won ? new Date(now.getTime() - Math.round(rnd() * 300) * DAY) : null, products: ['Routers'],
    };
  })), (b) => ProjectModel.insertMany(b));

  // One open cadence visit per customer, due from 45 days ago to 180 days ahead: about 15 % overdue.
  await inBatches(customers.filter((c) => !c.archived).map((c) => {
    const dueAt = new Date(now.getTime() + Math.round((rnd() * 225 - 45) * DAY));
    return { customerId: c._id, ownerId: c.ownerId, kind: 'cadence', status: 'scheduled', dueAt, scheduledFor: dueAt, cadenceKey: String(c._id) };
  }), (b) => VisitModel.insertMany(b));

  // Tier history: the first classification, and a move within the last 60 days.
  await inBatches(customers.flatMap((c) => {
    const from = pick(['A', 'B', 'C']);
    const at = new Date(now.getTime() - Math.round(rnd() * 60) * DAY);
    const base = { customerId: c._id, source: 'computed', byName: 'tier reclassification', policyVersion: 1 };
    return [
      { ...base, key: `${String(c._id)}:1`, from: null, to: from, score: 50, reason: 'initial classification', at: new Date(at.getTime() - 200 * DAY) },
      { ...base, key: `${String(c._id)}:2`, from, to: c.tier, score: c.tierScore, reason: 'nightly reclassification', at },
    ];
  }), (b) => TierChangeModel.insertMany(b));

  // 2 % wait for an executive (moves into or out of S and A), 5 % were decided.
  const approvals = customers.flatMap((c, i) => {
    const pending = i % 50 === 0;
    if (!pending && i % 20 !== 1) return [];
    const _id = new Types.ObjectId();
    return [{
      _id, key: pending ? String(c._id) : `${String(c._id)}:${String(_id)}`, customerId: c._id, from: c.tier, to: c.tier === 'S' ? 'A' : 'S',
      source: 'computed', score: c.tierScore, policyVersion: 1, reason: 'score crossed a threshold', requestedByName: 'tier reclassification',
      requestedAt: new Date(now.getTime() - (i % 30) * DAY), status: pending ? 'pending' : pick(['approved', 'rejected']),
      ...(pending ? {} : { decidedById: executive!._id, decidedByName: 'Bench Executive', decidedAt: new Date(now.getTime() - DAY) }),
    }];
  });
  await inBatches(approvals, (b) => TierApprovalModel.insertMany(b));

  // A plan for this year for 3 of 4 customers.
  const period = String(now.getUTCFullYear());
  const { start, end } = periodBounds(period);
  await inBatches(customers.filter((_, i) => i % 4 !== 3).map((c) => ({
    customerId: c._id, period, periodStart: start, periodEnd: end, status: pick(['draft', 'submitted', 'approved', 'approved', 'closed']),
    ownerId: c.ownerId, strategy: 'Become the preferred supplier for the core network.',
    objectives: [
      { title: 'Won revenue', metric: 'revenue', target: 100_000_000, actual: Math.round(rnd() * 1e8), unit: 'EUR' },
      { title: 'Reference visits', metric: 'visits', target: 4, actual: Math.floor(rnd() * 5) },
    ],
    resources: [{ kind: 'people', description: 'Solution architect', amount: 0.5, unit: 'FTE' }],
  })), (b) => PlanModel.insertMany(b));

  return {
    admin: admin!._id, executive: executive!._id, manager: manager!._id, managers,
    customerIds: customers.map((c) => c._id), approvalIds: approvals.filter((a) => a.status === 'pending').map((a) => a._id), period,
  };
}

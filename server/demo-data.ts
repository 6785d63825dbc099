import { Types } from 'mongoose';
import { ChangeModel } from '../models/change.ts';
import { ContactModel, attitudes, decisionRoles } from '../models/contact.ts';
import { CustomerModel, customerStatuses, nameKeyOf } from '../models/customer.ts';
import { ProjectModel, refreshAllRevenue12m, type ProjectStage } from '../models/project.ts';
import { TierApprovalModel } from '../models/tier-change.ts';
import { decideApproval } from '../models/tier-decisions.ts';
import { currentPolicy } from '../models/tier-policy.ts';
import { loadDemoPlans } from './demo-plans.ts';
import { loadDemoVisits } from './demo-visits.ts';
import { reclassify } from '../models/tiering.ts';

// A realistic book for demos: a few hundred customers across the demo managers, with contacts and projects,
// some Chinese names, a few group hierarchies. Deterministic (seeded), so every demo start looks the same.

type DemoUser = { _id: Types.ObjectId; name: string; role: string };

const prefixes = ['Nordic', 'Pacific', 'Atlas', 'Summit', 'Harbor', 'Vertex', 'Golden', 'Iron', 'Silver', 'Blue', 'Red River', 'Evergreen', 'Polar', 'Sunrise', 'Crescent'];
const cores = ['Energy', 'Logistics', 'Telecom', 'Foods', 'Steel', 'Health', 'Motors', 'Bank', 'Retail', 'Chemicals', 'Aero', 'Grid', 'Water', 'Pharma', 'Cement'];
const forms = ['Ltd', 'Group', 'AG', 'Inc', 'GmbH', 'SA', 'plc', 'Corp'];
const chinese = ['华为技术', '中兴通讯', '海尔智家', '美的集团', '比亚迪', '宁德时代', '中国移动', '招商银行', '顺丰速运', '格力电器', '联想集团', '国家电网', '中石化', '万科企业', '京东方'];
const industries = ['Energy', 'Telecom', 'Manufacturing', 'Finance', 'Retail', 'Healthcare', 'Logistics', 'Public sector'];
const regions: Array<[string, string[]]> = [['EMEA', ['DE', 'FR', 'GB', 'SE', 'AE']], ['APAC', ['CN', 'JP', 'SG', 'AU']], ['AMER', ['US', 'BR', 'CA', 'MX']]];
const firstNames = ['Li', 'Wang', 'Zhang', 'Anna', 'Lukas', 'Sofia', 'James', 'Maria', 'Kenji', 'Aisha', 'Omar', 'Elena', 'Chen', 'Priya', 'Jonas'];
const lastNames = ['Chen', 'Müller', 'Smith', 'García', 'Tanaka', 'Rossi', 'Kowalski', 'Nguyen', 'Johansson', 'Okafor', 'Dubois', 'Liu'];
const titles = ['CIO', 'CTO', 'Head of Procurement', 'VP Operations', 'CFO', 'IT Director', 'Plant Manager', 'Chief Digital Officer'];
const products = ['Core network', 'Cloud platform', 'Managed services', 'Field service', 'Analytics suite', 'Energy storage', 'Training'];

/** Mulberry32: a tiny seeded generator, enough for demo data. */
function seeded(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)) };
}

/** Loads the demo book into an empty customers collection; answers how many customers it created. */
export async function loadDemoBook(users: DemoUser[], count = 300): Promise<number> {
  if ((await CustomerModel.countDocuments({}).limit(1)) > 0) return 0;
  const managers = users.filter((u) => u.role === 'manager');
  if (!managers.length) return 0;
  const r = seeded(20261123);
  const day = 86_400_000;
  const now = Date.now();
  const customers: Array<Record<string, unknown> & { _id: Types.ObjectId }> = [];
  const contacts = [];
  const projects = [];
  const changes = [];
  for (let i = 0; i < count; i++) {
    const _id = new Types.ObjectId();
    const name = i % 10 === 3 ? `${r.pick(chinese)}${i > 150 ? '有限公司' : ''}` : `${r.pick(prefixes)} ${r.pick(cores)} ${r.pick(forms)}`;
    const owner = managers[i % managers.length]!;
    const teammate = managers[(i + 1) % managers.length]!;
    const [region, countries] = r.pick(regions);
    const industry = r.pick(industries);
    const currency = region === 'APAC' && name.match(/\p{Script=Han}/u) ? 'CNY' : region === 'EMEA' ? 'EUR' : 'USD';
    customers.push({
      _id, code: `DEMO-${String(i + 1).padStart(4, '0')}`, name, nameKey: nameKeyOf(name),
      status: r.pick(customerStatuses.filter((s) => s !== 'lost').concat(['active', 'active'] as never[])),
      ownerId: owner._id, accountTeam: i % 3 === 0 && teammate !== owner ? [teammate._id] : [],
      parentId: i % 25 === 24 ? customers[i - 1 - (i % 7)]!._id : null,
      tags: r.next() < 0.3 ? ['key-account'] : r.next() < 0.2 ? ['at-risk'] : [],
      currency,
      company: {
        legalName: name, industry, region, country: r.pick(countries), employees: r.int(50, 200_000),
        annualRevenue: r.int(5, 5000) * 1_000_000_00, ownership: r.pick(['public', 'private', 'state_owned'] as const),
        goals: 'Modernise operations and cut energy cost by 15% within three years.',
        painPoints: 'Fragmented vendors; long outages at remote sites.', competitors: [r.pick(['Ericsson', 'Nokia', 'Siemens', 'ABB', 'Cisco'])],
        decisionProcess: 'Technical committee shortlists; the board approves above 1M.',
      },
      tierInputs: { potential: r.int(1, 200) * 100_000_00, strategicValue: r.int(1, 5) },
    });
    changes.push({ customerId: _id, entity: 'customer', entityId: _id, entityName: name, action: 'created', actorId: owner._id, actorName: owner.name, at: new Date(now - r.int(30, 700) * day), fields: [] });
    const people: Types.ObjectId[] = [];
    for (let c = 0; c < r.int(2, 5); c++) {
      const cid = new Types.ObjectId();
      const first = r.pick(firstNames);
      const last = r.pick(lastNames);
      contacts.push({
        _id: cid, customerId: _id, name: `${first} ${last}`, title: r.pick(titles), department: r.pick(['IT', 'Operations', 'Procurement', 'Finance']),
        reportsToId: people.length ? people[0] : null, decisionRole: r.pick(decisionRoles), influence: r.int(1, 5), attitude: r.pick(attitudes),
        email: `${first}.${last}@example.com`.toLowerCase().replace(/[^a-z.@]/g, ''), phone: `+1 555 0${r.int(100, 999)}`,
        ownerId: owner._id, lastContactedAt: new Date(now - r.int(1, 200) * day),
      });
      people.push(cid);
    }
    for (let p = 0; p < r.int(0, 4); p++) {
      const stage = r.pick<ProjectStage>(['lead', 'qualified', 'proposal', 'negotiation', 'won', 'won', 'delivering', 'closed', 'lost']);
      const won = ['won', 'delivering', 'closed'].includes(stage);
      projects.push({
        customerId: _id, name: `${r.pick(products)} ${2025 + r.int(0, 2)}`, stage, value: r.int(5, 900) * 10_000_00, currency,
        expectedCloseDate: new Date(now + r.int(-200, 300) * day), wonAt: won ? new Date(now - r.int(1, 500) * day) : null,
        ownerId: owner._id, products: [r.pick(products)],
      });
    }
  }
  await CustomerModel.insertMany(customers, { ordered: false });
  await ContactModel.insertMany(contacts, { ordered: false });
  await ProjectModel.insertMany(projects, { ordered: false });
  await ChangeModel.insertMany(changes, { ordered: false });
  await refreshAllRevenue12m();
  await classifyDemoBook(users);
  await loadDemoPlans(users);
  await loadDemoVisits();
  return customers.length;
}

/**
 * Tiers for the demo book under the default policy: the first classification applies B and C at once and files the
 * moves into S and A for approval; the demo executive approves all of them but one, which stays pending to show the
 * approvals queue.
 */
async function classifyDemoBook(users: DemoUser[]): Promise<void> {
  await currentPolicy();
  await reclassify({ trigger: 'demo book loaded' });
  const executive = users.find((u) => u.role === 'executive') ?? users.find((u) => u.role === 'admin');
  if (!executive) return;
  const pending = await TierApprovalModel.find({ status: 'pending' }, { _id: 1 }).sort({ requestedAt: 1, _id: 1 }).lean();
  for (const approval of pending.slice(1)) {
    await decideApproval(approval._id, 'approve', { id: String(executive._id), name: executive.name }, 'confirmed at the annual account review');
  }
}

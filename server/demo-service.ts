import { CaseModel, type CaseRecord } from '../models/case.ts';
import { watchCaseTargets } from '../models/case-alerts.ts';
import { CustomerModel } from '../models/customer.ts';
import { recordUse } from '../models/knowledge-uses.ts';
import { UserModel, authUserOf } from '../models/user.ts';
import { applyCaseEffects } from '../usecases/case-effects.ts';
import { openCase } from '../usecases/case-open.ts';
import { answerHandover, closeCase, offerHandover, reopenCase, resolveCase, startCase, type CaseOutcome } from '../usecases/case-transition.ts';
import { createEntry } from '../usecases/knowledge-write.ts';

// Frontline service for the demo book: knowledge entries in English and Chinese, and service cases in every state
// (open and overdue, in progress, resolved and waiting for the customer, closed at first contact, handed over from
// another team, reopened, escalated), each made through the same use cases as over the API, backdated step by step.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const entries = [
  { problem: 'Spare parts for remote sites arrive late', symptoms: 'Field engineers wait days for parts outside the city', solution: 'Order through the regional hub; use the express lane for S and A customers', product: 'Field service', category: 'delivery', tags: ['spare parts', 'logistics'] },
  { problem: 'Invoice charged twice', symptoms: 'The card shows the monthly invoice twice', solution: 'Refund the second charge from the billing console and send the credit note', product: 'Billing', category: 'billing', tags: ['invoice', 'refund'] },
  { problem: '发票缺少框架协议编号', symptoms: '客户财务无法入账', solution: '在计费系统中补填框架协议编号并重新开具发票', product: 'Billing', category: 'billing', tags: ['invoice'] },
  { problem: 'Dashboard export misses the site codes', symptoms: 'CSV export has empty site columns', solution: 'Enable "site codes" in the export profile; fixed for good in release 4.2', product: 'Portal', category: 'product', tags: ['export'] },
  { problem: '热线无人接听中文来电', symptoms: '普通话来电转入英文语音信箱', solution: '把客户号码加入普通话路由组，并告知直拨号码', product: 'Hotline', category: 'support', tags: ['hotline', 'mandarin'] },
  { problem: 'VPN drops every hour at the branch office', symptoms: 'Tunnel renegotiates every 60 minutes', solution: 'Align the IKE lifetime on both ends (28800 s) and update the router firmware', product: 'Managed network', category: 'support', tags: ['vpn', 'network'] },
];

const cases = [
  { category: 'delivery', severity: 'high', subject: 'Spare parts for the Lhasa site two weeks late', description: 'The field team cannot finish the repair.' },
  { category: 'billing', severity: 'normal', subject: 'Invoice charged twice in March', description: 'Their finance team saw the same invoice twice on the card.' },
  { category: 'support', severity: 'critical', subject: 'VPN to the branch office drops every hour', description: 'Order entry stops at the branch each time.' },
  { category: 'billing', severity: 'low', subject: '发票缺少框架协议编号', description: '财务部无法入账，需要重新开具发票。' },
  { category: 'product', severity: 'normal', subject: 'Dashboard export misses site codes', description: 'The monthly export has no site codes.' },
  { category: 'support', severity: 'high', subject: '热线普通话来电无人接听', description: '客户三次来电都转入了英文语音信箱。' },
] as const;

/** The case a step wrote, with its effects (timeline, notices) run; a refused demo step is a bug in this file. */
async function written(outcome: CaseOutcome | Promise<CaseOutcome>): Promise<CaseRecord> {
  const done = await outcome;
  if (!done || 'refused' in done) throw new Error(`demo service: a step was refused: ${JSON.stringify(done)}`);
  await applyCaseEffects(done.kase);
  return done.kase;
}

/** Loads the demo knowledge and cases into a database without cases; answers how many cases it made. */
export async function loadDemoService(timezone: string, now = Date.now()): Promise<number> {
  if (await CaseModel.exists({})) return 0;
  const people = (await UserModel.find({ active: true }, { email: 1, name: 1, role: 1, team: 1 }).lean()).map(authUserOf);
  const managers = people.filter((p) => p.role === 'manager');
  if (!managers.length) return 0;
  const knowledge = [];
  for (const [i, entry] of entries.entries()) knowledge.push(await createEntry(managers[i % managers.length]!, entry));

  const customers = await CustomerModel.find({ archived: false, tier: { $in: ['S', 'A', 'B', 'C'] } }, { ownerId: 1, accountTeam: 1, tier: 1 })
    .sort({ code: 1 }).limit(24).lean();
  let made = 0;
  for (const [i, customer] of customers.entries()) {
    const owner = people.find((p) => p.id === String(customer.ownerId));
    if (!owner) continue;
    // Every fourth case reached a manager of another team first, who owns it until they hand it over.
    const stranger = managers.find((m) => m.team !== owner.team && m.id !== owner.id);
    const opener = i % 4 === 3 && stranger ? stranger : owner;
    const shape = cases[i % cases.length]!;
    const entry = knowledge[entries.findIndex((e) => e.category === shape.category)]!;
    let at = now - (40 - i) * DAY;
    const step = () => new Date((at += 3 * HOUR));
    const opened = await openCase(opener, { customerId: String(customer._id), channel: i % 2 ? 'phone' : 'email', ...shape }, timezone, new Date(at));
    if ('refused' in opened) throw new Error(`demo service: a case was refused: ${JSON.stringify(opened.refused)}`);
    let kase = opened.kase;
    // mongoose stamps createdAt with the real time; the demo case was opened when its history says
    await CaseModel.collection.updateOne({ _id: kase._id }, { $set: { createdAt: new Date(at) } }); // createdAt is immutable to mongoose
    await applyCaseEffects(kase);
    made++;
    const story = i % 6;
    if (story === 0) continue; // left open: overdue by now, escalated below
    kase = await written(startCase(opener, kase, step()));
    if (story === 1) continue; // in progress
    let resolver = opener;
    if (opener !== owner) {
      kase = await written(offerHandover(opener, kase, { toUserId: owner.id, note: 'Your customer: the account team knows their setup' }, step()));
      kase = await written(answerHandover(owner, kase, 'accept', '', step()));
      resolver = owner;
    }
    const solution = entry.solution;
    kase = await written(resolveCase(resolver, kase, { solution, knowledgeIds: [String(entry._id)] }, step()));
    await recordUse(entry._id, kase._id, resolver.id, new Date(at));
    if (story === 2) continue; // resolved, waiting for the customer to confirm
    if (story === 4) {
      const team = { ownerId: customer.ownerId, accountTeam: customer.accountTeam };
      kase = await written(reopenCase(owner, kase, team, 'The customer called again: it happened once more', step()));
      kase = await written(resolveCase(resolver, kase, { solution: `${solution} (checked again on site)` }, step()));
    }
    await written(closeCase(resolver, kase, { confirmedBy: 'the customer by phone', csat: 3 + (i % 3), comment: '' }, step()));
  }
  // The cases left open are past their targets by now: the job's pass warns and escalates them, once.
  await watchCaseTargets({ now: new Date(now), timezone });
  return made;
}

import { CustomerModel } from '../models/customer.ts';
import { GiftModel } from '../models/gift.ts';
import { UserModel, authUserOf, type AuthUser } from '../models/user.ts';
import type { GiftCreate } from '../schemas/gift-input.ts';
import { decideGift, giveGift, reverseGift } from '../usecases/gift-ledger.ts';

// Goodwill gifts for the demo book, given through the same use case as the API (so the allowances are taken as they
// would be): last month's and this month's, within the default allowances, one beyond them still waiting for the
// executive, one approved beyond them, one reversed. Deterministic, like the rest of the demo book.

const DAY = 86_400_000;

type Given = Omit<GiftCreate, 'customerId'> & { by: 'anna' | 'ben' | 'chen'; daysAgo: number; then?: 'approve' | 'reverse' };
const gifts: Given[] = [
  { by: 'anna', daysAgo: 35, item: 'Dinner with the operations team', cost: 6_000, currency: 'EUR', reasonCategory: 'thanks', reason: 'Reference visit hosted for a prospect' },
  { by: 'ben', daysAgo: 33, item: 'Service credit', cost: 6_000, currency: 'USD', reasonCategory: 'apology', reason: 'Outage at two remote sites' },
  { by: 'chen', daysAgo: 31, item: '中秋月饼礼盒', cost: 30_000, currency: 'CNY', reasonCategory: 'goodwill', reason: 'Mid-autumn festival' },
  { by: 'anna', daysAgo: 2, item: 'Training voucher', cost: 4_000, currency: 'EUR', reasonCategory: 'retention', reason: 'Considering a competitor after the price increase' },
  { by: 'anna', daysAgo: 1, item: 'Spare parts shipped free', cost: 2_500, currency: 'EUR', reasonCategory: 'apology', reason: 'Spare parts arrived three weeks late' },
  { by: 'ben', daysAgo: 1, item: 'Upgrade to premium support for a year', cost: 25_000, currency: 'USD', reasonCategory: 'retention', reason: 'Renewal at risk', then: 'approve' },
  { by: 'ben', daysAgo: 0, item: 'Gift card', cost: 2_000, currency: 'USD', reasonCategory: 'thanks', reason: 'Entered for the wrong customer', then: 'reverse' },
  { by: 'chen', daysAgo: 0, item: '茶叶礼盒', cost: 80_000, currency: 'CNY', reasonCategory: 'apology', reason: 'Invoice errors three months running' },
];

type Who = 'anna' | 'ben' | 'chen' | 'exec';
export type DemoPeople = Partial<Record<Who, AuthUser>>;

/** The demo accounts that give and decide the demo gifts, those that exist. */
export async function demoPeople(): Promise<DemoPeople> {
  const names: Who[] = ['anna', 'ben', 'chen', 'exec'];
  const rows = await UserModel.find({ email: { $in: names.map((n) => `${n}@demo.local`) } }).lean();
  return Object.fromEntries(rows.map((u) => [u.email.split('@')[0], authUserOf(u)]));
}

/** Gives the demo gifts when these people have given none yet; answers how many entries it wrote. */
export async function loadDemoGifts(timezone: string, people: DemoPeople, now = Date.now()): Promise<number> {
  const givers = (['anna', 'ben', 'chen'] as const).flatMap((n) => (people[n] ? [people[n].id] : []));
  if (!givers.length || await GiftModel.exists({ giverId: { $in: givers } })) return 0;
  const executive = people.exec;
  let written = 0;
  for (const [i, { by, daysAgo, then, ...input }] of gifts.entries()) {
    const giver = people[by];
    if (!giver) continue;
    const customers = await CustomerModel.find({ ownerId: giver.id, archived: false }, { _id: 1 }).sort({ code: 1 }).limit(8).lean();
    const customer = customers[i % Math.max(1, customers.length)];
    if (!customer) continue;
    const at = new Date(now - daysAgo * DAY);
    const outcome = await giveGift(giver, { ...input, customerId: String(customer._id) }, timezone, at);
    if (!('gift' in outcome)) continue;
    written++;
    if (then === 'approve' && executive) await decideGift(executive, outcome.gift, 'approved', 'A key account: worth keeping', at);
    if (then === 'reverse' && 'gift' in await reverseGift(giver, outcome.gift, 'Entered for the wrong customer', at)) written++;
  }
  return written;
}

import type { Types } from 'mongoose';
import { CustomerModel } from './customer.ts';
import { GiftModel, type GiftRecord } from './gift.ts';
import { moneyText } from './money.ts';
import { notify, type NotificationInput } from './notification.ts';
import { UserModel } from './user.ts';

// A gift beyond its giver's allowance reaches those who decide it (executives and admins, not the giver) in their
// feed, and the decision reaches the giver: each once per gift and person (the natural keys below). The request that
// files or decides a gift notifies at once; the gifts.sweep job does it again every few minutes, which changes
// nothing unless that request stopped in between.

const DAY = 86_400_000;
/** Gifts older than this when first seen are left to the list of pending gifts. */
const LOOK_BACK_DAYS = 30;

type Alerted = Pick<GiftRecord, 'customerId' | 'item' | 'cost' | 'currency' | 'reasonCategory' | 'reason' | 'giverId' | 'giverName' | 'status' | 'decidedAt' | 'decidedByName' | 'decisionComment'> & { _id: Types.ObjectId };

const names = async (gifts: Alerted[]) => new Map((await CustomerModel.find({ _id: { $in: gifts.map((g) => g.customerId) } }, { name: 1 }).lean())
  .map((c) => [String(c._id), c.name]));

function waitingNotices(gifts: Alerted[], deciders: Types.ObjectId[], customerNames: Map<string, string>): NotificationInput[] {
  return gifts.flatMap((g) => deciders.filter((id) => String(id) !== String(g.giverId)).map((userId) => ({
    userId, kind: 'gift.approval' as const, key: `gift.approval:${String(g._id)}:${String(userId)}`,
    title: `Gift waiting for approval: ${g.item} (${moneyText(g.cost, g.currency)}) for ${customerNames.get(String(g.customerId)) ?? 'a customer'}`,
    body: `${g.giverName} gave it (${g.reasonCategory}): ${g.reason}. It is beyond their monthly allowance.`,
    data: {
      giftId: String(g._id), customerId: String(g.customerId), item: g.item, cost: g.cost, currency: g.currency,
      reasonCategory: g.reasonCategory, giverName: g.giverName,
    },
  })));
}

function decidedNotices(gifts: Alerted[], customerNames: Map<string, string>): NotificationInput[] {
  return gifts.filter((g) => g.decidedAt).map((g) => ({
    userId: g.giverId, kind: 'gift.decided' as const, key: `gift.decided:${String(g._id)}`,
    title: `Your gift ${g.item} for ${customerNames.get(String(g.customerId)) ?? 'a customer'} was ${g.status}`,
    body: `${g.decidedByName ?? ''}${g.decisionComment ? `: ${g.decisionComment}` : ''}`,
    data: {
      giftId: String(g._id), customerId: String(g.customerId), item: g.item, cost: g.cost, currency: g.currency,
      decision: g.status, comment: g.decisionComment ?? '', decidedBy: g.decidedByName ?? '',
    },
  }));
}

const decidersNow = async () => (await UserModel.find({ role: { $in: ['executive', 'admin'] }, active: true }, { _id: 1 }).lean()).map((u) => u._id);

/** Tells the deciders of a gift waiting for approval; answers how many notifications are new. */
export async function notifyGiftWaiting(gift: Alerted, now = new Date()): Promise<number> {
  return notify(waitingNotices([gift], await decidersNow(), await names([gift])), now);
}

/** Tells the giver of the decision on their gift; answers how many notifications are new (0 or 1). */
export async function notifyGiftDecided(gift: Alerted, now = new Date()): Promise<number> {
  return notify(decidedNotices([gift], await names([gift])), now);
}

/** Every gift waiting and every decision of the last days that has not reached its people yet; answers how many did now. */
export async function notifyGiftAlerts(now = new Date()): Promise<number> {
  const since = new Date(now.getTime() - LOOK_BACK_DAYS * DAY);
  const waiting = await GiftModel.find({ status: 'pending_approval', createdAt: { $gte: since } }).lean<GiftRecord[]>();
  const decided = await GiftModel.find({ decidedAt: { $gte: since } }).lean<GiftRecord[]>();
  if (!waiting.length && !decided.length) return 0;
  const customerNames = await names([...waiting, ...decided]);
  return notify([...waitingNotices(waiting, waiting.length ? await decidersNow() : [], customerNames), ...decidedNotices(decided, customerNames)], now);
}

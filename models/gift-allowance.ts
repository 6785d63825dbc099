import { Schema, Types, model } from 'mongoose';
import { isDuplicateKeyError } from './db-compat.ts';
import { GiftModel } from './gift.ts';

// What each person has used of their monthly gift allowance, one document per person, month and currency. A gift takes
// its cost from it in one conditional write (`spent <= limit - cost`), so two gifts given at the same moment never both
// fit into an allowance that holds one: the engine applies a single-document write atomically (MongoDB, and the
// embedded engine with its patch 002), and the loser's filter no longer matches. The document lists the gifts that
// took from it and those given back, written in the same single-document writes, so the ledger can be checked against it.
//
// Order of writes, so that a crash in between never lets anyone spend more than allowed: the allowance is taken before
// the gift is written to the ledger (a crash there leaves some allowance taken by no gift: less to spend, never more),
// and a reversal is written to the ledger before its cost is given back. settleAllowances (the gifts.sweep job) then
// finishes what a crash left: it returns what no gift took, and gives back what a reversal did not.

const usageSchema = new Schema(
  {
    // `<userId>:<month>:<currency>`: made once by whichever gift comes first (the unique index settles two at once).
    key: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    month: { type: String, required: true },
    currency: { type: String, required: true },
    // The applied gifts' costs less those given back, minor units.
    spent: { type: Number, required: true, default: 0 },
    // `<gift id>:<cost>` of each gift that took from it (the cost, so that what no gift took can be returned), and the
    // ids of the gifts whose cost was given back; strings, since the engines share only the $pull of a whole value.
    taken: { type: [String], default: [] },
    returned: { type: [String], default: [] },
  },
  { versionKey: false },
);

usageSchema.index({ key: 1 }, { unique: true });
// A person's usage of a month in every currency (GET /me/allowance)
usageSchema.index({ userId: 1, month: 1 });
// settleAllowances: the usage of the last months
usageSchema.index({ month: 1 });

export const GiftUsageModel = model('GiftUsage', usageSchema, 'gift_usage');

export type UsageOf = { userId: string; month: string; currency: string };
const keyOf = (u: UsageOf) => `${u.userId}:${u.month}:${u.currency}`;
const takenBy = (giftId: Types.ObjectId, cost: number) => `${String(giftId)}:${cost}`;

/**
 * Takes `cost` from the allowance `limit` for this gift if what is left holds it; answers whether it did. The condition
 * and the increment are one write, so no other gift can slip in between.
 */
export async function takeAllowance(usage: UsageOf, cost: number, limit: number, giftId: Types.ObjectId): Promise<boolean> {
  if (cost > limit) return false;
  const key = keyOf(usage);
  const take = async () => (await GiftUsageModel.updateOne({ key, spent: { $lte: limit - cost } }, { $inc: { spent: cost }, $push: { taken: takenBy(giftId, cost) } })).matchedCount === 1;
  if (await take()) return true;
  // No match: it does not fit, or there was no document yet (the person's first gift of the month in this currency).
  // Make sure there is one and try once more: that try saw the document, so a miss now means it does not fit (a
  // document made by another gift between the first try and an existence check would otherwise refuse a gift that fits).
  if (!(await GiftUsageModel.exists({ key }))) {
    try {
      await GiftUsageModel.create({ key, userId: new Types.ObjectId(usage.userId), month: usage.month, currency: usage.currency, spent: 0 });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // another gift made it first
    }
  }
  return take();
}

/** Undoes takeAllowance for a gift that was then not written (the ledger refused it); a second call changes nothing. */
export async function untakeAllowance(usage: UsageOf, cost: number, giftId: Types.ObjectId): Promise<void> {
  const taken = takenBy(giftId, cost);
  await GiftUsageModel.updateOne({ key: keyOf(usage), taken }, { $inc: { spent: -cost }, $pull: { taken } });
}

/** Gives a reversed gift's cost back to the allowance of its month; answers 1 if it did, 0 if it had been given back. */
export async function giveBackAllowance(usage: UsageOf, cost: number, giftId: Types.ObjectId): Promise<number> {
  const id = String(giftId);
  const { modifiedCount } = await GiftUsageModel.updateOne({ key: keyOf(usage), taken: takenBy(giftId, cost), returned: { $ne: id } }, { $inc: { spent: -cost }, $push: { returned: id } });
  return modifiedCount;
}

/** What the person has spent of their allowance in the month, per currency. */
export async function spentOf(userId: string, month: string): Promise<Map<string, number>> {
  const rows = await GiftUsageModel.find({ userId: new Types.ObjectId(userId), month }, { currency: 1, spent: 1 }).lean();
  return new Map(rows.map((r) => [r.currency, r.spent]));
}

const DAY = 86_400_000;
/** A gift's entry is written milliseconds after its allowance is taken; one missing after this long never will be. */
const ORPHAN_AFTER_MS = 60 * 60_000;
const LOOK_BACK_DAYS = 40;

/**
 * Finishes what a crash left between the two writes of a gift or a reversal: allowance taken by a gift that was never
 * written is returned, and the cost of an applied gift reversed but not given back is. Both writes are idempotent, so
 * this may run any number of times, in several workers at once. Answers how many of each it did.
 */
export async function settleAllowances(now = new Date()): Promise<{ returned: number; givenBack: number }> {
  const since = new Date(now.getTime() - LOOK_BACK_DAYS * DAY);
  const usages = await GiftUsageModel.find({ month: { $gte: since.toISOString().slice(0, 7) } }, { key: 1, userId: 1, month: 1, currency: 1, taken: 1 }).lean();
  const takes = usages.flatMap((u) => u.taken.map((t) => {
    const [id, cost] = t.split(':');
    return { usage: { userId: String(u.userId), month: u.month, currency: u.currency }, id: new Types.ObjectId(id), cost: Number(cost) };
  })).filter((t) => t.id.getTimestamp().getTime() < now.getTime() - ORPHAN_AFTER_MS);
  const written = new Set((await GiftModel.find({ _id: { $in: takes.map((t) => t.id) } }, { _id: 1 }).lean()).map((g) => String(g._id)));
  const orphans = takes.filter((t) => !written.has(String(t.id)));
  for (const t of orphans) await untakeAllowance(t.usage, t.cost, t.id);

  const reversals = await GiftModel.find({ kind: 'reversal', status: 'applied', createdAt: { $gte: since } }, { giverId: 1, month: 1, currency: 1, cost: 1, reversesId: 1 }).lean();
  let givenBack = 0;
  for (const r of reversals) {
    givenBack += await giveBackAllowance({ userId: String(r.giverId), month: r.month, currency: r.currency }, -r.cost, r.reversesId!);
  }
  return { returned: orphans.length, givenBack };
}

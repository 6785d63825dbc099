import { createHash } from 'node:crypto';
import { Schema, model } from 'mongoose';

// Failed sign-ins per account and address. After a few, each further attempt from that address for that account must
// wait, twice as long each time; the account's owner, signing in from anywhere else, is never locked out, and a
// success clears the count. Kept in the database, so every API process counts the same attempts.

/** The longest wait between two attempts, however many failed. */
export const MAX_WAIT_MS = 15 * 60_000;
/** A count untouched this long starts again from zero (the sweep job removes it). */
export const FORGET_AFTER_MS = 24 * 60 * 60_000;

const throttleSchema = new Schema(
  {
    // SHA-256 of the address and the lowercased e-mail: neither is kept in clear.
    _id: String,
    failures: { type: Number, required: true, default: 0 },
    blockedUntil: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
throttleSchema.index({ updatedAt: 1 });

export const LoginThrottleModel = model('LoginThrottle', throttleSchema, 'login_throttles');

export const throttleKey = (email: string, address: string) => createHash('sha256').update(`${email.trim().toLowerCase()}\n${address}`).digest('hex');

/** How long this account and address must still wait before trying again (0: try now). */
export async function loginWait(key: string, now = new Date()): Promise<number> {
  const throttle = await LoginThrottleModel.findById(key, { blockedUntil: 1, updatedAt: 1 }).lean();
  if (!throttle?.blockedUntil || now.getTime() - throttle.updatedAt.getTime() > FORGET_AFTER_MS) return 0;
  return Math.max(0, throttle.blockedUntil.getTime() - now.getTime());
}

/** Counts a failure; past `free` failures, the next attempt waits 1 s, then 2, 4 ... up to MAX_WAIT_MS. */
export async function loginFailed(key: string, free: number, now = new Date()): Promise<void> {
  const counted = await LoginThrottleModel.findOneAndUpdate(
    { _id: key }, { $inc: { failures: 1 }, $set: { updatedAt: now } }, { upsert: true, returnDocument: 'after' },
  ).lean();
  const over = (counted?.failures ?? 1) - free;
  if (over > 0) {
    const wait = Math.min(1000 * 2 ** Math.min(over - 1, 20), MAX_WAIT_MS);
    await LoginThrottleModel.updateOne({ _id: key }, { $set: { blockedUntil: new Date(now.getTime() + wait) } });
  }
}

export async function loginSucceeded(key: string): Promise<void> {
  await LoginThrottleModel.deleteOne({ _id: key });
}

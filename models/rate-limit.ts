import { Schema, model } from 'mongoose';
import { isDuplicateKeyError } from './db-compat.ts';

// Requests per user and minute, counted in the database so that every API process shares one count (a fixed window:
// one document per user and minute, gone a few minutes later by the sweep job).

const counterSchema = new Schema(
  { _id: String, count: { type: Number, required: true }, expiresAt: { type: Date, required: true } },
  { versionKey: false },
);
counterSchema.index({ expiresAt: 1 });

export const RateCounterModel = model('RateCounter', counterSchema, 'rate_limits');

export type Counted = { count: number; resetAt: Date };

/** Counts one request of the user in the current window; answers the window's count so far and when it ends. */
export async function countRequest(userId: string, windowMs: number, now = Date.now()): Promise<Counted> {
  const start = Math.floor(now / windowMs) * windowMs;
  const resetAt = new Date(start + windowMs);
  const count = () => RateCounterModel.findOneAndUpdate(
    { _id: `${userId}:${start}` }, { $inc: { count: 1 }, $setOnInsert: { expiresAt: resetAt } }, { upsert: true, returnDocument: 'after' },
  ).lean();
  // Two first requests of a window at once: one creates the counter, the other counts on it.
  const counted = await count().catch((err: unknown) => (isDuplicateKeyError(err) ? count() : Promise.reject(err)));
  return { count: counted?.count ?? 1, resetAt };
}

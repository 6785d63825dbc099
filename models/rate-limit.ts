import { Schema, model } from 'mongoose';
import { isDuplicateKeyError } from './db-compat.ts';

// Requests per user and minute, counted in the database so that every API process shares one count (a fixed window:
// one document per user and minute, gone a few minutes later by the sweep job). Each API process adds what it counted
// about once a second (server/rate-limiter.ts), so a request never waits for this write.

const counterSchema = new Schema(
  { _id: String, count: { type: Number, required: true }, expiresAt: { type: Date, required: true } },
  { versionKey: false },
);
counterSchema.index({ expiresAt: 1 });

export const RateCounterModel = model('RateCounter', counterSchema, 'rate_limits');

/**
 * Adds `requests` to the user's count of the window starting at `windowStart`; answers the count of every process
 * so far.
 */
export async function addRequests(userId: string, windowStart: number, windowMs: number, requests: number): Promise<number> {
  const count = () => RateCounterModel.findOneAndUpdate(
    { _id: `${userId}:${windowStart}` },
    { $inc: { count: requests }, $setOnInsert: { expiresAt: new Date(windowStart + windowMs) } },
    { upsert: true, returnDocument: 'after' },
  ).lean();
  // Two processes adding the first requests of a window at once: one creates the counter, the other adds to it.
  const counted = await count().catch((err: unknown) => (isDuplicateKeyError(err) ? count() : Promise.reject(err)));
  return counted?.count ?? requests;
}

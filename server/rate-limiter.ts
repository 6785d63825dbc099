import { addRequests } from '../models/rate-limit.ts';
import type { Config } from './config.ts';

// The per-user request limit of one API process. It counts in memory and adds its counts to the shared ones in the
// database about once a second, learning from the answer what the other processes counted; a request is judged on
// the shared count last seen plus what this process counted since. No request waits for a database write, and all
// processes together let through at most about one second's worth of requests more than the limit.

const WINDOW_MS = 60_000;
const FLUSH_MS = 1000;

type Count = { window: number; shared: number; pending: number };

export class RateLimiter {
  private readonly counts = new Map<string, Count>();
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  readonly limit: number;
  private readonly onError: (err: unknown) => void;

  constructor(limit: number, onError: (err: unknown) => void = () => undefined) {
    this.limit = limit;
    this.onError = onError;
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Counts a request of the user; answers whether it is within the limit, what is left and when the window resets. */
  hit(userId: string, now = Date.now()): { allowed: boolean; remaining: number; resetSeconds: number } {
    const window = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    let count = this.counts.get(userId);
    if (!count || count.window !== window) this.counts.set(userId, count = { window, shared: 0, pending: 0 });
    const resetSeconds = Math.max(1, Math.ceil((window + WINDOW_MS - now) / 1000));
    const used = count.shared + count.pending;
    if (used >= this.limit) return { allowed: false, remaining: 0, resetSeconds };
    count.pending += 1;
    return { allowed: true, remaining: this.limit - used - 1, resetSeconds };
  }

  /** Adds the requests counted since the last flush to the database and takes back the shared counts. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => { this.flushing = undefined; });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const current = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    for (const [userId, count] of this.counts) {
      if (count.window < current) {
        this.counts.delete(userId); // a past window: it no longer decides anything
        continue;
      }
      const requests = count.pending;
      if (!requests) continue;
      count.pending -= requests;
      try {
        const shared = await addRequests(userId, count.window, WINDOW_MS, requests);
        if (this.counts.get(userId) === count) count.shared = Math.max(count.shared, shared);
      } catch (err) {
        count.pending += requests; // tried again at the next flush
        this.onError(err);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// One limiter per configuration, that is per API process (tests that build two apps with two configurations get two,
// as two processes would).
const limiters = new WeakMap<Config, RateLimiter>();

export function rateLimiterFor(config: Config): RateLimiter | undefined {
  if (config.rateLimitPerMinute <= 0) return undefined;
  let limiter = limiters.get(config);
  if (!limiter) limiters.set(config, limiter = new RateLimiter(config.rateLimitPerMinute));
  return limiter;
}

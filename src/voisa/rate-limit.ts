/**
 * Client-side token bucket, so that a burst waits instead of drawing 429s.
 *
 * For a limit of N requests per minute the bucket holds `burst = clamp(floor(N / 10), 1, 10)`
 * tokens (10 for the default 100/min) and refills at `N - burst` tokens per minute. Any
 * 60-second window then holds at most `burst + (N - burst) = N` requests, so even a server
 * with a sliding one-minute window is never exceeded. With the default 100/min: 10 requests
 * at once, then one every 667 ms.
 *
 * Waiters reserve tokens in arrival order (the balance goes negative), so concurrent
 * callers are spaced evenly; a waiter that is aborted hands its token back.
 */
import { sleep } from './retry.js';

export class TokenBucket {
  readonly capacity: number;
  /** Tokens per millisecond. */
  readonly refillPerMs: number;
  #tokens: number;
  #updatedAt: number;
  readonly #now: () => number;

  constructor(perMinute: number, now: () => number = Date.now) {
    if (!(perMinute > 0)) throw new Error('TokenBucket needs a positive rate');
    this.capacity = Math.min(10, Math.max(1, Math.floor(perMinute / 10)));
    const refillPerMinute = perMinute > this.capacity ? perMinute - this.capacity : perMinute;
    this.refillPerMs = refillPerMinute / 60_000;
    this.#tokens = this.capacity;
    this.#now = now;
    this.#updatedAt = now();
  }

  /** Takes a token; returns how long the caller must wait before using it (0 = go now). */
  reserve(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.capacity, this.#tokens + (now - this.#updatedAt) * this.refillPerMs);
    this.#updatedAt = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil(-this.#tokens / this.refillPerMs);
  }

  /** Returns a reserved token that was not used. */
  release(): void {
    this.#tokens = Math.min(this.capacity, this.#tokens + 1);
  }

  /**
   * Reserves a token and waits for it; `onWait` is told the wait before it starts.
   * A wait longer than `maxWaitMs` is not started: the token is handed back and the
   * answer says how long it would have been (`waited: false`), so the caller can fail at once.
   */
  async take(
    signal: AbortSignal | undefined,
    onWait: (waitMs: number) => void,
    maxWaitMs = Number.POSITIVE_INFINITY,
  ): Promise<{ waited: boolean; waitMs: number }> {
    const waitMs = this.reserve();
    if (waitMs === 0) return { waited: true, waitMs };
    if (waitMs > maxWaitMs) {
      this.release();
      return { waited: false, waitMs };
    }
    onWait(waitMs);
    try {
      await sleep(waitMs, signal);
    } catch (err) {
      this.release();
      throw err;
    }
    return { waited: true, waitMs };
  }
}

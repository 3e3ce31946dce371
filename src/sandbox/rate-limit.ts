/** Per-key sliding-window rate limiter (requests per 60 s). */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Records a hit; returns `{ ok: false, retryAfterSec }` when over the limit. */
  hit(key: string, now = Date.now()): { ok: true; remaining: number } | { ok: false; retryAfterSec: number } {
    if (this.perMinute <= 0) return { ok: true, remaining: Number.POSITIVE_INFINITY };
    const windowStart = now - 60_000;
    const list = (this.hits.get(key) ?? []).filter((t) => t > windowStart);
    if (list.length >= this.perMinute) {
      this.hits.set(key, list);
      const oldest = list[0] ?? now;
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000)) };
    }
    list.push(now);
    this.hits.set(key, list);
    return { ok: true, remaining: this.perMinute - list.length };
  }

  get limit(): number {
    return this.perMinute;
  }

  reset(): void {
    this.hits.clear();
  }
}

/**
 * Single use of a confirmation: each sealed `requestState` carries a random nonce, and the retry that
 * acts on it (goes ahead, or records a decline) first claims the nonce here. The first claim wins; a
 * copy of the same retry, sent again, at once, or to another instance, finds it taken.
 *
 * Shared between instances through Redis (`SET NX PX`, src/scale/stores.ts), else in this process
 * (below). A store that cannot say answers `unavailable`, and the caller refuses to go ahead.
 */

export type Claim = 'claimed' | 'used' | 'unavailable';

export interface SingleUse {
  /** Claims `nonce` for `ttlMs` (the rest of its state's life): `claimed` the first time, `used` after. */
  claim(nonce: string, ttlMs: number): Promise<Claim>;
}

/** Nonces kept in memory at most; past it, with none expired, claims are refused (fail closed). */
export const MAX_CLAIMS = 50_000;

/**
 * One process's claims (stdio, or one HTTP instance without Redis): nonce → expiry, bounded. A full
 * map of unexpired claims refuses new ones rather than forget a claim that still counts (forgetting
 * it would let that confirmation be used again); expired ones are swept at most once per expiry.
 */
export class MemorySingleUse implements SingleUse {
  readonly #until = new Map<string, number>();
  /** No claim in the map expires before this: a sweep before it would free nothing. */
  #nextExpiry = 0;

  constructor(
    private readonly max = MAX_CLAIMS,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(nonce: string, ttlMs: number): Promise<Claim> {
    const now = this.now();
    const until = this.#until.get(nonce);
    if (until !== undefined && until > now) return 'used';
    if (until === undefined && this.#until.size >= this.max && !this.#sweep(now)) return 'unavailable';
    const expiry = now + Math.max(1, ttlMs);
    this.#until.set(nonce, expiry);
    this.#nextExpiry = Math.min(this.#nextExpiry, expiry);
    return 'claimed';
  }

  get size(): number {
    return this.#until.size;
  }

  /** Drops the expired claims; whether any room was made. */
  #sweep(now: number): boolean {
    if (now < this.#nextExpiry) return false;
    let next = Number.POSITIVE_INFINITY;
    for (const [nonce, until] of this.#until) {
      if (until <= now) this.#until.delete(nonce);
      else next = Math.min(next, until);
    }
    this.#nextExpiry = next;
    return this.#until.size < this.max;
  }
}

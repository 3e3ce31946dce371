/**
 * Fair shares of a connection pool among API keys. Every client made by `withApiKey` (one per key
 * in the HTTP server) shares its parent's undici pools; without a share, one key with 40 slow calls
 * takes every connection and the next key's call queues behind them. Here each key gets a lane:
 * at most `perKey` of its requests hold a slot of the pool at once (below the pool's size, so
 * another key finds a free connection), and when slots are scarce the lanes with waiting requests
 * take turns (round robin), each lane's own requests in arrival order. A lane's wait is bounded:
 * past `maxQueuedPerKey` waiting requests the next one fails at once (RateLimitError, nothing sent).
 * Knows nothing of MCP.
 */
import { ApiAbortError, RateLimitError } from './errors.js';

/** Requests one key may have waiting for a slot of one pool before the next fails at once. */
export const DEFAULT_MAX_QUEUED_PER_KEY = 256;

interface Waiter {
  grant: (release: () => void) => void;
}

export class FairShare {
  #running = 0;
  /** Lanes with waiting requests, in turn order. */
  readonly #turns: Lane[] = [];

  /**
   * `capacity`: the pool's connections; `perKey`: most slots one lane holds at once (at most
   * `capacity`); `maxQueuedPerKey`: most requests one lane keeps waiting.
   */
  constructor(
    readonly capacity: number,
    readonly perKey: number,
    readonly maxQueuedPerKey = DEFAULT_MAX_QUEUED_PER_KEY,
  ) {
    if (!(capacity >= 1 && perKey >= 1))
      throw new Error('FairShare needs a capacity and a share of at least 1');
    this.perKey = Math.min(perKey, capacity);
  }

  /** Slots held now, all lanes together. */
  get running(): number {
    return this.#running;
  }

  /** A new lane (one per key). */
  lane(): Lane {
    return new Lane(this);
  }

  /** Used by Lane: whether a slot may be given to `lane` now, ahead of nobody. */
  canGrant(lane: Lane): boolean {
    // With a slot free, every waiting lane is at its share (else it would have been served), so
    // serving this lane now passes nobody.
    return this.#running < this.capacity && lane.running < this.perKey && lane.waiting === 0;
  }

  /** Used by Lane: takes a slot for `lane`; returns its release. */
  take(lane: Lane): () => void {
    this.#running++;
    lane.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      lane.running--;
      this.#serve();
    };
  }

  /** Used by Lane: `lane` has a new waiting request. */
  queued(lane: Lane): void {
    if (!this.#turns.includes(lane)) this.#turns.push(lane);
    this.#serve();
  }

  /** Gives free slots to waiting lanes in turn. */
  #serve(): void {
    while (this.#running < this.capacity) {
      const i = this.#turns.findIndex((l) => l.running < this.perKey);
      if (i < 0) return;
      const [lane] = this.#turns.splice(i, 1) as [Lane];
      const waiter = lane.next();
      if (!waiter) continue;
      if (lane.waiting > 0) this.#turns.push(lane); // its next request waits for its next turn
      waiter.grant(this.take(lane));
    }
  }
}

export class Lane {
  running = 0;
  readonly #queue: Waiter[] = [];

  constructor(private readonly share: FairShare) {}

  get waiting(): number {
    return this.#queue.length;
  }

  /** Used by FairShare: the oldest waiting request. */
  next(): Waiter | undefined {
    return this.#queue.shift();
  }

  /**
   * Waits for a slot; resolves to its release (call it once the request is done with its
   * connection). Rejects with ApiAbortError when `signal` fires first, and at once with
   * RateLimitError when this key already has `maxQueuedPerKey` requests waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new ApiAbortError());
    if (this.share.canGrant(this)) return Promise.resolve(this.share.take(this));
    if (this.#queue.length >= this.share.maxQueuedPerKey) {
      return Promise.reject(
        new RateLimitError({
          status: 429,
          code: 'TOO_MANY_CONCURRENT_REQUESTS',
          message: `this API key already has ${this.share.perKey} requests in flight and ${this.#queue.length} waiting on this client; nothing was sent, retry once some have answered`,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(new ApiAbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
      this.share.queued(this);
    });
  }
}

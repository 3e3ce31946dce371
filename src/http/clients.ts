/**
 * One VOISA client per API key, shared by every session and request using that
 * key (so they share the key's client-side rate limit), released when unused.
 * The server's own key uses the base client. Only keys VOISA accepted get here
 * (see KeyVerifier), and at most `max` are kept: past that, the least recently
 * used client nobody holds is closed and dropped. A call VOISA answers with 401
 * INVALID_API_KEY (the key was rotated or revoked since it was checked) is reported
 * with `onKeyRefused(hash)`.
 */
import type { ClientEvent, VoisaClient } from '../voisa/index.js';

interface Entry {
  client: VoisaClient;
  refs: number;
  lastUsed: number;
}

export const DEFAULT_MAX_CLIENTS = 1000;

export class ClientPool {
  /** In order of use, least recent first (an entry is moved to the end when acquired). */
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly base: VoisaClient,
    private readonly baseKeyHash: string | undefined,
    private readonly idleMs = 5 * 60_000,
    readonly max = DEFAULT_MAX_CLIENTS,
    private readonly onKeyRefused?: (hash: string) => void,
  ) {}

  /** The client for a key; pair with `release(hash)`. */
  acquire(key: string, hash: string): VoisaClient {
    const entry = this.#entry(key, hash);
    entry.refs++;
    return entry.client;
  }

  release(hash: string): void {
    const entry = this.#entries.get(hash);
    if (!entry) return;
    entry.refs = Math.max(0, entry.refs - 1);
    entry.lastUsed = Date.now();
    if (this.#entries.size > this.max) this.#shrinkTo(this.max); // it may have been over while in use
  }

  /** Closes clients unused for the idle period. */
  sweep(now = Date.now()): void {
    for (const [hash, entry] of this.#entries) {
      if (entry.refs === 0 && now - entry.lastUsed > this.idleMs) this.#drop(hash, entry);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.allSettled(all.map((e) => e.client.close()));
  }

  #entry(key: string, hash: string): Entry {
    if (hash === this.baseKeyHash) return { client: this.base, refs: 0, lastUsed: 0 };
    let entry = this.#entries.get(hash);
    if (entry) {
      this.#entries.delete(hash); // re-inserted below: most recently used last
    } else {
      this.#shrinkTo(this.max - 1);
      const onEvent = this.onKeyRefused && refusalsOf(hash, this.onKeyRefused);
      entry = {
        client: this.base.withApiKey(key, onEvent ? { onEvent } : {}),
        refs: 0,
        lastUsed: Date.now(),
      };
    }
    this.#entries.set(hash, entry);
    entry.lastUsed = Date.now();
    return entry;
  }

  /**
   * Drops the least recently used clients nobody holds until at most `limit`
   * remain. Clients in use are never dropped, so the pool can exceed the cap
   * while they are (it is then bounded by live sessions and in-flight requests,
   * all with keys VOISA accepted), and shrinks back as they are released.
   */
  #shrinkTo(limit: number): void {
    for (const [hash, entry] of this.#entries) {
      if (this.#entries.size <= limit) return;
      if (entry.refs === 0) this.#drop(hash, entry);
    }
  }

  #drop(hash: string, entry: Entry): void {
    this.#entries.delete(hash);
    void entry.client.close().catch(() => {});
  }
}

/** The client observer that reports VOISA refusing the key (401 INVALID_API_KEY) on any call. */
function refusalsOf(hash: string, report: (hash: string) => void): (e: ClientEvent) => void {
  return (e) => {
    if (e.type === 'upstream_error' && e.status === 401 && e.code === 'INVALID_API_KEY') report(hash);
  };
}

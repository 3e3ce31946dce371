/**
 * One VOISA client per API key, shared by every session and request using that
 * key (so they share the key's client-side rate limit), released when unused.
 * The server's own key uses the base client.
 */
import type { VoisaClient } from '../voisa/index.js';

interface Entry {
  client: VoisaClient;
  refs: number;
  lastUsed: number;
}

export class ClientPool {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly base: VoisaClient,
    private readonly baseKeyHash: string | undefined,
    private readonly idleMs = 5 * 60_000,
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
  }

  /** Closes clients unused for the idle period. */
  sweep(now = Date.now()): void {
    for (const [hash, entry] of this.#entries) {
      if (entry.refs === 0 && now - entry.lastUsed > this.idleMs) {
        this.#entries.delete(hash);
        void entry.client.close().catch(() => {});
      }
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
    if (!entry) {
      entry = { client: this.base.withApiKey(key), refs: 0, lastUsed: Date.now() };
      this.#entries.set(hash, entry);
    }
    entry.lastUsed = Date.now();
    return entry;
  }
}

/**
 * Where the authorization server keeps its state (grants, codes, refresh-token families, sessions,
 * registered clients, sign-in counters): a small key-value face with two bodies, this process's
 * memory (lost on restart) or Redis (`--redis-url`: any instance serves any user, restarts lose nothing).
 */
import type { RedisLink } from '../scale/redis.js';

export interface OAuthKv {
  readonly mode: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  /** Sets with a time to live in seconds (none: until deleted). */
  set(key: string, value: string, ttlSec?: number): Promise<void>;
  /** Replaces the value, keeping the time to live; false when the key is gone. */
  replace(key: string, value: string): Promise<boolean>;
  del(keys: string[]): Promise<void>;
  /** Adds to a set and makes the set live at least `ttlSec` more. */
  addToSet(key: string, member: string, ttlSec: number): Promise<void>;
  members(key: string): Promise<string[]>;
  /** Counts one more in a window of `windowSec` that starts at the first count; returns the count. */
  count(key: string, windowSec: number): Promise<{ count: number; resetSec: number }>;
}

interface Entry {
  value: string | Set<string>;
  expires: number;
}

/** In this process: bounded, expired entries swept as they are met and on every write. */
export class MemoryKv implements OAuthKv {
  readonly mode = 'memory';
  readonly #map = new Map<string, Entry>();
  #writes = 0;

  constructor(private readonly max = 100_000) {}

  #live(key: string): Entry | undefined {
    const e = this.#map.get(key);
    if (e && e.expires <= Date.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return e;
  }

  #put(key: string, entry: Entry): void {
    this.#map.delete(key);
    if (++this.#writes % 1000 === 0) this.sweep();
    if (this.#map.size >= this.max) this.#map.delete(this.#map.keys().next().value as string);
    this.#map.set(key, entry);
  }

  sweep(now = Date.now()): void {
    for (const [k, e] of this.#map) if (e.expires <= now) this.#map.delete(k);
  }

  async get(key: string) {
    const v = this.#live(key)?.value;
    return typeof v === 'string' ? v : undefined;
  }
  async set(key: string, value: string, ttlSec?: number) {
    this.#put(key, { value, expires: ttlSec ? Date.now() + ttlSec * 1000 : Number.POSITIVE_INFINITY });
  }
  async replace(key: string, value: string) {
    const e = this.#live(key);
    if (!e) return false;
    e.value = value;
    return true;
  }
  async del(keys: string[]) {
    for (const k of keys) this.#map.delete(k);
  }
  async addToSet(key: string, member: string, ttlSec: number) {
    const e = this.#live(key);
    const expires = Math.max(e?.expires ?? 0, Date.now() + ttlSec * 1000);
    const set = e && e.value instanceof Set ? e.value : new Set<string>();
    set.add(member);
    this.#put(key, { value: set, expires });
  }
  async members(key: string) {
    const v = this.#live(key)?.value;
    return v instanceof Set ? [...v] : [];
  }
  async count(key: string, windowSec: number) {
    const e = this.#live(key);
    const n = (typeof e?.value === 'string' ? Number(e.value) : 0) + 1;
    const expires = e?.expires ?? Date.now() + windowSec * 1000;
    this.#put(key, { value: String(n), expires });
    return { count: n, resetSec: Math.max(1, Math.ceil((expires - Date.now()) / 1000)) };
  }
}

/** In Redis, under the link's prefix and `oauth:`. A Redis fault is thrown: OAuth state is never guessed. */
export class RedisKv implements OAuthKv {
  readonly mode = 'redis';
  constructor(private readonly link: RedisLink) {}

  #k(key: string) {
    return `${this.link.prefix}oauth:${key}`;
  }
  async get(key: string) {
    return (await this.link.command.get(this.#k(key))) ?? undefined;
  }
  async set(key: string, value: string, ttlSec?: number) {
    if (ttlSec) await this.link.command.set(this.#k(key), value, 'EX', Math.max(1, Math.ceil(ttlSec)));
    else await this.link.command.set(this.#k(key), value);
  }
  async replace(key: string, value: string) {
    return (await this.link.command.set(this.#k(key), value, 'KEEPTTL', 'XX')) === 'OK';
  }
  async del(keys: string[]) {
    if (keys.length) await this.link.command.del(...keys.map((k) => this.#k(k)));
  }
  async addToSet(key: string, member: string, ttlSec: number) {
    const k = this.#k(key);
    const ttl = Math.max(1, Math.ceil(ttlSec));
    await this.link.command.multi().sadd(k, member).expire(k, ttl, 'GT').expire(k, ttl, 'NX').exec();
  }
  async members(key: string) {
    return this.link.command.smembers(this.#k(key));
  }
  async count(key: string, windowSec: number) {
    const k = this.#k(key);
    const replies = await this.link.command.multi().incr(k).expire(k, windowSec, 'NX').ttl(k).exec();
    const count = Number(replies?.[0]?.[1] ?? 1);
    const ttl = Number(replies?.[2]?.[1] ?? windowSec);
    return { count, resetSec: Math.max(1, ttl) };
  }
}

export function oauthKv(link?: RedisLink): OAuthKv {
  return link ? new RedisKv(link) : new MemoryKv();
}

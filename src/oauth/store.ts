/**
 * Where the authorization server keeps its state (grants, codes, refresh-token families, sessions,
 * registered clients, sign-in counters): a small key-value face with two bodies, this process's
 * memory (lost on restart) or Redis (`--redis-url`: any instance serves any user, restarts lose nothing).
 *
 * Every key belongs to a kind (its name's prefix: see `kindOf`), and each kind has its own bound, so
 * what anyone can create without signing in (interactions, registered clients, per-address counters)
 * can only push out older entries of its own kind, never a signed-in user's grant or tokens. In
 * memory each kind is its own LRU; in Redis the kinds anyone can create keep an index of their keys,
 * trimmed to the bound on every write (tokens and grants exist only after a sign-in, and expire).
 */
import type { RedisLink } from '../scale/redis.js';

export type OAuthKind =
  | 'interaction'
  | 'session'
  | 'grant'
  | 'token'
  | 'client'
  /** Sign-in failures and registrations per address or account. */
  | 'counter'
  /** Requests per address per minute (the flood guard of the OAuth endpoints). */
  | 'rate'
  | 'other';

/** Entries of each kind at most (memory; in Redis for the kinds anyone can create). */
export const KIND_LIMITS: Readonly<Record<OAuthKind, number>> = {
  interaction: 20_000,
  session: 20_000,
  grant: 100_000,
  token: 300_000,
  client: 20_000,
  counter: 50_000,
  rate: 100_000,
  other: 10_000,
};

/** Kinds whose Redis keys are indexed and trimmed to their bound (the ones anyone can create). */
const REDIS_BOUNDED: readonly OAuthKind[] = ['interaction', 'client'];

const PREFIX_KIND: Record<string, OAuthKind> = {
  Interaction: 'interaction',
  Session: 'session',
  sessionUid: 'session',
  /** The connected-apps page's sign-ins (account-page.ts). */
  acctsession: 'session',
  Grant: 'grant',
  grant: 'grant',
  AccessToken: 'token',
  RefreshToken: 'token',
  AuthorizationCode: 'token',
  Client: 'client',
  signin: 'counter',
  rate: 'rate',
};

/** The kind of a key: the part of its name before the first colon. */
export function kindOf(key: string): OAuthKind {
  return PREFIX_KIND[key.slice(0, key.indexOf(':'))] ?? 'other';
}

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
  removeFromSet(key: string, members: string[]): Promise<void>;
  /** Counts one more in a window of `windowSec` that starts at the first count; returns the count. */
  count(key: string, windowSec: number): Promise<{ count: number; resetSec: number }>;
  /** Takes back one count (never below zero), in the same window; nothing when the window is over. */
  uncount(key: string): Promise<void>;
}

interface Entry {
  value: string | Set<string>;
  expires: number;
}

/** In this process: one LRU per kind, expired entries swept as they are met and on every write. */
export class MemoryKv implements OAuthKv {
  readonly mode = 'memory';
  readonly #kinds = new Map<OAuthKind, Map<string, Entry>>();
  readonly #limits: Record<OAuthKind, number>;
  #writes = 0;

  constructor(limits: Partial<Record<OAuthKind, number>> = {}) {
    this.#limits = { ...KIND_LIMITS, ...limits };
  }

  #map(key: string): Map<string, Entry> {
    const kind = kindOf(key);
    const map = this.#kinds.get(kind) ?? new Map<string, Entry>();
    this.#kinds.set(kind, map);
    return map;
  }

  #live(key: string): Entry | undefined {
    const map = this.#map(key);
    const e = map.get(key);
    if (e && e.expires <= Date.now()) {
      map.delete(key);
      return undefined;
    }
    return e;
  }

  #put(key: string, entry: Entry): void {
    const map = this.#map(key);
    map.delete(key);
    if (++this.#writes % 1000 === 0) this.sweep();
    if (map.size >= this.#limits[kindOf(key)]) map.delete(map.keys().next().value as string);
    map.set(key, entry);
  }

  sweep(now = Date.now()): void {
    for (const map of this.#kinds.values()) for (const [k, e] of map) if (e.expires <= now) map.delete(k);
  }

  /** Entries held per kind (expired ones not yet swept included). */
  sizes(): Record<OAuthKind, number> {
    const out = Object.fromEntries(Object.keys(KIND_LIMITS).map((k) => [k, 0])) as Record<OAuthKind, number>;
    for (const [kind, map] of this.#kinds) out[kind] = map.size;
    return out;
  }

  /** Every key and value held (sets as their members), for tests that look for secrets at rest. */
  dump(): [string, string[]][] {
    return [...this.#kinds.values()].flatMap((map) =>
      [...map].map(([k, e]): [string, string[]] => [
        k,
        typeof e.value === 'string' ? [e.value] : [...e.value],
      ]),
    );
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
    for (const k of keys) this.#map(k).delete(k);
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
  async removeFromSet(key: string, members: string[]) {
    const v = this.#live(key)?.value;
    if (v instanceof Set) for (const m of members) v.delete(m);
  }
  async count(key: string, windowSec: number) {
    const e = this.#live(key);
    const n = (typeof e?.value === 'string' ? Number(e.value) : 0) + 1;
    const expires = e?.expires ?? Date.now() + windowSec * 1000;
    this.#put(key, { value: String(n), expires });
    return { count: n, resetSec: Math.max(1, Math.ceil((expires - Date.now()) / 1000)) };
  }
  async uncount(key: string) {
    const e = this.#live(key);
    if (e && typeof e.value === 'string') e.value = String(Math.max(0, Number(e.value) - 1));
  }
}

/**
 * SET with an optional TTL, then the key into its kind's index (scored by time), and the index trimmed
 * to the bound: the oldest keys past it are deleted. KEYS: the key, the index. ARGV: value, TTL (s, 0:
 * none), now (ms), bound, the kind's longest life (ms).
 */
const SET_BOUNDED = `
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[5]))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1`;
/** DECR only while the window lives, never below zero. */
const UNCOUNT = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 1`;
/** An index entry outlives its key by at most this: the longest-lived bounded kind (clients, 90 days). */
const INDEX_LIFE_MS = 91 * 24 * 3600 * 1000;

/** In Redis, under the link's prefix and `oauth:`. A Redis fault is thrown: OAuth state is never guessed. */
export class RedisKv implements OAuthKv {
  readonly mode = 'redis';
  readonly #limits: Record<OAuthKind, number>;
  constructor(
    private readonly link: RedisLink,
    limits: Partial<Record<OAuthKind, number>> = {},
  ) {
    this.#limits = { ...KIND_LIMITS, ...limits };
  }

  #k(key: string) {
    return `${this.link.prefix}oauth:${key}`;
  }
  async get(key: string) {
    return (await this.link.command.get(this.#k(key))) ?? undefined;
  }
  async set(key: string, value: string, ttlSec?: number) {
    const kind = kindOf(key);
    const ttl = ttlSec ? Math.max(1, Math.ceil(ttlSec)) : 0;
    if (REDIS_BOUNDED.includes(kind)) {
      await this.link.command.eval(
        SET_BOUNDED,
        2,
        this.#k(key),
        this.#k(`index:${kind}`),
        value,
        ttl,
        Date.now(),
        this.#limits[kind],
        INDEX_LIFE_MS,
      );
    } else if (ttl) await this.link.command.set(this.#k(key), value, 'EX', ttl);
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
  async removeFromSet(key: string, members: string[]) {
    if (members.length) await this.link.command.srem(this.#k(key), ...members);
  }
  async count(key: string, windowSec: number) {
    const k = this.#k(key);
    const replies = await this.link.command.multi().incr(k).expire(k, windowSec, 'NX').ttl(k).exec();
    const count = Number(replies?.[0]?.[1] ?? 1);
    const ttl = Number(replies?.[2]?.[1] ?? windowSec);
    return { count, resetSec: Math.max(1, ttl) };
  }
  async uncount(key: string) {
    await this.link.command.eval(UNCOUNT, 1, this.#k(key));
  }
}

export function oauthKv(link?: RedisLink, limits?: Partial<Record<OAuthKind, number>>): OAuthKv {
  return link ? new RedisKv(link, limits) : new MemoryKv(limits);
}

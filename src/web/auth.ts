/**
 * Who may call, with which VOISA key. A request's key is its `Authorization:
 * Bearer` token, or the server's own key when the server listens on loopback
 * only. Keys are only ever held in memory; caches and session ids use hashes.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { AuthenticationError, PermissionDeniedError, type VoisaClient } from '../voisa/index.js';

/** SHA-256 of a key, hex: what caches and session bindings are keyed by. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export type KeyResolution =
  | { ok: true; key: string; hash: string; fromServer: boolean }
  | { ok: false; status: 401; message: string };

/** The key a request acts with, or why it has none. */
export function resolveKey(
  authorization: string | undefined,
  server: { key?: string; loopbackOnly: boolean },
): KeyResolution {
  if (authorization !== undefined && authorization.trim() !== '') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m?.[1])
      return { ok: false, status: 401, message: 'Authorization must be "Bearer <VOISA API key>".' };
    return { ok: true, key: m[1], hash: hashKey(m[1]), fromServer: false };
  }
  if (server.key && server.loopbackOnly)
    return { ok: true, key: server.key, hash: hashKey(server.key), fromServer: true };
  return {
    ok: false,
    status: 401,
    message: server.key
      ? 'Authorization: Bearer <VOISA API key> is required (this server is reachable beyond loopback, so it does not lend its own key).'
      : 'Authorization: Bearer <VOISA API key> is required.',
  };
}

/**
 * A session id bound to the key that opened it: `<salt>.<tag>`, the tag being
 * HMAC(salt, key hash). A request can be checked against the id without looking
 * the session up, so another key gets the same 403 whether the session exists or not.
 * With several instances it ends in `.<instance id>`, so a balancer can send the
 * session's requests to the instance that holds it (deploy/nginx/voisa-mcp.conf).
 */
export function newSessionId(keyHash: string, instanceId?: string): string {
  const salt = randomBytes(16).toString('base64url');
  return `${salt}.${sessionTag(salt, keyHash)}${instanceId ? `.${instanceId}` : ''}`;
}

/** What an instance id may be (it travels in session ids and nginx maps). */
export const INSTANCE_ID = /^[a-z0-9-]{1,32}$/;

export function sessionIdMatchesKey(sessionId: string, keyHash: string): boolean {
  const [salt, tag, instance, extra] = sessionId.split('.');
  if (!salt || !tag || extra !== undefined) return false;
  if (instance !== undefined && !INSTANCE_ID.test(instance)) return false;
  const expected = Buffer.from(sessionTag(salt, keyHash));
  const given = Buffer.from(tag);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function sessionTag(salt: string, keyHash: string): string {
  return createHmac('sha256', salt).update(`voisa-mcp-session:${keyHash}`).digest('base64url').slice(0, 22);
}

export type Verdict = 'valid' | 'invalid';

export interface VerifierLimits {
  /** How long a valid verdict is trusted. */
  validMs: number;
  /** How long an invalid verdict is remembered (the negative cache: a bad key retried is not re-sent to VOISA). */
  invalidMs: number;
  /** Bound on each cache; valid and invalid verdicts are kept apart so a storm of bad keys cannot evict good ones. */
  max: number;
}

/**
 * Checks keys with `GET /api/verify`, caching the verdict by key hash and sharing
 * one upstream call between concurrent checks. 401 is invalid; 403 is a genuine
 * key without `read`. Other failures are thrown, not cached.
 *
 * Nothing per key outlives a refusal: each check uses a throwaway client from
 * `clientFor` (it shares the base client's connection pool), and only the
 * verdict, under the key's hash, is kept, in bounded caches.
 */
/** Verdicts shared by every instance (Redis), so a key checked on one is not re-checked by the others. */
export interface VerdictStore {
  /** Undefined when unknown, or when the store cannot be reached. */
  get(hash: string): Promise<Verdict | undefined>;
  set(hash: string, verdict: Verdict, ttlMs: number): Promise<void>;
  /** Drops the verdict (VOISA refused a key it had accepted); a failure to reach the store is swallowed. */
  forget(hash: string): Promise<void>;
}

export class KeyVerifier {
  readonly #valid = new Map<string, number>();
  readonly #invalid = new Map<string, number>();
  readonly #pending = new Map<string, Promise<Verdict>>();
  readonly #limits: VerifierLimits;

  constructor(
    private readonly clientFor: (key: string) => VoisaClient,
    limits: Partial<VerifierLimits> = {},
    private readonly shared?: VerdictStore,
  ) {
    this.#limits = { validMs: 60_000, invalidMs: 60_000, max: 10_000, ...limits };
  }

  /** The cached verdict on the key behind `hash`, if still fresh; never calls VOISA. */
  cached(hash: string, now = Date.now()): Verdict | undefined {
    if ((this.#valid.get(hash) ?? 0) > now) return 'valid';
    if ((this.#invalid.get(hash) ?? 0) > now) return 'invalid';
    return undefined;
  }

  /** The verdict on `key` (whose hash is `hash`), from the cache or VOISA. */
  async verify(hash: string, key: string): Promise<Verdict> {
    const cached = this.cached(hash);
    if (cached) return cached;
    let pending = this.#pending.get(hash);
    if (!pending) {
      pending = this.#check(hash, key).finally(() => this.#pending.delete(hash));
      this.#pending.set(hash, pending);
    }
    return pending;
  }

  async #check(hash: string, key: string): Promise<Verdict> {
    const known = await this.shared?.get(hash);
    if (known) {
      this.#remember(hash, known);
      return known;
    }
    let verdict: Verdict;
    const api = this.clientFor(key);
    try {
      const result = await api.auth.verify({ signal: AbortSignal.timeout(15_000) });
      verdict = result.valid === false ? 'invalid' : 'valid';
    } catch (err) {
      // 403: the key is genuine but may not read; its permissions are enforced call by call upstream.
      if (err instanceof PermissionDeniedError) verdict = 'valid';
      else if (err instanceof AuthenticationError) verdict = 'invalid';
      else throw err;
    } finally {
      void api.close().catch(() => {});
    }
    const ttl = this.#remember(hash, verdict);
    void this.shared?.set(hash, verdict, ttl);
    return verdict;
  }

  /**
   * Drops a "valid" verdict: VOISA refused the key on a call made with it (rotated or revoked since it
   * was checked), so the next check asks VOISA again instead of trusting the verdict for its minute.
   * Here at once; in the shared store (other instances) by the time the promise settles.
   */
  forget(hash: string): Promise<void> {
    this.#valid.delete(hash);
    return this.shared?.forget(hash) ?? Promise.resolve();
  }

  /** Caches a verdict here; returns how long it is trusted. */
  #remember(hash: string, verdict: Verdict): number {
    const cache = verdict === 'valid' ? this.#valid : this.#invalid;
    const ttl = verdict === 'valid' ? this.#limits.validMs : this.#limits.invalidMs;
    cache.delete(hash);
    if (cache.size >= this.#limits.max) cache.delete(cache.keys().next().value as string); // oldest
    cache.set(hash, Date.now() + ttl);
    return ttl;
  }
}

/**
 * Per-address limit on failed key checks: after `max` within a minute from one
 * address, further unverified keys from it get 429 without asking VOISA, until
 * the minute is over. IPv6 addresses count per /64 (one host usually holds
 * a whole /64). Bounded: at most `maxAddresses` are tracked.
 */
export class RefusalLimiter {
  readonly #counts = new Map<string, { count: number; since: number }>();

  constructor(
    readonly max = 10,
    readonly windowMs = 60_000,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Seconds until `address` may try an unverified key again, or undefined if it may now. */
  retryAfter(address: string, now = Date.now()): number | undefined {
    const entry = this.#counts.get(addressBucket(address));
    if (!entry || now - entry.since >= this.windowMs || entry.count < this.max) return undefined;
    return Math.max(1, Math.ceil((entry.since + this.windowMs - now) / 1000));
  }

  /** Counts one refused key from `address`. */
  refused(address: string, now = Date.now()): void {
    const bucket = addressBucket(address);
    const entry = this.#counts.get(bucket);
    if (entry && now - entry.since < this.windowMs) {
      entry.count++;
      return;
    }
    this.#counts.delete(bucket);
    if (this.#counts.size >= this.maxAddresses) this.sweep(now);
    if (this.#counts.size >= this.maxAddresses)
      this.#counts.delete(this.#counts.keys().next().value as string);
    this.#counts.set(bucket, { count: 1, since: now });
  }

  /** Forgets addresses whose minute is over. */
  sweep(now = Date.now()): void {
    for (const [bucket, entry] of this.#counts)
      if (now - entry.since >= this.windowMs) this.#counts.delete(bucket);
  }

  get size(): number {
    return this.#counts.size;
  }
}

/** The unit an address is limited by: the address itself, or its /64 for IPv6. */
export function addressBucket(address: string): string {
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(a) !== 6) return a;
  const [head = '', tail] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** What a tally counts, for its log line ("refused 3 requests with invalid API keys from 2 addresses"). */
export interface Refused {
  one: string;
  many: string;
}

export const INVALID_KEYS: Refused = {
  one: 'request with invalid API keys',
  many: 'requests with invalid API keys',
};

/**
 * Refusals (bad keys, unsigned webhooks), counted and logged in aggregate (one
 * line per interval), so a storm of them costs no log line per request. Holds
 * no key or other request content: only counts and address buckets.
 */
export class RefusalTally {
  #requests = 0;
  #limited = 0;
  readonly #addresses = new Set<string>();
  #lastLine = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: (line: string) => void,
    private readonly what: Refused = INVALID_KEYS,
    readonly intervalMs = 60_000,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Counts one refused request; `limited` when it got 429 without being checked. */
  add(address: string, limited: boolean): void {
    this.#requests++;
    if (limited) this.#limited++;
    if (this.#addresses.size < this.maxAddresses) this.#addresses.add(addressBucket(address));
  }

  /** Logs the tally if there is one and the last line is an interval old. */
  flush(now = Date.now(), force = false): void {
    if (this.#requests === 0 || (!force && now - this.#lastLine < this.intervalMs)) return;
    const n = this.#addresses.size;
    const capped = n >= this.maxAddresses ? '≥' : '';
    this.log(
      `refused ${this.#requests} ${this.#requests === 1 ? this.what.one : this.what.many} from ${capped}${n} address${n === 1 ? '' : 'es'}` +
        (this.#limited ? ` (${this.#limited} rate-limited with 429)` : ''),
    );
    this.#requests = 0;
    this.#limited = 0;
    this.#addresses.clear();
    this.#lastLine = now;
  }
}

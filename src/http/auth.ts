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
 */
export function newSessionId(keyHash: string): string {
  const salt = randomBytes(16).toString('base64url');
  return `${salt}.${sessionTag(salt, keyHash)}`;
}

export function sessionIdMatchesKey(sessionId: string, keyHash: string): boolean {
  const [salt, tag, extra] = sessionId.split('.');
  if (!salt || !tag || extra !== undefined) return false;
  const expected = Buffer.from(sessionTag(salt, keyHash));
  const given = Buffer.from(tag);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function sessionTag(salt: string, keyHash: string): string {
  return createHmac('sha256', salt).update(`voisa-mcp-session:${keyHash}`).digest('base64url').slice(0, 22);
}

export type Verdict = 'valid' | 'invalid';

/**
 * Checks keys with `GET /api/verify`, caching the verdict by key hash (valid
 * 60 s, invalid 10 s) and sharing one upstream call between concurrent checks.
 * 401 is invalid; 403 is a genuine key without `read`. Other failures are thrown, not cached.
 */
export class KeyVerifier {
  readonly #cache = new Map<string, { verdict: Verdict; until: number }>();
  readonly #pending = new Map<string, Promise<Verdict>>();

  constructor(private readonly ttl = { validMs: 60_000, invalidMs: 10_000, max: 10_000 }) {}

  /** The verdict on the key behind `hash`; `api` is a client holding that key. */
  async verify(hash: string, api: VoisaClient): Promise<Verdict> {
    const cached = this.#cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.verdict;
    let pending = this.#pending.get(hash);
    if (!pending) {
      pending = this.#check(hash, api).finally(() => this.#pending.delete(hash));
      this.#pending.set(hash, pending);
    }
    return pending;
  }

  async #check(hash: string, api: VoisaClient): Promise<Verdict> {
    let verdict: Verdict;
    try {
      const result = await api.auth.verify({ signal: AbortSignal.timeout(15_000) });
      verdict = result.valid === false ? 'invalid' : 'valid';
    } catch (err) {
      // 403: the key is genuine but may not read; its permissions are enforced call by call upstream.
      if (err instanceof PermissionDeniedError) verdict = 'valid';
      else if (err instanceof AuthenticationError) verdict = 'invalid';
      else throw err;
    }
    if (this.#cache.size >= this.ttl.max) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(hash, {
      verdict,
      until: Date.now() + (verdict === 'valid' ? this.ttl.validMs : this.ttl.invalidMs),
    });
    return verdict;
  }
}

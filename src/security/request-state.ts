/**
 * Sealed `requestState` for multi round-trip confirmations (protocol 2026-07-28, and the SDK's shim
 * for 2025-era sessions).
 *
 * The state goes to the client and comes back on the retry, so it is attacker input. It is sealed
 * with AES-256-GCM (the client can neither read nor alter it) under a key derived from the server
 * secret, and binds the tool, a digest of its exact arguments, a keyed fingerprint of the caller's
 * VOISA key and an expiry: a state minted for one call approves nothing else, for no one else, and
 * not for long. Format: `v1.` + base64url(12-byte IV | ciphertext | 16-byte tag) of the JSON
 * `{ p: payload, exp, t: tool, a: sha256(canonical args), k: HMAC(fingerprint key, principal) | null }`,
 * with a fixed AAD naming the format. The caller's key is never sealed in clear, only its keyed HMAC.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createBox } from './box.js';
import { deriveKey } from './secret.js';

export type RejectReason = 'malformed' | 'tampered' | 'expired' | 'tool' | 'arguments' | 'principal';

const WHY: Record<RejectReason, string> = {
  malformed: 'it is not a state this server issued',
  tampered: 'it was altered, or sealed by a server with another secret',
  expired: 'it has expired',
  tool: 'it was issued for another tool',
  arguments: 'it was issued for other arguments',
  principal: 'it was issued to another caller',
};

/** A requestState that `open` refused; `reason` says why, the message what to do, nothing secret. */
export class RequestStateRejected extends Error {
  override readonly name = 'RequestStateRejected';
  constructor(readonly reason: RejectReason) {
    super(`requestState rejected (${reason}): ${WHY[reason]}; ask again: call the tool without requestState`);
  }
}

/** What a state is bound to; `open` must be given the same to accept it. */
export interface Binding {
  tool: string;
  args: unknown;
  /** The caller's VOISA key; only a keyed fingerprint of it is sealed. */
  principal: string | undefined;
}

export interface StateSealer {
  seal<T>(payload: T, bind: Binding): string;
  /** The payload, or RequestStateRejected saying why not. */
  open<T>(state: unknown, bind: Binding): T;
  /** `open`, with when the state expires (epoch ms). */
  opened<T>(state: unknown, bind: Binding): { payload: T; expiresAt: number };
}

export interface SealerOptions {
  /** How long a sealed state is good for, default 10 minutes. */
  ttlMs?: number;
  now?: () => number;
}

/** Far above any state we mint (a few hundred bytes); refused before any decoding. */
export const MAX_STATE_CHARS = 8 * 1024;

interface Sealed<T> {
  p: T;
  exp: number;
  t: string;
  a: string;
  k: string | null;
}

export function createStateSealer(secret: Buffer, opts: SealerOptions = {}): StateSealer {
  const key = deriveKey(secret, 'request-state');
  const fingerprintKey = deriveKey(secret, 'key-fingerprint');
  const ttlMs = opts.ttlMs ?? 10 * 60_000;
  const now = opts.now ?? Date.now;
  const fingerprint = (principal: string | undefined) =>
    principal === undefined
      ? null
      : createHmac('sha256', fingerprintKey).update(principal).digest('base64url');

  const box = createBox(key, 'voisa-mcp request-state v1', MAX_STATE_CHARS);

  return {
    seal<T>(payload: T, bind: Binding): string {
      const body: Sealed<T> = {
        p: payload,
        exp: now() + ttlMs,
        t: bind.tool,
        a: digest(bind.args),
        k: fingerprint(bind.principal),
      };
      return box.seal(JSON.stringify(body));
    },

    open<T>(state: unknown, bind: Binding): T {
      return this.opened<T>(state, bind).payload;
    },

    opened<T>(state: unknown, bind: Binding): { payload: T; expiresAt: number } {
      const opened = box.open(state);
      if (!opened.ok) throw new RequestStateRejected(opened.reason);
      const plain = opened.plain;
      // Authentic yet not of our shape cannot happen short of a key leak; refuse it all the same.
      let body: unknown;
      try {
        body = JSON.parse(plain);
      } catch {
        throw new RequestStateRejected('malformed');
      }
      if (!isSealed(body)) throw new RequestStateRejected('malformed');
      if (body.exp < now()) throw new RequestStateRejected('expired');
      if (body.t !== bind.tool) throw new RequestStateRejected('tool');
      if (!same(body.a, digest(bind.args))) throw new RequestStateRejected('arguments');
      if (!same(body.k ?? '', fingerprint(bind.principal) ?? '')) throw new RequestStateRejected('principal');
      return { payload: body.p as T, expiresAt: body.exp };
    },
  };
}

function isSealed(body: unknown): body is Sealed<unknown> {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.exp === 'number' &&
    Number.isFinite(b.exp) &&
    typeof b.t === 'string' &&
    typeof b.a === 'string' &&
    (typeof b.k === 'string' || b.k === null)
  );
}

/** SHA-256 (base64url) of the canonical JSON of a value. */
export function digest(value: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(value) ?? 'undefined')
    .digest('base64url');
}

/**
 * JSON with object keys sorted at every depth, so the same arguments in another key order give the same
 * text; otherwise as JSON.stringify (`toJSON` honoured, `undefined` and function members dropped).
 */
export function canonicalJson(value: unknown): string | undefined {
  if (typeof (value as { toJSON?: unknown } | null)?.toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v) ?? 'null').join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => [k, canonicalJson(v)] as const)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${v}`);
  return `{${entries.join(',')}}`;
}

/** Constant-time equality of two digests (their lengths are fixed, so comparing them leaks nothing). */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

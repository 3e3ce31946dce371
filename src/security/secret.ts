/**
 * The server secret (`VOISA_SERVER_SECRET`) and the keys derived from it.
 *
 * Every instance that shares state must derive the same keys (a confirmation sealed by one instance is
 * opened by whichever instance the retry reaches), so with Redis the secret is required. A single
 * instance generates one per process. Each use gets its own key through HKDF, so no two purposes
 * ever share key material. No message here ever contains the secret or any part of it.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

export const MIN_SECRET_BYTES = 32;
const HOW_TO = 'make one with `openssl rand -base64 32`';
const HKDF_SALT = 'voisa-mcp/v1';

export class ServerSecretError extends Error {
  override readonly name = 'ServerSecretError';
}

export interface ServerSecret {
  secret: Buffer;
  source: 'env' | 'generated';
}

/**
 * The secret from `VOISA_SERVER_SECRET` (hex, base64/base64url, or text of >= 32 characters), or 32
 * random bytes when it is unset and this instance shares nothing. Throws ServerSecretError otherwise.
 */
export function resolveServerSecret(env: NodeJS.ProcessEnv, opts: { shared: boolean }): ServerSecret {
  const given = env.VOISA_SERVER_SECRET;
  if (given === undefined) {
    if (opts.shared) {
      throw new ServerSecretError(
        `VOISA_SERVER_SECRET is required when instances share state (--redis-url): every instance must derive the same keys to open what another sealed; ${HOW_TO} and give all instances the same value`,
      );
    }
    return { secret: randomBytes(MIN_SECRET_BYTES), source: 'generated' };
  }
  // A trailing newline from `$(cat secret-file)` is not part of the secret.
  const secret = decodeSecret(given.trim());
  if (!secret) {
    throw new ServerSecretError(
      `VOISA_SERVER_SECRET is ${given.trim() === '' ? 'empty' : 'too short'}: it needs at least ${MIN_SECRET_BYTES} bytes (64 hex digits, 44 base64 characters, or ${MIN_SECRET_BYTES} characters of text); ${HOW_TO}`,
    );
  }
  return { secret, source: 'env' };
}

/** Hex or base64(url) when it decodes to enough bytes; else text of enough characters; else undefined. */
function decodeSecret(raw: string): Buffer | undefined {
  if (/^[0-9a-f]+$/i.test(raw) && raw.length % 2 === 0 && raw.length >= MIN_SECRET_BYTES * 2) {
    return Buffer.from(raw, 'hex');
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) {
    const bytes = Buffer.from(raw, /[-_]/.test(raw) ? 'base64url' : 'base64');
    if (bytes.length >= MIN_SECRET_BYTES) return bytes;
  }
  // Counted in characters (code points), as documented, not in UTF-8 bytes.
  if ([...raw].length >= MIN_SECRET_BYTES) return Buffer.from(raw, 'utf8');
  return undefined;
}

/**
 * A key for one purpose (`request-state`, `key-fingerprint`, `oauth-token`, …): HKDF-SHA256 with a
 * fixed salt and the purpose as info, so it is the same on every instance with the same secret and
 * unrelated to the key of any other purpose.
 */
export function deriveKey(secret: Buffer, purpose: string, bytes = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, purpose, bytes));
}

/**
 * Names principals (`key:<hash of the key>`, `grant:<OAuth grant id>`) by a keyed hash, for call
 * budgets and audit lines: the same name on every instance, and across restarts, with the same
 * secret, over stdio and HTTP alike; never the key itself.
 */
export function principalNamer(secret: Buffer): (subject: string) => string {
  const key = deriveKey(secret, 'principal');
  return (subject) => createHmac('sha256', key).update(subject).digest('base64url').slice(0, 32);
}

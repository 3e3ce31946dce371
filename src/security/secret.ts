/**
 * The server secret (`VOISA_SERVER_SECRET`) and the keys derived from it.
 *
 * Every instance that shares state must derive the same keys (a confirmation sealed by one instance is
 * opened by whichever instance the retry reaches), so with Redis the secret is required. A single
 * instance generates one per process. Each use gets its own key through HKDF, so no two purposes
 * ever share key material.
 */
import { hkdfSync, randomBytes } from 'node:crypto';

export const MIN_SECRET_BYTES = 32;
const HOW_TO = 'make one with `openssl rand -base64 32`';

export class ServerSecretError extends Error {
  override readonly name = 'ServerSecretError';
}

export interface ServerSecret {
  secret: Buffer;
  source: 'env' | 'generated';
}

export function resolveServerSecret(env: NodeJS.ProcessEnv, opts: { shared: boolean }): ServerSecret {
  const raw = env.VOISA_SERVER_SECRET?.trim();
  if (!raw) {
    if (opts.shared) {
      throw new ServerSecretError(
        `VOISA_SERVER_SECRET is required when instances share state (--redis-url): every instance must derive the same keys to open what another sealed; ${HOW_TO} and give all instances the same value`,
      );
    }
    return { secret: randomBytes(MIN_SECRET_BYTES), source: 'generated' };
  }
  const secret = decodeSecret(raw);
  if (secret.length < MIN_SECRET_BYTES) {
    throw new ServerSecretError(
      `VOISA_SERVER_SECRET is too short: it needs at least ${MIN_SECRET_BYTES} bytes (64 hex digits, 44 base64 characters, or 32 characters); ${HOW_TO}`,
    );
  }
  return { secret, source: 'env' };
}

/** Hex or base64(url) when it decodes to enough bytes; else the characters themselves. */
function decodeSecret(raw: string): Buffer {
  if (/^[0-9a-f]+$/i.test(raw) && raw.length % 2 === 0 && raw.length >= MIN_SECRET_BYTES * 2) {
    return Buffer.from(raw, 'hex');
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) {
    const bytes = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
    if (bytes.length >= MIN_SECRET_BYTES) return bytes;
  }
  return Buffer.from(raw, 'utf8');
}

/** A key for one purpose (`request-state`, `key-fingerprint`, …), the same on every instance. */
export function deriveKey(secret: Buffer, purpose: string, bytes = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'voisa-mcp/v1', purpose, bytes));
}

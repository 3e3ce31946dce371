/** VOISA_SERVER_SECRET parsing and the per-purpose keys derived from it. */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, resolveServerSecret, ServerSecretError } from '../../src/security/secret.js';

function refusal(value: string | undefined, shared: boolean): ServerSecretError {
  const env = value === undefined ? {} : { VOISA_SERVER_SECRET: value };
  try {
    resolveServerSecret(env, { shared });
  } catch (err) {
    expect(err).toBeInstanceOf(ServerSecretError);
    return err as ServerSecretError;
  }
  throw new Error('accepted');
}

const fromEnv = (value: string) =>
  resolveServerSecret({ VOISA_SERVER_SECRET: value }, { shared: true }).secret;

describe('resolveServerSecret', () => {
  it('generates 32 random bytes per process when unset and nothing is shared', () => {
    const a = resolveServerSecret({}, { shared: false });
    const b = resolveServerSecret({}, { shared: false });
    expect(a.source).toBe('generated');
    expect(a.secret).toHaveLength(32);
    expect(a.secret).not.toEqual(b.secret);
  });

  it('is required when instances share state, saying why and how to make one', () => {
    const { message } = refusal(undefined, true);
    expect(message).toMatch(/VOISA_SERVER_SECRET is required when instances share state/);
    expect(message).toMatch(/every instance must derive the same keys/);
    expect(message).toContain('openssl rand -base64 32');
  });

  it('decodes hex (either case), base64 with or without padding, and base64url', () => {
    const bytes = randomBytes(32);
    const found = resolveServerSecret({ VOISA_SERVER_SECRET: bytes.toString('hex') }, { shared: false });
    expect(found).toEqual({ secret: bytes, source: 'env' });
    expect(fromEnv(bytes.toString('hex').toUpperCase())).toEqual(bytes);
    expect(fromEnv(bytes.toString('base64'))).toEqual(bytes);
    expect(fromEnv(bytes.toString('base64').replace(/=+$/, ''))).toEqual(bytes);
    // Bytes whose base64url spells a '-' or '_', so the url alphabet is really exercised.
    const urlBytes = Buffer.alloc(48, 0xfb);
    expect(urlBytes.toString('base64url')).toMatch(/[-_]/);
    expect(fromEnv(urlBytes.toString('base64url'))).toEqual(urlBytes);
    // A longer secret is taken whole.
    const long = randomBytes(64);
    expect(fromEnv(long.toString('hex'))).toEqual(long);
  });

  it('takes any text of 32 characters or more as its UTF-8 bytes, and ignores a trailing newline', () => {
    const text = 'correct horse battery staple, and more';
    expect(fromEnv(text).toString('utf8')).toBe(text);
    const exactly32 = `${'x'.repeat(31)}!`;
    expect(fromEnv(exactly32)).toEqual(Buffer.from(exactly32));
    const hex = randomBytes(32).toString('hex');
    expect(fromEnv(`${hex}\n`)).toEqual(Buffer.from(hex, 'hex'));
  });

  it('refuses empty and short values with the minimum and how to make one, never echoing them', () => {
    const cases = [
      ['', /is empty/],
      ['   \n', /is empty/],
      ['hunter2-short', /too short/],
      ['q'.repeat(31), /too short/],
      [randomBytes(16).toString('base64'), /too short/], // 24 characters, 16 bytes
      ['🔑'.repeat(16), /too short/], // 64 UTF-8 bytes but only 16 characters
    ] as const;
    for (const [value, why] of cases) {
      for (const shared of [false, true]) {
        const { message } = refusal(value, shared);
        expect(message).toMatch(why);
        expect(message).toMatch(/at least 32 bytes/);
        expect(message).toContain('openssl rand -base64 32');
        if (value.trim()) expect(message).not.toContain(value.trim());
      }
    }
  });
});

describe('deriveKey', () => {
  it('is HKDF-SHA256 with the salt voisa-mcp/v1 and the purpose as info (RFC 5869, by hand)', () => {
    const secret = randomBytes(32);
    const prk = createHmac('sha256', 'voisa-mcp/v1').update(secret).digest();
    const t1 = createHmac('sha256', prk)
      .update(Buffer.concat([Buffer.from('request-state'), Buffer.from([1])]))
      .digest();
    expect(deriveKey(secret, 'request-state')).toEqual(t1);
    expect(deriveKey(secret, 'request-state', 16)).toEqual(t1.subarray(0, 16));
    expect(deriveKey(secret, 'request-state', 64)).toHaveLength(64);
  });

  it('gives each purpose its own key, the same on two instances with the same secret', () => {
    const secret = randomBytes(32);
    const otherInstance = Buffer.from(secret.toString('base64'), 'base64');
    for (const purpose of ['request-state', 'key-fingerprint', 'oauth-token']) {
      expect(deriveKey(otherInstance, purpose)).toEqual(deriveKey(secret, purpose));
    }
    const keys = ['request-state', 'key-fingerprint', 'oauth-token'].map((p) =>
      deriveKey(secret, p).toString('hex'),
    );
    expect(new Set(keys).size).toBe(3);
    expect(deriveKey(randomBytes(32), 'request-state')).not.toEqual(deriveKey(secret, 'request-state'));
  });
});

/** The server secret and the sealed confirmation state, as an attacker would handle them. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createStateSealer, RequestStateRejected } from '../../src/security/request-state.js';
import { deriveKey, resolveServerSecret } from '../../src/security/secret.js';

const KEY = 'vsa_live_0123456789abcdefghijklmnop';
const BIND = { tool: 'make_call', args: { agent_id: 'agt_1', phone_number: '+49123456789' }, principal: KEY };

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestStateRejected) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('sealed requestState', () => {
  const secret = randomBytes(32);

  it('opens what it sealed, for the same call, also on another instance with the same secret', () => {
    const state = createStateSealer(secret).seal({ askedAt: 1 }, BIND);
    expect(createStateSealer(secret).open(state, BIND)).toEqual({ askedAt: 1 });
    // The same arguments in another key order bind equally.
    const reordered = { ...BIND, args: { phone_number: '+49123456789', agent_id: 'agt_1' } };
    expect(createStateSealer(secret).open(state, reordered)).toEqual({ askedAt: 1 });
  });

  it('shows nothing of the key, the arguments or the payload', () => {
    const state = createStateSealer(secret).seal({ secretPayload: 'needle' }, BIND);
    const bytes = Buffer.from(state.slice(3), 'base64url').toString('latin1');
    for (const clear of [KEY, '+49123456789', 'agt_1', 'needle', 'make_call'])
      expect(bytes).not.toContain(clear);
  });

  it('refuses another tool, other arguments, another key', () => {
    const sealer = createStateSealer(secret);
    const state = sealer.seal({}, BIND);
    expect(reason(() => sealer.open(state, { ...BIND, tool: 'delete_agent' }))).toBe('tool');
    expect(reason(() => sealer.open(state, { ...BIND, args: { ...BIND.args, phone_number: '+1' } }))).toBe(
      'arguments',
    );
    expect(reason(() => sealer.open(state, { ...BIND, principal: 'vsa_live_other' }))).toBe('principal');
    expect(reason(() => sealer.open(state, { ...BIND, principal: undefined }))).toBe('principal');
  });

  it('refuses a flipped byte, another secret, and junk of any shape', () => {
    const sealer = createStateSealer(secret);
    const state = sealer.seal({}, BIND);
    const mid = Math.floor(state.length / 2);
    const flipped = state.slice(0, mid) + (state[mid] === 'A' ? 'B' : 'A') + state.slice(mid + 1);
    expect(reason(() => sealer.open(flipped, BIND))).toBe('tampered');
    expect(reason(() => createStateSealer(randomBytes(32)).open(state, BIND))).toBe('tampered');
    for (const junk of [
      undefined,
      42,
      {},
      '',
      'v1.',
      'v1.AAAA',
      state.slice(0, 20),
      'v2.abc',
      `v1.${'A'.repeat(9000)}`,
      'v1.a b',
    ]) {
      expect(reason(() => sealer.open(junk, BIND))).toBe('malformed');
    }
  });

  it('refuses an expired state', () => {
    let now = 1_000_000;
    const sealer = createStateSealer(secret, { ttlMs: 1000, now: () => now });
    const state = sealer.seal({}, BIND);
    now += 999;
    expect(reason(() => sealer.open(state, BIND))).toBe('accepted');
    now += 2;
    expect(reason(() => sealer.open(state, BIND))).toBe('expired');
  });
});

describe('VOISA_SERVER_SECRET', () => {
  it('is generated per process when one instance runs, required when instances share state', () => {
    expect(resolveServerSecret({}, { shared: false }).source).toBe('generated');
    expect(() => resolveServerSecret({}, { shared: true })).toThrow(
      /VOISA_SERVER_SECRET is required.*--redis-url/,
    );
  });

  it('accepts hex, base64 and long text, refuses short values without echoing them', () => {
    const bytes = randomBytes(32);
    expect(
      resolveServerSecret({ VOISA_SERVER_SECRET: bytes.toString('hex') }, { shared: true }).secret,
    ).toEqual(bytes);
    expect(
      resolveServerSecret({ VOISA_SERVER_SECRET: bytes.toString('base64') }, { shared: true }).secret,
    ).toEqual(bytes);
    const text = 'correct horse battery staple, and more';
    expect(resolveServerSecret({ VOISA_SERVER_SECRET: text }, { shared: true }).secret.toString()).toBe(text);
    let message = '';
    try {
      resolveServerSecret({ VOISA_SERVER_SECRET: 'hunter2-short' }, { shared: true });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/too short: it needs at least 32 bytes/);
    expect(message).not.toContain('hunter2');
  });

  it('derives one key per purpose, the same on every instance', () => {
    const secret = randomBytes(32);
    expect(deriveKey(secret, 'request-state')).toEqual(deriveKey(Buffer.from(secret), 'request-state'));
    expect(deriveKey(secret, 'request-state')).not.toEqual(deriveKey(secret, 'key-fingerprint'));
    expect(deriveKey(secret, 'request-state')).not.toEqual(deriveKey(randomBytes(32), 'request-state'));
  });
});

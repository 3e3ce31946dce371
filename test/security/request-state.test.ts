/** The sealed confirmation state, handled as an attacker would handle it. */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Binding,
  createStateSealer,
  MAX_STATE_CHARS,
  RequestStateRejected,
} from '../../src/security/request-state.js';
import { deriveKey } from '../../src/security/secret.js';

const KEY = 'vsa_live_0123456789abcdefghijklmnop';
const BIND: Binding = {
  tool: 'make_call',
  args: { agent_id: 'agt_1', phone_number: '+49123456789', metadata: { b: 1, a: [1, 2] } },
  principal: KEY,
};
const AAD = 'voisa-mcp request-state v1';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestStateRejected) return err.reason;
    throw err;
  }
  return 'accepted';
}

/** What a holder of the secret (and no one else) reads in a state: the format as documented. */
function unseal(secret: Buffer, state: string): Record<string, unknown> {
  const raw = Buffer.from(state.slice(3), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, 'request-state'), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(AAD));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  return JSON.parse(plain.toString('utf8'));
}

/** An authentic state with any plaintext: only possible with the secret. */
function forge(secret: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, 'request-state'), iv);
  cipher.setAAD(Buffer.from(AAD));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

describe('sealed requestState', () => {
  const secret = randomBytes(32);

  it('opens what it sealed, also on another instance with the same secret', () => {
    const state = createStateSealer(secret).seal({ askedAt: 1, nested: ['x'] }, BIND);
    expect(state).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(createStateSealer(secret).open(state, BIND)).toEqual({ askedAt: 1, nested: ['x'] });
    // Each seal has its own IV: the same call never gives the same string twice.
    expect(createStateSealer(secret).seal({ askedAt: 1, nested: ['x'] }, BIND)).not.toBe(state);
  });

  it('binds the arguments whatever their key order, with undefined members dropped as JSON does', () => {
    const sealer = createStateSealer(secret);
    const state = sealer.seal({}, BIND);
    const reordered = {
      metadata: { a: [1, 2], b: 1 },
      phone_number: '+49123456789',
      agent_id: 'agt_1',
      absent: undefined,
    };
    expect(reason(() => sealer.open(state, { ...BIND, args: reordered }))).toBe('accepted');
    // Array order is meaning, not notation.
    const swapped = { ...reordered, metadata: { a: [2, 1], b: 1 } };
    expect(reason(() => sealer.open(state, { ...BIND, args: swapped }))).toBe('arguments');
    // Values serialise as JSON would (toJSON honoured), so two dates are two different arguments.
    const dated = sealer.seal({}, { ...BIND, args: { at: new Date(0) } });
    expect(reason(() => sealer.open(dated, { ...BIND, args: { at: new Date(0).toISOString() } }))).toBe(
      'accepted',
    );
    expect(reason(() => sealer.open(dated, { ...BIND, args: { at: new Date(1) } }))).toBe('arguments');
  });

  it('holds nothing in clear: not the key, the arguments, the tool or the payload', () => {
    const state = createStateSealer(secret).seal({ secretPayload: 'needle' }, BIND);
    const bytes = Buffer.from(state.slice(3), 'base64url').toString('latin1');
    for (const clear of [KEY, '+49123456789', 'agt_1', 'needle', 'make_call', 'secretPayload']) {
      expect(bytes).not.toContain(clear);
      expect(state).not.toContain(clear);
    }
  });

  it('seals the documented fields, with the caller key only as its keyed HMAC even inside', () => {
    const now = 5_000;
    const state = createStateSealer(secret, { now: () => now }).seal({ askedAt: 7 }, BIND);
    const body = unseal(secret, state);
    expect(Object.keys(body).sort()).toEqual(['a', 'exp', 'k', 'p', 't']);
    expect(body).toMatchObject({ p: { askedAt: 7 }, exp: 5_000 + 10 * 60_000, t: 'make_call' });
    expect(body.k).toBe(
      createHmac('sha256', deriveKey(secret, 'key-fingerprint')).update(KEY).digest('base64url'),
    );
    expect(JSON.stringify(body)).not.toContain(KEY);
    expect(JSON.stringify(body)).not.toContain('+49123456789');
    // Without a key the binding is null, and opening it with a key is refused (and vice versa).
    const keyless = createStateSealer(secret, { now: () => now }).seal({}, { ...BIND, principal: undefined });
    expect(unseal(secret, keyless).k).toBeNull();
    const sealer = createStateSealer(secret, { now: () => now });
    expect(reason(() => sealer.open(keyless, { ...BIND, principal: undefined }))).toBe('accepted');
    expect(reason(() => sealer.open(keyless, BIND))).toBe('principal');
  });

  it('refuses another tool, other arguments, another key, or no key', () => {
    const sealer = createStateSealer(secret);
    const state = sealer.seal({}, BIND);
    expect(reason(() => sealer.open(state, { ...BIND, tool: 'delete_agent' }))).toBe('tool');
    const otherNumber = { ...(BIND.args as object), phone_number: '+1' };
    expect(reason(() => sealer.open(state, { ...BIND, args: otherNumber }))).toBe('arguments');
    expect(reason(() => sealer.open(state, { ...BIND, args: undefined }))).toBe('arguments');
    expect(reason(() => sealer.open(state, { ...BIND, principal: 'vsa_live_other' }))).toBe('principal');
    expect(reason(() => sealer.open(state, { ...BIND, principal: undefined }))).toBe('principal');
  });

  it('refuses a flipped byte anywhere (IV, ciphertext, tag) and a state sealed with another secret', () => {
    const sealer = createStateSealer(secret);
    const state = sealer.seal({ askedAt: 1 }, BIND);
    const mid = 3 + Math.floor((state.length - 3) / 2);
    const flippedChar = state.slice(0, mid) + (state[mid] === 'A' ? 'B' : 'A') + state.slice(mid + 1);
    expect(reason(() => sealer.open(flippedChar, BIND))).toBe('tampered');
    const raw = Buffer.from(state.slice(3), 'base64url');
    for (const at of [0, 11, 12, Math.floor(raw.length / 2), raw.length - 17, raw.length - 1]) {
      const copy = Buffer.from(raw);
      copy[at] = copy[at]! ^ 0x01;
      expect(reason(() => sealer.open(`v1.${copy.toString('base64url')}`, BIND))).toBe('tampered');
    }
    expect(reason(() => createStateSealer(randomBytes(32)).open(state, BIND))).toBe('tampered');
  });

  it('refuses junk of any shape, truncations and oversized strings before decrypting', () => {
    const sealer = createStateSealer(secret);
    const state = sealer.seal({}, BIND);
    const nineKiB = `v1.${'A'.repeat(9 * 1024 - 3)}`;
    expect(nineKiB.length).toBe(9 * 1024);
    expect(nineKiB.length).toBeGreaterThan(MAX_STATE_CHARS);
    for (const junk of [
      undefined,
      null,
      42,
      {},
      [state],
      Buffer.from(state),
      '',
      'v1.',
      'v1.AAAA',
      `V1.${state.slice(3)}`,
      `v2.${state.slice(3)}`,
      state.slice(3),
      state.slice(0, 20),
      `v1.${state.slice(3, 40)}`,
      nineKiB,
      'v1.a b',
      `${state.slice(0, 10)}+/${state.slice(12)}`, // base64, not base64url
      `${state}=`,
      ` ${state}`,
    ]) {
      expect(reason(() => sealer.open(junk, BIND))).toBe('malformed');
    }
    for (const cut of [1, 2, 4, 16]) {
      expect(['malformed', 'tampered']).toContain(reason(() => sealer.open(state.slice(0, -cut), BIND)));
    }
  });

  it('accepts only the exact string it issued, not another spelling of the same bytes', () => {
    const sealer = createStateSealer(secret);
    let checked = 0;
    // A state whose byte count is not a multiple of 3 ends in a character with unused low bits; one
    // whose byte count is, takes a stray fifth character that decoders drop. Cover both.
    for (let n = 0; n < 3; n++) {
      const state = sealer.seal({ pad: 'x'.repeat(n) }, BIND);
      const rawLength = Buffer.from(state.slice(3), 'base64url').length;
      if (rawLength % 3 === 0) {
        expect(Buffer.from(`${state.slice(3)}A`, 'base64url').length).toBe(rawLength);
        expect(reason(() => sealer.open(`${state}A`, BIND))).toBe('malformed');
      } else {
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const last = alphabet.indexOf(state.at(-1)!);
        const respelled = state.slice(0, -1) + alphabet[last + 1]!; // low bit only: same bytes
        expect(Buffer.from(respelled.slice(3), 'base64url')).toEqual(
          Buffer.from(state.slice(3), 'base64url'),
        );
        expect(reason(() => sealer.open(respelled, BIND))).toBe('malformed');
      }
      checked++;
    }
    expect(checked).toBe(3);
  });

  it('refuses an authentic state that is not of its shape (only a holder of the secret can make one)', () => {
    const sealer = createStateSealer(secret);
    const valid = JSON.stringify(unseal(secret, sealer.seal({ ok: 1 }, BIND)));
    expect(sealer.open(forge(secret, valid), BIND)).toEqual({ ok: 1 });
    for (const plaintext of [
      'not json',
      'null',
      '[]',
      '42',
      '{}',
      valid.replace('"exp":', '"exp":"x","e":'),
    ]) {
      expect(reason(() => sealer.open(forge(secret, plaintext), BIND))).toBe('malformed');
    }
  });

  it('expires after its ttl (10 minutes by default), by the injected clock', () => {
    let now = 1_000_000;
    const clock = () => now;
    const short = createStateSealer(secret, { ttlMs: 1000, now: clock });
    const state = short.seal({}, BIND);
    now += 1000;
    expect(reason(() => short.open(state, BIND))).toBe('accepted');
    now += 1;
    expect(reason(() => short.open(state, BIND))).toBe('expired');

    now = 1_000_000;
    const standard = createStateSealer(secret, { now: clock });
    const later = standard.seal({}, BIND);
    now += 10 * 60_000;
    expect(reason(() => standard.open(later, BIND))).toBe('accepted');
    now += 1;
    expect(reason(() => standard.open(later, BIND))).toBe('expired');
  });

  it('says what to do and nothing secret', () => {
    const sealer = createStateSealer(secret);
    const state = sealer.seal({ secretPayload: 'needle' }, BIND);
    const reasons = new Set<string>();
    const attempts: Array<[unknown, Binding]> = [
      ['junk', BIND],
      [createStateSealer(randomBytes(32)).seal({}, BIND), BIND],
      [state, { ...BIND, tool: 'delete_agent' }],
      [state, { ...BIND, args: {} }],
      [state, { ...BIND, principal: 'vsa_live_intruder' }],
      [createStateSealer(secret, { ttlMs: -1 }).seal({}, BIND), BIND],
    ];
    for (const [input, bind] of attempts) {
      let message = '';
      try {
        sealer.open(input, bind);
      } catch (err) {
        expect(err).toBeInstanceOf(RequestStateRejected);
        expect(err).toBeInstanceOf(Error);
        reasons.add((err as RequestStateRejected).reason);
        message = (err as Error).message;
      }
      expect(message).toContain('ask again: call the tool without requestState');
      for (const secretText of [
        KEY,
        'vsa_live_intruder',
        'needle',
        secret.toString('hex'),
        state.slice(3, 20),
      ]) {
        expect(message).not.toContain(secretText);
      }
    }
    expect([...reasons].sort()).toEqual([
      'arguments',
      'expired',
      'malformed',
      'principal',
      'tampered',
      'tool',
    ]);
  });
});

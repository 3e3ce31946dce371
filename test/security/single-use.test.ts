/** The in-memory claims behind single-use confirmations: once each, bounded, failing closed when full. */
import { describe, expect, it } from 'vitest';
import { MemorySingleUse } from '../../src/security/single-use.js';

describe('MemorySingleUse', () => {
  it('claims a nonce once until it expires', async () => {
    let now = 1000;
    const claims = new MemorySingleUse(10, () => now);
    expect(await claims.claim('a', 500)).toBe('claimed');
    expect(await claims.claim('a', 500)).toBe('used');
    expect(await claims.claim('b', 500)).toBe('claimed');
    now += 500; // the state is expired: it can no longer be opened, so its claim may go
    expect(await claims.claim('a', 500)).toBe('claimed');
  });

  it('when full of live claims refuses new ones rather than forget one, and makes room as they expire', async () => {
    let now = 0;
    const claims = new MemorySingleUse(3, () => now);
    for (const n of ['a', 'b', 'c']) expect(await claims.claim(n, 1000)).toBe('claimed');
    expect(await claims.claim('d', 1000)).toBe('unavailable');
    // A used one still answers used, not unavailable.
    expect(await claims.claim('a', 1000)).toBe('used');
    now = 1000;
    expect(await claims.claim('d', 1000)).toBe('claimed');
    expect(claims.size).toBe(1);
  });
});

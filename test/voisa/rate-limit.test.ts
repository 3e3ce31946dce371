/** The client-side token bucket spaces a burst instead of letting it draw 429s. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { ApiAbortError, type ClientEvent } from '../../src/voisa/index.js';
import { caught, clientFor, sandbox } from './harness.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox({ rateLimitPerMin: 300 });
});
afterAll(() => sb.close());

describe('client-side rate limit', () => {
  it('300/min: a burst of 10 goes at once, the rest about 207 ms apart', async () => {
    const warmUp = clientFor(sb);
    await warmUp.voices.list();
    await warmUp.close();
    sb.clearRequests();
    const api = clientFor(sb, { rateLimitPerMin: 300 });
    const events: ClientEvent[] = [];
    const started = performance.now();
    const startedAt = Date.now(); // the sandbox's startedAt uses this clock
    await Promise.all(Array.from({ length: 13 }, () => api.voices.list({ onEvent: (e) => events.push(e) })));
    const elapsed = performance.now() - started;
    await api.close();

    // Bucket of 10, refilled at 290/min (one token per 206.9 ms): 3 waits of 207, 414, 621 ms.
    const waits = events
      .flatMap((e) => (e.type === 'rate_limit_wait' ? [e.waitMs] : []))
      .sort((a, b) => a - b);
    expect(waits).toHaveLength(3);
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(206 * (i + 1));
      expect(w).toBeLessThanOrEqual(207 * (i + 1) + 5);
    });
    expect(elapsed).toBeGreaterThanOrEqual(621);

    const log = sb.requests();
    expect(log.map((r) => r.status)).toEqual(Array(13).fill(200)); // and no 429s
    const times = log.map((r) => Date.parse(r.startedAt)).sort((a, b) => a - b);
    // The 10 of the burst did not wait (3 waits above); each held request left no earlier than n
    // intervals after the burst began. (Only lower bounds: timers may be late under load, never early.)
    for (let n = 1; n <= 3; n++) expect(times[9 + n]! - startedAt).toBeGreaterThanOrEqual(206 * n);
  });

  it('rateLimitPerMin 0 does not wait', async () => {
    const api = clientFor(sb, { rateLimitPerMin: 0 });
    const events: ClientEvent[] = [];
    await Promise.all(Array.from({ length: 14 }, () => api.voices.list({ onEvent: (e) => events.push(e) })));
    await api.close();
    expect(events).toEqual([]);
  });

  it('a request waiting for the limiter can be aborted', async () => {
    const api = clientFor(sb, { rateLimitPerMin: 12 }); // bucket of 1, then one per 5.45 s
    await api.voices.list(); // empties the bucket
    sb.clearRequests();
    const events: ClientEvent[] = [];
    const started = performance.now();
    const err = await caught(() =>
      api.voices.list({ signal: AbortSignal.timeout(20), onEvent: (e) => events.push(e) }),
    );
    await api.close();
    expect(events).toEqual([expect.objectContaining({ type: 'rate_limit_wait', method: 'GET' })]);
    expect(events[0]).toHaveProperty(
      'waitMs',
      expect.toSatisfy((ms: number) => ms > 4_000 && ms <= 5_455),
    );
    expect(err).toBeInstanceOf(ApiAbortError);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(sb.requests()).toHaveLength(0);
  });
});

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
    const eventAt: number[] = []; // performance.now() when each event was told, i.e. when its token was reserved
    const started = performance.now();
    const startedAt = Date.now(); // the sandbox's startedAt uses this clock
    await Promise.all(
      Array.from({ length: 13 }, () =>
        api.voices.list({
          onEvent: (e) => {
            events.push(e);
            eventAt.push(performance.now());
          },
        }),
      ),
    );
    const elapsed = performance.now() - started;
    await api.close();

    // Bucket of 10, refilled at 290/min (one token per 206.9 ms): the 11th, 12th and 13th request
    // may leave 207, 414 and 621 ms after the burst began. Each wait is counted from the moment its
    // token was reserved, so a loaded machine that issues the 13 requests over a few milliseconds
    // sees slightly shorter waits: what is fixed is reservation time + wait.
    const leaves = events
      .flatMap((e, i) =>
        e.type === 'rate_limit_wait' ? [{ wait: e.waitMs, at: eventAt[i]! - started }] : [],
      )
      .sort((a, b) => a.wait - b.wait);
    expect(leaves).toHaveLength(3);
    leaves.forEach(({ wait, at }, i) => {
      expect(at + wait).toBeGreaterThanOrEqual(206 * (i + 1));
      expect(wait).toBeLessThanOrEqual(207 * (i + 1) + 5);
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

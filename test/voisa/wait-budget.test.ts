/**
 * One call waits at most `maxTotalWaitMs` in all (client-side rate limit and pauses between
 * retries). A server asking for longer (`Retry-After: 3600`) gets no sleeping call: the call
 * fails at once with RATE_LIMIT_EXCEEDED saying when to retry.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { type ClientEvent, RateLimitError, ServerError } from '../../src/voisa/index.js';
import { caught, clientFor, sandbox } from './harness.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(() => sb.close());
beforeEach(() => {
  sb.clearFaults();
  sb.clearRequests();
});

const sent = (path: string) => sb.requests().filter((r) => r.path === path);
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/;

describe('a Retry-After longer than a call may wait', () => {
  it('fails at once with RATE_LIMIT_EXCEEDED saying when to retry (default delays)', async () => {
    // The defaults of a real client: up to 30 s per retry, 2 retries (60 s asleep before the fix).
    const api = clientFor(sb, { maxRetryDelayMs: 30_000, maxRetries: 2 });
    sb.injectFault({
      path: '/api/voices/list',
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfter: '3600',
      times: 3,
    });
    const events: ClientEvent[] = [];
    const err = await caught(() => api.voices.list({ onEvent: (e) => events.push(e) }));
    await api.close();
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429, retryAfterMs: 3_600_000 });
    const { message } = err as Error;
    expect(message).toMatch(/retry in 3600 s/);
    expect(message).toMatch(ISO_TIME);
    expect(message).toMatch(/longer than the 20 s this client waits per call/);
    expect(sent('/api/voices/list')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
  });

  it('the same for a 503 with a long Retry-After', async () => {
    const api = clientFor(sb, { maxRetryDelayMs: 30_000 });
    sb.injectFault({
      path: '/api/voices/list',
      status: 503,
      code: 'INTERNAL_ERROR',
      retryAfter: '120',
      times: 3,
    });
    const err = await caught(() => api.voices.list());
    await api.close();
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ retryAfterMs: 120_000 });
    expect(sent('/api/voices/list')).toHaveLength(1);
  });

  it('counts every wait of the call: a second Retry-After past the rest of the budget is not waited', async () => {
    const api = clientFor(sb, { maxRetryDelayMs: 30_000, maxRetries: 5, maxTotalWaitMs: 1_500 });
    sb.injectFault({
      path: '/api/voices/list',
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfter: '1',
      times: 5,
    });
    const err = await caught(() => api.voices.list());
    await api.close();
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as Error).message).toMatch(/retry in 1 s/);
    // One wait of 1 s fits into 1.5 s; a second one does not.
    expect(sent('/api/voices/list').map((r) => r.status)).toEqual([429, 429]);
  });
});

describe('the client-side rate limit', () => {
  it('a wait longer than the budget fails at once, nothing sent', async () => {
    // 6/min: a bucket of 1, then one request every 12 s.
    const api = clientFor(sb, { rateLimitPerMin: 6, maxTotalWaitMs: 1_000 });
    await api.voices.list();
    const events: ClientEvent[] = [];
    const err = await caught(() => api.voices.list({ onEvent: (e) => events.push(e) }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429 });
    expect((err as RateLimitError).retryAfterMs).toBeGreaterThan(1_000);
    expect((err as Error).message).toMatch(/client-side request budget .* nothing was sent/);
    expect(sent('/api/voices/list')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'rate_limit_wait')).toEqual([]);
    expect(events.filter((e) => e.type === 'upstream_error')).toHaveLength(1);
    await api.close();
  });
});

/** Retries (which requests, how often, how long apart), timeouts and aborts. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import {
  ApiAbortError,
  ApiConnectionError,
  ApiTimeoutError,
  type ClientEvent,
  RateLimitError,
  ServerError,
  VoisaClient,
} from '../../src/voisa/index.js';
import { caught, clientFor, sandbox } from './harness.js';

let sb: Sandbox;
let agentId: string;
const CALL = () => ({ agent_id: agentId, phone_number: '+49123456789' });

beforeAll(async () => {
  sb = await sandbox();
  const api = clientFor(sb);
  agentId = (await api.agents.list({ status: 'active' })).agents[0]!.id;
  await api.close();
});
afterAll(() => sb.close());
beforeEach(() => {
  sb.clearFaults();
  sb.clearRequests();
});

/** Collects the events of one call. */
function recorder() {
  const events: ClientEvent[] = [];
  return {
    events,
    onEvent: (e: ClientEvent) => events.push(e),
    of: (t: ClientEvent['type']) => events.filter((e) => e.type === t),
  };
}

const sent = (method: string, path: string) =>
  sb.requests().filter((r) => r.method === method && r.path === path);

describe('Retry-After', () => {
  it('a 429 with Retry-After: 1 is retried after at least one second', async () => {
    const api = clientFor(sb, { maxRetryDelayMs: 3_000 });
    sb.injectFault({ path: '/api/voices/list', status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfter: '1' });
    const rec = recorder();
    const started = performance.now();
    const { voices } = await api.voices.list({ onEvent: rec.onEvent });
    const elapsed = performance.now() - started;
    await api.close();
    expect(voices.length).toBeGreaterThan(0);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(rec.of('retry')).toEqual([
      expect.objectContaining({ method: 'GET', path: '/api/voices/list', attempt: 1, delayMs: 1_000 }),
    ]);
    const [first, second] = sent('GET', '/api/voices/list');
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    expect(Date.parse(second!.startedAt) - Date.parse(first!.startedAt)).toBeGreaterThanOrEqual(1_000);
  });

  it('Retry-After is capped by maxRetryDelayMs', async () => {
    const api = clientFor(sb, { maxRetryDelayMs: 30 });
    // 10 s: within the 20 s a call may wait in all (a longer one fails at once: wait-budget.test.ts).
    sb.injectFault({ path: '/api/voices/list', status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfter: '10' });
    const rec = recorder();
    const started = performance.now();
    await api.voices.list({ onEvent: rec.onEvent });
    await api.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(rec.of('retry')).toEqual([expect.objectContaining({ delayMs: 30 })]);
  });

  it('a make-call answered 429 is sent exactly once, and the error says when to retry', async () => {
    const api = clientFor(sb, { maxRetries: 5 });
    sb.injectFault({
      method: 'POST',
      path: '/api/make-call',
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfter: '7',
      times: 5,
    });
    const rec = recorder();
    const err = await caught(() => api.calls.make(CALL(), { onEvent: rec.onEvent }));
    await api.close();
    expect(sent('POST', '/api/make-call')).toHaveLength(1);
    expect(rec.of('retry')).toEqual([]);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({
      kind: 'rate_limit',
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfterMs: 7_000,
    });
    expect((err as Error).message).toMatch(/not re-sent automatically/);
    expect((err as Error).message).toMatch(/retry in 7 s \(at \d{4}-\d\d-\d\dT[\d:.]+Z\)/);
    expect(rec.of('upstream_error')).toEqual([
      expect.objectContaining({
        status: 429,
        code: 'RATE_LIMIT_EXCEEDED',
        message: expect.stringMatching(/retry in 7 s/),
      }),
    ]);
  });

  it('a POST marked idempotent (sentiment analysis) is retried after a 429', async () => {
    const api = clientFor(sb);
    sb.injectFault({
      method: 'POST',
      path: '/api/analytics/sentiment-batch',
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfter: '0',
    });
    const { results } = await api.analytics.sentimentBatch({ texts: ['Great service'] });
    await api.close();
    expect(results).toHaveLength(1);
    expect(sent('POST', '/api/analytics/sentiment-batch').map((r) => r.status)).toEqual([429, 200]);
  });

  it('an agent create answered 429 is sent exactly once', async () => {
    const api = clientFor(sb, { maxRetries: 5 });
    sb.injectFault({ method: 'POST', path: '/api/agents/create', status: 429, retryAfter: '0', times: 5 });
    await expect(api.agents.create({ name: 'Once only' })).rejects.toBeInstanceOf(RateLimitError);
    await api.close();
    expect(sent('POST', '/api/agents/create')).toHaveLength(1);
  });

  it('gives up after maxRetries with the last error', async () => {
    const api = clientFor(sb, { maxRetries: 1 });
    sb.injectFault({
      path: '/api/voices/list',
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfter: '0',
      times: 5,
    });
    const rec = recorder();
    const err = await caught(() => api.voices.list({ onEvent: rec.onEvent }));
    await api.close();
    expect(err).toBeInstanceOf(RateLimitError);
    expect(sent('GET', '/api/voices/list')).toHaveLength(2);
    expect(rec.of('upstream_error')).toEqual([
      expect.objectContaining({ status: 429, code: 'RATE_LIMIT_EXCEEDED', path: '/api/voices/list' }),
    ]);
  });
});

describe('5xx', () => {
  it('a GET is retried on 503 until it succeeds', async () => {
    const api = clientFor(sb);
    sb.injectFault({ path: '/api/voices/list', status: 503, code: 'INTERNAL_ERROR', times: 2 });
    const rec = recorder();
    const { voices } = await api.voices.list({ onEvent: rec.onEvent });
    await api.close();
    expect(voices.length).toBeGreaterThan(0);
    expect(sent('GET', '/api/voices/list').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(rec.of('retry').map((e) => (e.type === 'retry' ? e.attempt : 0))).toEqual([1, 2]);
    expect(rec.of('upstream_error')).toEqual([]);
  });

  it('a PUT is retried on 502', async () => {
    const api = clientFor(sb);
    sb.injectFault({ method: 'PUT', path: '/api/agents/*', status: 502, code: 'INTERNAL_ERROR' });
    await api.agents.update(agentId, { description: 'retried' });
    await api.close();
    expect(sent('PUT', `/api/agents/${agentId}/update`).map((r) => r.status)).toEqual([502, 200]);
  });

  it('a make-call answered 503 is sent exactly once', async () => {
    const api = clientFor(sb, { maxRetries: 5 });
    sb.injectFault({ method: 'POST', path: '/api/make-call', status: 503, code: 'INTERNAL_ERROR', times: 5 });
    const rec = recorder();
    const err = await caught(() => api.calls.make(CALL(), { onEvent: rec.onEvent }));
    await api.close();
    expect(err).toBeInstanceOf(ServerError);
    expect(sent('POST', '/api/make-call')).toHaveLength(1);
    expect(rec.of('retry')).toEqual([]);
    expect(rec.of('upstream_error')).toHaveLength(1);
  });

  it('an agent create answered 500 is sent exactly once', async () => {
    const api = clientFor(sb, { maxRetries: 5 });
    sb.injectFault({ method: 'POST', path: '/api/agents/create', status: 500, times: 5 });
    await expect(api.agents.create({ name: 'Once only' })).rejects.toBeInstanceOf(ServerError);
    await api.close();
    expect(sent('POST', '/api/agents/create')).toHaveLength(1);
  });
});

describe('connection failures', () => {
  it('a GET whose connection is reset is retried', async () => {
    const api = clientFor(sb);
    sb.injectFault({ path: '/api/voices/list', reset: true });
    const rec = recorder();
    await api.voices.list({ onEvent: rec.onEvent });
    await api.close();
    expect(sent('GET', '/api/voices/list')).toHaveLength(2);
    expect(rec.of('retry')).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/connection/) }),
    ]);
  });

  it('a make-call whose connection is reset after sending is not re-sent', async () => {
    const api = clientFor(sb, { maxRetries: 5 });
    sb.injectFault({ method: 'POST', path: '/api/make-call', reset: true });
    const err = await caught(() => api.calls.make(CALL()));
    await api.close();
    expect(err).toBeInstanceOf(ApiConnectionError);
    expect(sent('POST', '/api/make-call')).toHaveLength(1);
  });

  it('a make-call refused before sending (ECONNREFUSED) is retried, and sent once', async () => {
    const port = await freePort();
    let late: Sandbox | undefined;
    let starting: Promise<Sandbox> | undefined;
    const rec = recorder();
    const api = new VoisaClient({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      apiKey: sb.demoKey,
      rateLimitPerMin: 0,
      maxRetries: 5,
      maxRetryDelayMs: 200,
    });
    try {
      // The sandbox seed is deterministic: the late one knows the same demo key and agent.
      const result = await api.calls.make(CALL(), {
        onEvent: (e) => {
          rec.onEvent(e);
          // The API comes up only after the first attempt was refused.
          starting ??= startSandbox({ port, rateLimitPerMin: 0 }).then((s) => {
            late = s;
            return s;
          });
        },
      });
      expect(result.status).toBe('initiated');
    } finally {
      await api.close();
      late ??= await starting;
      await late?.close();
    }
    const retries = rec.of('retry');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]).toMatchObject({ method: 'POST', reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(late).toBeDefined();
    expect(late!.requests().filter((r) => r.path === '/api/make-call')).toHaveLength(1);
  });

  it('a POST to a closed port fails with ApiConnectionError (ECONNREFUSED) after the retries', async () => {
    const port = await freePort();
    const api = new VoisaClient({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      apiKey: 'vsa_x',
      rateLimitPerMin: 0,
      maxRetries: 2,
      maxRetryDelayMs: 5,
    });
    const rec = recorder();
    const err = await caught(() => api.calls.make(CALL(), { onEvent: rec.onEvent }));
    await api.close();
    expect(err).toBeInstanceOf(ApiConnectionError);
    expect(err).toMatchObject({ kind: 'connection', code: 'ECONNREFUSED' });
    expect(rec.of('retry')).toHaveLength(2);
  });
});

describe('timeouts', () => {
  it('an attempt slower than timeoutMs -> ApiTimeoutError', async () => {
    const api = clientFor(sb, { timeoutMs: 150, maxRetries: 0 });
    sb.injectFault({ path: '/api/voices/list', delayMs: 2_000 });
    const started = performance.now();
    const err = await caught(() => api.voices.list());
    await api.close();
    expect(err).toBeInstanceOf(ApiTimeoutError);
    expect(err).toMatchObject({ kind: 'timeout', timeoutMs: 150 });
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('a GET that timed out is retried', async () => {
    const api = clientFor(sb, { timeoutMs: 150 });
    sb.injectFault({ path: '/api/voices/list', delayMs: 2_000 });
    await api.voices.list();
    await api.close();
    expect(sent('GET', '/api/voices/list')).toHaveLength(2);
  });

  it('a make-call that timed out is not re-sent', async () => {
    const api = clientFor(sb, { timeoutMs: 150, maxRetries: 3 });
    sb.injectFault({ method: 'POST', path: '/api/make-call', delayMs: 2_000, times: 4 });
    await expect(api.calls.make(CALL())).rejects.toBeInstanceOf(ApiTimeoutError);
    await api.close();
    expect(sent('POST', '/api/make-call')).toHaveLength(1);
  });
});

describe('aborts', () => {
  it('an already aborted signal sends nothing', async () => {
    const api = clientFor(sb);
    const err = await caught(() => api.voices.list({ signal: AbortSignal.abort() }));
    await api.close();
    expect(err).toBeInstanceOf(ApiAbortError);
    expect(sb.requests()).toHaveLength(0);
  });

  it('aborting during the request -> ApiAbortError at once', async () => {
    const api = clientFor(sb);
    sb.injectFault({ path: '/api/voices/list', delayMs: 2_000 });
    const rec = recorder();
    const started = performance.now();
    const err = await caught(() =>
      api.voices.list({ signal: AbortSignal.timeout(100), onEvent: rec.onEvent }),
    );
    await api.close();
    expect(err).toBeInstanceOf(ApiAbortError);
    expect(err).toMatchObject({ kind: 'abort' });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(rec.events).toEqual([]); // no retry, no upstream_error
  });

  it('aborting during the wait between retries -> ApiAbortError without waiting it out', async () => {
    const api = clientFor(sb, { maxRetryDelayMs: 10_000 });
    sb.injectFault({ path: '/api/voices/list', status: 503, retryAfter: '5', times: 3 });
    const started = performance.now();
    const err = await caught(() => api.voices.list({ signal: AbortSignal.timeout(200) }));
    await api.close();
    expect(err).toBeInstanceOf(ApiAbortError);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(sent('GET', '/api/voices/list')).toHaveLength(1);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

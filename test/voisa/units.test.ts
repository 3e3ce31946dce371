/** Pure pieces of the client: Retry-After, backoff, the token bucket's arithmetic, env config, multipart, version. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/voisa/config.js';
import {
  AuthenticationError,
  apiErrorFor,
  clientConfigFromEnv,
  DEFAULT_BASE_URL,
  NotFoundError,
  VERSION,
} from '../../src/voisa/index.js';
import { buildMultipart } from '../../src/voisa/multipart.js';
import { TokenBucket } from '../../src/voisa/rate-limit.js';
import { INITIAL_RETRY_DELAY_MS, parseRetryAfter, retryDelayMs } from '../../src/voisa/retry.js';

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2025-01-15T10:30:00Z');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 15 Jan 2025 10:30:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Wed, 15 Jan 2025 10:29:00 GMT', now)).toBe(0); // in the past
  });

  it('ignores absent and malformed values', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
  });
});

describe('backoff', () => {
  it('doubles per retry with at most 25 % jitter, capped', () => {
    for (let retry = 1; retry <= 4; retry++) {
      const base = INITIAL_RETRY_DELAY_MS * 2 ** (retry - 1);
      for (let i = 0; i < 50; i++) {
        const d = retryDelayMs(retry, 60_000);
        expect(d).toBeGreaterThanOrEqual(base * 0.75);
        expect(d).toBeLessThanOrEqual(base);
      }
    }
    expect(retryDelayMs(10, 1_000)).toBe(1_000);
  });

  it('prefers Retry-After, capped too', () => {
    expect(retryDelayMs(1, 30_000, 7_000)).toBe(7_000);
    expect(retryDelayMs(1, 30_000, 0)).toBe(0);
    expect(retryDelayMs(1, 2_000, 7_000)).toBe(2_000);
  });
});

describe('token bucket', () => {
  it('100/min: 10 at once, then one every ~667 ms, never more than 100 in a minute', () => {
    let now = 0;
    const bucket = new TokenBucket(100, () => now);
    expect(bucket.capacity).toBe(10);
    const waits = Array.from({ length: 12 }, () => bucket.reserve());
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits[10]).toBe(667);
    expect(waits[11]).toBe(1_334);

    // Any 60 s window: a fresh bucket under constant demand grants at most 100.
    now = 0;
    const fresh = new TokenBucket(100, () => now);
    let granted = 0;
    for (let t = 0; t < 60_000; t += 10) {
      now = t;
      if (fresh.reserve() === 0) granted++;
      else fresh.release();
    }
    expect(granted).toBeLessThanOrEqual(100);
    expect(granted).toBeGreaterThanOrEqual(98);
  });

  it('small limits still get one token', () => {
    const bucket = new TokenBucket(5, () => 0);
    expect(bucket.capacity).toBe(1);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(15_000); // 4 per minute after the first
  });
});

describe('error mapping', () => {
  it('the code wins over the status; unknown codes map by status', () => {
    expect(apiErrorFor({ status: 400, code: 'AGENT_NOT_FOUND', message: 'x' })).toBeInstanceOf(NotFoundError);
    expect(apiErrorFor({ status: 401, code: 'NEW_CODE', message: 'x' })).toBeInstanceOf(AuthenticationError);
    expect(apiErrorFor({ status: 401, code: 'toString', message: 'x' })).toBeInstanceOf(AuthenticationError);
  });

  it('message reads CODE (status): message [field: x]', () => {
    const err = apiErrorFor({
      status: 404,
      code: 'AGENT_NOT_FOUND',
      message: 'No agent agt_1',
      field: 'agent_id',
    });
    expect(err.message).toBe('AGENT_NOT_FOUND (404): No agent agt_1 [field: agent_id]');
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      name: 'NotFoundError',
      kind: 'not_found',
      status: 404,
      code: 'AGENT_NOT_FOUND',
      field: 'agent_id',
    });
  });
});

describe('configuration', () => {
  it('reads the VOISA_* variables; empty ones are left to the defaults', () => {
    expect(
      clientConfigFromEnv({
        VOISA_API_KEY: 'vsa_k',
        VOISA_BASE_URL: 'http://127.0.0.1:9/v1',
        VOISA_TIMEOUT_MS: '1500',
        VOISA_MAX_RETRIES: '0',
        VOISA_RATE_LIMIT_PER_MIN: '500',
      }),
    ).toEqual({
      apiKey: 'vsa_k',
      baseUrl: 'http://127.0.0.1:9/v1',
      timeoutMs: 1_500,
      maxRetries: 0,
      rateLimitPerMin: 500,
    });
    expect(clientConfigFromEnv({ VOISA_API_KEY: '', VOISA_TIMEOUT_MS: ' ' })).toEqual({});
  });

  it('rejects malformed numbers, naming the variable', () => {
    expect(() => clientConfigFromEnv({ VOISA_TIMEOUT_MS: '10s' })).toThrow(/VOISA_TIMEOUT_MS/);
    expect(() => clientConfigFromEnv({ VOISA_MAX_RETRIES: '-1' })).toThrow(/VOISA_MAX_RETRIES/);
  });

  it('defaults, and the base URL split into origin and path', () => {
    const d = resolveConfig({});
    expect(DEFAULT_BASE_URL).toBe('https://api.voisa.ai/v1');
    expect(d).toMatchObject({
      origin: 'https://api.voisa.ai',
      basePath: '/v1',
      timeoutMs: 30_000,
      maxRetries: 2,
      rateLimitPerMin: 100,
      maxRetryDelayMs: 30_000,
      userAgent: `voisa-mcp/${VERSION}`,
    });
    expect(resolveConfig({ baseUrl: 'http://localhost:8080/v1/' }).basePath).toBe('/v1');
    expect(() => resolveConfig({ baseUrl: 'ftp://x' })).toThrow(/http/);
  });

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
  });
});

describe('multipart', () => {
  it('builds a body a standard parser reads back, of the announced length, re-creatable', async () => {
    const data = new Uint8Array(150_000).map((_, i) => i % 251);
    const body = buildMultipart([
      { field: 'agent_id', value: 'agt_1' },
      { field: 'category', value: undefined },
      { field: 'file', file: { name: 'Menü "2025".pdf', data, contentType: 'application/pdf' } },
    ]);
    for (let round = 0; round < 2; round++) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of body.chunks()) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      expect(bytes.length).toBe(body.length);
      const form = await new Response(bytes, { headers: { 'content-type': body.contentType } }).formData();
      expect(form.get('agent_id')).toBe('agt_1');
      expect(form.has('category')).toBe(false);
      const file = form.get('file') as File;
      expect(file.type).toBe('application/pdf');
      expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(data))).toBe(true);
    }
  });
});

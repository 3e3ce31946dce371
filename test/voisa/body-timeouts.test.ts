/**
 * Response bodies are bounded in time, not only their headers: a body that trickles a
 * byte at a time fails with a timeout, and stalled downloads cannot take the connections
 * that JSON calls need.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTimeoutError, VoisaClient } from '../../src/voisa/index.js';
import { caught } from './harness.js';
import { type RawServer, rawServer, sendJson, trickle } from './raw-server.js';

const KEY = 'vsa_test_bodyTimeouts0000000000000000';

let server: RawServer;
beforeAll(async () => {
  server = await rawServer((req, res) => {
    const url = req.url ?? '';
    if (/\/api\/conversations\/[^/]+\/audio$/.test(url)) return trickle(res, 'audio/mpeg', 'ID3', 'x');
    if (url.endsWith('/api/voices/list')) return trickle(res, 'application/json', '{"success":true,"data":{');
    if (url.endsWith('/api/verify')) {
      return sendJson(res, 200, { success: true, data: { valid: true, permissions: ['read'] } });
    }
    sendJson(res, 404, { success: false, error: { code: 'RESOURCE_NOT_FOUND', message: 'no such path' } });
  });
});
afterAll(() => server.close());

const clientOf = (timeoutMs: number) =>
  new VoisaClient({ baseUrl: server.baseUrl, apiKey: KEY, rateLimitPerMin: 0, maxRetries: 0, timeoutMs });

/** Polls (bounded) until `check` holds. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('trickling bodies', () => {
  it('an audio body trickling a byte at a time fails with a timeout error', async () => {
    const api = clientOf(200);
    try {
      // Each byte comes well within the 200 ms idle bound; only the total deadline can end it.
      const err = await caught(() => api.conversations.audioBuffer('conv_trickle'));
      expect(err).toBeInstanceOf(ApiTimeoutError);
      expect(err).toMatchObject({ kind: 'timeout', timeoutMs: 400 });
      expect((err as Error).message).toMatch(/download .* did not finish within 400 ms/);
    } finally {
      await api.close();
    }
  });

  it('an audio stream nobody reads is ended by the deadline too, freeing its connection', async () => {
    const api = clientOf(200);
    try {
      const stream = await api.conversations.audio('conv_unread');
      // Not read until long after the deadline: the body was destroyed meanwhile.
      await new Promise((r) => setTimeout(r, 1_000));
      const err = await caught(async () => {
        for await (const _ of stream.body) {
          // drain
        }
      });
      expect(err).toBeInstanceOf(ApiTimeoutError);
    } finally {
      await api.close();
    }
  });

  it('a JSON body trickling a byte at a time fails with a timeout error', async () => {
    const api = clientOf(200);
    try {
      const err = await caught(() => api.voices.list());
      expect(err).toBeInstanceOf(ApiTimeoutError);
      expect(err).toMatchObject({ kind: 'timeout', timeoutMs: 200 });
    } finally {
      await api.close();
    }
  });
});

describe('the connection pool', () => {
  it('while 20 downloads trickle, a JSON call still gets a connection', async () => {
    // Generous timeout: the JSON call must not merely outlast the downloads' deadline.
    const api = clientOf(3_000);
    const stop = new AbortController();
    const before = server.paths.length;
    const downloads = Array.from({ length: 20 }, (_, i) =>
      api.conversations.audioBuffer(`conv_${i}`, { signal: stop.signal }).catch((e: unknown) => e),
    );
    let verified: unknown;
    try {
      // The key's share of the download pool (4 of its 8 connections, fair-share.ts) holds a
      // connection each; 16 would without a pool of their own.
      const audioRequests = () => server.paths.slice(before).filter((p) => p.endsWith('/audio')).length;
      await until(() => audioRequests() >= 4, '4 downloads to start');
      verified = await api.auth.verify().catch((e: unknown) => e);
    } finally {
      stop.abort();
      await Promise.all(downloads);
      await api.close();
    }
    expect(verified).toMatchObject({ valid: true });
  });
});

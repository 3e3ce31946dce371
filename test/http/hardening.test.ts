/**
 * Random bearer tokens (issue 9 point 6): a refused key costs no per-key client,
 * no log line of its own and, once its address has sent too many, no upstream
 * call (429 instead); the per-key client pool is capped.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientPool } from '../../src/http/clients.js';
import { VoisaClient, type VoisaLogger } from '../../src/voisa/index.js';
import { addressBucket, INVALID_KEYS, RefusalLimiter, RefusalTally } from '../../src/web/auth.js';
import { connectHttp, INIT, postWithHost, type Stack, startStack, waitFor } from './helpers.js';

const LIMIT = 4; // refused keys per minute per address, in these tests

/** A POST /mcp from a chosen loopback address. */
const postFrom = (localAddress: string, url: string, body: unknown, headers: Record<string, string>) =>
  postWithHost(url, body, headers, localAddress);

const randomToken = () => `vsa_test_${randomBytes(12).toString('hex')}`;

describe('random bearer tokens', () => {
  // The VOISA client logs as in production (every line kept), so a per-request line would show.
  let stack: Stack;
  let clientLines: string[];
  beforeAll(async () => {
    clientLines = [];
    const lines: VoisaLogger = {
      debug: () => {},
      info: (m, d) => clientLines.push(`${m} ${JSON.stringify(d)}`),
      warn: (m, d) => clientLines.push(`${m} ${JSON.stringify(d)}`),
      error: (m, d) => clientLines.push(`${m} ${JSON.stringify(d)}`),
    };
    stack = await startStack({ serverKey: null, logger: lines, maxKeyRefusalsPerMinute: LIMIT });
  });
  afterAll(() => stack?.close());

  const verifies = () => stack.sandbox.requests().filter((r) => r.path === '/api/verify').length;
  const refusalLines = () => stack.logs.filter((l) => /refused \d+ requests? with invalid API keys/.test(l));

  it('keeps no per-key client, logs no line per token, and tallies refusals in one line', async () => {
    stack.sandbox.clearRequests();
    const tokens = Array.from({ length: LIMIT }, randomToken);
    for (const token of tokens) {
      const res = await postFrom('127.0.0.2', stack.http.mcpUrl, INIT, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(res.body).not.toContain(token);
    }
    expect(verifies()).toBe(LIMIT); // each was checked once
    expect(stack.http.app.clients.size).toBe(0); // and none left a client behind
    expect(clientLines.filter((l) => l.includes('/api/verify'))).toEqual([]);
    expect(refusalLines()).toEqual([]);

    stack.http.app.sweep();
    stack.http.app.sweep(); // within the interval: no second line
    expect(refusalLines()).toHaveLength(1);
    expect(refusalLines()[0]).toMatch(/refused 4 requests with invalid API keys from 1 address\b/);
    const all = [...stack.logs, ...clientLines].join('\n');
    for (const token of tokens) expect(all).not.toContain(token);
  });

  it('answers 429 with Retry-After past the limit without asking VOISA; other addresses and known keys still work', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const res = await postFrom('127.0.0.3', stack.http.mcpUrl, INIT, {
        authorization: `Bearer ${randomToken()}`,
      });
      expect(res.status).toBe(401);
    }
    // A key verified earlier, from anywhere, is not held up by the storm.
    const known = await connectHttp(stack.http.mcpUrl, stack.sandbox.readOnlyKey);
    await known.close();

    stack.sandbox.clearRequests();
    const token = randomToken();
    const limited = await postFrom('127.0.0.3', stack.http.mcpUrl, INIT, {
      authorization: `Bearer ${token}`,
    });
    expect(limited.status).toBe(429);
    expect(limited.body).not.toContain(token);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(limited.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
    expect(verifies()).toBe(0);

    // The known key from the limited address: fine (its verdict is cached).
    const again = await postFrom('127.0.0.3', stack.http.mcpUrl, INIT, {
      authorization: `Bearer ${stack.sandbox.readOnlyKey}`,
    });
    expect(again.status).toBe(200);
    // A valid key never seen before, from another address: verified and served.
    const fresh = await connectHttp(stack.http.mcpUrl, stack.sandbox.demoKey);
    await expect(fresh.client.ping()).resolves.toEqual({});
    await fresh.close();

    stack.http.app.sweep();
    expect(refusalLines().at(-1) ?? '').not.toMatch(/invalid API keys from 0/);
  });

  it('asks VOISA once about a bad key sent again and again (negative cache)', async () => {
    stack.sandbox.clearRequests();
    const token = randomToken();
    for (let i = 0; i < 3; i++) {
      const res = await postFrom('127.0.0.4', stack.http.mcpUrl, INIT, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
    }
    expect(verifies()).toBe(1);
  });
});

describe('the per-key client pool', () => {
  it('drops the least recently used idle client past its cap, and never one in use', async () => {
    const base = new VoisaClient({ baseUrl: 'http://127.0.0.1:9', rateLimitPerMin: 0 });
    const pool = new ClientPool(base, undefined, 60_000, 2);
    const a = pool.acquire('key-a', 'a');
    pool.acquire('key-b', 'b');
    pool.release('b');
    pool.acquire('key-c', 'c'); // at the cap: b (idle) goes, a (held) stays
    expect(pool.size).toBe(2);
    expect(pool.acquire('key-a', 'a')).toBe(a);
    pool.release('a');
    pool.release('a');
    pool.release('c');
    pool.acquire('key-c', 'c'); // c is now the most recent
    pool.release('c');
    pool.acquire('key-d', 'd'); // a is the least recently used idle one
    expect(pool.size).toBe(2);
    expect(pool.acquire('key-a', 'a')).not.toBe(a);
    await pool.close();
    await base.close();
  });

  it('is capped over HTTP too: idle clients go, clients of live sessions stay', async () => {
    const stack = await startStack({ serverKey: null, maxClients: 1 });
    const clients = () => stack.http.app.clients.size;
    const end = async (c: Awaited<ReturnType<typeof connectHttp>>, left: number) => {
      await c.transport.terminateSession();
      await c.close();
      await waitFor(() => stack.http.app.sessions.size === left, 3000, 'the session to end');
    };
    try {
      const demo = await connectHttp(stack.http.mcpUrl, stack.sandbox.demoKey);
      const ro = await connectHttp(stack.http.mcpUrl, stack.sandbox.readOnlyKey);
      expect(clients()).toBe(2); // both in use: over the cap rather than break a session
      await end(demo, 1);
      expect(clients()).toBe(1); // released and idle: dropped back to the cap
      const again = await connectHttp(stack.http.mcpUrl, stack.sandbox.demoKey);
      expect(clients()).toBe(2);
      await end(ro, 1);
      await end(again, 0);
      expect(clients()).toBe(1);
      const last = await connectHttp(stack.http.mcpUrl, stack.sandbox.readOnlyKey);
      expect(clients()).toBe(1); // the idle demo client made room
      await last.close();
    } finally {
      await stack.close();
    }
  });
});

describe('refusal bookkeeping', () => {
  it('limits IPv6 peers per /64 and IPv4-mapped peers as IPv4', () => {
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe(addressBucket('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressBucket('2001:db8:1:2::1')).not.toBe(addressBucket('2001:db8:1:3::1'));
    expect(addressBucket('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
  });

  it('lets an address try again once its minute is over, and stays bounded', () => {
    const limiter = new RefusalLimiter(2, 60_000, 3);
    const t0 = 1_000_000;
    limiter.refused('10.0.0.1', t0);
    expect(limiter.retryAfter('10.0.0.1', t0)).toBeUndefined();
    limiter.refused('10.0.0.1', t0 + 1000);
    expect(limiter.retryAfter('10.0.0.1', t0 + 1000)).toBe(59);
    expect(limiter.retryAfter('10.0.0.2', t0 + 1000)).toBeUndefined();
    expect(limiter.retryAfter('10.0.0.1', t0 + 60_000)).toBeUndefined();
    for (let i = 0; i < 10; i++) limiter.refused(`10.0.1.${i}`, t0 + 2000);
    expect(limiter.size).toBeLessThanOrEqual(3);
  });

  it('tallies refusals into one line per interval, naming no key', () => {
    const lines: string[] = [];
    const tally = new RefusalTally((line) => lines.push(line), INVALID_KEYS, 60_000);
    tally.add('10.0.0.1', false);
    tally.add('10.0.0.1', true);
    tally.add('10.0.0.2', false);
    tally.flush(0);
    tally.add('10.0.0.3', false);
    tally.flush(30_000); // inside the interval: held back
    tally.flush(60_000);
    tally.flush(120_000); // nothing new: no line
    expect(lines).toEqual([
      'refused 3 requests with invalid API keys from 2 addresses (1 rate-limited with 429)',
      'refused 1 request with invalid API keys from 1 address',
    ]);
  });
});

it('stateless mode: refused tokens leave no client behind either', async () => {
  const stack = await startStack({ serverKey: null, stateless: true, maxKeyRefusalsPerMinute: 3 });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const token = randomToken();
      const res = await postFrom('127.0.0.5', stack.http.mcpUrl, INIT, { authorization: `Bearer ${token}` });
      expect(res.body).not.toContain(token);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(stack.http.app.clients.size).toBe(0);
  } finally {
    await stack.close();
  }
});

it('the legacy GET /sse endpoint shares the same per-address limit', async () => {
  const stack = await startStack({ serverKey: null, maxKeyRefusalsPerMinute: 2 });
  try {
    const get = (token: string, localAddress = '127.0.0.6') =>
      new Promise<number>((resolve, reject) => {
        const target = new URL(`${stack.http.url}/sse`);
        const req = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            localAddress,
            headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          },
          (res) => {
            res.resume();
            res.destroy();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    const statuses = [await get(randomToken()), await get(randomToken()), await get(randomToken())];
    expect(statuses).toEqual([401, 401, 429]);
    expect(await get(randomToken(), '127.0.0.1')).toBe(401); // another address is not held up
    expect(stack.http.app.clients.size).toBe(0);
  } finally {
    await stack.close();
  }
});

it('counts checks VOISA could not answer too: an address gets only so many upstream checks a minute', async () => {
  const stack = await startStack({ serverKey: null, maxKeyRefusalsPerMinute: 2 });
  try {
    stack.sandbox.injectFault({ path: '/api/verify', status: 500, times: 100 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const token = randomToken();
      const res = await postFrom('127.0.0.7', stack.http.mcpUrl, INIT, { authorization: `Bearer ${token}` });
      expect(res.body).not.toContain(token);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([502, 502, 429]);
    stack.sandbox.clearFaults();
    const c = await connectHttp(stack.http.mcpUrl, stack.sandbox.demoKey); // other addresses: unaffected
    await c.close();
    expect(stack.logs.join('\n')).not.toMatch(/vsa_test_[0-9a-f]{24}/);
  } finally {
    await stack.close();
  }
});

it('unsigned webhook deliveries are tallied, not logged one line each', async () => {
  const stack = await startStack({ webhookSecret: 'whsec_tally_0123456789' });
  try {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${stack.http.url}/webhooks/voisa`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-voisa-signature': `sha256=${'0'.repeat(64)}` },
        body: JSON.stringify({ id: `evt_${i}`, event: 'x', timestamp: new Date().toISOString(), data: {} }),
      });
      expect(res.status).toBe(401);
    }
    expect(stack.logs.filter((l) => l.includes('webhook'))).toEqual([]);
    stack.http.app.sweep();
    expect(stack.logs.filter((l) => l.includes('webhook'))).toEqual([
      'warning refused 5 webhook deliveries with a missing or invalid signature from 1 address ',
    ]);
  } finally {
    await stack.close();
  }
});

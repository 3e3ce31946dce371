/**
 * `GET /readyz`, the readiness probe, against real instances: 503 `warming` until the app has warmed up,
 * 200 once it has (without Redis: nothing else to ask); with Debian's redis-server, 200 while Redis answers,
 * 503 `redis unreachable` while it is killed and 200 again after its restart, while `/healthz` (liveness)
 * stays 200 throughout; 503 `closing` once shutdown began. A 2026-07-28 and a 2025-11-25 client each
 * make a call on the instance while it reports ready.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { createSharedState } from '../../src/scale/index.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import { type Instance, type Stack, startInstance, startStack } from '../http/helpers.js';

interface Probe {
  status: number;
  body: { status: string; reason?: string; redis?: string; instance?: string };
  cache: string | null;
}

async function probe(base: string, path: '/readyz' | '/healthz'): Promise<Probe> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as never, cache: res.headers.get('cache-control') };
}

/** The status of a GET with this Host header (node:http: fetch always sends the URL's). */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `/readyz` until `want` holds, checking `/healthz` is 200 at every step; returns the last answer. */
async function readyzUntil(base: string, want: (p: Probe) => boolean, ms = 15_000): Promise<Probe> {
  const until = Date.now() + ms;
  for (;;) {
    const live = await probe(base, '/healthz');
    expect(live.status, JSON.stringify(live.body)).toBe(200);
    const ready = await probe(base, '/readyz');
    if (want(ready)) return ready;
    if (Date.now() > until) throw new Error(`/readyz never matched; last ${JSON.stringify(ready)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('/readyz without Redis', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ instanceId: 'solo' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is 503 warming until warmUp() has finished, then 200', async () => {
    const api = new VoisaClient({ apiKey: stack.sandbox.demoKey, baseUrl: stack.sandbox.baseUrl });
    const app = createHttpApp({ api, loopbackOnly: true });
    try {
      const before = await app.app.fetch(new Request('http://127.0.0.1/readyz'));
      expect(before.status).toBe(503);
      expect(await before.json()).toEqual({ status: 'not ready', reason: 'warming', redis: 'off' });
      // Liveness does not wait for warm-up.
      expect((await app.app.fetch(new Request('http://127.0.0.1/healthz'))).status).toBe(200);
      await app.warmUp();
      const after = await app.app.fetch(new Request('http://127.0.0.1/readyz'));
      expect(after.status).toBe(200);
      expect(await after.json()).toEqual({ status: 'ready', redis: 'off' });
    } finally {
      await app.close();
      await api.close();
    }
  });

  it('is 200 on a started instance, whatever the Host, and never cached', async () => {
    const ready = await probe(stack.http.url, '/readyz');
    expect(ready).toEqual({
      status: 200,
      body: { status: 'ready', redis: 'off', instance: 'solo' },
      cache: 'no-store',
    });
    // Answered before the Host guard, like /healthz: a balancer probes by address (fetch cannot set Host).
    expect(await statusWithHost(`${stack.http.url}/readyz`, 'probe.invalid')).toBe(200);
    expect(await statusWithHost(stack.http.mcpUrl, 'probe.invalid')).toBe(403);
  });

  it.each(GENERATIONS)('serves a %s client while ready', async (generation) => {
    expect((await probe(stack.http.url, '/readyz')).status).toBe(200);
    const client = await connectGeneration(
      generation,
      { url: stack.http.mcpUrl },
      { key: stack.sandbox.demoKey },
    );
    try {
      const result = await client.callTool('list_agents', {});
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('is 503 closing once shutdown began (and /healthz too)', async () => {
    stack.http.app.beginShutdown();
    const ready = await probe(stack.http.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not ready', reason: 'closing' });
    expect((await probe(stack.http.url, '/healthz')).status).toBe(503);
  });
});

describe.skipIf(!requireRedis())('/readyz with Redis', () => {
  let redis: RunningRedis;
  let sandbox: Sandbox;
  let instance: Instance;

  beforeAll(async () => {
    redis = await mustStartRedis();
    sandbox = await startSandbox({ trainingMs: 200, callMs: 300, rateLimitPerMin: 0 });
    const shared = await createSharedState({
      redisUrl: redis.url,
      secret: randomBytes(32),
      keyPrefix: `t${randomBytes(4).toString('hex')}:`,
    });
    instance = await startInstance(sandbox, { shared, instanceId: 'r1', serverKey: sandbox.demoKey });
  });
  afterAll(async () => {
    await instance?.close();
    await sandbox?.close();
    await redis?.stop();
  });

  it('is 200 while Redis answers', async () => {
    const ready = await probe(instance.http.url, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', redis: 'ok', instance: 'r1' });
  });

  it.each(GENERATIONS)('serves a %s client while ready', async (generation) => {
    expect((await probe(instance.http.url, '/readyz')).status).toBe(200);
    const client = await connectGeneration(
      generation,
      { url: instance.http.mcpUrl },
      { key: sandbox.demoKey },
    );
    try {
      expect((await client.callTool('list_agents', {})).isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('flips to 503 while Redis is killed and back to 200 after its restart; /healthz stays 200', async () => {
    redis.kill();
    const down = await readyzUntil(instance.http.url, (p) => p.status === 503);
    expect(down.body).toEqual({
      status: 'not ready',
      reason: 'redis unreachable',
      redis: 'unreachable',
      instance: 'r1',
    });
    // Liveness: degraded, still 200 (restarting the instance would not bring Redis back).
    expect(await probe(instance.http.url, '/healthz')).toMatchObject({
      status: 200,
      body: { status: 'degraded', redis: 'degraded' },
    });
    await redis.restart();
    const up = await readyzUntil(instance.http.url, (p) => p.status === 200);
    expect(up.body).toEqual({ status: 'ready', redis: 'ok', instance: 'r1' });
  });

  it('asks Redis at most about once a second however many probes arrive', async () => {
    const admin = await createSharedState({ redisUrl: redis.url, secret: randomBytes(32) });
    try {
      const pings = async () => {
        const info = (await admin.redis!.command.info('commandstats')) as string;
        return Number(/cmdstat_ping:calls=(\d+)/.exec(info)?.[1] ?? 0);
      };
      const before = await pings();
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 200 }, () => probe(instance.http.url, '/readyz')),
      );
      const seconds = (Date.now() - started) / 1000;
      expect(answers.every((a) => a.status === 200)).toBe(true);
      // One PING per elapsed second at most (plus the one in flight at the start), whatever the flood.
      expect((await pings()) - before).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    } finally {
      await admin.close();
    }
  });
});

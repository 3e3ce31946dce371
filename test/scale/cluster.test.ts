/**
 * Three instances of the built server behind Debian's nginx (the shipped deploy config), sharing state
 * through Debian's redis-server: a listen stream held by instance A receives the update for a webhook
 * posted to instance C; a replayed webhook reaches no one twice; a confirmation asked by one instance is
 * answered on another; both protocol generations work through the balancer; killing an instance loses
 * only the requests in flight on it; Redis going away degrades, and never crashes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenants } from '../../src/http/tenants.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { resolveServerSecret } from '../../src/security/secret.js';
import { hashKey } from '../../src/web/auth.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';
import {
  freePort,
  missing,
  NGINX_BIN,
  REDIS_BIN,
  type RunningNginx,
  type RunningRedis,
  startNginx,
  startRedis,
} from '../helpers/services.js';
import { postWebhook, waitFor } from '../http/helpers.js';

const CLI = fileURLToPath(new URL('../../dist/bin/voisa-mcp.mjs', import.meta.url));
const SERVER_SECRET = randomBytes(32).toString('base64');
const WEBHOOK_SECRET = 'whsec_cluster_0123456789';
const CALL = { agent_id: 'agt_bella0001', phone_number: '+49123456789' };

interface Instance {
  port: number;
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/** One `voisa-mcp --http` process of the cluster. */
async function startInstance(port: number, sandbox: Sandbox, redisUrl: string): Promise<Instance> {
  const child = spawn(
    process.execPath,
    [CLI, '--http', '--port', String(port), '--instance-id', String(port), '--redis-url', redisUrl],
    {
      env: {
        PATH: process.env.PATH ?? '',
        VOISA_BASE_URL: sandbox.baseUrl,
        VOISA_SERVER_SECRET: SERVER_SECRET,
        VOISA_WEBHOOK_SECRET: WEBHOOK_SECRET,
        VOISA_RATE_LIMIT_PER_MIN: '0',
        VOISA_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr!.on('data', (d) => {
    log += d;
  });
  await waitFor(
    () => log.includes('serving MCP over streamable HTTP'),
    15_000,
    `instance ${port} to start:\n${log}`,
  );
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    stderr: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A 2026-07-28 request by hand (the `_meta` envelope and the standard headers). */
async function modern(
  url: string,
  method: string,
  params: Record<string, unknown>,
  extra: object = {},
  key = sandbox.demoKey,
) {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${key}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        ...extra,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
        },
      },
    }),
  });
  const text = await res.text();
  const line = text.startsWith('{')
    ? text
    : (text.split('\n').find((l) => l.startsWith('data: ') && l.includes('"id":1')) ?? '').slice(6);
  return { status: res.status, body: JSON.parse(line || '{}') };
}

let eventCounter = 0;
function webhook(conversationId: string) {
  eventCounter++;
  return {
    id: `evt_cluster_${eventCounter}_${Date.now()}`,
    event: 'conversation.ended',
    timestamp: new Date().toISOString(),
    data: { conversation_id: conversationId, agent_id: 'agt_bella0001' },
  };
}

/** Posts to the demo key's own webhook URL on that instance, signed with its own secret (src/http/tenants.ts). */
function deliver(url: string, event: object): Promise<number> {
  const secret = resolveServerSecret({ VOISA_SERVER_SECRET: SERVER_SECRET }, { shared: true }).secret;
  const tenants = createTenants(secret, () => undefined);
  const id = tenants.idOf(hashKey(sandbox.demoKey));
  return postWebhook(url, event, tenants.secretOf(id), `/webhooks/voisa/t/${id}`);
}

const skip = missing(REDIS_BIN, 'redis-server') || missing(NGINX_BIN, 'nginx-light');

let sandbox: Sandbox;
let redis: RunningRedis;
let nginx: RunningNginx;
let instances: Instance[] = [];
const makeCalls = () => sandbox.requests().filter((r) => r.path === '/api/make-call').length;

describe.skipIf(skip)('three instances behind nginx, sharing Redis', () => {
  beforeAll(async () => {
    sandbox = await startSandbox({ trainingMs: 200, callMs: 300, rateLimitPerMin: 0 });
    redis = await startRedis();
    const ports = [await freePort(), await freePort(), await freePort()] as [number, number, number];
    instances = await Promise.all(ports.map((p) => startInstance(p, sandbox, redis.url)));
    nginx = await startNginx(ports);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(instances.map((i) => i.stop()));
    await redis?.stop();
    await sandbox?.close();
  });

  it('a listen stream on instance A gets the update for a webhook posted to instance C, once, replay or not', async () => {
    const [a, , c] = instances;
    const watcher = await connectGeneration('2026-07-28', { url: `${a!.url}/mcp` }, { key: sandbox.demoKey });
    try {
      const uri = 'voisa://conversations/conv_cluster_1';
      await watcher.watch([uri]);
      const event = webhook('conv_cluster_1');
      expect(await deliver(c!.url, event)).toBe(200);
      await waitFor(() => watcher.updates.includes(uri), 5000, 'the update on instance A');
      // The same delivery again, to A and to B: refused by the shared ledger, delivered to no one.
      expect(await deliver(a!.url, event)).toBe(409);
      expect(await deliver(instances[1]!.url, event)).toBe(409);
      await new Promise((r) => setTimeout(r, 300));
      expect(watcher.updates.filter((u) => u === uri)).toHaveLength(1);
    } finally {
      await watcher.close();
    }
  });

  it('a 2025-era session on instance B gets the update of a webhook posted to A', async () => {
    const [a, b] = instances;
    const session = await connectGeneration('2025-11-25', { url: `${b!.url}/mcp` }, { key: sandbox.demoKey });
    try {
      const uri = 'voisa://conversations/conv_cluster_2';
      await session.watch([uri]);
      expect(await deliver(a!.url, webhook('conv_cluster_2'))).toBe(200);
      await waitFor(() => session.updates.includes(uri), 5000, 'the update in the session on B');
    } finally {
      await session.close();
    }
  });

  it('a key verified by one instance is not checked with VOISA again by the others', async () => {
    const verifies = () => sandbox.requests().filter((r) => r.path === '/api/verify').length;
    const asReadOnly = async (url: string) =>
      (await modern(url, 'tools/list', {}, {}, sandbox.readOnlyKey)).status;
    const before = verifies();
    expect(await asReadOnly(instances[0]!.url)).toBe(200);
    expect(verifies()).toBe(before + 1);
    expect(await asReadOnly(instances[1]!.url)).toBe(200);
    expect(await asReadOnly(instances[2]!.url)).toBe(200);
    expect(verifies()).toBe(before + 1);
  });

  it('a confirmation asked by instance A is answered on instance C', async () => {
    const [a, , c] = instances;
    const asked = await modern(a!.url, 'tools/call', { name: 'make_call', arguments: CALL });
    expect(asked.body.result.resultType).toBe('input_required');
    const before = makeCalls();
    const answered = await modern(
      c!.url,
      'tools/call',
      { name: 'make_call', arguments: CALL },
      {
        requestState: asked.body.result.requestState,
        inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
      },
    );
    expect(answered.body.result.isError).toBeFalsy();
    expect(answered.body.result.structuredContent.call_id).toMatch(/^call_/);
    expect(makeCalls()).toBe(before + 1);
  });

  it.each(GENERATIONS)(
    'a %s client works through nginx: list, call, read, confirm make_call',
    async (generation) => {
      const client = await connectGeneration(
        generation,
        { url: `${nginx.url}/mcp` },
        { key: sandbox.demoKey, elicit: () => ({ action: 'accept', content: { confirm: true } }) },
      );
      try {
        for (let i = 0; i < 6; i++) expect((await client.callTool('list_agents', {})).isError).toBeFalsy();
        const read = await client.readResource('voisa://agents/agt_bella0001');
        expect(JSON.parse(read.contents[0]!.text!).id).toBe('agt_bella0001');
        const before = makeCalls();
        const made = await client.callTool('make_call', CALL);
        expect(made.isError).toBeFalsy();
        expect(client.asked).toHaveLength(1);
        expect(makeCalls()).toBe(before + 1);
      } finally {
        await client.close();
      }
    },
  );

  it('spreads requests without a session over every instance', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 9; i++) served.add((await health(nginx.url)).instance);
    expect([...served].sort()).toEqual(instances.map((i) => String(i.port)).sort());
  });

  it('health reports degraded while Redis is away, calls keep working, and it recovers', async () => {
    const [a] = instances;
    redis.kill();
    await expectEventually(async () => (await health(a!.url)).status === 'degraded');
    expect(await health(a!.url)).toMatchObject({ status: 'degraded', redis: 'degraded' });
    // Calls that do not need Redis keep working; a webhook is still accepted (this instance's memory).
    expect(
      (await modern(a!.url, 'tools/call', { name: 'list_agents', arguments: {} })).body.result.isError,
    ).toBeFalsy();
    expect(await deliver(a!.url, webhook('conv_cluster_3'))).toBe(200);
    await redis.restart();
    await expectEventually(async () => (await health(a!.url)).status === 'ok', 10_000);
    for (const i of instances) expect(i.child.exitCode).toBeNull();
  });

  it('killing an instance mid-run loses only the requests in flight on it, which the client sends again', async () => {
    const victim = instances[1]!;
    let failures = 0;
    let reissued = 0;
    let succeeded = 0;
    const call = async (): Promise<boolean> => {
      try {
        const r = await modern(nginx.url, 'tools/call', { name: 'list_agents', arguments: {} });
        return r.status === 200 && r.body.result?.isError !== true;
      } catch {
        return false;
      }
    };
    const worker = async () => {
      for (let i = 0; i < 30; i++) {
        if (await call()) {
          succeeded++;
          continue;
        }
        failures++;
        if (await call()) reissued++;
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    await new Promise((r) => setTimeout(r, 150));
    victim.child.kill('SIGKILL');
    await load;
    expect(victim.child.signalCode).toBe('SIGKILL');
    // Every request went through, first time or when sent again: nothing was lost but what was in
    // flight on B (at most one per worker), and nginx sent the rest to A and C.
    expect(succeeded + reissued).toBe(120);
    expect(failures).toBeLessThanOrEqual(4);
    const after = await modern(nginx.url, 'tools/call', { name: 'list_agents', arguments: {} });
    expect(after.body.result.isError).toBeFalsy();
  });
});

async function health(url: string): Promise<{ status: string; redis: string; instance: string }> {
  return (await fetch(`${url}/healthz`)).json() as never;
}

async function expectEventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

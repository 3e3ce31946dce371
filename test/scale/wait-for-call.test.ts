/**
 * `wait_for_call` across instances: two HTTP instances sharing Debian's redis-server, the sandbox
 * answering make-call as the API reference shows (only `call_id` and `status`) and sending its
 * webhooks to instance A only. `make_call` on A, then `wait_for_call` with nothing but the call id on
 * B finds the call (agent, number, start from Redis; its conversation from the webhook A received,
 * fanned out to B) and follows it to its end, for a 2026-07-28 and a 2025-11-25 client. Another API
 * key cannot recall the call; no Redis key names an API key or a number; while Redis refuses writes,
 * B says the call's record could not be shared (not that it was never placed) and the hints work; and
 * with Redis gone, `make_call` still works, A still follows its own call, and B says to pass the hints.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHttpServer, startHttpServer } from '../../src/http/listen.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { createSharedState, type SharedState } from '../../src/scale/index.js';
import { connectRedis, type RedisLink } from '../../src/scale/redis.js';
import { VoisaClient, WEBHOOK_EVENTS } from '../../src/voisa/index.js';
import { type AnyClient, connectGeneration, GENERATIONS, type Generation } from '../helpers/generations.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import { waitFor } from '../http/helpers.js';

const SECRET = randomBytes(32);
const WEBHOOK_SECRET = 'whsec_shared_calls_0123';
const AGENT = 'agt_bella0001';
const NUMBER = '+49123456789';
const CALL_MS = 1500;

type Data = Record<string, any>;
interface Received {
  id: string;
  event: string;
  data: Data;
}

interface Instance {
  shared: SharedState;
  api: VoisaClient;
  http: RunningHttpServer;
  logs: string[];
}

describe.skipIf(!requireRedis())('wait_for_call across two instances sharing Redis', () => {
  let redis: RunningRedis;
  let sandbox: Sandbox;
  let admin: RedisLink;
  let a: Instance;
  let b: Instance;
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const placed: string[] = [];

  async function instance(): Promise<Instance> {
    const logs: string[] = [];
    const log = (level: string, message: string) => void logs.push(`${level} ${message}`);
    const shared = await createSharedState({ redisUrl: redis.url, secret: SECRET, keyPrefix: prefix, log });
    const api = new VoisaClient({
      baseUrl: sandbox.baseUrl,
      rateLimitPerMin: 0,
      maxRetryDelayMs: 50,
      budgetFor: shared.budgetFor,
    });
    const http = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      api,
      shared,
      secret: SECRET,
      webhookSecret: WEBHOOK_SECRET,
      log,
    });
    return { shared, api, http, logs };
  }

  beforeAll(async () => {
    redis = await mustStartRedis();
    sandbox = await startSandbox({
      referenceShape: true,
      callMs: CALL_MS,
      rateLimitPerMin: 0,
      trainingMs: 200,
    });
    admin = await connectRedis(redis.url, {});
    a = await instance();
    b = await instance();
    // The webhooks go to A only (the key's own URL there, through configure_webhook): B hears of them
    // through Redis.
    const owner = await connectGeneration('2025-11-25', { url: a.http.mcpUrl }, { key: sandbox.demoKey });
    const configured = await owner.callTool('configure_webhook', { events: [...WEBHOOK_EVENTS] });
    expect(configured.isError).toBeFalsy();
    await owner.close();
  });
  afterAll(async () => {
    for (const i of [a, b]) {
      await i?.http.close(200);
      await i?.api.close();
      await i?.shared.close();
    }
    await admin?.close();
    await sandbox?.close();
    await redis?.stop();
  });

  const connect = (i: Instance, generation: Generation, key = sandbox.demoKey) =>
    connectGeneration(generation, { url: i.http.mcpUrl }, { key });

  async function events(c: AnyClient): Promise<Received[]> {
    const { contents } = await c.readResource('voisa://events');
    return JSON.parse(contents[0]!.text!).events as Received[];
  }

  /** make_call through `c`; the call id, and the ids of the events seen before it. */
  async function place(c: AnyClient): Promise<{ callId: string; before: Set<string> }> {
    const before = new Set((await events(c)).map((e) => e.id));
    const made = await c.callTool('make_call', { agent_id: AGENT, phone_number: NUMBER });
    expect(made.isError, made.content.map((x) => x.text).join('\n')).toBeFalsy();
    expect(Object.keys(made.structuredContent as Data).sort()).toEqual(['call_id', 'status']);
    const callId = (made.structuredContent as Data).call_id as string;
    placed.push(callId);
    return { callId, before };
  }

  /** With the hints as sent to make_call, `c` follows the call to its end whatever Redis can say. */
  async function followWithHints(c: AnyClient, callId: string): Promise<void> {
    const hinted = await c.callTool('wait_for_call', {
      call_id: callId,
      agent_id: AGENT,
      phone_number: NUMBER,
      wait_seconds: 10,
    });
    expect(hinted.structuredContent).toMatchObject({ ended: true, status: 'success' });
  }

  /** The `conversation.started` webhook of a new call, as `c`'s instance sees it. */
  async function started(c: AnyClient, before: Set<string>): Promise<Received> {
    let found: Received | undefined;
    const until = Date.now() + 5000;
    while (!found) {
      found = (await events(c)).find(
        (e) => e.event === 'conversation.started' && !before.has(e.id) && e.data.phone_number === NUMBER,
      );
      if (Date.now() > until) throw new Error('timed out waiting for the conversation.started webhook');
      if (!found) await new Promise((r) => setTimeout(r, 25));
    }
    return found;
  }

  describe.each(GENERATIONS)('a %s client', (generation) => {
    it('places a call on A and follows it to its end on B from the call id alone', async () => {
      const onA = await connect(a, generation);
      const onB = await connect(b, generation);
      try {
        const { callId, before } = await place(onA);
        // A received the webhook; B has it too, fanned out through Redis.
        const event = await started(onB, before);
        expect(event.data.call_id).toBeUndefined();
        sandbox.clearRequests();
        const result = await onB.callTool('wait_for_call', { call_id: callId });
        expect(result.isError, result.content.map((x) => x.text).join('\n')).toBeFalsy();
        expect(result.structuredContent).toMatchObject({
          ended: true,
          status: 'success',
          success: true,
          conversation_id: event.data.conversation_id,
        });
        // B knew the agent, the number and the start from Redis: the webhook named the conversation,
        // nothing was listed.
        const paths = sandbox.requests().map((r) => r.path);
        expect(paths.filter((p) => p.startsWith('/api/conversations/list'))).toEqual([]);
        expect(paths).toContain(`/api/conversations/${event.data.conversation_id}`);
        // Back on A, the match B made is known: the same outcome at once.
        const again = await onA.callTool('wait_for_call', { call_id: callId, wait_seconds: 5 });
        expect(again.structuredContent).toMatchObject({
          ended: true,
          conversation_id: event.data.conversation_id,
        });
      } finally {
        await onA.close();
        await onB.close();
      }
    });
  });

  it("another API key cannot recall the first key's call, on either instance", async () => {
    const owner = await connect(a, '2026-07-28');
    const other = await connect(b, '2026-07-28', sandbox.readOnlyKey);
    const otherOnA = await connect(a, '2025-11-25', sandbox.readOnlyKey);
    try {
      const { callId } = await place(owner);
      sandbox.clearRequests();
      for (const c of [other, otherOnA]) {
        const result = await c.callTool('wait_for_call', { call_id: callId });
        expect(result.isError).toBe(true);
        expect(result.content.at(-1)!.text).toMatch(
          new RegExp(
            `^INVALID_REQUEST \\(input\\): call_id: call ${callId} was not placed through this server with this API key .*agent_id and phone_number`,
          ),
        );
      }
      expect(sandbox.requests().filter((r) => r.path.startsWith('/api/conversations'))).toEqual([]);
      // The owner still can.
      const own = await connect(b, '2025-11-25');
      try {
        const result = await own.callTool('wait_for_call', { call_id: callId });
        expect(result.structuredContent).toMatchObject({ ended: true, status: 'success' });
      } finally {
        await own.close();
      }
    } finally {
      await owner.close();
      await other.close();
      await otherOnA.close();
    }
  });

  it('names no Redis key after an API key, a number or a call id, seals the stored calls, and keeps them for 6 h', async () => {
    const keys = await admin.command.keys(`${prefix}*`);
    const calls = keys.filter((k) => k.startsWith(`${prefix}call:`));
    const lines = keys.filter((k) => k.startsWith(`${prefix}call-line:`));
    expect(calls.length).toBeGreaterThanOrEqual(placed.length);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    const secrets = [sandbox.demoKey, sandbox.readOnlyKey, NUMBER, NUMBER.slice(1), AGENT, ...placed];
    for (const key of keys) for (const s of secrets) expect(key).not.toContain(s);
    // The stored calls are sealed: neither the number nor the ids are readable in the values either.
    for (const key of calls) {
      const value = (await admin.command.get(key)) ?? '';
      expect(value).toMatch(/^v1\./);
      for (const s of secrets) expect(value).not.toContain(s);
    }
    for (const key of [...calls, ...lines]) {
      const ttl = await admin.command.ttl(key);
      expect(ttl).toBeGreaterThan(6 * 3600 - 120);
      expect(ttl).toBeLessThanOrEqual(6 * 3600);
    }
    expect(await admin.command.zcard(lines[0]!)).toBeGreaterThanOrEqual(1);
  });

  it('while Redis refuses writes: B says the call could not be shared (not that it was never placed), and the hints work', async () => {
    const onA = await connect(a, '2026-07-28');
    const onB = GENERATIONS.map((g) => connect(b, g));
    // A real refusal: Redis takes no write while it has fewer replicas than it is told to need.
    await admin.command.config('SET', 'min-replicas-to-write', '1');
    try {
      const { callId } = await place(onA);
      for (const c of await Promise.all(onB)) {
        const refused = await c.callTool('wait_for_call', { call_id: callId });
        expect(refused.isError).toBe(true);
        const text = refused.content.at(-1)!.text!;
        expect(text).toMatch(
          /^INVALID_REQUEST \(input\): call_id: call \S+ cannot be looked up now: its record could not be shared between instances \(Redis refuses writes: NOREPLICAS\); also give agent_id and phone_number/,
        );
        expect(text).not.toContain('not placed through this server');
        await followWithHints(c, callId);
      }
      // A still follows its own call from the id alone.
      const own = await onA.callTool('wait_for_call', { call_id: callId });
      expect(own.structuredContent).toMatchObject({ ended: true, status: 'success' });
    } finally {
      await admin.command.config('SET', 'min-replicas-to-write', '0');
      await onA.close();
      for (const c of await Promise.all(onB)) await c.close();
    }
  });

  it('with Redis gone: make_call still works, A follows its own call, B asks for the hints', async () => {
    const onA = await connect(a, '2026-07-28');
    const onB = await connect(b, '2026-07-28');
    try {
      redis.kill();
      await waitFor(
        () => a.shared.health().redis === 'degraded' && b.shared.health().redis === 'degraded',
        5000,
        'degraded',
      );
      const { callId } = await place(onA);
      const lost = await onB.callTool('wait_for_call', { call_id: callId });
      expect(lost.isError).toBe(true);
      expect(lost.content.at(-1)!.text).toMatch(
        /^INVALID_REQUEST \(input\): call_id: call \S+ cannot be looked up now: the placed calls shared between instances \(Redis\) are unreachable; also give agent_id and phone_number/,
      );
      const own = await onA.callTool('wait_for_call', { call_id: callId });
      expect(own.isError, own.content.map((x) => x.text).join('\n')).toBeFalsy();
      expect(own.structuredContent).toMatchObject({ ended: true, status: 'success' });
      // With the hints, B follows it too.
      await followWithHints(onB, callId);
      expect(a.logs.join('\n')).toMatch(/Redis unreachable/);
    } finally {
      await onA.close();
      await onB.close();
    }
  });
});

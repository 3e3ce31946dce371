/**
 * The shared state of src/scale against a real redis-server, with two links standing for two
 * instances: events reach every instance exactly once, the ledger and the verdicts are shared, two
 * instances spend one key's budget together, a stream stored by one is replayed by the other (and
 * never into another session), one key's placed calls are shared (and no other key's), and Redis going
 * away degrades to local fallbacks without a throw.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHub } from '../../src/events/hub.js';
import { createSharedState, type SharedState } from '../../src/scale/index.js';
import { missing, REDIS_BIN, type RunningRedis, startRedis } from '../helpers/services.js';
import { waitFor } from '../http/helpers.js';

const SECRET = randomBytes(32);
const skip = missing(REDIS_BIN, 'redis-server');

describe.skipIf(skip)('shared state in Redis', () => {
  let redis: RunningRedis;
  let a: SharedState;
  let b: SharedState;

  beforeAll(async () => {
    redis = await startRedis();
    a = await createSharedState({ redisUrl: redis.url, secret: SECRET });
    b = await createSharedState({ redisUrl: redis.url, secret: SECRET });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it('refuses to start against a closed port, naming the URL without its password', async () => {
    const err = await createSharedState({
      redisUrl: 'redis://user:hunter2@127.0.0.1:1',
      secret: SECRET,
      connectTimeoutMs: 1000,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1 .*--redis-url/,
    );
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('delivers a listen event published on one instance to the listeners of both, once each', async () => {
    const seenA: string[] = [];
    const seenB: string[] = [];
    const offA = a.bus.subscribe((e) => seenA.push(e.kind === 'resource_updated' ? e.uri : e.kind));
    const offB = b.bus.subscribe((e) => seenB.push(e.kind === 'resource_updated' ? e.uri : e.kind));
    a.bus.publish({ kind: 'resource_updated', uri: 'voisa://conversations/c1' });
    await waitFor(() => seenA.length === 1 && seenB.length === 1, 3000, 'delivery on both');
    await new Promise((r) => setTimeout(r, 100));
    expect(seenA).toEqual(['voisa://conversations/c1']);
    expect(seenB).toEqual(['voisa://conversations/c1']);
    offA();
    offB();
  });

  it("fans a webhook event out to every instance's hub once", async () => {
    const hubA = new EventHub();
    const hubB = new EventHub();
    const fanA = a.events(hubA);
    b.events(hubB);
    const now = new Date().toISOString();
    fanA.publish({ id: 'evt_1', event: 'agent.updated', timestamp: now, received_at: now, data: {} }, 'o1');
    await waitFor(() => hubA.recent('o1').length === 1 && hubB.recent('o1').length === 1, 3000, 'both hubs');
    await new Promise((r) => setTimeout(r, 100));
    expect(hubA.recent('o1').map((e) => e.id)).toEqual(['evt_1']);
    expect(hubB.recent('o1').map((e) => e.id)).toEqual(['evt_1']);
    expect(hubB.recent('o2')).toEqual([]);
  });

  it('shares the webhook ledger and the key verdicts', async () => {
    expect(await a.ledger!.firstSeen('evt_ledger', 60_000)).toBe('new');
    expect(await b.ledger!.firstSeen('evt_ledger', 60_000)).toBe('seen');
    expect(await a.ledger!.firstSeen('evt_ledger', 60_000)).toBe('seen');
    expect(await b.verdicts!.get('hash1')).toBeUndefined();
    await a.verdicts!.set('hash1', 'invalid', 60_000);
    expect(await b.verdicts!.get('hash1')).toBe('invalid');
  });

  it("spends one key's budget across instances: together they get one bucket, not two", async () => {
    // 60 a minute: a bucket of 6, then one a second.
    const onA = a.budgetFor!('vsa_key_shared', 60);
    const onB = b.budgetFor!('vsa_key_shared', 60);
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await (i % 2 ? onA : onB).take(undefined, () => {}, 0));
    expect(results.every((r) => r.waited && r.waitMs === 0)).toBe(true);
    const seventh = await onB.take(undefined, () => {}, 0);
    expect(seventh.waited).toBe(false);
    expect(seventh.waitMs).toBeGreaterThan(0);
    // Another key has its own bucket.
    expect((await a.budgetFor!('vsa_key_other', 60).take(undefined, () => {}, 0)).waitMs).toBe(0);
  });

  it('replays a session stream stored on one instance from the other, and never into another session', async () => {
    const onA = a.eventStores.forSession('sess1');
    const first = await onA.storeEvent('_GET_stream', { jsonrpc: '2.0', method: 'n/1' });
    await onA.storeEvent('_GET_stream', { jsonrpc: '2.0', method: 'n/2' });
    await onA.storeEvent('_GET_stream', { jsonrpc: '2.0', method: 'n/3' });
    const replayed: string[] = [];
    const stream = await b.eventStores.forSession('sess1').replayEventsAfter(first, {
      send: async (_id, m) => void replayed.push((m as { method: string }).method),
    });
    expect(stream).toBe('_GET_stream');
    expect(replayed).toEqual(['n/2', 'n/3']);
    const stolen: unknown[] = [];
    await b.eventStores
      .forSession('sess2')
      .replayEventsAfter(first, { send: async (_id, m) => void stolen.push(m) });
    expect(stolen).toEqual([]);
  });

  it("shares one key's placed calls (by call id and by line), and none with another key", async () => {
    const started_at = Date.now();
    const call = { call_id: 'call_s1', agent_id: 'agt_1', phone_number: '+4911', started_at };
    await a.placedCallsFor!('vsa_key_calls').remember(call);
    await a.placedCallsFor!('vsa_key_calls').remember({
      ...call,
      call_id: 'call_s2',
      started_at: started_at + 1,
    });
    const onB = b.placedCallsFor!('vsa_key_calls');
    expect(await onB.recall('call_s1')).toEqual(call);
    await onB.remember({ ...call, conversation_id: 'conv_s1' });
    expect(await a.placedCallsFor!('vsa_key_calls').recall('call_s1')).toMatchObject({
      conversation_id: 'conv_s1',
    });
    expect((await onB.sameLine('agt_1', '+4911')).map((c) => c.call_id).sort()).toEqual([
      'call_s1',
      'call_s2',
    ]);
    expect(await onB.sameLine('agt_1', '+4912')).toEqual([]);
    expect(await b.placedCallsFor!('vsa_key_other').recall('call_s1')).toBeUndefined();
    expect(await b.placedCallsFor!('vsa_key_other').sameLine('agt_1', '+4911')).toEqual([]);
  });

  it('keeps working on local fallbacks while Redis is away, reports degraded, and recovers', async () => {
    redis.kill();
    await waitFor(() => a.health().status === 'degraded', 5000, 'degraded');
    expect(a.health()).toEqual({ status: 'degraded', redis: 'degraded' });
    const seen: string[] = [];
    const off = a.bus.subscribe((e) => seen.push(e.kind));
    a.bus.publish({ kind: 'tools_list_changed' });
    await waitFor(() => seen.length === 1, 2000, 'local delivery');
    off();
    expect(await a.ledger!.firstSeen('evt_down', 60_000)).toBe('unavailable');
    expect(await a.verdicts!.get('hash1')).toBeUndefined();
    expect((await a.budgetFor!('vsa_key_down', 60).take(undefined, () => {}, 0)).waited).toBe(true);
    // Placed calls: kept by the instance that placed them; another cannot tell, and says so.
    const down = { call_id: 'call_down', agent_id: 'agt_1', phone_number: '+4911', started_at: Date.now() };
    await a.placedCallsFor!('vsa_key_down').remember(down);
    expect(await a.placedCallsFor!('vsa_key_down').recall('call_down')).toEqual(down);
    await expect(b.placedCallsFor!('vsa_key_down').recall('call_down')).rejects.toThrow(/unreachable/);
    expect(await b.placedCallsFor!('vsa_key_down').sameLine('agt_1', '+4911')).toEqual([]);
    await redis.restart();
    await waitFor(() => a.health().status === 'ok', 10_000, 'recovery');
    expect(await a.ledger!.firstSeen('evt_after', 60_000)).toBe('new');
  });
});

describe('shared state in memory (the default)', () => {
  it('needs nothing, delivers locally and reports Redis off', async () => {
    const m = await createSharedState({ secret: SECRET });
    expect(m.mode).toBe('memory');
    expect(m.health()).toEqual({ status: 'ok', redis: 'off' });
    const seen: string[] = [];
    m.bus.subscribe((e) => seen.push(e.kind));
    m.bus.publish({ kind: 'resources_list_changed' });
    expect(seen).toEqual(['resources_list_changed']);
    const store = m.eventStores.forSession('s');
    const first = await store.storeEvent('x', { jsonrpc: '2.0', method: 'a' });
    await store.storeEvent('x', { jsonrpc: '2.0', method: 'b' });
    const replayed: unknown[] = [];
    await store.replayEventsAfter(first, { send: async (_i, msg) => void replayed.push(msg) });
    expect(replayed).toEqual([{ jsonrpc: '2.0', method: 'b' }]);
    await m.close();
  });
});

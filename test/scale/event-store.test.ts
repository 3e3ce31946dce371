/**
 * The byte bounds of the resumability event store (src/scale/event-store.ts): per stream (the oldest
 * go first; a single message over the bound is sent but not kept) on both stores, and in total for the
 * in-memory one (the stream written least recently goes first). Redis runs for real. A memory figure
 * for many sessions of large messages goes to a log line.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStores, RedisEventStores } from '../../src/scale/event-store.js';
import { connectRedis, type RedisLink } from '../../src/scale/redis.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';

/** A notification whose JSON is exactly `bytes` long. */
function sized(method: string, bytes: number): JSONRPCMessage {
  const empty = JSON.stringify({ jsonrpc: '2.0', method, params: { pad: '' } }).length;
  return { jsonrpc: '2.0', method, params: { pad: 'x'.repeat(bytes - empty) } };
}
const methods = (ms: JSONRPCMessage[]) => ms.map((m) => (m as { method: string }).method);

async function replay(store: EventStore, after: string): Promise<{ stream: string; methods: string[] }> {
  const got: JSONRPCMessage[] = [];
  const stream = await store.replayEventsAfter(after, { send: async (_id, m) => void got.push(m) });
  return { stream, methods: methods(got) };
}

/** The same checks on either store: 1000-byte messages, a per-stream bound of 3500 bytes. */
async function perStreamBytes(store: EventStore): Promise<void> {
  const first = await store.storeEvent('s', sized('a/1', 1000));
  for (let i = 2; i <= 5; i++) await store.storeEvent('s', sized(`a/${i}`, 1000));
  // 3500 bytes hold three of them: the oldest went first.
  expect((await replay(store, first)).methods).toEqual(['a/3', 'a/4', 'a/5']);
  // One message over the bound is not kept; the stream goes on around it.
  const huge = await store.storeEvent('s', sized('huge', 4000));
  const after = await store.storeEvent('s', sized('a/6', 1000));
  expect((await replay(store, first)).methods).toEqual(['a/4', 'a/5', 'a/6']);
  expect(await replay(store, huge)).toEqual({ stream: 's', methods: ['a/6'] });
  expect((await replay(store, after)).methods).toEqual([]);
  // A message of exactly the bound is kept, alone.
  await store.storeEvent('s', sized('full', 3500));
  expect((await replay(store, first)).methods).toEqual(['full']);
}

describe('the in-memory event store: byte bounds', () => {
  it('keeps at most streamBytes a stream, oldest first, and never a message larger than that', async () => {
    const stores = new MemoryEventStores({ streamBytes: 3500 });
    await perStreamBytes(stores.forSession('s1'));
    expect(stores.bytes).toBe(3500);
    expect(stores.size).toBe(1);
    // A message over the bound holds only its place (no bytes) in a stream that kept nothing else.
    const s2 = stores.forSession('s2');
    const lone = await s2.storeEvent('t', sized('huge', 9000));
    await s2.storeEvent('t', sized('small', 100));
    expect(await replay(s2, lone)).toEqual({ stream: 't', methods: ['small'] });
    expect(stores.bytes).toBe(3600);
  });

  it('keeps at most maxBytes in all, dropping the stream written least recently first', async () => {
    const stores = new MemoryEventStores({ streamBytes: 4000, maxBytes: 6000 });
    const old = stores.forSession('old');
    const oldFirst = await old.storeEvent('x', sized('old/1', 1000));
    await old.storeEvent('x', sized('old/2', 1000));
    const mid = stores.forSession('mid');
    const midFirst = await mid.storeEvent('x', sized('mid/1', 2000));
    await old.storeEvent('y', sized('oldy/1', 1000)); // old's other stream is newer than mid's
    expect(stores.bytes).toBe(5000);
    await stores.forSession('new').storeEvent('x', sized('new/1', 1500));
    // 6500 > 6000: old's stream x (written least recently) goes, nothing else.
    expect(stores.bytes).toBe(4500);
    expect(await replay(old, oldFirst)).toEqual({ stream: '', methods: [] });
    expect((await replay(mid, midFirst)).methods).toEqual([]);
    expect(stores.size).toBe(3);
    await stores.forSession('new').storeEvent('x', sized('new/2', 2500));
    // 7000: mid's stream (now the stalest) goes, and 5000 fits: old's stream y stays.
    expect(await replay(mid, midFirst)).toEqual({ stream: '', methods: [] });
    expect(stores.bytes).toBe(5000);
    stores.forget('new');
    stores.forget('old');
    expect(stores.bytes).toBe(0);
    expect(stores.size).toBe(0);
  });

  it('holds many sessions of large messages within the bound (memory figure in the log)', async () => {
    // The full figure (10 GB through the store, ~30 s) with VOISA_BENCH=1; a fifth-size run otherwise.
    const full = process.env.VOISA_BENCH === '1';
    const sessions = full ? 500 : 100;
    const perSession = 200;
    const size = full ? 100_000 : 20_000;
    const stores = new MemoryEventStores();
    const pad = 'x'.repeat(size - 100);
    // A full collection before each reading, so the figures are what is held, not garbage.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage();
    const started = Date.now();
    for (let s = 0; s < sessions; s++) {
      const store = stores.forSession(`sess${s}`);
      for (let i = 0; i < perSession; i++)
        // A distinct string per message (flattened by JSON.stringify), as real results are.
        await store.storeEvent('_GET_stream', {
          jsonrpc: '2.0',
          method: 'notifications/message',
          params: { data: `${s}.${i}.${pad}` },
        });
    }
    gc();
    const after = process.memoryUsage();
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    console.log(
      `[bench] event store: ${sessions} sessions × ${perSession} messages of ${size / 1000} kB ` +
        `(${mib(sessions * perSession * size)} sent) in ${Date.now() - started} ms: ` +
        `store holds ${stores.size} events, ${mib(stores.bytes)}; ` +
        `process RSS ${mib(before.rss)} -> ${mib(after.rss)}, heap ${mib(before.heapUsed)} -> ${mib(after.heapUsed)}`,
    );
    expect(stores.bytes).toBeLessThanOrEqual(128 * 1024 * 1024);
  }, 120_000);
});

describe.skipIf(!requireRedis())('the Redis event store: byte bounds', () => {
  let redis: RunningRedis;
  let link: RedisLink;
  beforeAll(async () => {
    redis = await mustStartRedis();
    link = await connectRedis(redis.url, { keyPrefix: 'bytes:' });
  });
  afterAll(async () => {
    await link?.close();
    await redis?.stop();
  });

  it('keeps at most streamBytes a stream, oldest first, and never a message larger than that', async () => {
    const stores = new RedisEventStores(link, { streamBytes: 3500 });
    await perStreamBytes(stores.forSession('s1'));
    // The counter beside the stream agrees with what the stream holds, and both expire.
    const keys = (await link.command.keys('bytes:events:s1:*')).sort();
    expect(keys).toHaveLength(2);
    expect(await link.command.get(keys[1]!)).toBe('3500');
    expect(await link.command.xlen(keys[0]!)).toBe(1);
    for (const key of keys) expect(await link.command.pttl(key)).toBeGreaterThan(0);
  });

  it('still keeps at most perStream entries of small messages', async () => {
    const store = new RedisEventStores(link, { perStream: 3 }).forSession('s2');
    const first = await store.storeEvent('s', sized('b/1', 100));
    for (let i = 2; i <= 6; i++) await store.storeEvent('s', sized(`b/${i}`, 100));
    expect((await replay(store, first)).methods).toEqual(['b/4', 'b/5', 'b/6']);
    const counter = (await link.command.keys('bytes:events:s2:*:bytes'))[0]!;
    expect(await link.command.get(counter)).toBe('300');
  });
});

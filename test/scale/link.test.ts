/**
 * The Redis link and the pieces built on it, against a real redis-server, two links standing for two
 * instances: the start-up error, one log line per outage, status changes (a killed Redis, and a busy
 * one that only times commands out), channel messages carrying their publisher, unreadable messages
 * dropped, the budget's reservations outliving their key's expiry, and the event store's id for a
 * message Redis did not take. The in-memory event store's bounds are checked without Redis.
 */
import { randomBytes } from 'node:crypto';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogFn } from '../../src/mcp/log.js';
import { RedisRequestBudget } from '../../src/scale/budget.js';
import { RedisChannel, RedisServerEventBus } from '../../src/scale/channel.js';
import { MemoryEventStores, RedisEventStores } from '../../src/scale/event-store.js';
import {
  connectRedis,
  type LinkStatus,
  type RedisLink,
  RedisUnavailableError,
} from '../../src/scale/redis.js';
import { redisLedger } from '../../src/scale/stores.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import { freePort } from '../helpers/services.js';
import { waitFor } from '../http/helpers.js';

const note = (method: string): JSONRPCMessage => ({ jsonrpc: '2.0', method });
const methods = (ms: JSONRPCMessage[]) => ms.map((m) => (m as { method: string }).method);

describe('connectRedis start-up', () => {
  it('rejects with an actionable error naming the URL without its password', async () => {
    const port = await freePort();
    const err = await connectRedis(`redis://admin:s3cret-pass@127.0.0.1:${port}/0`, {
      connectTimeoutMs: 1000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    const message = (err as Error).message;
    expect(message).toContain(`cannot reach Redis at redis://admin:***@127.0.0.1:${port}/0 (ECONNREFUSED)`);
    expect(message).toContain('start redis-server or fix --redis-url / VOISA_REDIS_URL');
    expect(message).not.toContain('s3cret-pass');
  });
});

describe.skipIf(!requireRedis())('the Redis link, two instances on one server', () => {
  let redis: RunningRedis;
  let a: RedisLink;
  let b: RedisLink;
  let admin: RedisLink;
  const logA: string[] = [];
  const logTo =
    (lines: string[]): LogFn =>
    (level, message) =>
      void lines.push(`${level}: ${message}`);
  const prefix = `t${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    redis = await mustStartRedis();
    a = await connectRedis(redis.url, { log: logTo(logA), keyPrefix: prefix, probeMs: 100 });
    b = await connectRedis(redis.url, { keyPrefix: prefix });
    admin = await connectRedis(redis.url, {});
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await admin?.close();
    await redis?.stop();
  });

  it('tags each message with its publisher, and drops unreadable ones with one log line', async () => {
    const onA = new RedisChannel<{ n: number }>(a, 'tagged', { instanceId: 'inst-a' });
    const onB = new RedisChannel<{ n: number }>(b, 'tagged', { instanceId: 'inst-b' });
    const seen: string[] = [];
    onA.subscribe((v, from) => seen.push(`A got ${v.n} from ${from}`));
    onB.subscribe((v, from) => seen.push(`B got ${v.n} from ${from}`));
    await waitFor(() => true);
    // Someone else writes junk on our channel: dropped, logged once, delivery goes on.
    for (const junk of ['not json', '{"n":1}', 'null']) await admin.command.publish(`${prefix}tagged`, junk);
    expect(await onB.publish({ n: 2 })).toBe(true);
    await waitFor(() => seen.length === 2, 3000, 'both instances');
    expect(seen.sort()).toEqual(['A got 2 from inst-b', 'B got 2 from inst-b']);
    expect(logA.filter((l) => l.includes('unreadable'))).toEqual([
      `warning: dropped 1 unreadable message(s) on Redis channel ${prefix}tagged`,
    ]);
  });

  it('keeps every layer working through a killed Redis: degraded once, logged once, ok again after', async () => {
    const statuses: LinkStatus[] = [];
    const stop = a.onStatus((s) => statuses.push(s));
    const busA = new RedisServerEventBus(new RedisChannel(a, 'bus'));
    const busB = new RedisServerEventBus(new RedisChannel(b, 'bus'));
    const onA: string[] = [];
    const onB: string[] = [];
    busA.subscribe((e) => onA.push(e.kind));
    busB.subscribe((e) => onB.push(e.kind));
    const ledger = redisLedger(a);
    const budget = new RedisRequestBudget(a, `${prefix}budget:down`, 60);
    logA.length = 0;

    redis.kill();
    await waitFor(() => a.status() === 'degraded', 5000, 'degraded');
    for (let i = 0; i < 5; i++) {
      busA.publish({ kind: 'tools_list_changed' });
      expect(await ledger.firstSeen(`evt_down_${i}`, 60_000)).toBe('unavailable');
      expect((await budget.take(undefined, () => {}, 0)).waited).toBe(true);
    }
    await waitFor(() => onA.length === 5, 3000, 'local delivery while down');
    expect(onB).toEqual([]); // nothing crossed: Redis is away
    expect(logA.filter((l) => l.includes('Redis unreachable'))).toHaveLength(1);

    await redis.restart();
    await waitFor(() => a.status() === 'ok' && b.status() === 'ok', 10_000, 'recovery');
    expect(statuses).toEqual(['degraded', 'ok']);
    expect(logA.filter((l) => l.includes('Redis is back'))).toHaveLength(1);
    // The subscribers came back too: an event crosses again, once each.
    onA.length = 0;
    // Both subscribers are back on the channel (SUBSCRIBE goes out just after 'ready'), so neither misses it.
    const until = Date.now() + 5000;
    for (;;) {
      // The admin link reconnects on its own schedule: a command before it is back is a miss, not a failure.
      const reply = (await admin.command.call('PUBSUB', 'NUMSUB', `${prefix}bus`).catch(() => undefined)) as
        | [string, number]
        | undefined;
      if (reply && Number(reply[1]) >= 2) break;
      if (Date.now() > until) throw new Error('timed out waiting for both subscribers back on the channel');
      await new Promise((r) => setTimeout(r, 20));
    }
    busB.publish({ kind: 'resources_list_changed' });
    await waitFor(() => onA.length === 1 && onB.length === 1, 5000, 'delivery after restart');
    await new Promise((r) => setTimeout(r, 100));
    expect(onA).toEqual(['resources_list_changed']);
    expect(onB).toEqual(['resources_list_changed']);
    expect(await ledger.firstSeen('evt_after_restart', 60_000)).toBe('new');
    stop();
  });

  it('comes back to ok after commands timed out on a busy Redis whose connection stayed open', async () => {
    const ledger = redisLedger(a);
    const statuses: LinkStatus[] = [];
    const stop = a.onStatus((s) => statuses.push(s));
    await admin.command.call('CLIENT', 'PAUSE', '1500', 'ALL');
    expect(await ledger.firstSeen('evt_paused', 60_000)).toBe('unavailable'); // timed out
    expect(a.status()).toBe('degraded');
    await waitFor(() => a.status() === 'ok', 10_000, 'ok once Redis answers again');
    expect(statuses).toEqual(['degraded', 'ok']);
    stop();
  });

  it('closes cleanly while the subscriber is resubscribing after Redis came back', async () => {
    // The moment most likely to leave a SUBSCRIBE in flight: the subscriber's first 'ready' after a
    // restart. A rejection left unhandled there fails the run (vitest reports unhandled errors).
    const link = await connectRedis(redis.url, { keyPrefix: prefix });
    new RedisChannel<string>(link, 'closing').subscribe(() => {});
    redis.kill();
    await waitFor(() => link.subscriber.status !== 'ready', 5000, 'subscriber down');
    const closed = new Promise<void>((resolve) =>
      link.subscriber.once('ready', () => void link.close().then(resolve)),
    );
    await redis.restart();
    await closed;
    await new Promise((r) => setTimeout(r, 200));
    expect(link.subscriber.status).toBe('end');
    await waitFor(() => a.status() === 'ok' && b.status() === 'ok', 10_000, 'the others recover');
  });

  it("keeps a key's budget until the last reservation is spent, not a fixed two minutes", async () => {
    // One a minute: a bucket of 1, then three waiters reserve the next three minutes.
    const key = `${prefix}budget:slow`;
    const budget = new RedisRequestBudget(a, key, 1);
    expect(await budget.take(undefined, () => {}, 0)).toEqual({ waited: true, waitMs: 0 });
    const abort = new AbortController();
    const waits: number[] = [];
    const waiters = [1, 2, 3].map(() =>
      budget.take(abort.signal, (ms) => waits.push(ms)).catch((e: Error) => e.name),
    );
    await waitFor(() => waits.length === 3, 3000, 'three reservations');
    expect(await a.command.pttl(key)).toBeGreaterThan(3 * 60_000);
    abort.abort();
    expect(await Promise.all(waiters)).toEqual(['ApiAbortError', 'ApiAbortError', 'ApiAbortError']);
  });

  it("gives a message Redis did not take an id that resumes after it, not from the stream's start", async () => {
    const onA = new RedisEventStores(a).forSession('sess-pause');
    const onB = new RedisEventStores(b).forSession('sess-pause');
    await onA.storeEvent('s', note('early/1'));
    await onA.storeEvent('s', note('early/2'));
    await admin.command.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const missed = await onA.storeEvent('s', note('during')); // times out
    await waitFor(() => a.status() === 'ok', 10_000, 'Redis answering again');
    await onA.storeEvent('s', note('later'));
    const replayed: JSONRPCMessage[] = [];
    expect(await onB.replayEventsAfter(missed, { send: async (_id, m) => void replayed.push(m) })).toBe('s');
    expect(methods(replayed)).toContain('later');
    expect(methods(replayed)).not.toContain('early/1');
    expect(methods(replayed)).not.toContain('early/2');
  });
});

describe('the in-memory event store (the default)', () => {
  it('replays the later events of one stream of one session only', async () => {
    const stores = new MemoryEventStores();
    const s1 = stores.forSession('s1');
    const first = await s1.storeEvent('x', note('x/1'));
    await s1.storeEvent('y', note('y/1'));
    await s1.storeEvent('x', note('x/2'));
    await stores.forSession('s2').storeEvent('x', note('other/1'));
    const replayed: JSONRPCMessage[] = [];
    expect(await s1.replayEventsAfter(first, { send: async (_i, m) => void replayed.push(m) })).toBe('x');
    expect(methods(replayed)).toEqual(['x/2']);
    const stolen: JSONRPCMessage[] = [];
    await stores.forSession('s2').replayEventsAfter(first, { send: async (_i, m) => void stolen.push(m) });
    expect(methods(stolen)).toEqual([]);
  });

  it('holds at most perStream events a stream and maxEvents in all, dropping the stalest stream first', async () => {
    const stores = new MemoryEventStores({ perStream: 3, maxEvents: 5 });
    const old = stores.forSession('old');
    const oldFirst = await old.storeEvent('x', note('old/1'));
    await old.storeEvent('x', note('old/2'));
    const busy = stores.forSession('busy');
    const busyFirst = await busy.storeEvent('x', note('busy/1'));
    for (let i = 2; i <= 5; i++) await busy.storeEvent('x', note(`busy/${i}`));
    // busy keeps its last three; with old's two that is five: both fit.
    expect(stores.size).toBe(5);
    const fromBusy: JSONRPCMessage[] = [];
    await busy.replayEventsAfter(busyFirst, { send: async (_i, m) => void fromBusy.push(m) });
    expect(methods(fromBusy)).toEqual(['busy/3', 'busy/4', 'busy/5']);
    // A third session's event goes over the total: the stalest stream (old) goes.
    await stores.forSession('new').storeEvent('x', note('new/1'));
    expect(stores.size).toBe(4);
    const fromOld: JSONRPCMessage[] = [];
    expect(await old.replayEventsAfter(oldFirst, { send: async (_i, m) => void fromOld.push(m) })).toBe('');
    expect(fromOld).toEqual([]);
    stores.forget('busy');
    expect(stores.size).toBe(1);
  });
});

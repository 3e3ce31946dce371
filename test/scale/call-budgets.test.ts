/**
 * The call policy's budgets, one contract for both stores: this process's memory (MemoryCallBudgets)
 * and Redis (redisCallBudgets, against a real redis-server). The clock is the caller's: the tests move
 * it across the windows' edges, to the millisecond. Redis alone: two links standing for two instances
 * race for the last slot and exactly one gets it, the keys never name the principal, and a Redis that
 * is gone makes `take` reject (the policy then refuses the call).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallBudgets, DAY_MS, HOUR_MS, MemoryCallBudgets } from '../../src/policy/budgets.js';
import { redisCallBudgets } from '../../src/scale/call-budgets.js';
import { connectRedis, type RedisLink } from '../../src/scale/redis.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import { waitFor } from '../http/helpers.js';

const SECRET = randomBytes(32);
/** A fixed start, so every edge below is exact. */
const T0 = 1_750_000_000_000;
const LEASE = HOUR_MS;

let principals = 0;
/** A principal of its own for each test: the Redis store is shared by the whole contract. */
const fresh = () => `vsa_principal_${++principals}_${randomBytes(4).toString('hex')}`;
const slot = (id: string, leaseMs = LEASE) => ({ id, leaseMs });

/** What both stores must do; `make` gives the store under test. */
function budgetContract(make: () => CallBudgets) {
  it('refuses at the hourly limit and frees exactly when the oldest call leaves the hour', async () => {
    const budgets = make();
    const p = fresh();
    const limits = { perHour: 3 };
    for (const [i, at] of [T0, T0 + 1000, T0 + 2000].entries())
      expect(await budgets.take(p, limits, at, slot(`slot_${i}`))).toEqual({ ok: true });
    const refused = { ok: false, limit: 'hour', freeAt: T0 + HOUR_MS };
    expect(await budgets.take(p, limits, T0 + 3000, slot('slot_x'))).toEqual(refused);
    // A check without a slot takes nothing, and the refused take took nothing either.
    expect(await budgets.take(p, limits, T0 + HOUR_MS - 1)).toEqual(refused);
    expect(await budgets.take(p, limits, T0 + HOUR_MS, slot('slot_3'))).toEqual({ ok: true });
    // Full again: now the second call is the one that blocks.
    expect(await budgets.take(p, limits, T0 + HOUR_MS)).toEqual({
      ok: false,
      limit: 'hour',
      freeAt: T0 + 1000 + HOUR_MS,
    });
    expect(await budgets.usage(p, T0 + HOUR_MS)).toEqual({ lastHour: 3, lastDay: 4, inProgress: 3 });
  });

  it('refuses at the daily limit and frees exactly when the oldest call leaves the 24 hours', async () => {
    const budgets = make();
    const p = fresh();
    const limits = { perHour: 10, perDay: 2 };
    expect(await budgets.take(p, limits, T0, slot('slot_a'))).toEqual({ ok: true });
    expect(await budgets.take(p, limits, T0 + 2 * HOUR_MS, slot('slot_b'))).toEqual({ ok: true });
    const refused = { ok: false, limit: 'day', freeAt: T0 + DAY_MS };
    expect(await budgets.take(p, limits, T0 + 5 * HOUR_MS, slot('slot_c'))).toEqual(refused);
    expect(await budgets.take(p, limits, T0 + DAY_MS - 1)).toEqual(refused);
    expect(await budgets.take(p, limits, T0 + DAY_MS, slot('slot_d'))).toEqual({ ok: true });
    expect(await budgets.take(p, limits, T0 + DAY_MS + 1)).toEqual({
      ok: false,
      limit: 'day',
      freeAt: T0 + 2 * HOUR_MS + DAY_MS,
    });
    // The hour is checked before the day: both full, the hour answers.
    expect(await budgets.take(p, { perHour: 1, perDay: 2 }, T0 + DAY_MS + 1)).toEqual({
      ok: false,
      limit: 'hour',
      freeAt: T0 + DAY_MS + HOUR_MS,
    });
  });

  it('refuses at the in-progress limit naming the calls held, checked before the windows', async () => {
    const budgets = make();
    const p = fresh();
    const limits = { inProgress: 2, perHour: 2 };
    expect(await budgets.take(p, limits, T0, slot('slot_1'))).toEqual({ ok: true });
    expect(await budgets.take(p, limits, T0 + 1, slot('slot_2', 10_000))).toEqual({ ok: true });
    const verdict = await budgets.take(p, limits, T0 + 2, slot('slot_3'));
    expect(verdict.ok === false && verdict.limit).toBe('in_progress');
    expect(verdict.ok === false && verdict.limit === 'in_progress' && verdict.held.sort()).toEqual([
      'slot_1',
      'slot_2',
    ]);
    // The second slot's lease runs out: it is no longer held, and the hour is what refuses now.
    expect(await budgets.take(p, limits, T0 + 1 + 10_000)).toEqual({
      ok: false,
      limit: 'hour',
      freeAt: T0 + HOUR_MS,
    });
    expect(await budgets.take(p, { inProgress: 1 }, T0 + 1 + 10_000)).toEqual({
      ok: false,
      limit: 'in_progress',
      held: ['slot_1'],
    });
    expect(await budgets.take(p, { inProgress: 1 }, T0 + LEASE)).toEqual({ ok: true });
  });

  it('hands a refunded slot back: it counts in no window and is not in progress', async () => {
    const budgets = make();
    const p = fresh();
    const limits = { perHour: 1, perDay: 1, inProgress: 1 };
    expect(await budgets.take(p, limits, T0, slot('slot_r'))).toEqual({ ok: true });
    expect((await budgets.take(p, limits, T0 + 1)).ok).toBe(false);
    await budgets.refund(p, 'slot_r');
    expect(await budgets.usage(p, T0 + 1)).toEqual({ lastHour: 0, lastDay: 0, inProgress: 0 });
    expect(await budgets.take(p, limits, T0 + 1, slot('slot_s'))).toEqual({ ok: true });
    // Refunding what is not there changes nothing.
    await budgets.refund(p, 'slot_unknown');
    await budgets.refund(fresh(), 'slot_s');
    expect(await budgets.usage(p, T0 + 1)).toEqual({ lastHour: 1, lastDay: 1, inProgress: 1 });
  });

  it('moves the in-progress mark from the slot to the call id when placed, and frees it when ended', async () => {
    const budgets = make();
    const p = fresh();
    const limits = { inProgress: 1 };
    expect(await budgets.take(p, limits, T0, slot('slot_p', 5000))).toEqual({ ok: true });
    // Placed with a lease of its own, longer than the slot's.
    await budgets.placed(p, 'slot_p', 'call_1', T0 + 60_000);
    expect(await budgets.take(p, limits, T0 + 5000)).toEqual({
      ok: false,
      limit: 'in_progress',
      held: ['call_1'],
    });
    // A slot already gone (refunded, or never taken) renames nothing.
    await budgets.placed(p, 'slot_p', 'call_2', T0 + 60_000);
    await budgets.placed(p, 'slot_never', 'call_3', T0 + 60_000);
    expect(await budgets.usage(p, T0 + 5000)).toEqual({ lastHour: 1, lastDay: 1, inProgress: 1 });
    await budgets.ended(p, 'call_1');
    expect(await budgets.take(p, limits, T0 + 5000)).toEqual({ ok: true });
    // The call still counts in the windows.
    expect(await budgets.usage(p, T0 + 5000)).toEqual({ lastHour: 1, lastDay: 1, inProgress: 0 });
    // Its lease runs out by itself when nobody says it ended.
    await budgets.placed(p, (await takeOne(budgets, p, T0 + 6000)).id, 'call_4', T0 + 7000);
    expect((await budgets.usage(p, T0 + 6999)).inProgress).toBe(1);
    expect((await budgets.usage(p, T0 + 7000)).inProgress).toBe(0);
  });

  it('counts usage in the hour, the day and in progress, dropping what has left each', async () => {
    const budgets = make();
    const p = fresh();
    for (const [i, at] of [T0, T0 + 30 * 60_000, T0 + 2 * HOUR_MS, T0 + 2 * HOUR_MS + 1].entries())
      expect(await budgets.take(p, {}, at, slot(`slot_${i}`, 10 * 60_000))).toEqual({ ok: true });
    const at = T0 + 2 * HOUR_MS + 5 * 60_000;
    expect(await budgets.usage(p, at)).toEqual({ lastHour: 2, lastDay: 4, inProgress: 2 });
    // An hour after the third call: only the fourth (a millisecond later) is in the last hour.
    expect(await budgets.usage(p, T0 + 3 * HOUR_MS)).toEqual({ lastHour: 1, lastDay: 4, inProgress: 0 });
    expect(await budgets.usage(p, T0 + DAY_MS)).toEqual({ lastHour: 0, lastDay: 3, inProgress: 0 });
    expect(await budgets.usage(p, T0 + 2 * HOUR_MS + DAY_MS)).toEqual({
      lastHour: 0,
      lastDay: 1,
      inProgress: 0,
    });
    expect(await budgets.usage(fresh(), at)).toEqual({ lastHour: 0, lastDay: 0, inProgress: 0 });
  });

  it('never lets two principals share a budget', async () => {
    const budgets = make();
    const [p, q] = [fresh(), fresh()];
    const limits = { perHour: 1, inProgress: 1 };
    expect(await budgets.take(p, limits, T0, slot('slot_same'))).toEqual({ ok: true });
    expect(await budgets.take(q, limits, T0, slot('slot_same'))).toEqual({ ok: true });
    expect((await budgets.take(p, limits, T0 + 1)).ok).toBe(false);
    await budgets.refund(q, 'slot_same');
    expect((await budgets.take(p, limits, T0 + 1)).ok).toBe(false);
    expect(await budgets.usage(p, T0 + 1)).toEqual({ lastHour: 1, lastDay: 1, inProgress: 1 });
    await budgets.ended(q, 'slot_same');
    expect(await budgets.take(q, limits, T0 + 1, slot('slot_q'))).toEqual({ ok: true });
    expect(await budgets.usage(q, T0 + 1)).toEqual({ lastHour: 1, lastDay: 1, inProgress: 1 });
  });
}

async function takeOne(budgets: CallBudgets, p: string, now: number) {
  const s = slot(`slot_${randomBytes(6).toString('hex')}`);
  expect(await budgets.take(p, {}, now, s)).toEqual({ ok: true });
  return s;
}

describe('call budgets in memory', () => {
  budgetContract(() => new MemoryCallBudgets());

  it('keeps nothing for a principal that only looks, and forgets one whose calls are a day old', async () => {
    const budgets = new MemoryCallBudgets();
    const limits = { perHour: 2, inProgress: 1 };
    const t0 = Date.parse('2026-12-07T12:00:00Z');
    // A flood of principals that read their budgets or are refused keeps nothing.
    for (let i = 0; i < 1000; i++) {
      await budgets.usage(`looker-${i}`, t0);
      await budgets.take(`looker-${i}`, limits, t0);
    }
    expect(budgets.principals).toBe(0);
    expect((await budgets.take('caller', limits, t0, { id: 'slot_1', leaseMs: HOUR_MS })).ok).toBe(true);
    await budgets.refund('caller', 'slot_1');
    expect(await budgets.usage('caller', t0)).toEqual({ lastHour: 0, lastDay: 0, inProgress: 0 });
    expect(budgets.principals).toBe(0);
    await budgets.take('caller', limits, t0, { id: 'slot_2', leaseMs: HOUR_MS });
    expect(budgets.principals).toBe(1);
    await budgets.usage('caller', t0 + DAY_MS);
    expect(budgets.principals).toBe(0);
  });
});

describe.skipIf(!requireRedis())('call budgets in Redis, two instances on one server', () => {
  let redis: RunningRedis;
  let a: RedisLink;
  let b: RedisLink;
  const prefix = `t${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    redis = await mustStartRedis();
    a = await connectRedis(redis.url, { keyPrefix: prefix });
    b = await connectRedis(redis.url, { keyPrefix: prefix });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  describe('the contract', () => {
    budgetContract(() => redisCallBudgets(a, SECRET));
  });

  it('gives the last slot to exactly one of 20 takes racing from two instances', async () => {
    const onA = redisCallBudgets(a, SECRET);
    const onB = redisCallBudgets(b, SECRET);
    const p = fresh();
    const limits = { perHour: 5, perDay: 50, inProgress: 10 };
    for (let i = 0; i < 4; i++)
      expect(await onA.take(p, limits, T0 + i, slot(`slot_pre${i}`))).toEqual({ ok: true });
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? onA : onB).take(p, limits, T0 + 100, slot(`slot_race${i}`)),
      ),
    );
    expect(verdicts.filter((v) => v.ok)).toHaveLength(1);
    expect(verdicts.filter((v) => !v.ok)).toEqual(
      Array(19).fill({ ok: false, limit: 'hour', freeAt: T0 + HOUR_MS }),
    );
    expect(await onB.usage(p, T0 + 100)).toEqual({ lastHour: 5, lastDay: 5, inProgress: 5 });
    // Likewise the last call in progress.
    const q = fresh();
    const race = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? onA : onB).take(q, { inProgress: 1 }, T0, slot(`slot_live${i}`)),
      ),
    );
    expect(race.filter((v) => v.ok)).toHaveLength(1);
    expect(await onA.usage(q, T0)).toEqual({ lastHour: 1, lastDay: 1, inProgress: 1 });
  });

  it('names its keys by a keyed hash of the principal, never the principal, and lets them expire', async () => {
    const p = `vsa_live_${randomBytes(8).toString('hex')}`;
    const budgets = redisCallBudgets(a, SECRET);
    const now = Date.now();
    await budgets.take(p, { perHour: 5 }, now, slot('slot_k'));
    await budgets.placed(p, 'slot_k', 'call_k', now + LEASE);
    const names = await a.command.keys(`${prefix}calls*`);
    const mine: string[] = [];
    for (const name of names) {
      expect(name).toMatch(new RegExp(`^${prefix}calls(-live)?:[A-Za-z0-9_-]{32}$`));
      expect(name).not.toContain(p);
      const members = await a.command.zrange(name, '0', '-1');
      expect(members.join(' ')).not.toContain(p);
      if (members.includes('slot_k') || members.includes('call_k')) mine.push(name);
    }
    expect(mine).toHaveLength(2);
    for (const name of mine) {
      const ttl = await a.command.pttl(name);
      expect(ttl).toBeGreaterThan(DAY_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(DAY_MS + 60_000);
    }
    // Another secret names other keys: the hash is keyed, not a plain digest anyone could recompute.
    await redisCallBudgets(a, randomBytes(32)).take(p, {}, now, slot('slot_other'));
    expect(await a.command.keys(`${prefix}calls*`)).toHaveLength(names.length + 2);
  });

  it('rejects, and reports the outage to the link, when Redis is gone', async () => {
    const budgets = redisCallBudgets(b, SECRET);
    const p = fresh();
    expect(await budgets.take(p, { perHour: 1 }, T0)).toEqual({ ok: true });
    redis.kill();
    await expect(budgets.take(p, { perHour: 1 }, T0, slot('slot_down'))).rejects.toThrow();
    await waitFor(() => b.status() === 'degraded', 5000, 'degraded');
    await expect(budgets.take(p, { perHour: 1 }, T0)).rejects.toThrow();
    await expect(budgets.usage(p, T0)).rejects.toThrow();
    await expect(budgets.refund(p, 'slot_down')).rejects.toThrow();
  });
});

/**
 * The call budgets of each principal (src/policy/budgets.ts), shared by every instance through Redis:
 * the same rule as `judge`, applied by one Lua script that also takes the slot, so two instances can
 * never both take the last one. The time is the caller's (the policy's clock), never Redis's.
 *
 * Per principal, named by a keyed hash of it (a key derived from the server secret), never by it:
 * - `calls:<hash>`: a sorted set of the slots taken (member: slot id, score: when it was taken);
 * - `calls-live:<hash>`: a sorted set of what is in progress (member: slot or call id, score: lease end).
 * Every script first drops what is older than a day and the leases that ran out, as the memory store
 * does; each key expires a day (plus a minute) after the last slot or call was added, so nothing
 * outlives its window.
 *
 * Redis being away is not papered over: each method reports it and rethrows, and the policy refuses
 * the call (a budget that cannot be checked allows nothing).
 */
import { createHmac } from 'node:crypto';
import {
  type BudgetUsage,
  type BudgetVerdict,
  type CallBudgets,
  type CallLimits,
  DAY_MS,
  HOUR_MS,
} from '../policy/budgets.js';
import { deriveKey } from '../security/secret.js';
import type { RedisLink } from './redis.js';

/**
 * How long a key is kept after a slot or call was last added to it: a day (what a slot counts for; a lease, CALL_LEASE_MS,
 * is shorter) plus a minute. Redis's clock runs the expiry, the caller's the windows: only their pace
 * has to agree.
 */
const TTL_MS = DAY_MS + 60_000;

/** Drops, from KEYS[1] (taken) and KEYS[2] (live), what no longer counts at ARGV[1] (now), ARGV[2] (now - day). */
const PRUNE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
`;

/**
 * KEYS taken, live. ARGV: now, now - day, now - hour, in-progress limit, per hour, per day (a limit
 * '' when absent), slot id ('' to only check), its lease end, the keys' TTL (ms). Returns {'ok'}, {'in_progress', held ids}, or {'hour'|'day', score of the oldest call
 * that blocks}: the order and the arithmetic of `judge`, on the sets sorted by time.
 */
const TAKE = `${PRUNE}
local in_progress = tonumber(ARGV[4])
if in_progress then
  local held = redis.call('ZRANGE', KEYS[2], 0, -1)
  if #held >= in_progress then return {'in_progress', held} end
end
local total = redis.call('ZCARD', KEYS[1])
-- The calls of the last hour are the newest of the day's, so the one that blocks sits at rank total - limit.
local per_hour = tonumber(ARGV[5])
if per_hour and redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[3], '+inf') >= per_hour then
  local oldest = redis.call('ZRANGE', KEYS[1], total - per_hour, total - per_hour, 'WITHSCORES')
  return {'hour', oldest[2] or ''}
end
local per_day = tonumber(ARGV[6])
if per_day and total >= per_day then
  local oldest = redis.call('ZRANGE', KEYS[1], total - per_day, total - per_day, 'WITHSCORES')
  return {'day', oldest[2] or ''}
end
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[7])
  redis.call('ZADD', KEYS[2], ARGV[8], ARGV[7])
  redis.call('PEXPIRE', KEYS[1], ARGV[9])
  redis.call('PEXPIRE', KEYS[2], ARGV[9])
end
return {'ok'}
`;

/** KEYS live. ARGV: slot id, call id, lease end, the key's TTL (ms). Nothing when the slot is gone. */
const PLACED = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** KEYS taken, live. ARGV: slot id. */
const REFUND = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

/** KEYS taken, live. ARGV: now, now - day, now - hour. Returns the counts of the hour, the day, in progress. */
const USAGE = `${PRUNE}
return {
  redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[3], '+inf'),
  redis.call('ZCARD', KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
}
`;

const WHAT = 'call budgets';

export function redisCallBudgets(link: RedisLink, secret: Buffer): CallBudgets {
  const key = deriveKey(secret, 'call-budgets');
  const keys = (principal: string): [string, string] => {
    const id = createHmac('sha256', key).update(principal).digest('base64url').slice(0, 32);
    return [`${link.prefix}calls:${id}`, `${link.prefix}calls-live:${id}`];
  };
  // Reported once per outage by the link, then rethrown: the caller refuses what it cannot check.
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      link.failed(WHAT, err);
      throw err;
    }
  };
  // Bounds as decimal strings made here: Lua would print a number with 14 digits, rounding a time.
  const windows = (now: number) => [String(now), String(now - DAY_MS), String(now - HOUR_MS)];
  const limit = (n: number | undefined) => (n === undefined ? '' : String(n));

  return {
    take: (principal, limits: CallLimits, now, slot) =>
      run(async () => {
        const leaseEnd = slot ? now + slot.leaseMs : now;
        const answer = (await link.command.eval(
          TAKE,
          2,
          ...keys(principal),
          ...windows(now),
          limit(limits.inProgress),
          limit(limits.perHour),
          limit(limits.perDay),
          slot?.id ?? '',
          String(leaseEnd),
          TTL_MS,
        )) as [string, (string[] | string)?];
        return verdict(answer);
      }),

    refund: (principal, slotId) =>
      run(async () => {
        await link.command.eval(REFUND, 2, ...keys(principal), slotId);
      }),

    placed: (principal, slotId, callId, leaseUntil) =>
      run(async () => {
        await link.command.eval(PLACED, 1, keys(principal)[1], slotId, callId, String(leaseUntil), TTL_MS);
      }),

    ended: (principal, callId) =>
      run(async () => {
        await link.command.zrem(keys(principal)[1], callId);
      }),

    usage: (principal, now) =>
      run(async (): Promise<BudgetUsage> => {
        const [lastHour, lastDay, inProgress] = (await link.command.eval(
          USAGE,
          2,
          ...keys(principal),
          ...windows(now),
        )) as [number, number, number];
        return { lastHour, lastDay, inProgress };
      }),
  };
}

/** The script's answer as `judge` would have put it. */
function verdict([kind, detail]: [string, (string[] | string)?]): BudgetVerdict {
  if (kind === 'ok') return { ok: true };
  if (kind === 'in_progress') return { ok: false, limit: 'in_progress', held: (detail as string[]) ?? [] };
  if (kind !== 'hour' && kind !== 'day') throw new Error(`the call budget script answered ${kind}`);
  // A limit of 0 has no call that blocks: the same NaN as `judge` (its index is past the end).
  const at = detail === '' || detail === undefined ? Number.NaN : Number(detail);
  return { ok: false, limit: kind, freeAt: at + (kind === 'hour' ? HOUR_MS : DAY_MS) };
}

/**
 * The client-side request budget of one VOISA key, shared by every instance: the same token bucket as
 * `TokenBucket` (src/voisa/rate-limit.ts), kept in Redis and updated by one Lua script on Redis's own
 * clock, so N instances together stay within VOISA's limit for the key instead of N times it.
 * While Redis is away, each instance falls back to a bucket of its own.
 */
import { createHmac } from 'node:crypto';
import { TokenBucket } from '../voisa/rate-limit.js';
import { sleep } from '../voisa/retry.js';
import type { RequestBudget } from '../voisa/types.js';
import type { RedisLink } from './redis.js';

/** KEYS[1] bucket; ARGV capacity, refill per ms, longest wait to start. Returns the wait in ms (-1: too long, token handed back). */
const TAKE = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(h[1]) or cap
local at = tonumber(h[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - at) * rate) - 1
local wait = 0
if tokens < 0 then wait = math.ceil(-tokens / rate) end
if wait > max_wait then
  tokens = tokens + 1
  wait = -wait
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
-- Kept until it would be full again (plus a minute): expiring earlier would forget the waiters' reservations.
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate) + 60000)
return tostring(wait)
`;

const RELEASE = `
local cap = tonumber(ARGV[1])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or cap)
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(cap, tokens + 1)))
return 1
`;

export class RedisRequestBudget implements RequestBudget {
  readonly #shape: TokenBucket;
  #local: TokenBucket | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly key: string,
    perMinute: number,
  ) {
    // The same capacity and refill as a local bucket; it also serves as the fallback.
    this.#shape = new TokenBucket(perMinute);
  }

  async take(
    signal: AbortSignal | undefined,
    onWait: (waitMs: number) => void,
    maxWaitMs = Number.POSITIVE_INFINITY,
  ): Promise<{ waited: boolean; waitMs: number }> {
    let wait: number;
    try {
      const answer = await this.link.command.eval(
        TAKE,
        1,
        this.key,
        this.#shape.capacity,
        this.#shape.refillPerMs,
        Number.isFinite(maxWaitMs) ? maxWaitMs : 1e15,
      );
      wait = Number(answer);
    } catch (err) {
      this.link.failed('request budget', err);
      this.#local ??= this.#shape;
      return this.#local.take(signal, onWait, maxWaitMs);
    }
    if (wait < 0) return { waited: false, waitMs: -wait };
    if (wait === 0) return { waited: true, waitMs: 0 };
    onWait(wait);
    try {
      await sleep(wait, signal);
    } catch (err) {
      void this.link.command.eval(RELEASE, 1, this.key, this.#shape.capacity).catch(() => {});
      throw err;
    }
    return { waited: true, waitMs: wait };
  }
}

/** The budget factory for VoisaClient: one shared bucket per key, named by a keyed hash of it. */
export function sharedBudgets(
  link: RedisLink,
  secret: Buffer,
): (apiKey: string | undefined, perMinute: number) => RequestBudget {
  return (apiKey, perMinute) => {
    const id = createHmac('sha256', secret)
      .update(`budget:${apiKey ?? ''}`)
      .digest('base64url')
      .slice(0, 32);
    return new RedisRequestBudget(link, `${link.prefix}budget:${id}`, perMinute);
  };
}

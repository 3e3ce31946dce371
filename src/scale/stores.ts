/**
 * The small shared stores of several instances: the webhook delivery ledger (`SET NX` with expiry) and
 * the verdicts on API keys. Keys are named by keyed hashes, never by a VOISA key. A store that cannot
 * reach Redis answers "unknown", and the caller's own memory decides.
 */
import { createHmac } from 'node:crypto';
import type { Verdict, VerdictStore } from '../http/auth.js';
import type { DeliveryLedger } from '../http/webhooks.js';
import type { RedisLink } from './redis.js';

export function redisLedger(link: RedisLink): DeliveryLedger {
  return {
    async firstSeen(id, ttlMs) {
      try {
        const set = await link.command.set(
          `${link.prefix}webhook:${id}`,
          '1',
          'PX',
          Math.max(1, Math.ceil(ttlMs)),
          'NX',
        );
        return set === 'OK' ? 'new' : 'seen';
      } catch (err) {
        link.failed('webhook ledger', err);
        return 'unavailable';
      }
    },
  };
}

export function redisVerdicts(link: RedisLink, secret: Buffer): VerdictStore {
  const name = (hash: string) =>
    `${link.prefix}verdict:${createHmac('sha256', secret).update(hash).digest('base64url').slice(0, 32)}`;
  return {
    async get(hash) {
      try {
        const v = await link.command.get(name(hash));
        return v === 'valid' || v === 'invalid' ? (v as Verdict) : undefined;
      } catch (err) {
        link.failed('key verdicts', err);
        return undefined;
      }
    },
    async set(hash, verdict, ttlMs) {
      try {
        await link.command.set(name(hash), verdict, 'PX', Math.max(1, ttlMs));
      } catch (err) {
        link.failed('key verdicts', err);
      }
    },
  };
}

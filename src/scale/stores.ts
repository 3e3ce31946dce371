/**
 * The small shared stores of several instances: the webhook delivery ledger and the used confirmations
 * (`SET NX` with expiry), and the verdicts on API keys. Keys are named by keyed hashes (or random
 * nonces), never by a VOISA key. A store that cannot reach Redis answers "unknown", and the caller's
 * own memory decides (a confirmation: nothing goes ahead).
 */
import { createHmac } from 'node:crypto';
import type { DeliveryLedger } from '../events/webhooks.js';
import type { Claim, SingleUse } from '../security/single-use.js';
import type { Verdict, VerdictStore } from '../web/auth.js';
import type { RedisLink } from './redis.js';

export function redisLedger(link: RedisLink): DeliveryLedger {
  return {
    async firstSeen(id, ttlMs) {
      const claim = await claimOnce(link, `webhook:${id}`, ttlMs, 'webhook ledger', '1');
      return claim === 'claimed' ? 'new' : claim === 'used' ? 'seen' : 'unavailable';
    },
  };
}

/** The nonces of confirmations already acted on (`confirm:<nonce>`, no value, until the state expires). */
export function redisSingleUse(link: RedisLink): SingleUse {
  return { claim: (nonce, ttlMs) => claimOnce(link, `confirm:${nonce}`, ttlMs, 'confirmations') };
}

/** `SET <prefix><name> NX PX ttl`: the first caller claims the name, later ones find it used. */
async function claimOnce(
  link: RedisLink,
  name: string,
  ttlMs: number,
  what: string,
  value = '',
): Promise<Claim> {
  try {
    const set = await link.command.set(
      `${link.prefix}${name}`,
      value,
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
      'NX',
    );
    return set === 'OK' ? 'claimed' : 'used';
  } catch (err) {
    link.failed(what, err);
    return 'unavailable';
  }
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
    async forget(hash) {
      try {
        await link.command.del(name(hash));
      } catch (err) {
        link.failed('key verdicts', err);
      }
    },
  };
}

/**
 * Revoked OAuth grants, told to every instance: the tokens of a revoked grant already fail everywhere
 * (each check reads the shared store), but a stream opened before the revocation is not a request and
 * would keep receiving. Each instance ends those of the grant when it hears of it (http/app.ts).
 *
 * With Redis, a revocation travels on the `grants-revoked` channel as a keyed hash of the grant id
 * (the server secret), as the store names grants: nothing on the wire names one. While Redis is away
 * the publishing instance still hears its own (RedisChannel delivers locally); the others' streams of
 * that grant then end only when their next request is refused.
 */
import { createHmac } from 'node:crypto';
import { deriveKey } from '../security/secret.js';
import type { RedisChannel } from './channel.js';

/** Given to a listener: whether a grant id is the one revoked. */
export type IsRevoked = (grantId: string) => boolean;

export interface GrantRevocations {
  /** Tells every instance, this one included, that the grant ended. False when only this one heard. */
  publish(grantId: string): Promise<boolean>;
  /** Called once per revocation any instance published. */
  subscribe(listener: (isRevoked: IsRevoked) => void): () => void;
}

/** One process: the revocation goes straight to its listeners. */
export function memoryRevocations(): GrantRevocations {
  const listeners = new Set<(isRevoked: IsRevoked) => void>();
  return {
    async publish(grantId) {
      const isRevoked: IsRevoked = (id) => id === grantId;
      for (const listener of listeners) {
        try {
          listener(isRevoked);
        } catch {
          // one listener failing does not keep the others from hearing it
        }
      }
      return true;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/** Several instances: the keyed hash of the grant id on `channel`. */
export function redisRevocations(channel: RedisChannel<string>, secret: Buffer): GrantRevocations {
  const key = deriveKey(secret, 'revoked-grants');
  const tag = (grantId: string) => createHmac('sha256', key).update(grantId).digest('base64url');
  return {
    publish: (grantId) => channel.publish(tag(grantId)),
    subscribe: (listener) =>
      channel.subscribe((revoked) => {
        // Anything else on the channel is not ours to act on.
        if (typeof revoked === 'string' && revoked.length > 0) listener((id) => tag(id) === revoked);
      }),
  };
}

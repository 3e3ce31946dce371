/**
 * Whose webhook events are whose. VOISA's payload does not name the account, so a delivery is attributed
 * by where it arrives and the secret that verifies it:
 *
 * - every principal (a VOISA key, sent or behind an OAuth grant) has an opaque id, a keyed hash of the
 *   key's SHA-256 (`HMAC(K_id, sha256(key))`, K_id derived from VOISA_SERVER_SECRET): it names the
 *   principal as the owner of its events everywhere (hub, Redis, listen bus), and never the key;
 * - `configure_webhook` run through this server registers `<base>/webhooks/voisa/t/<id>` with that
 *   principal's own signing secret, `HMAC(K_secret, id)`;
 * - a delivery to `/webhooks/voisa/t/<id>` is verified with the secret of that id only, so an event
 *   signed with another tenant's secret, or the shared one, or sent to a made-up id, is refused.
 *
 * Nothing is stored: the id in the path gives the secret, on every instance with the same
 * VOISA_SERVER_SECRET and after restarts. The shared URL `/webhooks/voisa` (VOISA_WEBHOOK_SECRET)
 * belongs to the server's own key.
 */
import { createHmac } from 'node:crypto';
import { deriveKey } from '../security/secret.js';
import type { WebhookTarget } from '../tools/define.js';

/** The shared receiver's path; each tenant's is `${WEBHOOK_PATH}/t/<id>`. */
export const WEBHOOK_PATH = '/webhooks/voisa';
const ID = /^[A-Za-z0-9_-]{32}$/;

export interface Tenants {
  /** The opaque id of the principal whose key hashes (SHA-256, hex) to `keyHash`. */
  idOf(keyHash: string): string;
  /** True when `id` has the shape of a tenant id (says nothing of whether anyone owns it). */
  isId(id: string): boolean;
  /** The secret a delivery to this id's URL must be signed with. */
  secretOf(id: string): string;
  /** The URL and secret `configure_webhook` registers for the principal `id` names; undefined while the base is unknown. */
  target(id: string): WebhookTarget | undefined;
}

/**
 * `base` is the origin (and optional path prefix) VOISA reaches this server at: `--webhook-base-url`,
 * else `--public-url`, else this server's own address when it listens on loopback only.
 */
export function createTenants(secret: Buffer, base: () => string | undefined): Tenants {
  const idKey = deriveKey(secret, 'webhook-tenant-id');
  const secretKey = deriveKey(secret, 'webhook-tenant-secret');
  const idOf = (keyHash: string) =>
    createHmac('sha256', idKey).update(keyHash).digest('base64url').slice(0, 32);
  const secretOf = (id: string) => `whsec_${createHmac('sha256', secretKey).update(id).digest('base64url')}`;
  return {
    idOf,
    isId: (id) => ID.test(id),
    secretOf,
    target(id) {
      const root = base()?.replace(/\/+$/, '');
      if (!root) return undefined;
      const shared = new URL(`${root}${WEBHOOK_PATH}`);
      return {
        url: `${root}${WEBHOOK_PATH}/t/${id}`,
        secret: secretOf(id),
        isOurs(url) {
          try {
            const u = new URL(url);
            return (
              u.origin === shared.origin &&
              (u.pathname === shared.pathname || u.pathname.startsWith(`${shared.pathname}/`))
            );
          } catch {
            return false;
          }
        },
      };
    },
  };
}

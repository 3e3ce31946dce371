/**
 * The account behind an OAuth grant is the VOISA key the user signed in with, sealed: the account id
 * that oidc-provider stores with every grant, code and token is `v1.<AES-256-GCM(key, permissions,
 * VOISA account id)>` under a key derived from `VOISA_SERVER_SECRET`. So the key is never at rest in
 * clear, and any instance with the same secret can act for any user. The password is never kept.
 */
import { createBox } from '../security/box.js';
import { deriveKey } from '../security/secret.js';

export interface VoisaAccount {
  /** The VOISA API key the grant acts with. */
  key: string;
  /** The key's own permissions (`read`, `write`, `delete`), when VOISA said. */
  permissions?: string[];
  /** VOISA's account id, when it said; shown on the consent page. */
  accountId?: string;
}

export interface AccountSealer {
  seal(account: VoisaAccount): string;
  /** Undefined for anything this server did not seal. */
  open(sealed: string): VoisaAccount | undefined;
}

export function createAccountSealer(secret: Buffer): AccountSealer {
  const box = createBox(deriveKey(secret, 'oauth-account'), 'voisa-mcp oauth-account v1', 4096);
  return {
    seal: (a) => box.seal(JSON.stringify({ k: a.key, p: a.permissions, a: a.accountId })),
    open(sealed) {
      const opened = box.open(sealed);
      if (!opened.ok) return undefined;
      try {
        const v = JSON.parse(opened.plain) as { k?: unknown; p?: unknown; a?: unknown };
        if (typeof v.k !== 'string') return undefined;
        return {
          key: v.k,
          permissions: Array.isArray(v.p) ? v.p.filter((x): x is string => typeof x === 'string') : undefined,
          accountId: typeof v.a === 'string' ? v.a : undefined,
        };
      } catch {
        return undefined;
      }
    },
  };
}

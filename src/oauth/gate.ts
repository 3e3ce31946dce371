/**
 * What the HTTP app needs of the authorization server (`--public-url`), without loading it: the
 * routes it serves, and the check of a bearer token at /mcp. The implementation (oidc-provider)
 * is imported only when OAuth is on; see server.ts.
 */
import type { Hono } from 'hono';
import { isLoopbackHost } from '../web/auth.js';
import type { HttpEnv } from '../web/env.js';
import type { VoisaAccount } from './account.js';

export type TokenCheck =
  | {
      kind: 'valid';
      account: VoisaAccount;
      scopes: string[];
      clientId: string;
      /** The client's registered name, when it has one. */
      clientName?: string;
      grantId: string;
    }
  | { kind: 'invalid'; reason: string }
  /** Not an access token of this server (a VOISA API key, say): the caller decides. */
  | { kind: 'not-ours' };

export interface OAuthGate {
  /** The issuer: the public URL's origin. */
  issuer: string;
  /** The resource identifier tokens are bound to: `<issuer>/mcp`. */
  resource: string;
  /** Attributes for `WWW-Authenticate: Bearer …` (resource_metadata, scope). */
  challenge: string;
  /** Adds the well-known documents, the OAuth endpoints and the sign-in pages. */
  mount(app: Hono<HttpEnv>): void;
  checkToken(token: string): Promise<TokenCheck>;
  /**
   * Ends a grant (its access and refresh tokens): for when VOISA no longer accepts the key behind it,
   * so the client is sent back to sign-in instead of refreshing into tokens that can never work.
   */
  revokeGrant(grantId: string): Promise<void>;
  /**
   * Calls `listener` with each grant this server ends (on `/account`, by `revokeGrant`, past the
   * per-key bound, a refresh-token replay, or its client's revocation), after its tokens stopped
   * working: the HTTP app tells every instance, which end the grant's open streams. Returns the
   * unsubscribe.
   */
  onGrantRevoked(listener: (grantId: string) => void | Promise<void>): () => void;
  /** Says what the state lives in (for the start-up log). */
  describe(): string;
}

/** Checks `--public-url`: https, or http on loopback; no credentials, query or fragment. Returns the origin. */
export function publicOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PublicUrlError(`--public-url is not a URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    throw new PublicUrlError(
      '--public-url must be https (or http on a loopback address, for trying it locally)',
    );
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== ''))
    throw new PublicUrlError(
      '--public-url must be an origin such as https://mcp.example.com (no path, query or credentials): MCP is then at /mcp',
    );
  return url.origin;
}

export class PublicUrlError extends Error {
  override readonly name = 'PublicUrlError';
}

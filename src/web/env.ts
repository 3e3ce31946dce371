/**
 * The types every HTTP surface shares (the MCP endpoints, the legacy SSE transport, the OAuth
 * connector): Hono's environment for our requests, and who a request acts for.
 */
import type { HttpBindings } from '@hono/node-server';
import type { ToolFilter } from '../tools/index.js';

export type HttpEnv = {
  Bindings: HttpBindings;
  Variables: {
    notInFlight?: () => void;
    /**
     * The client's address, as every per-address limit must see it (the peer, or the client named by
     * X-Forwarded-For through trusted proxies: --trust-proxy). Set by the `*` middleware.
     */
    clientAddress: string;
    /** The session an event stream belongs to when its headers do not say (the legacy /sse stream). */
    streamSession?: string;
  };
};

/**
 * Who a /mcp request acts for: a VOISA key (sent, or the server's own on loopback), or the key behind
 * an OAuth grant. `hash` keys the client pool and the key verdicts; `binding` is what a session is
 * bound to (the key, and for a grant the tools it allows); `filter` narrows the tools to the grant.
 */
export interface Caller {
  key: string;
  hash: string;
  binding: string;
  filter?: ToolFilter;
  /** The OAuth grant the caller acts through: revoked when VOISA refuses its key (see checkKey). */
  grantId?: string;
  /** The OAuth client the grant was given to (audit lines). */
  client?: { id: string; name?: string };
}

/**
 * `/mcp` for the 2026-07-28 generation: a server from the factory per request, no session; change
 * notifications reach `subscriptions/listen` streams through the listen bus, and a stream opened
 * through an OAuth grant ends when the grant is revoked. (2025-era traffic keeps
 * its sessions: mcp-sessions.ts; routes/mcp.ts tells the two apart.)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  type McpRequestContext,
  PROTOCOL_VERSION_META_KEY,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import { listenBusFor } from '../../events/listen-bus.js';
import type { LogFn } from '../../mcp/log.js';
import { scopeRefusal } from '../../resources/reach.js';
import { reaches, reachOf } from '../../tools/scopes.js';
import type { VoisaClient } from '../../voisa/index.js';
import type { Caller } from '../../web/env.js';
import { json } from '../../web/responses.js';
import type { Callers } from '../callers.js';
import type { ClientPool } from '../clients.js';
import type { BuildServer, Principal } from '../servers.js';
import type { Tenants } from '../tenants.js';
import { type Ctx, whenDone } from './context.js';

export interface ModernMcpDeps {
  checkKey: Callers['checkKey'];
  clients: Pick<ClientPool, 'acquire' | 'release'>;
  buildServer: BuildServer;
  tenants: Pick<Tenants, 'idOf'>;
  /** What instances share of listen events (scale/). */
  bus: ServerEventBus;
  bodyLimit: number;
  log: LogFn;
}

export interface ModernMcp {
  /** Answers a 2026-07-28 request of `caller` (identified, its body read). */
  handle(c: Ctx, caller: Caller, body: unknown): Promise<Response>;
  /** Serves one request with `api` for `caller` without checking a key: the warm-up probe. */
  serve(request: Request, api: VoisaClient, caller: Principal): Promise<Response>;
  /** Ends the open listen streams of the grants `isRevoked` names (a revocation heard); returns how many. */
  endGrant(isRevoked: (grantId: string) => boolean): number;
  close(): Promise<void>;
}

export function modernMcp(d: ModernMcpDeps): ModernMcp {
  // Who the 2026-07-28 request being served acts for: its listen stream hears of that principal's events only.
  const streamOwner = new AsyncLocalStorage<string>();
  const modern = createMcpHandler(
    (ctx: McpRequestContext) => {
      const served = ctx.authInfo?.extra as
        | { api: VoisaClient; caller: Principal; owner: string }
        | undefined;
      if (!served) throw new Error('no caller on a 2026-07-28 request');
      return d.buildServer(served.api, 'listen', served.caller, served.owner);
    },
    {
      legacy: 'reject',
      // Each listen stream hears of its own principal's events only (listen-bus.ts).
      bus: listenBusFor(d.bus, () => streamOwner.getStore()),
      maxRequestBodySize: d.bodyLimit,
      onerror: (err) => d.log('debug', `2026-07-28 request: ${err.message}`),
    },
  );

  /** A 2026-07-28 request, served by a server the factory builds for this caller's client and key. */
  function serveWith(request: Request, api: VoisaClient, caller: Principal, parsedBody?: unknown) {
    // Named once: the listen stream (if this is one) and the server built for it both need it.
    const owner = d.tenants.idOf(caller.hash);
    return streamOwner.run(owner, () =>
      modern.fetch(request, {
        parsedBody,
        authInfo: { token: '', clientId: 'voisa-key', scopes: [], extra: { api, caller, owner } },
      }),
    );
  }

  /** The open listen streams opened through an OAuth grant: each one's end, and its grant. */
  const listening = new Map<() => void, string>();

  /**
   * The listen stream of `response`, which `endGrant` can end: read through, and on a revocation
   * closed for the client and cancelled for the SDK (which unsubscribes it from the bus).
   */
  function endable(response: Response, grantId: string): Response {
    const type = response.headers.get('content-type') ?? '';
    if (!response.body || !type.startsWith('text/event-stream')) return response;
    const reader = response.body.getReader();
    let closed = false;
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const finish = () => {
      closed = true;
      listening.delete(end);
    };
    function end() {
      if (closed) return;
      finish();
      try {
        controller?.close();
      } catch {
        // already closed
      }
      void reader.cancel().catch(() => {});
    }
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        listening.set(end, grantId);
      },
      async pull(c) {
        try {
          const { done, value } = await reader.read();
          if (closed) return;
          if (done) {
            finish();
            c.close();
          } else c.enqueue(value);
        } catch (err) {
          finish();
          c.error(err);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    });
    return new Response(body, response);
  }

  return {
    async handle(c, caller, body) {
      const refused = await d.checkKey(caller.hash, caller.key, caller.grantId);
      if (refused) return refused;
      const request = body as { method?: unknown; id?: string | number } | undefined;
      const listen = request?.method === 'subscriptions/listen';
      if (listen) {
        // The stream names agents and conversations: a grant must read them (tools/scopes.ts REACH).
        const row = reachOf('subscriptions/listen');
        if (caller.filter?.scopes && !reaches(caller.filter.scopes, row.needs)) {
          const refusal = scopeRefusal('subscriptions/listen', row);
          return json(200, {
            jsonrpc: '2.0',
            id: request.id ?? null,
            error: { code: refusal.code, message: refusal.message, data: refusal.data },
          });
        }
        c.get('notInFlight')?.();
      }
      const api = d.clients.acquire(caller.key, caller.hash);
      whenDone(c, () => d.clients.release(caller.hash));
      const response = await serveWith(c.req.raw, api, caller, body);
      // A grant's listen stream ends when the grant is revoked, on whichever instance (app.ts).
      return listen && caller.grantId ? endable(response, caller.grantId) : response;
    },
    serve: (request, api, caller) => serveWith(request, api, caller),
    endGrant(isRevoked) {
      const ends = [...listening].filter(([, grantId]) => isRevoked(grantId)).map(([end]) => end);
      for (const end of ends) end();
      return ends.length;
    },
    close: () => modern.close(),
  };
}

/**
 * A 2026-07-28 request as an SDK client sends it: the `_meta` envelope (protocol version, client
 * capabilities) in the body and the standard headers. For warm-up probes and benchmarks.
 */
export function modernRequest(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Request {
  return new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: { [PROTOCOL_VERSION_META_KEY]: '2026-07-28', [CLIENT_CAPABILITIES_META_KEY]: {} },
      },
    }),
  });
}

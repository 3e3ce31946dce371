/**
 * `/mcp` for the 2026-07-28 generation: a server from the factory per request, no session; change
 * notifications reach `subscriptions/listen` streams through the listen bus, and a stream opened
 * through an OAuth grant ends when the grant is revoked. (2025-era traffic keeps
 * its sessions: mcp-sessions.ts; routes/mcp.ts tells the two apart.)
 *
 * Each listen stream is served by an SDK handler of its own, whose face of the bus knows the stream's
 * owner (listen-bus.ts); every other request by one shared handler. (An AsyncLocalStorage around one
 * handler would tell the owner too, but on Node 20 and 22 one in use makes every promise of every
 * request pay async hooks: about 15% of a list_agents call, bench:http.)
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  type McpHttpHandler,
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
  const factory = (ctx: McpRequestContext) => {
    const served = ctx.authInfo?.extra as { api: VoisaClient; caller: Principal; owner: string } | undefined;
    if (!served) throw new Error('no caller on a 2026-07-28 request');
    return d.buildServer(served.api, 'listen', served.caller, served.owner);
  };
  /** A handler whose listen streams hear of `owner`'s events only (none without an owner: fail closed). */
  const handlerFor = (owner: string | undefined, maxSubscriptions?: number) =>
    createMcpHandler(factory, {
      legacy: 'reject',
      bus: listenBusFor(d.bus, () => owner),
      maxSubscriptions,
      maxRequestBodySize: d.bodyLimit,
      onerror: (err) => d.log('debug', `2026-07-28 request: ${err.message}`),
    });
  // Every request but subscriptions/listen (which handle() sends to a handler of its own).
  const modern = handlerFor(undefined);

  /** A 2026-07-28 request, served by a server the factory builds for this caller's client and key. */
  function serveWith(
    handler: McpHttpHandler,
    request: Request,
    api: VoisaClient,
    caller: Principal,
    parsedBody?: unknown,
  ) {
    const owner = d.tenants.idOf(caller.hash);
    return handler.fetch(request, {
      parsedBody,
      authInfo: { token: '', clientId: 'voisa-key', scopes: [], extra: { api, caller, owner } },
    });
  }

  /** The open listen streams: each one's end, its handler, and the grant it was opened through, if any. */
  const listening = new Map<() => void, { handler: McpHttpHandler; grantId?: string }>();
  /** Listen requests being answered, not yet in `listening`: counted against the bound too. */
  let opening = 0;

  /** A subscriptions/listen request, served by a handler of its own that its stream's end closes. */
  async function serveListen(
    request: Request,
    id: string | number | undefined,
    api: VoisaClient,
    caller: Principal,
    parsedBody: unknown,
  ): Promise<Response> {
    if (listening.size + opening >= MAX_LISTEN_STREAMS) {
      d.log('debug', `subscriptions/listen refused: ${MAX_LISTEN_STREAMS} streams open`);
      return json(200, {
        jsonrpc: '2.0',
        id: id ?? null,
        error: { code: -32603, message: 'Subscription limit reached' },
      });
    }
    const handler = handlerFor(d.tenants.idOf(caller.hash), 1);
    let response: Response;
    opening++;
    try {
      response = await serveWith(handler, request, api, caller, parsedBody);
    } catch (err) {
      void handler.close().catch(() => {});
      throw err;
    } finally {
      opening--;
    }
    return tracked(response, handler, caller.grantId);
  }

  /**
   * The listen stream of `response`, read through: `handler` is closed once it ends, and `endGrant`
   * can end it (closed for the client and cancelled for the SDK, which unsubscribes it from the bus).
   * An answer that is no stream (a refusal) closes `handler` at once.
   */
  function tracked(response: Response, handler: McpHttpHandler, grantId: string | undefined): Response {
    const onEnd = () => void handler.close().catch(() => {});
    const type = response.headers.get('content-type') ?? '';
    if (!response.body || !type.startsWith('text/event-stream')) {
      onEnd();
      return response;
    }
    const reader = response.body.getReader();
    let closed = false;
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const finish = () => {
      if (!closed) onEnd();
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
        listening.set(end, { handler, grantId });
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
      const refused = await d.checkKey(caller, c.get('clientAddress'));
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
      // A grant's listen stream ends when the grant is revoked, on whichever instance (app.ts).
      if (listen) return serveListen(c.req.raw, request.id, api, caller, body);
      return serveWith(modern, c.req.raw, api, caller, body);
    },
    serve: (request, api, caller) => serveWith(modern, request, api, caller),
    endGrant(isRevoked) {
      const ends = [...listening]
        .filter(([, { grantId }]) => grantId !== undefined && isRevoked(grantId))
        .map(([end]) => end);
      for (const end of ends) end();
      return ends.length;
    },
    async close() {
      // The SDK ends each open listen stream with its closing frame.
      await Promise.all([modern, ...[...listening.values()].map((l) => l.handler)].map((h) => h.close()));
    },
  };
}

/** Listen streams one process serves at most (the SDK's default bound for one handler's). */
export const MAX_LISTEN_STREAMS = 1024;

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

/**
 * What every request after `/healthz` goes through (app.ts mounts it before the routes): the shutdown
 * 503, the Host guard, the client's address, the bound on event streams, and for the MCP endpoints
 * (/mcp, /sse, /messages) the Origin check and CORS.
 */
import type { Hono } from 'hono';
import type { LogFn } from '../mcp/log.js';
import { clientAddress, type TrustProxy } from '../web/client-address.js';
import type { HttpEnv } from '../web/env.js';
import { rpcError, SERVER_ERROR } from '../web/responses.js';
import { corsHeaders, createGuards, type GuardOptions } from './guards.js';
import type { SessionRegistry } from './sessions.js';
import { MESSAGES_PATH, SSE_PATH } from './sse-transport.js';
import { formatBytes, isEventStream, type StreamBuffers } from './stream-bound.js';

export interface MiddlewareDeps {
  /** True once shutdown began: new requests get 503. */
  closing(): boolean;
  guards: GuardOptions;
  trustProxy?: TrustProxy;
  streams: StreamBuffers;
  /** An event stream's session, ended when its client stops reading. */
  sessions: Pick<SessionRegistry, 'get' | 'close'>;
  log: LogFn;
}

export function useMiddleware(app: Hono<HttpEnv>, d: MiddlewareDeps): void {
  const { streams, sessions } = d;
  const guards = createGuards(d.guards);

  // Refuse new work while shutting down, and a Host that is not ours (DNS rebinding).
  // The client's address goes in the context: the peer's, or the one X-Forwarded-For names through
  // trusted proxies (--trust-proxy, client-address.ts); every per-address limit counts it.
  app.use('*', async (c, next) => {
    if (d.closing()) return rpcError(503, SERVER_ERROR, 'Server is shutting down', { connection: 'close' });
    const problem = guards.checkHost(c.req.header('host'));
    if (problem) return rpcError(403, SERVER_ERROR, problem);
    const address = clientAddress(
      c.env?.incoming?.socket?.remoteAddress ?? 'unknown',
      d.trustProxy ? c.req.header('x-forwarded-for') : undefined,
      d.trustProxy,
    );
    c.set('clientAddress', address);
    await next();
  });

  // Every event stream holds at most streamBufferBytes for a client that stops reading it; past that it
  // is closed and its session ended (stream-bound.ts).
  app.use('*', async (c, next) => {
    await next();
    if (!isEventStream(c.res)) return;
    const session =
      c.res.headers.get('mcp-session-id') ?? c.req.header('mcp-session-id') ?? c.get('streamSession');
    const bounded = streams.bound(c.res.body!, c.env?.outgoing, (queued) => {
      const why = `its client stopped reading (${formatBytes(queued)} queued, bound ${formatBytes(streams.limit)})`;
      if (session && sessions.get(session)) void sessions.close(session, why);
      else d.log('warning', `${c.req.method} ${c.req.path} event stream closed: ${why}`);
    });
    c.res = new Response(bounded, c.res);
  });

  // Origin check and CORS for the MCP endpoints: only allowed origins, which get CORS headers.
  for (const path of ['/mcp', SSE_PATH, MESSAGES_PATH]) {
    app.use(path, async (c, next) => {
      const origin = c.req.header('origin');
      if (!guards.originAllowed(origin)) return rpcError(403, SERVER_ERROR, `Origin not allowed: ${origin}`);
      if (c.req.method === 'OPTIONS')
        return new Response(null, { status: 204, headers: origin ? corsHeaders(origin) : {} });
      await next();
      if (origin) for (const [k, v] of Object.entries(corsHeaders(origin))) c.res.headers.set(k, v);
    });
  }
}

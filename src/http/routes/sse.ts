/**
 * The old HTTP+SSE transport (MCP protocol 2024-11-05), for clients that speak
 * only it (the AI SDK's `type: 'sse'`, `mcp-remote --transport sse-only`, older
 * automation tools): `GET /sse` opens a session and its event stream, whose
 * first `endpoint` event names `/messages?sessionId=…`; the client POSTs its
 * JSON-RPC messages there (202) and every answer travels on the stream.
 *
 * It gets what `/mcp` gets: the Host guard and shutdown 503 (the `*`
 * middleware, middleware.ts), the Origin check and CORS (for these paths too), the same caller
 * identification (a VOISA key, or an OAuth access token acting with its grant's key and scopes) and
 * `/api/verify` check, sessions bound to the key or grant that opened them (every POST must carry
 * it), the body limit, the session cap, idle expiry (an open
 * stream counts as activity, as on /mcp) and close on shutdown. Dropping the
 * stream ends the session at once: nothing else could carry its answers.
 *
 * The transport is ../sse-transport.ts (SDK v2 moves its own to `@modelcontextprotocol/server-legacy/sse`).
 */

import type { JSONRPCMessage, McpServer } from '@modelcontextprotocol/server';
import type { Hono } from 'hono';
import type { LogFn } from '../../mcp/log.js';
import type { VoisaClient } from '../../voisa/index.js';
import { newSessionId, sessionIdMatchesKey } from '../../web/auth.js';
import type { Caller, HttpEnv } from '../../web/env.js';
import { readJsonRpcBody, rpcError, SERVER_ERROR, SESSION_NOT_FOUND } from '../../web/responses.js';
import type { Callers } from '../callers.js';
import type { ClientPool } from '../clients.js';
import type { Session, SessionRegistry } from '../sessions.js';
import { LEGACY_PROTOCOL_VERSION, LegacySseTransport, MESSAGES_PATH, SSE_PATH } from '../sse-transport.js';

/** What the legacy routes borrow from the app (app.ts assembles them). */
export interface LegacySseDeps {
  sessions: SessionRegistry;
  bodyLimit: number;
  stateless: boolean;
  /**
   * Who a request acts for, or the 401 to send: /mcp's own identification (callers.ts), so a bearer that
   * is an OAuth access token acts with its grant's key and tools here too, and is never taken for a key.
   */
  identify(authorization: string | undefined): Promise<Caller | Response>;
  /** Undefined when the key is good, else the answer to send (a grant whose key VOISA refuses is revoked). */
  checkKey: Callers['checkKey'];
  /** The per-key VOISA clients, as /mcp uses them: each `acquire` paired with a `release`. */
  clients: Pick<ClientPool, 'acquire' | 'release'>;
  /** A server with subscriptions, like a /mcp session's, limited to `filter` (a grant's tools). */
  buildServer(api: VoisaClient, caller: Caller): McpServer;
  /** Ends every session id, for the balancer (see auth.ts newSessionId). */
  instanceId?: string;
  log: LogFn;
}

export interface LegacySse {
  /** Requests received on legacy sessions and not yet answered. */
  inFlight(): number;
}

/** Adds `GET /sse` and `POST /messages` to the app (after its Host, shutdown and Origin/CORS middleware). */
export function mountLegacySse(app: Hono<HttpEnv>, d: LegacySseDeps): LegacySse {
  const live = new Set<LegacySseTransport>();

  app.get(SSE_PATH, async (c) => {
    // Hono routes HEAD here too; a session whose stream nobody reads would only hold a slot.
    if (c.req.method !== 'GET')
      return rpcError(405, SERVER_ERROR, 'Method not allowed: open the stream with GET /sse', {
        allow: 'GET',
      });
    if (d.stateless) return statelessRefusal();
    const caller = await d.identify(c.req.header('authorization'));
    if (caller instanceof Response) return caller;
    const refused = await d.checkKey(caller, c.get('clientAddress'));
    if (refused) return refused;
    if (d.sessions.full()) {
      return rpcError(503, SERVER_ERROR, `Too many sessions (limit ${d.sessions.max}); retry later`, {
        'retry-after': '30',
      });
    }
    return open(caller, (id) => c.set('streamSession', id));
  });

  app.post(MESSAGES_PATH, async (c) => {
    if (d.stateless) return statelessRefusal();
    const caller = await d.identify(c.req.header('authorization'));
    if (caller instanceof Response) return caller;
    const sessionId = c.req.query('sessionId');
    if (!sessionId)
      return rpcError(400, SERVER_ERROR, 'Bad Request: the sessionId query parameter is required');
    if (!sessionIdMatchesKey(sessionId, caller.binding))
      return rpcError(
        403,
        SERVER_ERROR,
        'Forbidden: this session id was not opened with this API key or grant',
      );
    const session = d.sessions.get(sessionId);
    if (!session || !(session.transport instanceof LegacySseTransport)) {
      return rpcError(
        404,
        SESSION_NOT_FOUND,
        'Session not found: it ended or expired; open a new one with GET /sse',
      );
    }
    const transport = session.transport;
    const done = d.sessions.begin(session);
    try {
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json')
        return rpcError(415, SERVER_ERROR, 'Unsupported Media Type: Content-Type must be application/json');
      // 2024-11-05 allows JSON-RPC batches; every message must be valid before any is handled.
      const read = await readJsonRpcBody(c.req.raw, d.bodyLimit, LEGACY_PROTOCOL_VERSION);
      if (!read.ok) return read.response;
      const messages = (Array.isArray(read.body) ? read.body : [read.body]) as JSONRPCMessage[];
      for (const message of messages) transport.receive(message, {});
      return new Response('Accepted', { status: 202, headers: { 'content-type': 'text/plain' } });
    } finally {
      done();
    }
  });

  /** `name` tells the app which session the stream is (it ends that session if the client stops reading). */
  async function open(caller: Caller, name: (id: string) => void): Promise<Response> {
    const { key, hash, binding } = caller;
    // Bound to the key, and for a grant to the tools it allows, as a /mcp session is.
    const id = newSessionId(binding, d.instanceId);
    name(id);
    const transport = new LegacySseTransport(id, `${MESSAGES_PATH}?sessionId=${encodeURIComponent(id)}`);
    const server = d.buildServer(d.clients.acquire(key, hash), caller);
    const session: Session = {
      id,
      keyHash: binding,
      grantId: caller.grantId,
      server,
      transport,
      open: 0,
      lastActive: Date.now(),
    };
    // The open stream counts as activity, as a /mcp GET stream does.
    const streamDone = d.sessions.begin(session);
    transport.onclose = () => {
      streamDone();
      live.delete(transport);
      d.sessions.forget(id, 'stream closed');
      d.clients.release(hash);
    };
    try {
      await server.connect(transport); // sends the endpoint event
    } catch (err) {
      await transport.close(); // releases what onclose releases
      await server.close().catch(() => {});
      throw err;
    }
    d.sessions.add(session);
    live.add(transport);
    d.log('info', `legacy SSE session ${id.slice(0, 8)}… opened; ${d.sessions.size} live`);
    // When the client drops the stream, the adapter cancels it, which closes the session.
    return new Response(transport.stream, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no', // nginx: do not buffer this answer
      },
    });
  }

  return {
    inFlight: () => {
      let n = 0;
      for (const t of live) n += t.inFlight;
      return n;
    },
  };
}

/**
 * The answer to `GET /mcp` without a session on a stateful server. Streamable HTTP clients open their
 * GET stream only after initialize gave them a session; a GET without one comes from an HTTP+SSE
 * (2024-11-05) client pointed at /mcp. Still 400, as the streamable HTTP spec and the SDK answer a
 * request without Mcp-Session-Id, but the message names the full /sse address: `publicOrigin`
 * (--public-url) when the server knows it, else the origin the request was addressed to.
 */
export function sessionlessGet(request: Request, publicOrigin?: string): Response {
  const sse = publicOrigin
    ? `${publicOrigin.replace(/\/+$/, '')}${SSE_PATH}`
    : new URL(SSE_PATH, request.url).href;
  return rpcError(
    400,
    SERVER_ERROR,
    `Bad Request: Mcp-Session-Id header is required. HTTP+SSE (2024-11-05) clients connect to ${sse} instead of /mcp; streamable HTTP clients must POST initialize to /mcp first and send the Mcp-Session-Id it returns.`,
  );
}

function statelessRefusal(): Response {
  return rpcError(
    405,
    SERVER_ERROR,
    'The legacy HTTP+SSE transport (GET /sse, POST /messages) needs sessions, and this server runs with --stateless. Use streamable HTTP at POST /mcp, or run the server without --stateless.',
    { allow: '' },
  );
}

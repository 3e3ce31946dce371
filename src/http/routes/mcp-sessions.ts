/**
 * `/mcp` for the 2025-era generation: a stateful session per client (POST initialize opens it, the
 * GET stream and DELETE follow with its Mcp-Session-Id), bound to the key or grant that opened it; with
 * --stateless, a fresh server per POST instead. (2026-07-28 traffic: mcp-modern.ts.)
 */
import { isInitializeRequest, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { LogFn } from '../../mcp/log.js';
import type { SharedState } from '../../scale/index.js';
import { newSessionId, sessionIdMatchesKey } from '../../web/auth.js';
import type { Caller } from '../../web/env.js';
import { rpcError, SERVER_ERROR, SESSION_NOT_FOUND } from '../../web/responses.js';
import type { Callers } from '../callers.js';
import type { ClientPool } from '../clients.js';
import type { BuildServer } from '../servers.js';
import type { Session, SessionRegistry } from '../sessions.js';
import { type Ctx, whenDone } from './context.js';
import { sessionlessGet } from './sse.js';

export interface SessionMcpDeps {
  stateless: boolean;
  sessions: SessionRegistry;
  checkKey: Callers['checkKey'];
  clients: Pick<ClientPool, 'acquire' | 'release'>;
  buildServer: BuildServer;
  /** Each session's resumable stream events (in this process, or Redis). */
  eventStores: SharedState['eventStores'];
  /** Ends every session id, for the balancer (see auth.ts newSessionId). */
  instanceId?: string;
  /** --public-url's origin, which the answer to a sessionless GET names. */
  publicOrigin?: string;
  bodyLimit: number;
  log: LogFn;
}

export type SessionMcp = (c: Ctx, caller: Caller, body: unknown) => Promise<Response>;

export function sessionMcp(d: SessionMcpDeps): SessionMcp {
  const { sessions } = d;

  return async (c, caller, body) => {
    const isPost = c.req.method === 'POST';
    if (d.stateless) {
      if (!isPost)
        return rpcError(405, SERVER_ERROR, 'Method not allowed: this server is stateless (POST only)', {
          allow: 'POST',
        });
      const refused = await d.checkKey(caller, c.get('clientAddress'));
      if (refused) return refused;
      return serveStateless(c, caller, body);
    }

    const sessionId = c.req.header('mcp-session-id');
    if (sessionId) {
      if (!sessionIdMatchesKey(sessionId, caller.binding)) {
        return rpcError(
          403,
          SERVER_ERROR,
          'Forbidden: this session id was not opened with this API key or grant',
        );
      }
      const session = sessions.get(sessionId);
      if (!session || !(session.transport instanceof WebStandardStreamableHTTPServerTransport))
        return rpcError(
          404,
          SESSION_NOT_FOUND,
          'Session not found: it ended or expired; initialize a new one',
        );
      // Free while the key's "valid" verdict holds; once it lapses, or a call found the key refused
      // (ClientPool's onKeyRefused), the session's next request checks the key again like a new one.
      const refused = await d.checkKey(caller, c.get('clientAddress'));
      if (refused) return refused;
      whenDone(c, sessions.begin(session));
      return session.transport.handleRequest(c.req.raw, { parsedBody: body });
    }
    // A GET without a session is an HTTP+SSE (2024-11-05) client at the wrong address: name /sse.
    if (c.req.method === 'GET') return sessionlessGet(c.req.raw, d.publicOrigin);
    if (!isPost || !isInitialize(body)) {
      return rpcError(400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required (initialize first)');
    }
    const refused = await d.checkKey(caller, c.get('clientAddress'));
    if (refused) return refused;
    return openSession(c, caller, body);
  };

  async function openSession(c: Ctx, caller: Caller, body: unknown): Promise<Response> {
    const request = c.req.raw;
    const { key, hash } = caller;
    if (sessions.full()) {
      return rpcError(
        503,
        SERVER_ERROR,
        `Too many sessions (limit ${sessions.max}); retry later, or end unused sessions with DELETE /mcp`,
        {
          'retry-after': '30',
        },
      );
    }
    const id = newSessionId(caller.binding, d.instanceId);
    const api = d.clients.acquire(key, hash);
    const server = d.buildServer(api, 'session', caller);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      d.clients.release(hash);
    };
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: d.eventStores.forSession(id),
      onsessioninitialized: () => {
        sessions.add(session);
        // The initialize request itself is activity: a slow first answer must not let the idle sweep
        // close the session before the client's notifications/initialized arrives.
        whenDone(c, sessions.begin(session));
        d.log('info', `session ${id.slice(0, 8)}… opened; ${sessions.size} live`);
      },
      maxRequestBodySize: d.bodyLimit,
    });
    const session: Session = {
      id,
      keyHash: caller.binding,
      grantId: caller.grantId,
      server,
      transport,
      open: 0,
      lastActive: Date.now(),
    };
    transport.onclose = () => {
      sessions.forget(id, 'ended');
      d.eventStores.forget(id);
      release();
    };
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request, { parsedBody: body });
      if (!sessions.get(id)) {
        // The transport refused the initialize (its answer says why): nothing to keep.
        await server.close().catch(() => {});
        release();
      }
      return response;
    } catch (err) {
      await server.close().catch(() => {});
      release();
      throw err;
    }
  }

  async function serveStateless(c: Ctx, caller: Caller, body: unknown): Promise<Response> {
    const { key, hash } = caller;
    const api = d.clients.acquire(key, hash);
    const server = d.buildServer(api, 'none', caller);
    const transport = new WebStandardStreamableHTTPServerTransport({ maxRequestBodySize: d.bodyLimit });
    await server.connect(transport);
    whenDone(c, () => {
      void server.close().catch(() => {});
      d.clients.release(hash);
    });
    return transport.handleRequest(c.req.raw, { parsedBody: body });
  }
}

function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

/**
 * `/mcp` (MCP streamable HTTP: POST, GET stream, DELETE). Every request acts with one VOISA key
 * (web/auth.ts): it is identified and its body read here, then served by its protocol generation's
 * module: 2026-07-28 (mcp-modern.ts, a server per request) or 2025-era (mcp-sessions.ts).
 */
import { isLegacyRequest } from '@modelcontextprotocol/server';
import type { Hono } from 'hono';
import type { LogFn } from '../../mcp/log.js';
import type { HttpEnv } from '../../web/env.js';
import { readJsonRpcBody, rpcError } from '../../web/responses.js';
import type { Callers } from '../callers.js';
import { type Ctx, whenDone } from './context.js';
import type { ModernMcp } from './mcp-modern.js';
import type { SessionMcp } from './mcp-sessions.js';

export interface McpRouteDeps {
  identify: Callers['identify'];
  modern: Pick<ModernMcp, 'handle'>;
  sessions: SessionMcp;
  bodyLimit: number;
  log: LogFn;
}

export interface McpRoute {
  /** POST /mcp requests still being answered. */
  inFlight(): number;
}

export function mountMcp(app: Hono<HttpEnv>, d: McpRouteDeps): McpRoute {
  let inFlight = 0;

  app.on(['POST', 'GET', 'DELETE'], '/mcp', async (c) => {
    const isPost = c.req.method === 'POST';
    if (isPost) {
      inFlight++;
      let counted = true;
      const done = () => {
        if (counted) inFlight--;
        counted = false;
      };
      // A 2026-07-28 subscriptions/listen stream is open until the client leaves: not a call to wait for.
      c.set('notInFlight', done);
      whenDone(c, done);
    }
    try {
      return await handle(c, isPost);
    } catch (err) {
      d.log('error', `/mcp ${c.req.method} failed: ${(err as Error).message}`);
      return rpcError(500, -32603, 'Internal server error');
    }
  });

  async function handle(c: Ctx, isPost: boolean): Promise<Response> {
    const caller = await d.identify(c.req.header('authorization'));
    if (caller instanceof Response) return caller;

    let body: unknown;
    if (isPost) {
      const read = await readJsonRpcBody(c.req.raw, d.bodyLimit, c.req.header('mcp-protocol-version'));
      if (!read.ok) return read.response;
      body = read.body;
    }

    if (!(await isLegacyRequest(c.req.raw, body, { maxRequestBodySize: d.bodyLimit })))
      return d.modern.handle(c, caller, body);
    return d.sessions(c, caller, body);
  }

  return { inFlight: () => inFlight };
}

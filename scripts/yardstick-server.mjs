#!/usr/bin/env node
/**
 * The yardstick of `npm run bench:http`: the least an MCP server built only on the SDK v2 needs to
 * answer `list_agents` over streamable HTTP, so the bench can say what fraction of the stack's own
 * throughput voisa-mcp reaches. One tool, `list_agents`, makes the same VOISA request voisa-mcp
 * makes (`GET /api/agents/list`, bearer key, an undici Pool of as many connections as voisa-mcp's
 * API pool) and returns the JSON as text. Served as the SDK's guides show: `createMcpHandler`
 * (2026-07-28, a server from the factory per request) with `legacy: 'reject'`, and in front of it
 * `isLegacyRequest` routing 2025-era traffic to sessionful `WebStandardStreamableHTTPServerTransport`s
 * (initialize once, then calls), on `@hono/node-server`. No auth check, no limits, no logging: what
 * voisa-mcp adds on top of this is what the ratio measures.
 *
 *   VOISA_BASE_URL=… VOISA_API_KEY=… node scripts/yardstick-server.mjs [--port 0] [--connections 16]
 *
 * Writes `yardstick serving on http://127.0.0.1:PORT/mcp` to stderr once it listens; stops on
 * SIGTERM/SIGINT, or by itself when its stdin closes (the bench that started it went away).
 */
import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import {
  createMcpHandler,
  isLegacyRequest,
  McpServer,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { Pool } from 'undici';
import { z } from 'zod';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PORT = arg('port', 0);
/** The bench passes voisa-mcp's API pool size (API_CONNECTIONS), so both have as many connections. */
const CONNECTIONS = arg('connections', 16);
const { VOISA_BASE_URL: baseUrl, VOISA_API_KEY: apiKey } = process.env;
if (!baseUrl || !apiKey) {
  process.stderr.write('yardstick: VOISA_BASE_URL and VOISA_API_KEY are required\n');
  process.exit(2);
}

const origin = new URL(baseUrl);
const prefix = origin.pathname.replace(/\/$/, '');
const pool = new Pool(origin.origin, { connections: CONNECTIONS, keepAliveTimeout: 10_000 });

/** A fresh server with the one tool: per 2026-07-28 request, or per 2025 session. */
function buildServer() {
  const server = new McpServer({ name: 'yardstick', version: '0.0.0' });
  server.registerTool(
    'list_agents',
    {
      description: 'List phone agents; paged.',
      inputSchema: { limit: z.number().int().min(1).max(100).optional() },
    },
    async ({ limit }) => {
      const query = limit === undefined ? '' : `?limit=${limit}`;
      const { statusCode, body } = await pool.request({
        method: 'GET',
        path: `${prefix}/api/agents/list${query}`,
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      });
      const text = await body.text();
      return { content: [{ type: 'text', text }], isError: statusCode !== 200 };
    },
  );
  return server;
}

const modern = createMcpHandler(buildServer, { legacy: 'reject' });
/** 2025-era sessions by id. */
const sessions = new Map();

async function legacy(request, parsedBody) {
  const id = request.headers.get('mcp-session-id');
  if (id) {
    const transport = sessions.get(id);
    if (!transport) return new Response('session not found', { status: 404 });
    return transport.handleRequest(request, { parsedBody });
  }
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (sid) => sessions.set(sid, transport),
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  await buildServer().connect(transport);
  return transport.handleRequest(request, { parsedBody });
}

async function fetch(request) {
  if (new URL(request.url).pathname !== '/mcp') return new Response('not found', { status: 404 });
  // The body read once, and handed to whichever leg serves it.
  const parsedBody = request.method === 'POST' ? await request.json().catch(() => undefined) : undefined;
  if (await isLegacyRequest(request, parsedBody)) return legacy(request, parsedBody);
  return modern.fetch(request, { parsedBody });
}

const http = serve({ fetch, port: PORT, hostname: '127.0.0.1' }, (info) => {
  process.stderr.write(`yardstick serving on http://127.0.0.1:${info.port}/mcp\n`);
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([...sessions.values()].map((t) => t.close()));
  await modern.close();
  http.closeAllConnections?.();
  http.close();
  await pool.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

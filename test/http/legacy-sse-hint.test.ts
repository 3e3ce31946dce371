/**
 * An HTTP+SSE (2024-11-05) client pointed at /mcp: its `GET /mcp` (Accept: text/event-stream, no
 * Mcp-Session-Id) gets 400, as the streamable HTTP spec and the SDK answer a request without a
 * session, with a JSON-RPC error that names the full /sse address (the --public-url origin when the
 * server has one) and tells streamable HTTP clients to initialize first. The same clients at /sse
 * work.
 *
 * What each client shows of it: the AI SDK's `type: 'sse'` transport puts the body in its error, so
 * its user reads the hint. The MCP SDKs' SSEClientTransport (1.32 and 2.x) never read the body of a
 * non-200 answer (their EventSource reports "Non-200 status code (400)"), so their error carries only
 * the status: asserted as such, since no 400/405 body can reach it.
 */
import { createMCPClient } from '@ai-sdk/mcp';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
  SSEClientTransport as ModernSse,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOAuthStack } from '../oauth/helpers.js';
import { connectSse, jsonOf, type Stack, startStack } from './helpers.js';

let stack: Stack; // loopback, lends the sandbox demo key
let mcpUrl: string;
let sseUrl: string;

beforeAll(async () => {
  stack = await startStack();
  mcpUrl = stack.http.mcpUrl;
  sseUrl = `${stack.http.url}/sse`;
});
afterAll(() => stack?.close());

/** What an HTTP+SSE client sends first: GET, Accept: text/event-stream, no session. */
function legacyGet(url: string, headers: Record<string, string> = {}) {
  return fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
}

/** The hint's checks: the full /sse address, and initialize first for streamable HTTP clients. */
function expectHint(message: string, sse: string) {
  expect(message).toContain(`HTTP+SSE (2024-11-05) clients connect to ${sse} `);
  expect(message).toMatch(/streamable HTTP clients must POST initialize to \/mcp first/);
}

describe('GET /mcp without a session', () => {
  it('answers 400 with a JSON-RPC error naming the full /sse address and initialize', async () => {
    const res = await legacyGet(mcpUrl);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await jsonOf(res);
    expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
    expectHint(body.error.message, sseUrl);
  });

  it('AI SDK type: "sse" at /mcp: its error shows the hint; at /sse it lists the tools', async () => {
    const wrong = await createMCPClient({ transport: { type: 'sse', url: mcpUrl } }).catch((e: Error) => e);
    expect(wrong).toBeInstanceOf(Error);
    expectHint((wrong as Error).message, sseUrl);

    const right = await createMCPClient({ transport: { type: 'sse', url: sseUrl } });
    try {
      expect(Object.keys(await right.tools())).toContain('list_agents');
    } finally {
      await right.close();
    }
  });

  it('SDK 1.32 SSEClientTransport (2025-11-25 generation): 400 at /mcp, works at /sse', async () => {
    const client = new Client({ name: 'sse-at-mcp', version: '1' }, { capabilities: {} });
    const wrong = await client.connect(new SSEClientTransport(new URL(mcpUrl))).catch((e) => e);
    // The SDK's EventSource never reads a non-200 body: the status is all its error can carry.
    expect(wrong).toMatchObject({ code: 400, message: expect.stringContaining('(400)') });
    await client.close().catch(() => {});

    const c = await connectSse(sseUrl);
    try {
      expect((await c.client.listTools()).tools.map((t) => t.name)).toContain('list_agents');
    } finally {
      await c.close();
    }
  });

  it('SDK 2.x (2026-07-28 generation): its SSEClientTransport gets the same 400 at /mcp and works at /sse; its streamable client at /mcp is unaffected', async () => {
    const wrongClient = new ModernClient({ name: 'sse-at-mcp', version: '1' });
    const wrong = await wrongClient.connect(new ModernSse(new URL(mcpUrl))).catch((e) => e);
    expect(wrong).toMatchObject({ code: 400 });
    await wrongClient.close().catch(() => {});

    const sse = new ModernClient({ name: 'sse-at-sse', version: '1' });
    await sse.connect(new ModernSse(new URL(sseUrl)));
    try {
      expect((await sse.listTools()).tools.map((t) => t.name)).toContain('list_agents');
    } finally {
      await sse.close();
    }

    const modern = new ModernClient({ name: 'modern-at-mcp', version: '1' });
    await modern.connect(new ModernHttp(new URL(mcpUrl)));
    try {
      expect((await modern.listTools()).tools.map((t) => t.name)).toContain('list_agents');
    } finally {
      await modern.close();
    }
  });

  it('a POST without a session that is not initialize keeps its own message', async () => {
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(400);
    const { error } = await jsonOf(res);
    expect(error.message).toContain('initialize first');
    expect(error.message).not.toContain('/sse');
  });
});

describe('GET /mcp without a session, with OAuth (--public-url)', () => {
  const PUBLIC = 'https://mcp.example.test';
  let oauth: Awaited<ReturnType<typeof startOAuthStack>>;
  beforeAll(async () => {
    oauth = await startOAuthStack({ publicUrl: PUBLIC });
  });
  afterAll(() => oauth?.close());

  it('without a bearer the 401 comes first (as for every /mcp request)', async () => {
    const res = await legacyGet(`${oauth.url}/mcp`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('with a bearer the hint names /sse under the public URL, not the listening address', async () => {
    const res = await legacyGet(`${oauth.url}/mcp`, { authorization: `Bearer ${oauth.sandbox.demoKey}` });
    expect(res.status).toBe(400);
    expectHint((await jsonOf(res)).error.message, `${PUBLIC}/sse`);
  });
});

/**
 * Transport behaviour: sessions (create, reuse, DELETE, idle expiry, cap),
 * stateless mode, DNS-rebinding protection and CORS, the body limit, /healthz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, INIT, jsonOf, post, postWithHost, type Stack, startStack } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ sessionIdleMs: 400, maxSessions: 3, bodyLimit: 64 * 1024 });
});
afterAll(() => stack?.close());

describe('sessions', () => {
  it('creates a session, reuses it, and ends it with DELETE', async () => {
    const c = await connectHttp(stack.http.mcpUrl);
    const id = c.transport.sessionId!;
    expect(id).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(stack.http.app.sessions.get(id)).toBeDefined();
    await c.client.listTools();
    await c.client.ping();
    expect(c.transport.sessionId).toBe(id);
    await c.transport.terminateSession();
    expect(stack.http.app.sessions.get(id)).toBeUndefined();
    const after = await post(
      stack.http.mcpUrl,
      { jsonrpc: '2.0', id: 2, method: 'ping' },
      { 'mcp-session-id': id },
    );
    expect(after.status).toBe(404);
    await c.close();
  });

  it('expires an idle session', async () => {
    const c = await connectHttp(stack.http.mcpUrl);
    const id = c.transport.sessionId!;
    await c.client.close(); // drops the GET stream: nothing open on the session any more
    await new Promise((r) => setTimeout(r, 1200));
    expect(stack.http.app.sessions.get(id)).toBeUndefined();
    const res = await post(
      stack.http.mcpUrl,
      { jsonrpc: '2.0', id: 2, method: 'ping' },
      { 'mcp-session-id': id },
    );
    expect(res.status).toBe(404);
  });

  it('caps live sessions with a clear 503', async () => {
    const open = await Promise.all([1, 2, 3].map(() => connectHttp(stack.http.mcpUrl)));
    const res = await post(stack.http.mcpUrl, INIT);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect((await jsonOf(res)).error.message).toMatch(/Too many sessions \(limit 3\)/);
    await open[0]!.transport.terminateSession();
    const again = await post(stack.http.mcpUrl, INIT);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    await Promise.all(open.map((c) => c.close()));
    await stack.http.app.sessions.closeAll('test');
  });

  it('answers a request without a session id (not initialize) with 400', async () => {
    const res = await post(stack.http.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(res.status).toBe(400);
  });
});

describe('DNS rebinding and CORS', () => {
  it('rejects a foreign Host and a foreign Origin', async () => {
    const byHost = await postWithHost(stack.http.mcpUrl, INIT, { host: 'evil.example.com' });
    expect(byHost.status).toBe(403);
    const byOrigin = await post(stack.http.mcpUrl, INIT, { origin: 'http://evil.example.com' });
    expect(byOrigin.status).toBe(403);
    expect(stack.http.app.sessions.size).toBe(0);
  });

  it('accepts localhost origins on loopback, with CORS headers exposing Mcp-Session-Id', async () => {
    const origin = 'http://localhost:5173';
    const pre = await fetch(stack.http.mcpUrl, { method: 'OPTIONS', headers: { origin } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    const res = await post(stack.http.mcpUrl, INIT, { origin });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Mcp-Session-Id/);
    await res.body?.cancel();
    await stack.http.app.sessions.closeAll('test');
  });

  it('with --allowed-origins, only those origins', async () => {
    const other = await startStack({
      allowedOrigins: ['https://app.example.com'],
      allowedHosts: ['127.0.0.1'],
    });
    try {
      const ok = await post(other.http.mcpUrl, INIT, { origin: 'https://app.example.com' });
      expect(ok.status).toBe(200);
      await ok.body?.cancel();
      const local = await post(other.http.mcpUrl, INIT, { origin: 'http://localhost:5173' });
      expect(local.status).toBe(403);
      const host = await postWithHost(other.http.mcpUrl, INIT, { host: 'localhost' });
      expect(host.status).toBe(403);
    } finally {
      await other.close();
    }
  });
});

describe('limits', () => {
  it('refuses a body over the limit with 413', async () => {
    const big = JSON.stringify({ ...INIT, params: { ...INIT.params, pad: 'x'.repeat(70 * 1024) } });
    const res = await post(stack.http.mcpUrl, big);
    expect(res.status).toBe(413);
    expect((await jsonOf(res)).error.message).toMatch(/over the limit/);
  });

  it('answers malformed JSON with a JSON-RPC parse error', async () => {
    const res = await post(stack.http.mcpUrl, '{not json');
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.code).toBe(-32700);
  });

  it('serves /healthz', async () => {
    const res = await fetch(`${stack.http.url}/healthz`);
    expect(await jsonOf(res)).toMatchObject({ status: 'ok', mode: 'stateful' });
  });
});

describe('stateless mode', () => {
  it('serves every request self-contained, with no session id and no GET stream', async () => {
    const other = await startStack({ stateless: true });
    try {
      const c = await connectHttp(other.http.mcpUrl);
      expect(c.transport.sessionId).toBeUndefined();
      const { tools } = await c.client.listTools();
      expect(tools.length).toBeGreaterThan(20);
      const r = await c.client.callTool({ name: 'list_agents', arguments: { limit: 2 } });
      expect(r.isError).toBeFalsy();
      const caps = c.client.getServerCapabilities();
      expect(caps?.resources?.subscribe).toBeUndefined();
      await c.close();
      const get = await fetch(other.http.mcpUrl, { headers: { accept: 'text/event-stream' } });
      expect(get.status).toBe(405);
      expect(other.http.app.sessions.size).toBe(0);
    } finally {
      await other.close();
    }
  });
});

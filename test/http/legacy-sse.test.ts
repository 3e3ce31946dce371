/**
 * The old HTTP+SSE transport (protocol 2024-11-05) at GET /sse + POST /messages,
 * driven by the SDK's own SSEClientTransport: same auth, key binding, guards,
 * body limit, session cap and shutdown as /mcp; live updates from webhooks;
 * cleanup when the client drops the stream.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey, newSessionId } from '../../src/web/auth.js';
import {
  connectHttp,
  connectSse,
  INIT,
  jsonOf,
  openSse,
  post,
  postWebhook,
  postWithHost,
  type Stack,
  startStack,
  text,
  waitFor,
  watchWebhookNotifications,
} from './helpers.js';

const SECRET = 'whsec_legacy_0123456789';
const PING = { jsonrpc: '2.0', id: 7, method: 'ping' };
let stack: Stack; // loopback, lends the sandbox demo key
let sseUrl: string;

beforeAll(async () => {
  stack = await startStack({ webhookSecret: SECRET, bodyLimit: 64 * 1024, sessionIdleMs: 300 });
  sseUrl = `${stack.http.url}/sse`;
});
afterAll(() => stack?.close());

/** POSTs to a /messages endpoint given relative to the server. */
function message(endpoint: string, body: unknown, headers: Record<string, string> = {}) {
  return post(new URL(endpoint, stack.http.url).href, body, headers);
}

describe('legacy HTTP+SSE with the SDK client', () => {
  it('initializes, lists tools, calls a tool that reaches the sandbox, reads a resource', async () => {
    const before = stack.http.app.sessions.size;
    const c = await connectSse(sseUrl);
    expect(c.client.getServerVersion()?.name).toBe('voisa-mcp');
    expect(stack.http.app.sessions.size).toBe(before + 1);
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name)).toContain('list_agents');
    stack.sandbox.clearRequests();
    const listed = (await c.client.callTool({ name: 'list_agents', arguments: {} })) as CallToolResult;
    expect(listed.isError).toBeFalsy();
    expect(text(listed)).toContain('agt_bella0001');
    expect(stack.sandbox.requests().some((r) => r.path.startsWith('/api/agents'))).toBe(true);
    const { contents } = await c.client.readResource({ uri: 'voisa://agents/agt_bella0001' });
    expect(contents[0]?.uri).toBe('voisa://agents/agt_bella0001');
    await c.close();
  });

  it('subscription + webhook -> notifications/resources/updated and log notifications on the stream', async () => {
    const c = await connectSse(sseUrl);
    const { updates, logs } = watchWebhookNotifications(c.client);
    const uri = 'voisa://conversations/conv_legacy1';
    await c.client.subscribeResource({ uri });
    const event = {
      id: `evt_legacy_${Date.now()}`,
      event: 'conversation.ended',
      timestamp: new Date().toISOString(),
      data: { conversation_id: 'conv_legacy1', agent_id: 'agt_bella0001' },
    };
    expect(await postWebhook(stack.http.url, event, SECRET)).toBe(200);
    await waitFor(() => updates.includes(uri), 3000, 'resources/updated');
    await waitFor(() => logs.length > 0, 3000, 'log notification');
    expect(logs).toContainEqual(expect.objectContaining({ id: event.id }));
    await c.close();
  });

  it('cleans the session up when the client drops the stream', async () => {
    const raw = await openSse(sseUrl);
    const id = new URL(raw.endpoint, stack.http.url).searchParams.get('sessionId')!;
    expect(stack.http.app.sessions.get(id)).toBeDefined();
    raw.close();
    await waitFor(() => stack.http.app.sessions.get(id) === undefined, 3000, 'session cleanup');
    const after = await message(raw.endpoint, PING);
    expect(after.status).toBe(404);

    const c = await connectSse(sseUrl);
    const size = stack.http.app.sessions.size;
    await c.close();
    await waitFor(() => stack.http.app.sessions.size === size - 1, 3000, 'SDK client cleanup');
  });

  it('keeps a session whose stream is open past the idle time (an open stream is activity, as on /mcp)', async () => {
    const c = await connectSse(sseUrl);
    await new Promise((r) => setTimeout(r, 900)); // idle is 300 ms, swept every 250 ms
    await expect(c.client.ping()).resolves.toBeDefined();
    await c.close();
  });
});

describe('the legacy wire protocol', () => {
  it('announces a relative /messages endpoint and speaks protocol 2024-11-05', async () => {
    const raw = await openSse(sseUrl);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(raw.endpoint).toMatch(/^\/messages\?sessionId=[\w.-]+$/);
    const init = { ...INIT, params: { ...INIT.params, protocolVersion: '2024-11-05' } };
    const accepted = await message(raw.endpoint, init);
    expect(accepted.status).toBe(202);
    const answer = await raw.next((m) => m.id === 1);
    expect(answer.result.protocolVersion).toBe('2024-11-05');
    expect(
      (await message(raw.endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' })).status,
    ).toBe(202);
    // a batch (allowed in 2024-11-05)
    const batch = await message(raw.endpoint, [
      { jsonrpc: '2.0', id: 2, method: 'ping' },
      { jsonrpc: '2.0', id: 3, method: 'tools/list' },
    ]);
    expect(batch.status).toBe(202);
    await raw.next((m) => m.id === 2);
    expect((await raw.next((m) => m.id === 3)).result.tools.length).toBeGreaterThan(0);
    raw.close();
  });

  it('answers bad POSTs with clear errors and keeps serving', async () => {
    const raw = await openSse(sseUrl);
    const id = new URL(raw.endpoint, stack.http.url).searchParams.get('sessionId')!;

    const unknown = await message(
      `/messages?sessionId=${newSessionId(hashKey(stack.sandbox.demoKey))}`,
      PING,
    );
    expect(unknown.status).toBe(404);
    expect(await jsonOf(unknown)).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 }, id: null });

    const missing = await message('/messages', PING);
    expect(missing.status).toBe(400);

    const malformed = await message(raw.endpoint, '{"jsonrpc": "2.0", "id": 1,');
    expect(malformed.status).toBe(400);
    expect((await jsonOf(malformed)).error.code).toBe(-32700);

    const notRpc = await message(raw.endpoint, { hello: 'world' });
    expect(notRpc.status).toBe(400);
    expect((await jsonOf(notRpc)).error.code).toBe(-32600);
    const emptyBatch = await message(raw.endpoint, []);
    expect(emptyBatch.status).toBe(400);

    const tooBig = await message(raw.endpoint, { ...PING, params: { pad: 'x'.repeat(80 * 1024) } });
    expect(tooBig.status).toBe(413);

    const wrongType = await message(raw.endpoint, PING, { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);

    // The session survived all of that.
    expect(stack.http.app.sessions.get(id)).toBeDefined();
    expect((await message(raw.endpoint, PING)).status).toBe(202);
    await raw.next((m) => m.id === PING.id);
    raw.close();
  });

  it('opens no session for HEAD /sse', async () => {
    const opened = () => stack.logs.filter((l) => l.includes('legacy SSE session')).length;
    const before = opened();
    const res = await fetch(sseUrl, { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(opened()).toBe(before);
  });

  it('keeps the transports apart: a /mcp session id is unknown to /messages and vice versa', async () => {
    const streamable = await connectHttp(stack.http.mcpUrl);
    const viaMessages = await message(`/messages?sessionId=${streamable.transport.sessionId}`, PING);
    expect(viaMessages.status).toBe(404);
    await streamable.close();

    const raw = await openSse(sseUrl);
    const id = new URL(raw.endpoint, stack.http.url).searchParams.get('sessionId')!;
    const viaMcp = await post(stack.http.mcpUrl, PING, { 'mcp-session-id': id });
    expect(viaMcp.status).toBe(404);
    raw.close();
  });
});

describe('legacy guards', () => {
  it('refuses a foreign Host on GET /sse and POST /messages, and a foreign Origin', async () => {
    const raw = await openSse(sseUrl);
    const byHostGet = await postWithHost(sseUrl, PING, { host: 'evil.example.com' }); // POST /sse: Host checked first
    expect(byHostGet.status).toBe(403);
    const byHostPost = await postWithHost(new URL(raw.endpoint, stack.http.url).href, PING, {
      host: 'evil.example.com',
    });
    expect(byHostPost.status).toBe(403);
    const byOrigin = await openSse(sseUrl, { origin: 'http://evil.example.com' });
    expect(byOrigin.status).toBe(403);
    const postByOrigin = await message(raw.endpoint, PING, { origin: 'http://evil.example.com' });
    expect(postByOrigin.status).toBe(403);
    const local = await openSse(sseUrl, { origin: 'http://localhost:5173' });
    expect(local.status).toBe(200);
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    local.close();
    raw.close();
  });
});

describe('legacy auth (server without a key of its own)', () => {
  let bare: Stack;
  beforeAll(async () => {
    bare = await startStack({ serverKey: null });
  });
  afterAll(() => bare?.close());

  it('refuses GET /sse without a key and with an invalid key, like /mcp', async () => {
    const none = await openSse(`${bare.http.url}/sse`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const wrong = await openSse(`${bare.http.url}/sse`, {
      authorization: 'Bearer vsa_test_not_a_real_key_1',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(wrong.text).toMatch(/INVALID_API_KEY/);
    expect(wrong.text).not.toContain('vsa_test_not_a_real_key_1');
    await expect(connectSse(`${bare.http.url}/sse`, 'vsa_test_not_a_real_key_1')).rejects.toThrow();
    expect(bare.http.app.sessions.size).toBe(0);
  });

  it('binds the session to the key that opened it: no key or another key on its POSTs is refused', async () => {
    const c = await connectSse(`${bare.http.url}/sse`, bare.sandbox.demoKey);
    const raw = await openSse(`${bare.http.url}/sse`, { authorization: `Bearer ${bare.sandbox.demoKey}` });
    const endpoint = new URL(raw.endpoint, bare.http.url).href;
    const init = { ...INIT, params: { ...INIT.params, protocolVersion: '2024-11-05' } };
    const noKey = await post(endpoint, init);
    expect(noKey.status).toBe(401);
    const otherKey = await post(endpoint, init, { authorization: `Bearer ${bare.sandbox.readOnlyKey}` });
    expect(otherKey.status).toBe(403);
    expect(raw.messages).toHaveLength(0); // nothing reached the session
    const sameKey = await post(endpoint, init, { authorization: `Bearer ${bare.sandbox.demoKey}` });
    expect(sameKey.status).toBe(202);
    await raw.next((m) => m.id === 1);
    // The SDK client, with its key on every request, works throughout.
    const listed = (await c.client.callTool({ name: 'list_agents', arguments: {} })) as CallToolResult;
    expect(listed.isError).toBeFalsy();
    raw.close();
    await c.close();
  });
});

describe('legacy sessions share the cap, stateless mode and shutdown', () => {
  it('counts legacy sessions in --max-sessions, for /sse and /mcp alike', async () => {
    const capped = await startStack({ maxSessions: 2 });
    try {
      const a = await connectSse(`${capped.http.url}/sse`);
      const b = await connectHttp(capped.http.mcpUrl);
      const third = await openSse(`${capped.http.url}/sse`);
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('30');
      expect(third.text).toMatch(/Too many sessions \(limit 2\)/);
      const viaMcp = await post(capped.http.mcpUrl, INIT);
      expect(viaMcp.status).toBe(503);
      await a.close();
      await waitFor(() => capped.http.app.sessions.size === 1, 3000, 'a slot to free');
      const again = await connectSse(`${capped.http.url}/sse`);
      expect(capped.http.app.sessions.size).toBe(2);
      await again.close();
      await b.close();
    } finally {
      await capped.close();
    }
  });

  it('refuses the legacy transport with --stateless, saying why', async () => {
    const stateless = await startStack({ stateless: true });
    try {
      const res = await openSse(`${stateless.http.url}/sse`);
      expect(res.status).toBe(405);
      expect(res.text).toMatch(/needs sessions.*--stateless.*POST \/mcp/);
      const msg = await post(`${stateless.http.url}/messages?sessionId=x.y`, PING);
      expect(msg.status).toBe(405);
    } finally {
      await stateless.close();
    }
  });

  it('ends legacy streams on shutdown, after answering calls in flight', async () => {
    const own = await startStack();
    const c = await connectSse(`${own.http.url}/sse`);
    const raw = await openSse(`${own.http.url}/sse`);
    own.sandbox.injectFault({ method: 'GET', path: '/api/agents/list', delayMs: 600 });
    const call = c.client.callTool({ name: 'list_agents', arguments: {} });
    await waitFor(() => own.http.app.inFlight() > 0, 3000, 'the call to be in flight');
    const closing = own.http.close(5000);
    const late = await openSse(`${own.http.url}/sse`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);
    expect(((await call) as CallToolResult).isError).toBeFalsy();
    await closing;
    await waitFor(() => raw.ended, 3000, 'the stream to end');
    expect(own.http.app.sessions.size).toBe(0);
    await c.close();
    await own.close();
  });
});

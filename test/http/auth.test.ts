/**
 * Who may call, with which key: bearer keys verified with GET /api/verify
 * (cached by hash), invalid keys 401 with WWW-Authenticate, sessions bound to
 * their key (403 for another key, whether or not the session exists), the
 * server's key lent on loopback only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hashKey,
  isLoopbackHost,
  newSessionId,
  resolveKey,
  sessionIdMatchesKey,
} from '../../src/web/auth.js';
import { connectHttp, INIT, jsonOf, post, type Stack, startStack } from './helpers.js';

let stack: Stack; // no server key
beforeAll(async () => {
  stack = await startStack({ serverKey: null });
});
afterAll(() => stack?.close());

describe('bearer keys', () => {
  it('refuses a request without a key when the server has none: 401, WWW-Authenticate, JSON-RPC body', async () => {
    const res = await post(stack.http.mcpUrl, INIT);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await jsonOf(res)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });
  });

  it('refuses an invalid key after GET /api/verify', async () => {
    const res = await post(stack.http.mcpUrl, INIT, { authorization: 'Bearer vsa_not_a_real_key_123' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const body = await jsonOf(res);
    expect(body.error.message).toMatch(/INVALID_API_KEY/);
    expect(JSON.stringify(body)).not.toContain('vsa_not_a_real_key_123');
  });

  it('refuses a malformed Authorization header', async () => {
    const res = await post(stack.http.mcpUrl, INIT, { authorization: 'Basic abc' });
    expect(res.status).toBe(401);
  });

  it('verifies a key once and caches the verdict by hash', async () => {
    stack.sandbox.clearRequests();
    const a = await connectHttp(stack.http.mcpUrl, stack.sandbox.readOnlyKey);
    const b = await connectHttp(stack.http.mcpUrl, stack.sandbox.readOnlyKey);
    const verifies = stack.sandbox.requests().filter((r) => r.path === '/api/verify');
    expect(verifies).toHaveLength(1);
    await a.close();
    await b.close();
  });

  it("binds a session to its key: key B on key A's session gets 403, same as on an unknown session", async () => {
    const a = await connectHttp(stack.http.mcpUrl, stack.sandbox.demoKey);
    const id = a.transport.sessionId!;
    const ping = { jsonrpc: '2.0', id: 9, method: 'ping' };
    const asB = await post(stack.http.mcpUrl, ping, {
      authorization: `Bearer ${stack.sandbox.readOnlyKey}`,
      'mcp-session-id': id,
      'mcp-protocol-version': '2025-06-18',
    });
    const unknown = await post(stack.http.mcpUrl, ping, {
      authorization: `Bearer ${stack.sandbox.readOnlyKey}`,
      'mcp-session-id': newSessionId(hashKey('someone-else')),
      'mcp-protocol-version': '2025-06-18',
    });
    expect(asB.status).toBe(403);
    expect(unknown.status).toBe(403);
    expect(await jsonOf(asB)).toEqual(await jsonOf(unknown));
    // Without a key at all, also refused; with key A, the session still works.
    const none = await post(stack.http.mcpUrl, ping, { 'mcp-session-id': id });
    expect(none.status).toBe(401);
    await expect(a.client.ping()).resolves.toEqual({});
    // Key A on a session that no longer exists: 404, so its owner re-initializes.
    const gone = await post(stack.http.mcpUrl, ping, {
      authorization: `Bearer ${stack.sandbox.demoKey}`,
      'mcp-session-id': newSessionId(hashKey(stack.sandbox.demoKey)),
      'mcp-protocol-version': '2025-06-18',
    });
    expect(gone.status).toBe(404);
    await a.close();
  });

  it('uses each session key upstream: two keys, two accounts of permissions', async () => {
    const rw = await connectHttp(stack.http.mcpUrl, stack.sandbox.demoKey);
    const ro = await connectHttp(stack.http.mcpUrl, stack.sandbox.readOnlyKey);
    const okWrite = await rw.client.callTool({
      name: 'add_kb_text',
      arguments: { agent_id: 'agt_bella0001', title: 't', content: 'c' },
    });
    const noWrite = await ro.client.callTool({
      name: 'add_kb_text',
      arguments: { agent_id: 'agt_bella0001', title: 't', content: 'c' },
    });
    expect(okWrite.isError).toBeFalsy();
    expect(noWrite.isError).toBe(true);
    await rw.close();
    await ro.close();
  });
});

describe("the server's own key", () => {
  it('is lent to keyless requests on loopback', async () => {
    const other = await startStack();
    try {
      const c = await connectHttp(other.http.mcpUrl);
      const r = await c.client.callTool({ name: 'verify_api_key', arguments: {} });
      expect(r.isError).toBeFalsy();
      await c.close();
    } finally {
      await other.close();
    }
  });

  it('is not lent when bound beyond loopback: a keyless request is refused, a keyed one works', async () => {
    const other = await startStack({ host: '0.0.0.0' });
    try {
      const url = `http://127.0.0.1:${other.http.port}/mcp`;
      const res = await post(url, INIT);
      expect(res.status).toBe(401);
      expect((await jsonOf(res)).error.message).toMatch(/does not lend its own key/);
      const c = await connectHttp(url, other.sandbox.demoKey);
      await expect(c.client.ping()).resolves.toEqual({});
      await c.close();
    } finally {
      await other.close();
    }
  });
});

describe('auth helpers', () => {
  it('classifies loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com'].some(isLoopbackHost)).toBe(false);
  });

  it('binds session ids to key hashes', () => {
    const id = newSessionId(hashKey('a'));
    expect(sessionIdMatchesKey(id, hashKey('a'))).toBe(true);
    expect(sessionIdMatchesKey(id, hashKey('b'))).toBe(false);
    expect(sessionIdMatchesKey('garbage', hashKey('a'))).toBe(false);
    expect(resolveKey(undefined, { key: 'k', loopbackOnly: true })).toMatchObject({
      ok: true,
      fromServer: true,
    });
    expect(resolveKey(undefined, { key: 'k', loopbackOnly: false })).toMatchObject({
      ok: false,
      status: 401,
    });
  });
});

/**
 * Protocol edges over HTTP (issue 9 point 6): a malformed Host is a 400, not a
 * 500; malformed JSON-RPC bodies get -32600 Invalid Request with their id (when
 * they have one), never a 202 or a 500.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, INIT, jsonOf, post, type Stack, startStack } from './helpers.js';

/** Sends raw bytes and resolves with the status line. */
function rawStatusLine(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.slice(0, data.indexOf('\r\n')));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
  });
}

describe('a malformed Host header', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  for (const host of ['[::1', 'exa mple']) {
    it(`is a 400 on /healthz and /mcp: Host: ${host}`, async () => {
      const port = stack.http.port;
      const healthz = await rawStatusLine(
        port,
        `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(healthz).toMatch(/^HTTP\/1\.1 400 /);
      const body = JSON.stringify(INIT);
      const mcp = await rawStatusLine(
        port,
        `POST /mcp HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
          `Accept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
      expect(mcp).toMatch(/^HTTP\/1\.1 400 /);
      // The server is still serving.
      expect((await fetch(`${stack.http.url}/healthz`)).status).toBe(200);
    });
  }
});

describe('JSON-RPC edge cases over HTTP', () => {
  let stack: Stack;
  let headers: Record<string, string>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    stack = await startStack();
    const c = await connectHttp(stack.http.mcpUrl);
    close = c.close;
    headers = { 'mcp-session-id': c.transport.sessionId!, 'mcp-protocol-version': '2025-06-18' };
  });
  afterAll(async () => {
    await close?.();
    await stack?.close();
  });

  async function expectInvalid(
    body: unknown,
    id: unknown,
    message: RegExp,
    extra = {},
    code = -32600,
  ): Promise<void> {
    const res = await post(stack.http.mcpUrl, body, { ...headers, ...extra });
    expect(res.status).toBe(400);
    const answer = await jsonOf(res);
    expect(answer).toMatchObject({ jsonrpc: '2.0', error: { code }, id });
    expect(answer.error.message).toMatch(message);
  }

  it('an empty batch is -32600 Invalid Request, not 202', async () => {
    await expectInvalid([], null, /empty batch/);
  });

  it('a batch under 2025-06-18 (which removed batching) is -32600; under 2025-03-26 it is served', async () => {
    const ping = { jsonrpc: '2.0', id: 11, method: 'ping' };
    await expectInvalid([ping], null, /batches/);
    const old = await post(stack.http.mcpUrl, [ping], { ...headers, 'mcp-protocol-version': '2025-03-26' });
    expect(old.status).toBe(200);
    expect(await old.text()).toContain('"id":11');
    await expectInvalid([ping, { id: 12 }], null, /batch item 1/, { 'mcp-protocol-version': '2025-03-26' });
  });

  it('a body that is not an object is -32600 with id null', async () => {
    for (const body of ['5', '"ping"', 'null', 'true']) await expectInvalid(body, null, /JSON object/);
  });

  it('a request with a bad member is -32600 carrying its id (-32602 when only params are wrong)', async () => {
    await expectInvalid({ jsonrpc: '2.0', id: 1, method: 5 }, 1, /"method" must be a string/);
    const badParams = { jsonrpc: '2.0', id: 'a', method: 'tools/list', params: 'x' };
    await expectInvalid(badParams, 'a', /"params"/, {}, -32602);
    await expectInvalid({ jsonrpc: '2.0', id: 2, method: 'ping', params: [1] }, 2, /"params"/, {}, -32602);
    const badCall = { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 5 } };
    await expectInvalid(
      badCall,
      8,
      /Invalid params for tools\/call: params\.name: .*expected string/,
      {},
      -32602,
    );
    await expectInvalid({ jsonrpc: '1.0', id: 3, method: 'ping' }, 3, /"jsonrpc"/);
    await expectInvalid({ jsonrpc: '2.0', id: 4.5, method: 'ping' }, null, /"id"/);
    await expectInvalid({ jsonrpc: '2.0', id: 5 }, 5, /needs "method"/);
    await expectInvalid(
      { jsonrpc: '2.0', id: 6, method: 'ping', extra: true },
      6,
      /unexpected members: extra/,
    );
  });

  it('an initialize with a bad shape and no session is an error with its id, not "session required"', async () => {
    const res = await post(stack.http.mcpUrl, { ...INIT, id: 7, params: 'x' });
    expect(res.status).toBe(400);
    expect(await jsonOf(res)).toMatchObject({ error: { code: -32602 }, id: 7 });
  });

  it('leaves the session serving', async () => {
    const res = await post(stack.http.mcpUrl, { jsonrpc: '2.0', id: 8, method: 'ping' }, headers);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"id":8');
  });
});

/**
 * A client that stops reading its stream cannot grow the server (issue 19, point 13). A raw TCP
 * client opens each kind of server-to-client stream, reads its first bytes, then stops reading
 * (the socket is paused: the kernel buffers fill, then Node's, then the stream's queue). The test
 * pushes messages until the server gives up on the stream (bounded: at most a fixed count) and
 * checks that the stream was closed, its session ended, and no stream ever held more than the
 * bound (plus the one message that crossed it).
 *  - the old transport's `/sse` (2024-11-05): `tools/list` POSTed to /messages, answered on the stream;
 *  - a 2025-11-25 session's GET stream: `resources/updated` notifications from webhook events;
 *  - a 2026-07-28 `subscriptions/listen` stream: the same notifications through the listen bus.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modernRequest } from '../../src/http/app.js';
import { DEFAULT_STREAM_BUFFER_BYTES } from '../../src/http/stream-bound.js';
import { DEMO_KEY } from '../../src/sandbox/seed.js';
import { INIT, post, postWebhook, type Stack, startStack, waitFor } from './helpers.js';

const SECRET = 'whsec_unread_0123456789';
const BOUND = DEFAULT_STREAM_BUFFER_BYTES;
/** One message may cross the bound before the stream is closed; none of ours is near this. */
const SLACK = 512 * 1024;
const AUTH = { authorization: `Bearer ${DEMO_KEY}` };
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ webhookSecret: SECRET, serverKey: DEMO_KEY });
});
afterAll(() => stack?.close());

/** An HTTP/1.1 request on a raw socket; resolves once the head and `until` are in, then stops reading. */
async function openUnread(
  request: string,
  until: (received: string) => boolean,
): Promise<{ socket: Socket; head: string; received: string; closed: Promise<void> }> {
  const { port } = new URL(stack.http.url);
  const socket = connect(Number(port), '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {}); // the server may reset a socket it gave up on
  let received = '';
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => socket.write(request));
    socket.on('data', function onData(chunk: Buffer) {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n') && until(received)) {
        socket.off('data', onData);
        socket.pause(); // from now on nothing is read: the kernel's buffers fill, then the server's
        resolve();
      }
    });
    socket.once('close', () => reject(new Error(`stream closed early: ${received.slice(0, 300)}`)));
  });
  const head = received.slice(0, received.indexOf('\r\n\r\n'));
  return { socket, head, received, closed };
}

function rawRequest(method: string, path: string, headers: Record<string, string>, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, `host: ${new URL(stack.http.url).host}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Reads what is left: the server must have ended the stream (or reset the socket). */
async function expectClosed(stream: { socket: Socket; closed: Promise<void> }): Promise<void> {
  stream.socket.resume();
  stream.socket.on('data', () => {});
  await stream.closed;
}

/** A webhook event about a conversation whose (long) id makes each resources/updated notification large. */
let eventCount = 0;
function conversationEvent(conversationId: string) {
  eventCount++;
  return {
    id: `evt_unread_${Date.now()}_${eventCount}`,
    event: 'conversation.ended',
    timestamp: new Date().toISOString(),
    data: { conversation_id: conversationId, agent_id: 'agt_bella0001' },
  };
}

/** A conversation id of ~60 kB: three resources/updated notifications of ~60 kB per event. */
function longConversationId(tag: string): string {
  return `conv_${tag}_${'x'.repeat(60_000)}`;
}
function urisOf(conversationId: string): string[] {
  const base = `voisa://conversations/${conversationId}`;
  return [base, `${base}/transcript`, `${base}/audio`];
}

/** Sends events (at most `max`) until `over()` holds; returns how many were sent. */
async function pushEvents(conversationId: string, over: () => boolean, max: number): Promise<number> {
  let sent = 0;
  while (!over() && sent < max) {
    expect(await postWebhook(stack.http.url, conversationEvent(conversationId), SECRET)).toBe(200);
    sent++;
    await new Promise((r) => setTimeout(r, 5)); // lets the stream's pump run between events
  }
  return sent;
}

function expectBounded(overflowsBefore: number): void {
  const { streams } = stack.http.app;
  expect(streams.overflows).toBeGreaterThan(overflowsBefore);
  expect(streams.peakBytes).toBeLessThanOrEqual(BOUND + SLACK);
  expect(streams.lastOverflowBytes).toBeGreaterThan(BOUND); // the bound, not something else, ended it
  expect(streams.lastOverflowBytes).toBeLessThanOrEqual(BOUND + SLACK);
}

describe('a client that stops reading its stream', () => {
  it('/sse (2024-11-05): tools/list answers pile up until the bound, then the stream and session end', async () => {
    const overflows = stack.http.app.streams.overflows;
    const sse = await openUnread(rawRequest('GET', '/sse', { ...AUTH, accept: 'text/event-stream' }), (r) =>
      /data: (\/messages\?sessionId=[^\r\n]+)/.test(r),
    );
    expect(sse.head).toMatch(/^HTTP\/1\.1 200/);
    const endpoint = /data: (\/messages\?sessionId=[^\r\n]+)/.exec(sse.received)![1]!;
    const sessionId = new URL(endpoint, stack.http.url).searchParams.get('sessionId')!;
    const url = new URL(endpoint, stack.http.url).href;
    const init = await post(url, INIT, AUTH);
    expect(init.status).toBe(202);
    await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, AUTH);
    const rssBefore = process.memoryUsage().rss;
    let posts = 0;
    let status = 202;
    // ~25 kB an answer: the kernel's buffers (a few MB on loopback) and the bound are full long before 2,000.
    while (status === 202 && posts < 2000) {
      const res = await post(url, { jsonrpc: '2.0', id: posts + 10, method: 'tools/list' }, AUTH);
      status = res.status;
      await res.text();
      posts++;
      if (posts % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const grew = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    console.log(
      `unread /sse: closed after ${posts} tools/list posts; peak queued ${(stack.http.app.streams.peakBytes / 1024).toFixed(0)} KiB; RSS +${grew.toFixed(1)} MB`,
    );
    expect(status).toBe(404); // the session ended: later posts find nothing
    expect(stack.http.app.sessions.get(sessionId)).toBeUndefined();
    expectBounded(overflows);
    expect(stack.http.app.streams.queuedBytes()).toBe(0);
    await expectClosed(sse);
    expect(stack.logs.some((l) => l.includes('stopped reading'))).toBe(true);
    expect(stack.logs.join('\n')).not.toContain(DEMO_KEY);
  });

  it('2025-11-25 GET stream: notifications pile up until the bound, then the stream and session end', async () => {
    const overflows = stack.http.app.streams.overflows;
    const opened = await post(
      stack.http.mcpUrl,
      { ...INIT, params: { ...INIT.params, protocolVersion: '2025-11-25' } },
      AUTH,
    );
    expect(opened.status).toBe(200);
    const sessionId = opened.headers.get('mcp-session-id')!;
    await opened.text();
    const session = { ...AUTH, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await post(stack.http.mcpUrl, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    const conversationId = longConversationId('get');
    for (const [i, uri] of urisOf(conversationId).entries()) {
      const res = await post(
        stack.http.mcpUrl,
        { jsonrpc: '2.0', id: 100 + i, method: 'resources/subscribe', params: { uri } },
        session,
      );
      expect(res.status).toBe(200);
      await res.text();
    }
    const get = await openUnread(
      rawRequest('GET', '/mcp', { ...session, accept: 'text/event-stream' }),
      () => true,
    );
    expect(get.head).toMatch(/^HTTP\/1\.1 200/);
    const sent = await pushEvents(conversationId, () => !stack.http.app.sessions.get(sessionId), 400);
    console.log(`unread 2025 GET stream: closed after ${sent} webhook events`);
    expect(stack.http.app.sessions.get(sessionId)).toBeUndefined();
    expectBounded(overflows);
    await expectClosed(get);
    const after = await post(stack.http.mcpUrl, { jsonrpc: '2.0', id: 9, method: 'ping' }, session);
    expect(after.status).toBe(404);
  });

  it('2026-07-28 subscriptions/listen stream: notifications pile up until the bound, then the stream ends', async () => {
    const overflows = stack.http.app.streams.overflows;
    const conversationId = longConversationId('listen');
    const listen = modernRequest(
      stack.http.mcpUrl,
      'subscriptions/listen',
      { notifications: { resourceSubscriptions: urisOf(conversationId) } },
      AUTH,
    );
    const body = await listen.text();
    const headers: Record<string, string> = {};
    listen.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const stream = await openUnread(rawRequest('POST', '/mcp', headers, body), (r) =>
      r.includes('notifications/subscriptions/acknowledged'),
    );
    expect(stream.head).toMatch(/^HTTP\/1\.1 200/);
    const open = stack.http.app.streams.open;
    const sent = await pushEvents(conversationId, () => stack.http.app.streams.overflows > overflows, 400);
    console.log(`unread 2026-07-28 listen stream: closed after ${sent} webhook events`);
    expectBounded(overflows);
    await expectClosed(stream);
    await waitFor(() => stack.http.app.streams.open < open, 3000, 'the listen stream to be let go');
  });
});

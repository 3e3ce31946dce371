/**
 * A 2025-era session's GET stream is resumable: every message carries an event id, and a client that
 * reconnects with `Last-Event-ID` gets what was sent while it was away (in memory here; in Redis with
 * --redis-url, see test/scale/stores.test.ts). Another session cannot replay it. With a byte bound per
 * stream (src/scale/event-store.ts), an SDK 1.32 client still resumes over the small messages it missed,
 * and a message larger than the bound is not replayed.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStores } from '../../src/scale/event-store.js';
import { memoryState } from '../../src/scale/index.js';
import { postWebhook, type Stack, startStack, waitFor } from './helpers.js';

const SECRET = 'whsec_resumable_0123';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ webhookSecret: SECRET });
});
afterAll(() => stack?.close());

const base = () => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
});

async function openSession(): Promise<string> {
  const init = await fetch(stack.http.mcpUrl, {
    method: 'POST',
    headers: base(),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  await init.text();
  const id = init.headers.get('mcp-session-id')!;
  await fetch(stack.http.mcpUrl, {
    method: 'POST',
    headers: { ...base(), 'mcp-session-id': id },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  }).then((r) => r.text());
  return id;
}

interface Stream {
  events: { id?: string; data: any }[];
  close(): void;
}

async function listen(session: string, lastEventId?: string): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(stack.http.mcpUrl, {
    headers: {
      ...base(),
      accept: 'text/event-stream',
      'mcp-session-id': session,
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const stream: Stream = { events: [], close: () => abort.abort() };
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += value;
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data) stream.events.push({ id: /^id: (.*)$/m.exec(block)?.[1], data: JSON.parse(data) });
        }
      }
    } catch {
      // closed by the test
    }
  })();
  return stream;
}

let n = 0;
async function webhook(): Promise<string> {
  const id = `evt_resume_${++n}_${Date.now()}`;
  const event = {
    id,
    event: 'agent.updated',
    timestamp: new Date().toISOString(),
    data: { agent_id: 'agt_bella0001' },
  };
  expect(await postWebhook(stack.http.url, event, SECRET)).toBe(200);
  return id;
}

const eventIdOf = (e: { data: any }) => e.data?.params?.data?.id as string | undefined;

describe('resumable 2025-era streams', () => {
  it('replays what was sent while the client was away, after the Last-Event-ID it gives', async () => {
    const session = await openSession();
    const first = await listen(session);
    const one = await webhook();
    await waitFor(() => first.events.some((e) => eventIdOf(e) === one), 3000, 'the first event');
    const seen = first.events.find((e) => eventIdOf(e) === one)!;
    expect(seen.id).toBeTruthy();
    first.close();

    await new Promise((r) => setTimeout(r, 100));
    const two = await webhook();
    const three = await webhook();
    const resumed = await listen(session, seen.id);
    await waitFor(
      () => [two, three].every((id) => resumed.events.some((e) => eventIdOf(e) === id)),
      3000,
      'the missed events',
    );
    expect(resumed.events.map(eventIdOf).filter(Boolean)).not.toContain(one);
    resumed.close();

    // Another session of the same key gets nothing of this one's stream.
    const other = await openSession();
    const thief = await listen(other, seen.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(thief.events.map(eventIdOf).filter((id) => id === two || id === three)).toEqual([]);
    thief.close();
  });
});

describe('resumable 2025-era streams with a byte bound (SDK 1.32 client)', () => {
  const STREAM_BYTES = 16 * 1024;
  const stores = new MemoryEventStores({ streamBytes: STREAM_BYTES });
  let bounded: Stack;
  beforeAll(async () => {
    bounded = await startStack({ webhookSecret: SECRET, shared: { ...memoryState(), eventStores: stores } });
  });
  afterAll(() => bounded?.close());

  async function send(name: string, pad = ''): Promise<void> {
    const event = {
      id: `evt_bound_${name}_${Date.now()}`,
      event: 'agent.updated',
      timestamp: new Date().toISOString(),
      data: { agent_id: 'agt_bella0001', note: name, pad },
    };
    expect(await postWebhook(bounded.http.url, event, SECRET)).toBe(200);
  }

  it('resumes after a reconnect with the small messages it missed, without one too large to keep', async () => {
    // The client's GET streams go through this fetch: the test can cut the live one, and holds the
    // SDK's reconnection until the missed messages are stored.
    let live: AbortController | undefined;
    let gate: Promise<void> | undefined;
    const lastEventIds: (string | null)[] = [];
    const viaGate: typeof fetch = async (url, init) => {
      if (init?.method !== 'GET') return fetch(url, init);
      lastEventIds.push(new Headers(init.headers).get('last-event-id'));
      await gate;
      const abort = new AbortController();
      init.signal?.addEventListener('abort', () => abort.abort());
      live = abort;
      return fetch(url, { ...init, signal: abort.signal });
    };
    const transport = new StreamableHTTPClientTransport(new URL(bounded.http.mcpUrl), {
      fetch: viaGate,
      reconnectionOptions: {
        initialReconnectionDelay: 50,
        maxReconnectionDelay: 500,
        reconnectionDelayGrowFactor: 1.5,
        maxRetries: 30,
      },
    });
    const client = new Client({ name: 'resume-test', version: '1' }, { capabilities: {} });
    const notes: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      const data = n.params.data as { data?: { note?: string } };
      if (data?.data?.note) notes.push(data.data.note);
    });
    await client.connect(transport);
    expect(client.getServerVersion()).toBeTruthy();
    await waitFor(() => live !== undefined, 3000, 'the GET stream');
    await send('one');
    await waitFor(() => notes.includes('one'), 3000, 'the first message, live');

    let release = () => {};
    gate = new Promise((r) => {
      release = r;
    });
    live!.abort();
    await waitFor(() => lastEventIds.length === 2, 5000, 'the reconnection');
    const held = stores.size;
    await send('two');
    await send('huge', 'x'.repeat(STREAM_BYTES + 1024));
    await send('three');
    await waitFor(() => stores.size === held + 3, 3000, 'three messages stored (one as a placeholder)');
    release();

    await waitFor(() => notes.includes('three'), 5000, 'the missed messages, replayed');
    expect(lastEventIds[1]).toBeTruthy();
    expect(notes).toEqual(['one', 'two', 'three']);
    // The stream goes on live after the resume.
    await send('four');
    await waitFor(() => notes.includes('four'), 3000, 'a message after the resume');
    expect(notes).toEqual(['one', 'two', 'three', 'four']);
    await client.close();
  });
});

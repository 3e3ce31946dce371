/**
 * A 2025-era session's GET stream is resumable: every message carries an event id, and a client that
 * reconnects with `Last-Event-ID` gets what was sent while it was away (in memory here; in Redis with
 * --redis-url, see test/scale/stores.test.ts). Another session cannot replay it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

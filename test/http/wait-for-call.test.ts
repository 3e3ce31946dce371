/**
 * `wait_for_call` over streamable HTTP with webhooks coming in, for a 2026-07-28 and a 2025-11-25
 * client, against a sandbox answering make-call as the API reference shows (only `call_id` and
 * `status`, webhook payloads without `call_id`): the call's conversation is found from the
 * `conversation.started` webhook (agent, number, time) without listing conversations, the
 * `conversation.ended` webhook ends the pause early, and an event naming a conversation this key
 * cannot read is passed over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_EVENTS } from '../../src/voisa/index.js';
import { type AnyClient, connectGeneration, GENERATIONS, type Generation } from '../helpers/generations.js';
import { postWebhook, type Stack, startStack } from './helpers.js';

const SECRET = 'whsec_wait_for_call_0123';
const AGENT = 'agt_bella0001';
const NUMBER = '+49123456789';
const CALL_MS = 1200;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    webhookSecret: SECRET,
    sandbox: { referenceShape: true, callMs: CALL_MS },
  });
  const url = `${stack.http.url}/webhooks/voisa`;
  await stack.api.webhooks.configure({ url, events: [...WEBHOOK_EVENTS], secret: SECRET });
});
afterAll(() => stack?.close());

type Data = Record<string, any>;
interface Received {
  id: string;
  event: string;
  timestamp: string;
  data: Data;
}

/** The server's `voisa://events` until one matches. */
async function receivedEvent(c: AnyClient, match: (e: Received) => boolean): Promise<Received> {
  const until = Date.now() + 5000;
  for (;;) {
    const { contents } = await c.readResource('voisa://events');
    const found = (JSON.parse(contents[0]!.text!).events as Received[]).find(match);
    if (found) return found;
    if (Date.now() > until) throw new Error('timed out waiting for the webhook');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function placeAndHear(c: AnyClient): Promise<{ callId: string; started: Received }> {
  const seen = new Set(
    (JSON.parse((await c.readResource('voisa://events')).contents[0]!.text!).events as Received[]).map(
      (e) => e.id,
    ),
  );
  const made = await c.callTool('make_call', { agent_id: AGENT, phone_number: NUMBER });
  expect(made.isError).toBeFalsy();
  const callId = (made.structuredContent as Data).call_id as string;
  expect(Object.keys(made.structuredContent as Data).sort()).toEqual(['call_id', 'status']);
  const started = await receivedEvent(
    c,
    (e) => e.event === 'conversation.started' && !seen.has(e.id) && e.data.phone_number === NUMBER,
  );
  expect(started.data.call_id).toBeUndefined(); // the reference's payload: nothing links it to the call id
  return { callId, started };
}

function conversationCalls() {
  return stack.sandbox.requests().filter((r) => r.path.startsWith('/api/conversations'));
}

describe.each(GENERATIONS)('a %s client over HTTP', (generation: Generation) => {
  it('finds the conversation from the webhook and ends the pause on conversation.ended', async () => {
    const c = await connectGeneration(generation, { url: stack.http.mcpUrl });
    try {
      const { callId, started } = await placeAndHear(c);
      stack.sandbox.clearRequests();
      const t0 = Date.now();
      const result = await c.callTool('wait_for_call', { call_id: callId });
      const elapsed = Date.now() - t0;
      expect(result.isError, result.content.map((b) => b.text).join('\n')).toBeFalsy();
      const d = result.structuredContent as Data;
      expect(d).toMatchObject({
        ended: true,
        status: 'success',
        success: true,
        conversation_id: started.data.conversation_id,
      });
      expect(result.content.map((b) => b.type)).toEqual(['text', 'text']);
      expect(d.transcript_uri).toBe(`voisa://conversations/${d.conversation_id}/transcript`);
      // No listing: the webhook named the conversation; only it was read.
      const sent = conversationCalls();
      expect(sent.length).toBeGreaterThanOrEqual(1);
      for (const r of sent) expect(r.path).toBe(`/api/conversations/${d.conversation_id}`);
      // Polls at 0 s and 1 s see it ongoing; without the ended webhook the next would be at 3 s.
      expect(elapsed).toBeLessThan(2600);
    } finally {
      await c.close();
    }
  });

  it('passes over an event naming a conversation this key cannot read', async () => {
    const c = await connectGeneration(generation, { url: stack.http.mcpUrl });
    try {
      const { callId, started } = await placeAndHear(c);
      const foreignId = `conv_foreign_${generation.slice(0, 4)}`;
      const foreign = {
        id: `evt_foreign_${generation}_${Date.now()}`,
        event: 'conversation.started',
        timestamp: new Date(Date.now() + 50).toISOString(),
        data: {
          conversation_id: foreignId,
          agent_id: AGENT,
          phone_number: NUMBER,
          status: 'ongoing',
        },
      };
      expect(await postWebhook(stack.http.url, foreign, SECRET)).toBe(200);
      stack.sandbox.clearRequests();
      const result = await c.callTool('wait_for_call', { call_id: callId });
      expect(result.isError, result.content.map((b) => b.text).join('\n')).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        ended: true,
        conversation_id: started.data.conversation_id,
      });
      // The newest event was tried first, refused (404), and not tried again.
      const paths = conversationCalls().map((r) => r.path);
      expect(paths[0]).toBe(`/api/conversations/${foreignId}`);
      expect(paths.filter((p) => p === `/api/conversations/${foreignId}`)).toHaveLength(1);
    } finally {
      await c.close();
    }
  });
});

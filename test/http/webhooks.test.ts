/**
 * Webhooks into live updates: signature accept/reject, replay and staleness,
 * `voisa://events`, and subscriptions: sandbox make_call -> conversation.ended
 * webhook -> `notifications/resources/updated` for that conversation.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhookBody } from '../../src/sandbox/index.js';
import { WEBHOOK_EVENTS } from '../../src/voisa/index.js';
import {
  connectHttp,
  type HttpClient,
  type Stack,
  startStack,
  waitFor,
  watchWebhookNotifications,
} from './helpers.js';

const SECRET = 'whsec_test_0123456789';
let stack: Stack;
let hookUrl: string;

beforeAll(async () => {
  stack = await startStack({ webhookSecret: SECRET });
  hookUrl = `${stack.http.url}/webhooks/voisa`;
  await stack.api.webhooks.configure({ url: hookUrl, events: [...WEBHOOK_EVENTS], secret: SECRET });
});
afterAll(() => stack?.close());

let counter = 0;
function event(data: Record<string, unknown>, over: Record<string, unknown> = {}) {
  counter++;
  return {
    id: `evt_test_${counter}_${Date.now()}`,
    event: 'conversation.ended',
    timestamp: new Date().toISOString(),
    data,
    ...over,
  };
}

function deliver(body: unknown, signature: string | null = 'sign'): Promise<Response> {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature === 'sign') headers['x-voisa-signature'] = signWebhookBody(raw, SECRET);
  else if (signature) headers['x-voisa-signature'] = signature;
  return fetch(hookUrl, { method: 'POST', headers, body: raw });
}

async function listening(key?: string): Promise<HttpClient & { updates: string[]; logs: unknown[] }> {
  const c = await connectHttp(stack.http.mcpUrl, key);
  return Object.assign(c, watchWebhookNotifications(c.client));
}

async function recentIds(c: HttpClient): Promise<string[]> {
  const { contents } = await c.client.readResource({ uri: 'voisa://events' });
  return JSON.parse((contents[0] as { text: string }).text).events.map((e: { id: string }) => e.id);
}

describe('the webhook receiver', () => {
  it('accepts a signed event once and rejects its replay', async () => {
    const c = await listening();
    const e = event({ conversation_id: 'conv_x1', agent_id: 'agt_bella0001' });
    const first = await deliver(e);
    expect(first.status).toBe(200);
    const replay = await deliver(e);
    expect(replay.status).toBe(409);
    expect((await recentIds(c)).filter((id) => id === e.id)).toHaveLength(1);
    await c.close();
  });

  it('rejects a missing or wrong signature without processing the event', async () => {
    const c = await listening();
    const missing = event({ conversation_id: 'conv_x2' });
    const wrong = event({ conversation_id: 'conv_x3' });
    expect((await deliver(missing, null)).status).toBe(401);
    expect((await deliver(wrong, `sha256=${'0'.repeat(64)}`)).status).toBe(401);
    expect((await deliver(wrong, 'sha256=abc')).status).toBe(401);
    const signedOther = signWebhookBody(JSON.stringify(wrong), 'another-secret');
    expect((await deliver(wrong, signedOther)).status).toBe(401);
    const ids = await recentIds(c);
    expect(ids).not.toContain(missing.id);
    expect(ids).not.toContain(wrong.id);
    await c.close();
  });

  it('rejects a stale event even when signed', async () => {
    const old = event(
      { conversation_id: 'conv_x4' },
      { timestamp: new Date(Date.now() - 3600_000).toISOString() },
    );
    expect((await deliver(old)).status).toBe(400);
  });

  it('is off without a secret', async () => {
    const other = await startStack();
    try {
      const res = await fetch(`${other.http.url}/webhooks/voisa`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe('live updates', () => {
  it('subscribe -> sandbox make_call -> resources/updated for its conversation, and log notifications', async () => {
    const c = await listening();
    const made = (await c.client.callTool({
      name: 'make_call',
      arguments: { agent_id: 'agt_bella0001', phone_number: '+49123456789' },
    })) as CallToolResult;
    const conversationId = (made.structuredContent as { conversation_id: string }).conversation_id;
    const uri = `voisa://conversations/${conversationId}`;
    await c.client.subscribeResource({ uri });
    await c.client.subscribeResource({ uri: `${uri}/transcript` });
    await waitFor(
      () => c.updates.includes(uri) && c.updates.includes(`${uri}/transcript`),
      5000,
      'resources/updated',
    );
    expect(c.logs.some((d) => (d as { event: string }).event === 'conversation.ended')).toBe(true);
    expect(await recentIds(c)).not.toHaveLength(0);
    await c.close();
  });

  it('agent.updated reaches voisa://agents/{id} subscribers; unsubscribed URIs stay quiet', async () => {
    const c = await listening();
    const watcher = await listening();
    await c.client.subscribeResource({ uri: 'voisa://agents/agt_shop00004' });
    await watcher.client.subscribeResource({ uri: 'voisa://agents/agt_shop00004' });
    await watcher.client.unsubscribeResource({ uri: 'voisa://agents/agt_shop00004' });
    await c.client.callTool({
      name: 'update_agent',
      arguments: { agent_id: 'agt_shop00004', name: 'Shop 2' },
    });
    await waitFor(() => c.updates.includes('voisa://agents/agt_shop00004'), 3000, 'agent update');
    await new Promise((r) => setTimeout(r, 100));
    expect(watcher.updates).not.toContain('voisa://agents/agt_shop00004');
    expect(watcher.logs.length).toBeGreaterThan(0); // every session sees events as logs
    await c.close();
    await watcher.close();
  });
});

/**
 * The same scenario for a 2026-07-28 client (SDK v2, pinned: stateless requests, `input_required`,
 * `subscriptions/listen`) and a 2025-11-25 client (SDK 1.32: session, elicitation, resources/subscribe),
 * against the same HTTP server: list, call, read a resource, confirm a `make_call`, receive a webhook
 * update. Then the confirmation rules on both, and the same over stdio with the built binary.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_EVENTS } from '../../src/voisa/index.js';
import { type Answer, connectGeneration, GENERATIONS, type Generation } from '../helpers/generations.js';
import { postWebhook, type Stack, startStack, waitFor } from '../http/helpers.js';

const SECRET = 'whsec_generations_0123';
const CLI = fileURLToPath(new URL('../../dist/bin/voisa-mcp.mjs', import.meta.url));
const ACCEPT: Answer = { action: 'accept', content: { confirm: true } };
const DECLINE: Answer = { action: 'decline' };
const CALL = { agent_id: 'agt_bella0001', phone_number: '+49123456789' };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ webhookSecret: SECRET });
  const url = `${stack.http.url}/webhooks/voisa`;
  await stack.api.webhooks.configure({ url, events: [...WEBHOOK_EVENTS], secret: SECRET });
});
afterAll(() => stack?.close());

function text(result: { content: { type: string; text?: string }[] }): string {
  return result.content.map((c) => c.text ?? '').join('\n');
}

describe.each(GENERATIONS)('a %s client over HTTP', (generation: Generation) => {
  it('lists, calls, reads, confirms make_call and receives the webhook update', async () => {
    const c = await connectGeneration(generation, { url: stack.http.mcpUrl }, { elicit: () => ACCEPT });
    try {
      expect(c.protocolVersion()).toBe(generation);
      const tools = await c.listTools();
      expect(tools.map((t) => t.name)).toContain('make_call');

      const agents = await c.callTool('list_agents', {});
      expect(agents.isError).toBeFalsy();
      expect(text(agents)).toContain('agt_bella0001');

      const read = await c.readResource('voisa://agents/agt_bella0001');
      expect(JSON.parse(read.contents[0]!.text!).id).toBe('agt_bella0001');

      const calls = () => stack.sandbox.requests().filter((r) => r.path === '/api/make-call').length;
      const before = calls();
      const made = await c.callTool('make_call', CALL);
      expect(made.isError).toBeFalsy();
      expect(c.asked).toHaveLength(1);
      expect(c.asked[0]).toContain('+49123456789');
      expect(calls()).toBe(before + 1);

      const conversationId = (made.structuredContent as { conversation_id: string }).conversation_id;
      const uri = `voisa://conversations/${conversationId}`;
      await c.watch([uri]);
      await waitFor(() => c.updates.includes(uri), 8000, `resources/updated for ${uri}`);
    } finally {
      await c.close();
    }
  });

  it('hears that the resource list changed when a webhook says an agent was created', async () => {
    const c = await connectGeneration(generation, { url: stack.http.mcpUrl });
    try {
      await c.watch(['voisa://agents/agt_new00001']);
      const created = {
        id: `evt_created_${generation}_${Date.now()}`,
        event: 'agent.created',
        timestamp: new Date().toISOString(),
        data: { agent_id: 'agt_new00001' },
      };
      expect(await postWebhook(stack.http.url, created, SECRET)).toBe(200);
      await waitFor(() => c.listChanges() > 0, 5000, 'notifications/resources/list_changed');
    } finally {
      await c.close();
    }
  });

  it('a declined confirmation places no call', async () => {
    const c = await connectGeneration(generation, { url: stack.http.mcpUrl }, { elicit: () => DECLINE });
    try {
      stack.sandbox.clearRequests();
      const result = await c.callTool('make_call', CALL);
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/^DECLINED/);
      expect(stack.sandbox.requests().filter((r) => r.method === 'POST')).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('a client without elicitation keeps the destructive hint as its warning', async () => {
    const c = await connectGeneration(generation, { url: stack.http.mcpUrl });
    try {
      const tools = await c.listTools();
      expect(tools.find((t) => t.name === 'make_call')?.annotations).toMatchObject({ destructiveHint: true });
      const result = await c.callTool('delete_kb_item', { item_id: 'kb_missing' });
      expect(text(result)).not.toMatch(/DECLINED|CONFIRMATION/);
    } finally {
      await c.close();
    }
  });
});

describe.each(GENERATIONS)('a %s client over stdio (built binary)', (generation: Generation) => {
  const stdio = () => ({
    command: process.execPath,
    args: [CLI],
    env: {
      PATH: process.env.PATH ?? '',
      VOISA_API_KEY: stack.sandbox.demoKey,
      VOISA_BASE_URL: stack.sandbox.baseUrl,
    },
  });

  it('is asked before make_call, and declining sends nothing', async () => {
    const c = await connectGeneration(generation, { stdio: stdio() }, { elicit: () => DECLINE });
    try {
      expect(c.protocolVersion()).toBe(generation);
      stack.sandbox.clearRequests();
      const result = await c.callTool('make_call', CALL);
      expect(c.asked).toHaveLength(1);
      expect(text(result)).toMatch(/^DECLINED/);
      expect(stack.sandbox.requests().filter((r) => r.method === 'POST')).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('with --require-confirmation refuses make_call from a client that cannot be asked', async () => {
    const spec = stdio();
    const c = await connectGeneration(generation, {
      stdio: { ...spec, args: [...spec.args, '--require-confirmation'] },
    });
    try {
      stack.sandbox.clearRequests();
      const result = await c.callTool('make_call', CALL);
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/^CONFIRMATION_REQUIRED.*--confirm always/);
      expect(stack.sandbox.requests().filter((r) => r.method === 'POST')).toEqual([]);
    } finally {
      await c.close();
    }
  });
});

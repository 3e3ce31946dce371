/**
 * The whole catalogue over streamable HTTP: every tool and resource through the
 * SDK's StreamableHTTPClientTransport, with the caller's own key; a read-only
 * key's writes fail with INSUFFICIENT_PERMISSIONS; local files are off without
 * --allow-file-access and confined to its folder with it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '../../src/tools/index.js';
import { connectHttp, type HttpClient, type Stack, startStack, text } from './helpers.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Valid arguments for every tool, against the seeded sandbox. */
const ARGS: Record<string, (conversationId: string) => Record<string, unknown>> = {
  verify_api_key: () => ({}),
  list_agents: () => ({ limit: 5 }),
  get_agent: () => ({ agent_id: 'agt_bella0001' }),
  create_agent: () => ({ name: 'Smile Dental', industry: 'healthcare' }),
  update_agent: () => ({ agent_id: 'agt_shop00004', name: 'Shop Helper' }),
  delete_agent: () => ({ agent_id: 'agt_hotel0005' }),
  chat_with_agent: () => ({ agent_id: 'agt_bella0001', message: 'Opening hours?' }),
  assign_tools: () => ({ agent_id: 'agt_bella0001', tools: ['checkAvailability'] }),
  test_agent: () => ({
    agent_id: 'agt_bella0001',
    scenarios: [{ name: 'hours', caller: ['Opening hours?'], expect: [{ contains: 'open' }] }],
  }),
  list_kb_items: () => ({ agent_id: 'agt_bella0001' }),
  add_kb_text: () => ({ agent_id: 'agt_bella0001', title: 'Parking', content: 'Behind the building.' }),
  add_kb_url: () => ({ agent_id: 'agt_bella0001', url: 'https://bella.example/menu' }),
  upload_kb_file: () => ({
    agent_id: 'agt_bella0001',
    file_name: 'p.txt',
    content_base64: b64('Refunds: 30 days.'),
  }),
  delete_kb_item: () => ({ item_id: 'kb_shop00010' }),
  list_conversations: () => ({ limit: 3 }),
  get_conversation: (id) => ({ conversation_id: id }),
  get_conversation_audio: (id) => ({ conversation_id: id }),
  list_mcp_servers: () => ({}),
  list_mcp_server_tools: () => ({ server_id: 'mcp_calendar01' }),
  get_analytics: () => ({ agent_id: 'agt_bella0001', period: 'week' }),
  analyze_sentiment: () => ({ texts: ['Great service!'] }),
  make_call: () => ({ agent_id: 'agt_bella0001', phone_number: '+49123456789' }),
  wait_for_call: (id) => ({ conversation_id: id }),
  list_voices: () => ({}),
  create_voice: () => ({
    name: 'Clinic',
    audio_samples: [{ file_name: 'a.mp3', content_base64: b64('sample') }],
  }),
  configure_webhook: () => ({ url: 'http://127.0.0.1:9/hooks', events: ['conversation.ended'] }),
};

let stack: Stack;
let mcp: HttpClient;
let conversationId: string;

beforeAll(async () => {
  stack = await startStack({ serverKey: null });
  mcp = await connectHttp(stack.http.mcpUrl, stack.sandbox.demoKey);
  const list = await stack.api
    .withApiKey(stack.sandbox.demoKey)
    .conversations.list({ agent_id: 'agt_bella0001', limit: 1 });
  conversationId = list.conversations[0]!.id;
});
afterAll(async () => {
  await mcp?.close();
  await stack?.close();
});

const call = (c: HttpClient, name: string, args: Record<string, unknown>) =>
  c.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

describe('every tool over HTTP', () => {
  it('covers the catalogue', () => {
    expect(Object.keys(ARGS).sort()).toEqual([...TOOL_NAMES].sort());
  });

  it('lists every tool', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
  });

  for (const name of Object.keys(ARGS)) {
    it(name, async () => {
      stack.sandbox.clearRequests();
      const result = await call(mcp, name, ARGS[name]!(conversationId));
      expect(result.isError, text(result)).toBeFalsy();
      expect(result.structuredContent).toBeDefined();
      expect(stack.sandbox.requests().length).toBeGreaterThanOrEqual(1);
    });
  }
});

describe('resources and prompts over HTTP', () => {
  it('reads every resource kind', async () => {
    const { resources } = await mcp.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['voisa://voices', 'voisa://events']));
    const uris = [
      'voisa://agents/agt_bella0001',
      `voisa://conversations/${conversationId}`,
      `voisa://conversations/${conversationId}/transcript`,
      `voisa://conversations/${conversationId}/audio`,
      'voisa://voices',
      'voisa://events',
    ];
    for (const uri of uris) {
      const { contents } = await mcp.client.readResource({ uri });
      expect(contents[0]?.uri, uri).toBe(uri);
    }
    const events = await mcp.client.readResource({ uri: 'voisa://events' });
    expect(JSON.parse((events.contents[0] as { text: string }).text)).toMatchObject({
      events: expect.any(Array),
    });
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    expect(resourceTemplates.length).toBeGreaterThanOrEqual(3);
  });

  it('lists prompts', async () => {
    const { prompts } = await mcp.client.listPrompts();
    expect(prompts.length).toBeGreaterThan(0);
  });
});

describe('permissions follow the key', () => {
  it("a read-only key reads, and its writes fail with the API's INSUFFICIENT_PERMISSIONS", async () => {
    const ro = await connectHttp(stack.http.mcpUrl, stack.sandbox.readOnlyKey);
    try {
      const read = await call(ro, 'list_agents', {});
      expect(read.isError).toBeFalsy();
      const write = await call(ro, 'create_agent', { name: 'Nope', industry: 'retail' });
      expect(write.isError).toBe(true);
      expect(text(write)).toMatch(/INSUFFICIENT_PERMISSIONS/);
      expect(text(write)).toMatch(/403/);
    } finally {
      await ro.close();
    }
  });
});

describe('local files over HTTP', () => {
  it('refuses file_path without --allow-file-access', async () => {
    const result = await call(mcp, 'upload_kb_file', {
      agent_id: 'agt_bella0001',
      file_path: '/etc/hostname',
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/--allow-file-access/);
  });

  it('with --allow-file-access DIR, reads inside DIR and refuses outside', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'voisa-http-files-'));
    await writeFile(path.join(dir, 'faq.txt'), 'Open 9-5.');
    const other = await startStack({ allowFileAccess: dir });
    const c = await connectHttp(other.http.mcpUrl);
    try {
      const inside = await call(c, 'upload_kb_file', {
        agent_id: 'agt_bella0001',
        file_path: path.join(dir, 'faq.txt'),
      });
      expect(inside.isError, text(inside)).toBeFalsy();
      const outside = await call(c, 'upload_kb_file', {
        agent_id: 'agt_bella0001',
        file_path: '/etc/hostname',
      });
      expect(outside.isError).toBe(true);
    } finally {
      await c.close();
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

it('never logs an API key', () => {
  const all = stack.logs.join('\n');
  expect(all).not.toContain(stack.sandbox.demoKey);
  expect(all).not.toContain(stack.sandbox.readOnlyKey);
});

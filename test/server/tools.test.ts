/**
 * Every tool of the catalogue, called through a real MCP Client with valid
 * input against the sandbox: the exact request that went out (from the
 * sandbox's request log) and the structured result.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '../../src/tools/index.js';
import { UNTRUSTED_NOTE } from '../../src/tools/result.js';
import { type Connected, call, connect, resultText } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });
let mcp: Connected;
let conversationId: string;

beforeAll(async () => {
  mcp = await connect(sandbox());
  const list = await mcp.api.conversations.list({ agent_id: 'agt_bella0001', limit: 1 });
  conversationId = list.conversations[0]!.id;
});
afterAll(() => mcp.close());

interface Case {
  args: Record<string, unknown>;
  request: { method: string; path: string; query?: Record<string, string>; body?: unknown };
  /** Further GETs the tool sends beside its own request (in any order). */
  also?: string[];
  check(data: Record<string, any>, result: CallToolResult): void;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

const cases: Record<string, () => Case> = {
  verify_api_key: () => ({
    args: {},
    request: { method: 'GET', path: '/api/verify' },
    check: (d) =>
      expect(d).toMatchObject({ valid: true, permissions: expect.arrayContaining(['read', 'write']) }),
  }),
  list_agents: () => ({
    args: { status: 'active', industry: 'restaurant', page: 1, limit: 5 },
    request: {
      method: 'GET',
      path: '/api/agents/list',
      query: { status: 'active', industry: 'restaurant', page: '1', limit: '5' },
    },
    check: (d) => {
      expect(d.agents.length).toBeGreaterThan(0);
      for (const a of d.agents) expect(a).toMatchObject({ status: 'active', industry: 'restaurant' });
      expect(d.pagination).toMatchObject({ page: 1 });
    },
  }),
  get_agent: () => ({
    args: { agent_id: 'agt_bella0001' },
    request: { method: 'GET', path: '/api/agents/agt_bella0001' },
    check: (d) => expect(d).toMatchObject({ id: 'agt_bella0001', config: expect.any(Object) }),
  }),
  create_agent: () => ({
    args: {
      name: 'Smile Dental',
      industry: 'healthcare',
      config: { conversation: { first_message: 'Hello!' } },
    },
    request: {
      method: 'POST',
      path: '/api/agents/create',
      body: {
        name: 'Smile Dental',
        industry: 'healthcare',
        config: { conversation: { first_message: 'Hello!' } },
      },
    },
    check: (d) =>
      expect(d).toMatchObject({
        id: expect.stringMatching(/^agt_/),
        name: 'Smile Dental',
        status: 'training',
      }),
  }),
  update_agent: () => ({
    args: { agent_id: 'agt_shop00004', name: 'Shop Helper', config: { conversation: { temperature: 0.4 } } },
    request: {
      method: 'PUT',
      path: '/api/agents/agt_shop00004/update',
      body: { name: 'Shop Helper', config: { conversation: { temperature: 0.4 } } },
    },
    check: (d) => expect(d).toMatchObject({ id: 'agt_shop00004', name: 'Shop Helper' }),
  }),
  delete_agent: () => ({
    args: { agent_id: 'agt_hotel0005' },
    request: { method: 'DELETE', path: '/api/agents/agt_hotel0005' },
    check: (d) => expect(d.message).toMatch(/deleted/i),
  }),
  test_agent: () => ({
    args: {
      agent_id: 'agt_bella0001',
      scenarios: [
        {
          name: 'hours',
          caller: ['What are your opening hours?'],
          context: [{ name: 'user_name', value: 'Jo' }],
          expect: [{ matches: 'open' }],
        },
      ],
    },
    request: {
      method: 'POST',
      path: '/api/agents/agt_bella0001/chat',
      // a fresh session: no session_id; the pairs become the API's context object
      body: { message: 'What are your opening hours?', context: { user_name: 'Jo' } },
    },
    check: (d, r) => {
      expect(d).toMatchObject({ passed: 1, failed: 0, scenarios: [{ name: 'hours', passed: true }] });
      expect(r.content[0]).toEqual({ type: 'text', text: UNTRUSTED_NOTE });
    },
  }),
  chat_with_agent: () => ({
    args: {
      agent_id: 'agt_bella0001',
      message: 'What are your opening hours?',
      session_id: 'sess_t1',
      context: [
        { name: 'user_name', value: 'Jo' },
        { name: 'plan', value: 'gold' },
      ],
    },
    request: {
      method: 'POST',
      path: '/api/agents/agt_bella0001/chat',
      // the tool's name/value pairs become the API's context object
      body: {
        message: 'What are your opening hours?',
        session_id: 'sess_t1',
        context: { user_name: 'Jo', plan: 'gold' },
      },
    },
    check: (d, r) => {
      expect(d).toMatchObject({ response: expect.any(String), session_id: 'sess_t1' });
      expect(r.content[0]).toEqual({ type: 'text', text: UNTRUSTED_NOTE });
    },
  }),
  assign_tools: () => ({
    args: { agent_id: 'agt_bella0001', tools: ['checkAvailability', 'bookAppointment'] },
    request: {
      method: 'POST',
      path: '/api/agents/agt_bella0001/assign-tools',
      body: { tools: ['checkAvailability', 'bookAppointment'] },
    },
    check: (d) => expect(d.tools).toEqual(['checkAvailability', 'bookAppointment']),
  }),
  list_kb_items: () => ({
    args: { agent_id: 'agt_bella0001', type: 'text' },
    request: {
      method: 'GET',
      path: '/api/knowledge-base/list',
      query: { agent_id: 'agt_bella0001', type: 'text' },
    },
    check: (d) => {
      expect(d.items.length).toBeGreaterThan(0);
      for (const i of d.items) expect(i).toMatchObject({ agent_id: 'agt_bella0001', type: 'text' });
    },
  }),
  add_kb_text: () => ({
    args: {
      agent_id: 'agt_bella0001',
      title: 'Parking',
      content: 'Free parking behind the building.',
      category: 'general',
    },
    request: {
      method: 'POST',
      path: '/api/knowledge-base/text',
      body: {
        agent_id: 'agt_bella0001',
        title: 'Parking',
        content: 'Free parking behind the building.',
        category: 'general',
      },
    },
    check: (d) =>
      expect(d).toMatchObject({ id: expect.stringMatching(/^kb_/), agent_id: 'agt_bella0001', type: 'text' }),
  }),
  add_kb_url: () => ({
    args: { agent_id: 'agt_bella0001', url: 'https://bella.example/menu', refresh_interval: 86400 },
    request: {
      method: 'POST',
      path: '/api/knowledge-base/url',
      body: { agent_id: 'agt_bella0001', url: 'https://bella.example/menu', refresh_interval: 86400 },
    },
    check: (d) => expect(d).toMatchObject({ agent_id: 'agt_bella0001', type: 'url' }),
  }),
  upload_kb_file: () => ({
    args: {
      agent_id: 'agt_bella0001',
      category: 'policies',
      file_name: 'policy.txt',
      content_base64: b64('Refunds within 30 days.'),
    },
    request: {
      method: 'POST',
      path: '/api/knowledge-base/file',
      body: {
        fields: { agent_id: 'agt_bella0001', category: 'policies' },
        files: [expect.objectContaining({ field: 'file', name: 'policy.txt', size: 23 })],
      },
    },
    check: (d) =>
      expect(d).toMatchObject({ agent_id: 'agt_bella0001', type: 'document', name: 'policy.txt' }),
  }),
  delete_kb_item: () => ({
    args: { item_id: 'kb_shop00010' },
    request: { method: 'DELETE', path: '/api/knowledge-base/kb_shop00010' },
    check: (d) => expect(d.message).toEqual(expect.any(String)),
  }),
  list_conversations: () => ({
    args: { agent_id: 'agt_bella0001', status: 'success', date_from: '2020-01-01', limit: 3 },
    request: {
      method: 'GET',
      path: '/api/conversations/list',
      query: { agent_id: 'agt_bella0001', status: 'success', date_from: '2020-01-01', limit: '3' },
    },
    check: (d) => {
      expect(d.conversations.length).toBeGreaterThan(0);
      expect(d.conversations.length).toBeLessThanOrEqual(3);
      for (const c of d.conversations)
        expect(c).toMatchObject({ agent_id: 'agt_bella0001', status: 'success' });
    },
  }),
  get_conversation: () => ({
    args: { conversation_id: conversationId },
    request: { method: 'GET', path: `/api/conversations/${conversationId}` },
    check: (d, r) => {
      expect(d).toMatchObject({ id: conversationId, transcript: expect.any(Array) });
      expect(r.content[0]).toEqual({ type: 'text', text: UNTRUSTED_NOTE });
    },
  }),
  get_conversation_audio: () => ({
    args: { conversation_id: conversationId },
    request: { method: 'GET', path: `/api/conversations/${conversationId}/audio` },
    // The duration comes from the conversation.
    also: [`/api/conversations/${conversationId}`],
    check: (d, r) => {
      // By default: what the recording is and where to read it, no bytes.
      expect(d).toMatchObject({
        conversation_id: conversationId,
        inline: false,
        content_type: 'audio/mpeg',
        bytes: expect.any(Number),
        duration: expect.any(Number),
        resource_uri: `voisa://conversations/${conversationId}/audio`,
      });
      expect(r.content.map((c) => c.type)).toEqual(['text']);
    },
  }),
  list_mcp_servers: () => ({
    args: {},
    request: { method: 'GET', path: '/api/mcp-servers' },
    check: (d) => expect(d.servers.map((s: { id: string }) => s.id)).toContain('mcp_calendar01'),
  }),
  list_mcp_server_tools: () => ({
    args: { server_id: 'mcp_calendar01' },
    request: { method: 'GET', path: '/api/mcp-servers/mcp_calendar01/tools' },
    check: (d) => expect(d.tools.map((t: { name: string }) => t.name)).toContain('bookAppointment'),
  }),
  get_analytics: () => ({
    args: { agent_id: 'agt_bella0001', period: 'week' },
    request: { method: 'GET', path: '/api/analytics/agent/agt_bella0001', query: { period: 'week' } },
    check: (d) =>
      expect(d.overview).toMatchObject({ total_calls: expect.any(Number), success_rate: expect.any(Number) }),
  }),
  analyze_sentiment: () => ({
    args: { texts: ['Great service, very helpful!', 'Terrible experience'] },
    request: {
      method: 'POST',
      path: '/api/analytics/sentiment-batch',
      body: { texts: ['Great service, very helpful!', 'Terrible experience'] },
    },
    check: (d) =>
      expect(d.results.map((r: { sentiment: string }) => r.sentiment)).toEqual(['positive', 'negative']),
  }),
  make_call: () => ({
    args: { agent_id: 'agt_bella0001', phone_number: '+49123456789' },
    request: {
      method: 'POST',
      path: '/api/make-call',
      body: { agent_id: 'agt_bella0001', phone_number: '+49123456789' },
    },
    check: (d) => expect(d).toMatchObject({ call_id: expect.any(String), status: 'initiated' }),
  }),
  wait_for_call: () => ({
    args: { conversation_id: conversationId },
    request: { method: 'GET', path: `/api/conversations/${conversationId}` },
    check: (d, r) => {
      expect(d).toMatchObject({ conversation_id: conversationId, ended: true, status: expect.any(String) });
      expect(r.content[0]).toEqual({ type: 'text', text: UNTRUSTED_NOTE });
      expect(r.content.map((c) => c.type)).toEqual(['text', 'text']);
      expect(d).toMatchObject({
        transcript_uri: `voisa://conversations/${conversationId}/transcript`,
        recording_uri: `voisa://conversations/${conversationId}/audio`,
      });
    },
  }),
  list_voices: () => ({
    args: {},
    request: { method: 'GET', path: '/api/voices/list' },
    check: (d) => expect(d.voices.length).toBeGreaterThanOrEqual(6),
  }),
  create_voice: () => ({
    args: {
      name: 'Clinic voice',
      description: 'Calm and warm',
      audio_samples: [
        { file_name: 'a.mp3', content_base64: b64('sample-one') },
        { file_name: 'b.mp3', content_base64: b64('sample-two!') },
      ],
    },
    request: {
      method: 'POST',
      path: '/api/voice/create',
      body: {
        fields: { name: 'Clinic voice', description: 'Calm and warm' },
        files: [
          expect.objectContaining({ field: 'audio_samples', name: 'a.mp3', size: 10 }),
          expect.objectContaining({ field: 'audio_samples', name: 'b.mp3', size: 11 }),
        ],
      },
    },
    check: (d) => expect(d).toMatchObject({ id: expect.any(String), name: 'Clinic voice' }),
  }),
  configure_webhook: () => ({
    args: { url: 'http://127.0.0.1:9/hooks', events: ['conversation.ended'], secret: 'whsec_test_123' },
    request: {
      method: 'POST',
      path: '/api/webhooks',
      body: { url: 'http://127.0.0.1:9/hooks', events: ['conversation.ended'], secret: 'whsec_test_123' },
    },
    check: (d, r) => {
      expect(d).toMatchObject({ id: expect.any(String), url: 'http://127.0.0.1:9/hooks' });
      expect(JSON.stringify(r)).not.toContain('whsec_test_123');
    },
  }),
};

describe('every tool with valid input', () => {
  it('covers the whole catalogue', () => {
    expect(Object.keys(cases).sort()).toEqual([...TOOL_NAMES].sort());
  });

  for (const name of Object.keys(cases)) {
    it(name, async () => {
      const c = cases[name]!();
      sandbox().clearRequests();
      const result = await call(mcp.client, name, c.args);
      expect(result.isError, resultText(result)).toBeFalsy();
      const sent = sandbox().requests();
      expect(sent).toHaveLength(1 + (c.also?.length ?? 0));
      for (const path of c.also ?? [])
        expect(sent.some((r) => r.method === 'GET' && r.path === path)).toBe(true);
      expect(sent.find((r) => r.path === c.request.path)).toMatchObject({
        method: c.request.method,
        path: c.request.path,
        query: c.request.query ?? {},
        ...(c.request.body !== undefined ? { body: c.request.body } : {}),
      });
      const data = result.structuredContent as Record<string, any>;
      expect(JSON.parse(resultText(result))).toEqual(data);
      c.check(data, result);
    });
  }
});

describe('get_conversation_audio with inline', () => {
  it('adds the recording as an embedded resource blob, not an audio block', async () => {
    sandbox().clearRequests();
    const result = await call(mcp.client, 'get_conversation_audio', {
      conversation_id: conversationId,
      inline: true,
    });
    expect(result.isError, resultText(result)).toBeFalsy();
    const d = result.structuredContent as Record<string, any>;
    expect(d).toMatchObject({ inline: true, content_type: 'audio/mpeg', bytes: expect.any(Number) });
    expect(result.content.map((c) => c.type)).toEqual(['text', 'resource']);
    const { resource } = result.content[1] as { resource: { uri: string; mimeType: string; blob: string } };
    expect(resource.uri).toBe(`voisa://conversations/${conversationId}/audio`);
    expect(resource.mimeType).toBe('audio/mpeg');
    const bytes = Buffer.from(resource.blob, 'base64');
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfb]));
    expect(bytes.length).toBe(d.bytes);
    // One download, no conversation lookup.
    expect(
      sandbox()
        .requests()
        .map((r) => r.path),
    ).toEqual([`/api/conversations/${conversationId}/audio`]);
  });
});

describe('arguments from strict-mode clients', () => {
  // OpenAI strict function calling makes every field required and the optional ones nullable,
  // so such clients send null for every field the model leaves out: that means "not given".
  it('take null in an optional field as not given', async () => {
    sandbox().clearRequests();
    const result = await call(mcp.client, 'list_agents', {
      status: null,
      industry: null,
      page: null,
      limit: 2,
    });
    expect(result.isError, resultText(result)).toBeFalsy();
    expect(sandbox().requests()[0]).toMatchObject({ path: '/api/agents/list', query: { limit: '2' } });
  });

  it('still need the required fields', async () => {
    const result = await call(mcp.client, 'get_agent', { agent_id: null });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/^INVALID_REQUEST \(input\): agent_id: /);
  });
});

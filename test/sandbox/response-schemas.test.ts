import { describe, expect, it } from 'vitest';
import { SEED_AGENTS } from '../../src/sandbox/index.js';
import {
  AgentAnalytics,
  AgentDetails,
  AgentList,
  ApiKeyInfo,
  ConversationDetails,
  ConversationList,
  Envelope,
  KbList,
  McpServerList,
  McpServerToolList,
  VerifyResult,
  VoiceList,
} from '../../src/voisa/schemas/index.js';
import { api, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

describe('responses match the client-side zod schemas', () => {
  it('parses every read endpoint with its schema', async () => {
    const s = sandbox();
    const cases: [string, { safeParse(v: unknown): { success: boolean; error?: unknown } }][] = [
      ['/api/verify', VerifyResult],
      ['/api/agents/list', AgentList],
      [`/api/agents/${SEED_AGENTS.restaurant}`, AgentDetails],
      ['/api/knowledge-base/list', KbList],
      ['/api/conversations/list', ConversationList],
      ['/api/conversations/conv_seed0001', ConversationDetails],
      ['/api/mcp-servers', McpServerList],
      ['/api/mcp-servers/mcp_calendar01/tools', McpServerToolList],
      [`/api/analytics/agent/${SEED_AGENTS.restaurant}?period=year`, AgentAnalytics],
      ['/api/voices/list', VoiceList],
    ];
    for (const [path, schema] of cases) {
      const r = await api(s, 'GET', path);
      expect(Envelope.safeParse(r.json).success, path).toBe(true);
      const parsed = schema.safeParse(r.json.data);
      expect(parsed.success, `${path}: ${JSON.stringify(parsed.error)}`).toBe(true);
    }
    const key = await api(s, 'POST', '/api/get-api-key', s.demoAccount, null);
    expect(ApiKeyInfo.safeParse(key.json.data).success).toBe(true);
  });
});

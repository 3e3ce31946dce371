/** Each kind of upstream failure becomes an `isError` result that names the code, status, field and next step. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connected, call, connect, resultText } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0, trainingMs: 5000 });
let mcp: Connected;
beforeAll(async () => {
  mcp = await connect(sandbox());
});
afterAll(() => mcp.close());

async function errorText(name: string, args: Record<string, unknown>, via: Connected = mcp): Promise<string> {
  const result = await call(via.client, name, args);
  expect(result.isError).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  return resultText(result);
}

describe('API errors', () => {
  it('AGENT_NOT_FOUND names the status, field and where to find ids', async () => {
    const text = await errorText('get_agent', { agent_id: 'agt_nope' });
    expect(text).toMatch(
      /^AGENT_NOT_FOUND \(404\): .*agt_nope.*\[field: agent_id\] — list_agents shows valid agent ids/,
    );
  });

  it('RESOURCE_NOT_FOUND for a conversation points at list_conversations', async () => {
    const text = await errorText('get_conversation', { conversation_id: 'conv_nope' });
    expect(text).toMatch(/^RESOURCE_NOT_FOUND \(404\): .*list_conversations/);
  });

  it('INVALID_API_KEY says how to get a key, and never shows the key', async () => {
    const bad = await connect(sandbox(), { key: 'vsa_test_definitelyNotAValidKey123' });
    try {
      const text = await errorText('verify_api_key', {}, bad);
      expect(text).toMatch(/^INVALID_API_KEY \(401\): .* — .*voisa-mcp login.*VOISA_API_KEY/);
      expect(text).not.toContain('definitelyNotAValidKey');
    } finally {
      await bad.close();
    }
  });

  it('INSUFFICIENT_PERMISSIONS for a read-only key on a write', async () => {
    const readOnly = await connect(sandbox(), { key: sandbox().readOnlyKey });
    try {
      const text = await errorText('create_agent', { name: 'Nope' }, readOnly);
      expect(text).toMatch(/^INSUFFICIENT_PERMISSIONS \(403\): .* — .*permission/);
    } finally {
      await readOnly.close();
    }
  });

  it('RESOURCE_LOCKED while a new agent trains', async () => {
    const created = await mcp.api.agents.create({ name: 'Fresh' });
    const text = await errorText('update_agent', { agent_id: created.id, name: 'Renamed' });
    expect(text).toMatch(/^RESOURCE_LOCKED \(409\): .* — .*retry shortly/);
  });

  it('RATE_LIMIT_EXCEEDED says when to retry', async () => {
    sandbox().injectFault({
      path: '/api/voices/list',
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfter: '7',
      times: 3,
    });
    const text = await errorText('list_voices', {});
    expect(text).toMatch(/^RATE_LIMIT_EXCEEDED \(429\): .* — retry after 7 s/);
  });

  it('an upstream INVALID_REQUEST names the field to fix', async () => {
    sandbox().injectFault({
      path: '/api/agents/create',
      status: 400,
      code: 'INVALID_REQUEST',
      field: 'industry',
      message: 'unknown industry',
    });
    const text = await errorText('create_agent', { name: 'X', industry: 'zzz' });
    expect(text).toMatch(
      /^INVALID_REQUEST \(400\): unknown industry \[field: industry\] — fix industry and call again/,
    );
  });
});

describe('failures of the exchange itself', () => {
  it('a 503 on make_call is sent once and says it may have acted', async () => {
    sandbox().clearRequests();
    sandbox().injectFault({ path: '/api/make-call', status: 503, code: 'INTERNAL_ERROR', times: 5 });
    const text = await errorText('make_call', { agent_id: 'agt_bella0001', phone_number: '+49123456789' });
    expect(text).toMatch(/^INTERNAL_ERROR \(503\): .*not retried automatically/);
    expect(
      sandbox()
        .requests()
        .filter((r) => r.path === '/api/make-call'),
    ).toHaveLength(1);
    sandbox().clearFaults();
  });

  it('a timeout is its own error', async () => {
    const slow = await connect(sandbox(), { clientConfig: { timeoutMs: 100, maxRetries: 0 } });
    try {
      sandbox().injectFault({ path: '/api/mcp-servers', delayMs: 1000 });
      expect(await errorText('list_mcp_servers', {}, slow)).toMatch(/^TIMEOUT: /);
    } finally {
      await slow.close();
    }
  });

  it('a body that is not the JSON envelope', async () => {
    sandbox().injectFault({ path: '/api/voices/list', malformed: 'non-json', status: 502, times: 3 });
    expect(await errorText('list_voices', {})).toMatch(/^INVALID_RESPONSE \(502\): /);
  });

  it('a connection that cannot be made', async () => {
    const dead = await connect(sandbox(), {
      clientConfig: { baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 0 },
    });
    try {
      expect(await errorText('verify_api_key', {}, dead)).toMatch(/^CONNECTION_FAILED: .*VOISA_BASE_URL/);
    } finally {
      await dead.close();
    }
  });

  it('the server keeps answering after all of the above', async () => {
    const result = await call(mcp.client, 'verify_api_key');
    expect(result.isError).toBeFalsy();
  });
});

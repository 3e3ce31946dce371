/**
 * mcp/traced.ts wraps the MCP SDK's registered request handlers in place, in `server._requestHandlers`
 * (SDK 2.4 keeps them in a Map there; there is no public hook around dispatch). This fails when an SDK
 * update moves them, before requests silently go untraced. And the route templates of VOISA calls,
 * and the resource URIs on spans, carry no id.
 */
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/mcp/server.js';
import { requestHandlers, resourceOf } from '../../src/mcp/traced.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { routeOf } from '../../src/voisa/route.js';

describe('MCP request spans rely on the SDK handler map', () => {
  it('finds every request handler createServer registers in server._requestHandlers', async () => {
    const api = new VoisaClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'vsa_unused' });
    const handlers = requestHandlers(createServer({ api }));
    expect(handlers).toBeInstanceOf(Map);
    const methods = [...(handlers?.keys() ?? [])];
    expect(methods).toEqual(
      expect.arrayContaining([
        'initialize',
        'ping',
        'tools/list',
        'tools/call',
        'resources/list',
        'resources/read',
        'prompts/list',
        'prompts/get',
        'completion/complete',
      ]),
    );
    for (const handler of handlers?.values() ?? []) expect(typeof handler).toBe('function');
    await api.close();
  });
});

describe('routeOf', () => {
  it.each([
    ['/api/agents/list', '/api/agents/list'],
    ['/api/agents/agt_bella0001', '/api/agents/{id}'],
    ['/api/agents/agt_1/update', '/api/agents/{id}/update'],
    ['/api/agents/agt_1/assign-tools', '/api/agents/{id}/assign-tools'],
    ['/api/conversations/conv_9/audio', '/api/conversations/{id}/audio'],
    ['/api/knowledge-base/kb_1', '/api/knowledge-base/{id}'],
    ['/api/mcp-servers/mcp_1/tools', '/api/mcp-servers/{id}/tools'],
    ['/api/analytics/agent/agt_1', '/api/analytics/agent/{id}'],
    ['/api/make-call', '/api/make-call'],
    ['/api/unknown/%2B49123456789?x=1', '/api/{id}/{id}'],
  ])('%s -> %s', (path, route) => {
    expect(routeOf(path)).toBe(route);
  });
});

describe('resourceOf (mcp.resource.uri)', () => {
  it.each([
    ['voisa://agents/agt_bella0001', 'voisa://agents/{agent_id}'],
    ['voisa://conversations/conv_seed0001', 'voisa://conversations/{conversation_id}'],
    ['voisa://conversations/conv_seed0001/transcript', 'voisa://conversations/{conversation_id}/transcript'],
    ['voisa://conversations/conv_1/audio', 'voisa://conversations/{conversation_id}/audio'],
    ['voisa://voices', 'voisa://voices'],
    ['ui://voisa/call', 'ui://voisa/call'],
    ['voisa://calls/+49123456789', undefined],
    ['voisa://keys/vsa_test_abc123', undefined],
    ['https://example.com/x', undefined],
  ])('%s -> %s', (uri, template) => {
    expect(resourceOf(uri)).toBe(template);
  });
});

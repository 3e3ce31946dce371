/** Every client method against the sandbox: what went out (method, path, query, body) and what came back. */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { NotFoundError, type VoisaClient } from '../../src/voisa/index.js';
import { caught, clientFor, lastRequest, sandbox } from './harness.js';

let sb: Sandbox;
let api: VoisaClient;
let agentId: string;

beforeAll(async () => {
  sb = await sandbox();
  api = clientFor(sb);
  const { agents } = await api.agents.list({ status: 'active' });
  agentId = agents[0]!.id;
});
afterAll(async () => {
  await api.close();
  await sb.close();
});
beforeEach(() => sb.clearRequests());

describe('auth', () => {
  it('getApiKey posts the credentials and returns a key', async () => {
    const info = await api.auth.getApiKey(sb.demoAccount);
    expect(info.api_key).toEqual(expect.any(String));
    expect(lastRequest(sb)).toMatchObject({
      method: 'POST',
      path: '/api/get-api-key',
      body: { email: sb.demoAccount.email },
      status: 200,
    });
  });

  it('verify', async () => {
    const result = await api.auth.verify();
    expect(result.valid).toBe(true);
    expect(result.permissions).toEqual(expect.arrayContaining(['read', 'write', 'delete']));
    expect(lastRequest(sb)).toMatchObject({ method: 'GET', path: '/api/verify', status: 200 });
  });
});

describe('agents', () => {
  it('list sends its filters as the query', async () => {
    const list = await api.agents.list({ status: 'active', page: 1, limit: 2 });
    expect(list.agents.length).toBeGreaterThan(0);
    expect(list.agents.length).toBeLessThanOrEqual(2);
    expect(list.agents.every((a) => a.status === 'active')).toBe(true);
    expect(lastRequest(sb)).toMatchObject({
      method: 'GET',
      path: '/api/agents/list',
      query: { status: 'active', page: '1', limit: '2' },
    });
  });

  it('list without a query sends none', async () => {
    await api.agents.list();
    expect(lastRequest(sb).query).toEqual({});
  });

  it('get', async () => {
    const agent = await api.agents.get(agentId);
    expect(agent.id).toBe(agentId);
    expect(lastRequest(sb)).toMatchObject({ method: 'GET', path: `/api/agents/${agentId}` });
  });

  it('encodes an id into one path segment', async () => {
    const err = await caught(() => api.agents.get('no such/../agent?x=1'));
    expect(err).toBeInstanceOf(NotFoundError);
    const { path, query } = lastRequest(sb);
    expect(path).not.toBe('/api/agents/list');
    expect(path.startsWith('/api/agents/')).toBe(true);
    expect(query).toEqual({});
  });

  it('create, update, chat, assign tools and delete', async () => {
    const body = {
      name: 'Round-trip agent',
      description: 'made by a test',
      industry: 'retail',
      config: { conversation: { first_message: 'Hi', temperature: 0.3 } },
    };
    const created = await api.agents.create(body);
    expect(created).toMatchObject({ name: body.name, id: expect.any(String) });
    expect(lastRequest(sb)).toMatchObject({ method: 'POST', path: '/api/agents/create', body, status: 201 });
    // A new agent is locked while it trains (trainingMs: 0 here, so only briefly).
    await vi.waitFor(async () => expect((await api.agents.get(created.id)).status).not.toBe('training'));

    const updated = await api.agents.update(created.id, { name: 'Renamed agent' });
    expect(updated).toMatchObject({ id: created.id, name: 'Renamed agent' });
    expect(lastRequest(sb)).toMatchObject({
      method: 'PUT',
      path: `/api/agents/${created.id}/update`,
      body: { name: 'Renamed agent' },
    });

    const chat = await api.agents.chat(agentId, { message: 'What are your hours?', session_id: 'sess_t1' });
    expect(chat.response).toEqual(expect.any(String));
    expect(lastRequest(sb)).toMatchObject({
      method: 'POST',
      path: `/api/agents/${agentId}/chat`,
      body: { message: 'What are your hours?', session_id: 'sess_t1' },
    });

    const { servers } = await api.mcpServers.list();
    const { tools } = await api.mcpServers.tools(servers[0]!.id);
    const toolNames = tools.slice(0, 2).map((t) => t.name);
    await api.agents.assignTools(created.id, { tools: toolNames });
    expect(lastRequest(sb)).toMatchObject({
      method: 'POST',
      path: `/api/agents/${created.id}/assign-tools`,
      body: { tools: toolNames },
    });
    expect((await api.agents.get(created.id)).tools).toEqual(toolNames);

    const ack = await api.agents.delete(created.id);
    expect(ack).toEqual({ message: expect.any(String) });
    expect(lastRequest(sb)).toMatchObject({
      method: 'DELETE',
      path: `/api/agents/${created.id}`,
      status: 200,
    });
    await expect(api.agents.get(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('knowledge base', () => {
  it('list, add text, add url and delete', async () => {
    const text = { agent_id: agentId, title: 'Hours', content: 'Open 9 to 5', category: 'general' };
    const item = await api.knowledgeBase.addText(text);
    expect(item).toMatchObject({ agent_id: agentId, type: 'text' });
    expect(lastRequest(sb)).toMatchObject({ method: 'POST', path: '/api/knowledge-base/text', body: text });

    const url = { agent_id: agentId, url: 'https://example.com/about', refresh_interval: 86400 };
    const urlItem = await api.knowledgeBase.addUrl(url);
    expect(urlItem).toMatchObject({ agent_id: agentId, type: 'url' });
    expect(lastRequest(sb)).toMatchObject({ method: 'POST', path: '/api/knowledge-base/url', body: url });

    const list = await api.knowledgeBase.list({ agent_id: agentId, type: 'text' });
    expect(list.items.map((i) => i.id)).toContain(item.id);
    expect(lastRequest(sb)).toMatchObject({
      method: 'GET',
      path: '/api/knowledge-base/list',
      query: { agent_id: agentId, type: 'text' },
    });

    const ack = await api.knowledgeBase.delete(item.id);
    expect(ack.message).toEqual(expect.any(String));
    expect(lastRequest(sb)).toMatchObject({ method: 'DELETE', path: `/api/knowledge-base/${item.id}` });
  });
});

describe('conversations', () => {
  it('list with filters, then get one', async () => {
    const list = await api.conversations.list({
      agent_id: agentId,
      status: 'success',
      date_from: '2000-01-01',
      page: 1,
      limit: 3,
    });
    expect(lastRequest(sb)).toMatchObject({
      method: 'GET',
      path: '/api/conversations/list',
      query: { agent_id: agentId, status: 'success', date_from: '2000-01-01', page: '1', limit: '3' },
    });
    expect(list.conversations.length).toBeGreaterThan(0);
    expect(list.conversations.every((c) => c.agent_id === agentId && c.status === 'success')).toBe(true);

    const id = list.conversations[0]!.id;
    const details = await api.conversations.get(id);
    expect(details.id).toBe(id);
    expect(details.transcript?.length).toBeGreaterThan(0);
    expect(lastRequest(sb)).toMatchObject({ method: 'GET', path: `/api/conversations/${id}` });
  });
});

describe('mcp servers, analytics, calls, voices, webhooks', () => {
  it('mcp servers list and tools', async () => {
    const { servers } = await api.mcpServers.list();
    expect(lastRequest(sb)).toMatchObject({ method: 'GET', path: '/api/mcp-servers' });
    const { tools } = await api.mcpServers.tools(servers[0]!.id);
    expect(tools.length).toBeGreaterThan(0);
    expect(lastRequest(sb)).toMatchObject({
      method: 'GET',
      path: `/api/mcp-servers/${servers[0]!.id}/tools`,
    });
  });

  it('agent analytics with a query', async () => {
    const analytics = await api.analytics.agent(agentId, { period: 'week', date_from: '2000-01-01' });
    expect(analytics.overview.total_calls).toEqual(expect.any(Number));
    expect(lastRequest(sb)).toMatchObject({
      method: 'GET',
      path: `/api/analytics/agent/${agentId}`,
      query: { period: 'week', date_from: '2000-01-01' },
    });
  });

  it('sentiment batch', async () => {
    const texts = ['Great service, very helpful!', 'Terrible experience'];
    const { results } = await api.analytics.sentimentBatch({ texts });
    expect(results.map((r) => r.sentiment)).toEqual(['positive', 'negative']);
    expect(lastRequest(sb)).toMatchObject({
      method: 'POST',
      path: '/api/analytics/sentiment-batch',
      body: { texts },
    });
  });

  it('make call', async () => {
    const call = { agent_id: agentId, phone_number: '+49123456789' };
    const result = await api.calls.make(call);
    expect(result).toMatchObject({ call_id: expect.any(String), status: 'initiated' });
    expect(lastRequest(sb)).toMatchObject({ method: 'POST', path: '/api/make-call', body: call });
  });

  it('voices list', async () => {
    const { voices } = await api.voices.list();
    expect(voices.length).toBeGreaterThan(0);
    expect(lastRequest(sb)).toMatchObject({ method: 'GET', path: '/api/voices/list' });
  });

  it('webhooks configure (the answer never carries the secret)', async () => {
    const body = {
      url: 'https://example.com/hook',
      events: ['conversation.ended' as const],
      secret: 'webhook_secret_key',
    };
    const hook = await api.webhooks.configure(body);
    expect(hook).toMatchObject({ id: expect.any(String), url: body.url, events: body.events });
    expect(JSON.stringify(hook)).not.toContain(body.secret);
    expect(lastRequest(sb)).toMatchObject({ method: 'POST', path: '/api/webhooks', body: { url: body.url } });
  });
});

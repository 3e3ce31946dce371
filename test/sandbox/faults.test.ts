import { describe, expect, it } from 'vitest';
import { api, type Json, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault injection', () => {
  it('fails the next N matching requests with a status, code and Retry-After, before auth', async () => {
    const s = sandbox();
    s.injectFault({ method: 'GET', path: '/api/agents/list', times: 2, status: 503, retryAfter: '2' });
    for (let i = 0; i < 2; i++) {
      const r = await api(s, 'GET', '/api/agents/list', undefined, null);
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('INTERNAL_ERROR');
      expect(r.headers.get('retry-after')).toBe('2');
      expect(r.headers.get('x-request-id')).toBeTruthy();
    }
    expect((await api(s, 'GET', '/api/agents/list')).status).toBe(200);
  });

  it('matches path prefixes and uses the given code, message and field', async () => {
    const s = sandbox();
    s.injectFault({ path: '/api/agents/*', code: 'RESOURCE_LOCKED', message: 'busy', field: 'agent_id' });
    const r = await api(s, 'GET', '/api/agents/agt_bella0001');
    expect(r.status).toBe(409);
    expect(r.json.error).toEqual({ code: 'RESOURCE_LOCKED', message: 'busy', field: 'agent_id' });
    s.injectFault({ path: '/api/verify', status: 429 });
    const rl = await api(s, 'GET', '/api/verify');
    expect(rl.json.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(rl.headers.get('retry-after')).toBe('1');
  });

  it('only matches the given method', async () => {
    const s = sandbox();
    s.injectFault({ method: 'POST', path: '/api/verify', status: 500 });
    expect((await api(s, 'GET', '/api/verify')).status).toBe(200);
    s.clearFaults();
  });

  it('delays, then answers normally', async () => {
    const s = sandbox();
    s.injectFault({ path: '/api/verify', delayMs: 150 });
    const t0 = Date.now();
    const r = await api(s, 'GET', '/api/verify');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(r.status).toBe(200);
  });

  it('resets the connection', async () => {
    const s = sandbox();
    s.injectFault({ path: '/api/verify', reset: true });
    await expect(api(s, 'GET', '/api/verify')).rejects.toThrow();
    const entry = s.requests().at(-1);
    expect(entry).toMatchObject({ path: '/api/verify', status: 0, aborted: false });
    expect((await api(s, 'GET', '/api/verify')).status).toBe(200);
  });

  it('answers malformed bodies: non-json (text/html) and non-envelope', async () => {
    const s = sandbox();
    s.injectFault({ path: '/api/verify', malformed: 'non-json', status: 502 });
    const html = await fetch(`${s.baseUrl}/api/verify`);
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('<html>');
    s.injectFault({ path: '/api/verify', malformed: 'non-envelope' });
    const odd = await api(s, 'GET', '/api/verify');
    expect(odd.status).toBe(200);
    expect(odd.json).toEqual({ hello: 'world' });
  });

  it('is controllable over HTTP: POST/GET/DELETE /__sandbox/faults', async () => {
    const s = sandbox();
    const post = await fetch(`${s.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/api/voices/list', status: 500, times: 3 }),
    });
    expect(post.status).toBe(201);
    const list = (await (await fetch(`${s.url}/__sandbox/faults`)).json()) as Json;
    expect(list.data.faults).toEqual([expect.objectContaining({ path: '/api/voices/list', remaining: 3 })]);
    expect((await api(s, 'GET', '/api/voices/list')).status).toBe(500);
    expect((await fetch(`${s.url}/__sandbox/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await api(s, 'GET', '/api/voices/list')).status).toBe(200);
    const bad = await fetch(`${s.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ malformed: 'weird' }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('request log', () => {
  it('records method, path relative to /v1, query, parsed body and status', async () => {
    const s = sandbox();
    s.clearRequests();
    await api(s, 'GET', '/api/agents/list?status=active&page=1');
    await api(s, 'POST', '/api/analytics/sentiment-batch', { texts: ['nice'] });
    const [a, b] = s.requests();
    expect(a).toMatchObject({
      method: 'GET',
      path: '/api/agents/list',
      query: { status: 'active', page: '1' },
      body: null,
      status: 200,
      aborted: false,
    });
    expect(Number.isNaN(Date.parse(a?.startedAt ?? ''))).toBe(false);
    expect(b).toMatchObject({
      method: 'POST',
      path: '/api/analytics/sentiment-batch',
      body: { texts: ['nice'] },
      status: 200,
    });
    const http = (await (await fetch(`${s.url}/__sandbox/requests`)).json()) as Json;
    expect(http.data.requests).toHaveLength(2);
    await fetch(`${s.url}/__sandbox/requests`, { method: 'DELETE' });
    expect(s.requests()).toHaveLength(0);
  });

  it('marks a request aborted when the client goes away during a delay', async () => {
    const s = sandbox();
    s.clearRequests();
    s.injectFault({ path: '/api/verify', delayMs: 2000 });
    const controller = new AbortController();
    const pending = fetch(`${s.baseUrl}/api/verify`, {
      headers: { authorization: `Bearer ${s.demoKey}` },
      signal: controller.signal,
    });
    await sleep(100);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await sleep(100);
    expect(s.requests()[0]).toMatchObject({ path: '/api/verify', aborted: true, status: 0 });
  });

  it('POST /__sandbox/reset restores the seed', async () => {
    const s = sandbox();
    await api(s, 'DELETE', '/api/agents/agt_bella0001');
    expect((await api(s, 'GET', '/api/agents/agt_bella0001')).status).toBe(404);
    expect((await fetch(`${s.url}/__sandbox/reset`, { method: 'POST' })).status).toBe(200);
    expect((await api(s, 'GET', '/api/agents/agt_bella0001')).status).toBe(200);
  });
});

import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { api, type Json, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

describe('envelope, auth and permissions', () => {
  it('answers GET /api/verify with the documented envelope and an x-request-id', async () => {
    const r = await api(sandbox(), 'GET', '/api/verify');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toMatch(/^req_[a-z0-9]+$/);
    expect(r.json).toMatchObject({
      success: true,
      data: { valid: true, account_id: 'acc_demo001', permissions: ['read', 'write', 'delete'] },
    });
    expect(Number.isNaN(Date.parse(r.json.timestamp))).toBe(false);
  });

  it('rejects a missing or unknown key with 401 INVALID_API_KEY', async () => {
    for (const key of [null, 'vsa_test_nope']) {
      const r = await api(sandbox(), 'GET', '/api/agents/list', undefined, key);
      expect(r.status).toBe(401);
      expect(r.json.success).toBe(false);
      expect(r.json.error.code).toBe('INVALID_API_KEY');
      expect(r.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('lets the read-only key read but not write or delete', async () => {
    const s = sandbox();
    const read = await api(s, 'GET', '/api/agents/list', undefined, s.readOnlyKey);
    expect(read.status).toBe(200);
    const verify = await api(s, 'GET', '/api/verify', undefined, s.readOnlyKey);
    expect(verify.json.data.permissions).toEqual(['read']);
    const write = await api(s, 'POST', '/api/agents/create', { name: 'X' }, s.readOnlyKey);
    expect(write.status).toBe(403);
    expect(write.json.error.code).toBe('INSUFFICIENT_PERMISSIONS');
    const del = await api(s, 'DELETE', '/api/agents/agt_bella0001', undefined, s.readOnlyKey);
    expect(del.status).toBe(403);
    // sentiment-batch is a read despite being a POST
    const sent = await api(s, 'POST', '/api/analytics/sentiment-batch', { texts: ['ok'] }, s.readOnlyKey);
    expect(sent.status).toBe(200);
  });

  it('issues the demo key for the demo account and refuses wrong credentials', async () => {
    const s = sandbox();
    const ok = await api(s, 'POST', '/api/get-api-key', s.demoAccount, null);
    expect(ok.status).toBe(200);
    expect(ok.json.data).toMatchObject({ api_key: s.demoKey, permissions: ['read', 'write', 'delete'] });
    expect(s.demoKey).toMatch(/^vsa_test_[A-Za-z0-9]+$/);
    expect(Date.parse(ok.json.data.expires_at)).toBeGreaterThan(Date.now());
    const bad = await api(s, 'POST', '/api/get-api-key', { ...s.demoAccount, password: 'nope' }, null);
    expect(bad.status).toBe(401);
    expect(bad.json.error).toMatchObject({ code: 'INVALID_API_KEY', message: 'email or password is wrong' });
    const invalid = await api(s, 'POST', '/api/get-api-key', { email: 'not-an-email', password: 'x' }, null);
    expect(invalid.status).toBe(400);
    expect(invalid.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'email' });
  });

  it('never logs the API key or the password', async () => {
    const s = sandbox();
    await api(s, 'POST', '/api/get-api-key', s.demoAccount, null);
    const log = JSON.stringify(s.requests());
    expect(log).not.toContain(s.demoKey);
    expect(log).not.toContain(s.demoAccount.password);
  });

  it('answers unknown routes with 404 RESOURCE_NOT_FOUND field path', async () => {
    const r = await api(sandbox(), 'GET', '/api/does-not-exist');
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: 'RESOURCE_NOT_FOUND', field: 'path' });
    const outside = await fetch(`${sandbox().url}/elsewhere`);
    expect(outside.status).toBe(404);
  });

  it('treats malformed JSON as INVALID_REQUEST and ignores unknown fields', async () => {
    const s = sandbox();
    const res = await fetch(`${s.baseUrl}/api/agents/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.demoKey}`, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error.code).toBe('INVALID_REQUEST');
    const lenient = await api(s, 'POST', '/api/agents/create', { name: 'Lenient', surprise: true });
    expect(lenient.status).toBe(201);
  });

  it('rejects bodies over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const s = sandbox();
    const r = await api(s, 'POST', '/api/knowledge-base/text', {
      agent_id: 'agt_bella0001',
      title: 'Big',
      content: 'x'.repeat(1024 * 1024 + 10),
    });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('stays up on odd input (bad percent-encoding, unknown methods)', async () => {
    const s = sandbox();
    const r = await api(s, 'GET', '/api/agents/%E0%A4%A');
    expect(r.status).toBe(404);
    const patch = await api(s, 'PATCH', '/api/agents/agt_bella0001', {});
    expect(patch.status).toBe(404);
    expect((await api(s, 'GET', '/api/verify')).status).toBe(200);
  });
});

describe('rate limit', () => {
  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After past the per-key limit', async () => {
    const s = await startSandbox({ rateLimitPerMin: 3 });
    try {
      for (let i = 0; i < 3; i++) expect((await api(s, 'GET', '/api/verify')).status).toBe(200);
      const r = await api(s, 'GET', '/api/verify');
      expect(r.status).toBe(429);
      expect(r.json.error.code).toBe('RATE_LIMIT_EXCEEDED');
      const after = Number(r.headers.get('retry-after'));
      expect(after).toBeGreaterThanOrEqual(1);
      expect(after).toBeLessThanOrEqual(60);
      // another key has its own budget
      expect((await api(s, 'GET', '/api/verify', undefined, s.readOnlyKey)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('does not limit when rateLimitPerMin is 0', async () => {
    const s = await startSandbox({ rateLimitPerMin: 0, seed: false });
    try {
      const results = await Promise.all(Array.from({ length: 150 }, () => api(s, 'GET', '/api/verify')));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect((await api(s, 'GET', '/api/agents/list')).json.data.agents).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

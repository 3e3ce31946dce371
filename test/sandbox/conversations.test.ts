import { describe, expect, it } from 'vitest';
import { MAX_FRAMES } from '../../src/sandbox/audio.js';
import { SEED_AGENTS } from '../../src/sandbox/index.js';
import { api, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();
type Conv = { id: string; agent_id: string; status: string; started_at: string };

describe('conversations', () => {
  it('lists ~30 seeded conversations over the last 60 days, newest first, paginated', async () => {
    const s = sandbox();
    const r = await api(s, 'GET', '/api/conversations/list?limit=100');
    expect(r.status).toBe(200);
    const list: Conv[] = r.json.data.conversations;
    expect(list.length).toBeGreaterThanOrEqual(25);
    expect(r.json.data.pagination).toMatchObject({ total: list.length, page: 1, pages: 1 });
    const times = list.map((c) => Date.parse(c.started_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(Math.min(...times)).toBeGreaterThan(Date.now() - 61 * 86_400_000);
    expect(new Set(list.map((c) => c.status))).toEqual(new Set(['success', 'failed']));

    const page = await api(s, 'GET', '/api/conversations/list?limit=10&page=3');
    expect(page.json.data.conversations.map((c: Conv) => c.id)).toEqual(list.slice(20, 30).map((c) => c.id));
    expect(page.json.data.pagination).toMatchObject({ page: 3, pages: Math.ceil(list.length / 10) });
    const dflt = await api(s, 'GET', '/api/conversations/list');
    expect(dflt.json.data.conversations).toHaveLength(20);
  });

  it('filters by agent, status and date range', async () => {
    const s = sandbox();
    const byAgent = await api(
      s,
      'GET',
      `/api/conversations/list?agent_id=${SEED_AGENTS.healthcare}&limit=100`,
    );
    expect(byAgent.json.data.conversations.length).toBeGreaterThan(0);
    expect(byAgent.json.data.conversations.every((c: Conv) => c.agent_id === SEED_AGENTS.healthcare)).toBe(
      true,
    );
    const failed = await api(s, 'GET', '/api/conversations/list?status=failed&limit=100');
    expect(failed.json.data.conversations.every((c: Conv) => c.status === 'failed')).toBe(true);
    const from = new Date(Date.now() - 14 * 86_400_000).toISOString();
    const recent = await api(s, 'GET', `/api/conversations/list?date_from=${from}&limit=100`);
    expect(recent.json.data.conversations.length).toBeGreaterThan(0);
    expect(recent.json.data.conversations.every((c: Conv) => c.started_at >= from.slice(0, 19))).toBe(true);
    const today = new Date().toISOString().slice(0, 10);
    const to = await api(s, 'GET', `/api/conversations/list?date_to=${today}&limit=100`);
    expect(to.json.data.pagination.total).toBeGreaterThanOrEqual(recent.json.data.pagination.total);
    const bad = await api(s, 'GET', '/api/conversations/list?date_from=yesterday-ish');
    expect(bad.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'date_from' });
  });

  it('returns a conversation with transcript and metadata', async () => {
    const s = sandbox();
    const list = await api(
      s,
      'GET',
      `/api/conversations/list?agent_id=${SEED_AGENTS.restaurant}&status=success`,
    );
    const id = list.json.data.conversations[0].id;
    const r = await api(s, 'GET', `/api/conversations/${id}`);
    expect(r.status).toBe(200);
    const c = r.json.data;
    expect(c.transcript.length).toBeGreaterThanOrEqual(3);
    expect(c.transcript[0]).toMatchObject({ speaker: 'agent', timestamp: '00:00:01' });
    expect(c.transcript[1].speaker).toBe('user');
    for (const t of c.transcript) expect(t.timestamp).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(c.metadata).toMatchObject({
      tools_used: expect.any(Array),
      data_collected: expect.any(Object),
      intent: expect.any(String),
    });
    expect(['positive', 'neutral', 'negative']).toContain(c.sentiment);
    expect(c.summary).toEqual(expect.any(String));
    expect(c.audio_url).toBe(`${s.baseUrl}/api/conversations/${id}/audio`);
    const missing = await api(s, 'GET', '/api/conversations/conv_nope');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'RESOURCE_NOT_FOUND', field: 'conversation_id' });
  });

  it('streams the recording as audio/mpeg MPEG-1 Layer III frames', async () => {
    const s = sandbox();
    const id = 'conv_seed0001';
    const detail = await api(s, 'GET', `/api/conversations/${id}`);
    const res = await fetch(`${s.baseUrl}/api/conversations/${id}/audio`, {
      headers: { authorization: `Bearer ${s.demoKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const buf = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(buf.length);
    expect([...buf.subarray(0, 4)]).toEqual([0xff, 0xfb, 0x18, 0xc4]);
    expect(buf.length % 144).toBe(0);
    expect(buf.length / 144).toBe(Math.min(MAX_FRAMES, Math.ceil(detail.json.data.duration / 0.036)));
    expect([...buf.subarray(144, 148)]).toEqual([0xff, 0xfb, 0x18, 0xc4]);
    const r = await api(s, 'GET', '/api/conversations/conv_nope/audio');
    expect(r.status).toBe(404);
  });
});

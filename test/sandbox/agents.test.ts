import { describe, expect, it, vi } from 'vitest';
import { SEED_AGENTS } from '../../src/sandbox/index.js';
import { api, useSandbox } from '../helpers/sandbox.js';

// Training lasts long enough for the checks made during it, even on a loaded machine.
const sandbox = useSandbox({ trainingMs: 1000 });

describe('agents', () => {
  it('lists seeded agents of several industries with pagination', async () => {
    const r = await api(sandbox(), 'GET', '/api/agents/list');
    expect(r.status).toBe(200);
    const { agents, pagination } = r.json.data;
    expect(agents.length).toBeGreaterThanOrEqual(4);
    const industries = agents.map((a: { industry: string }) => a.industry);
    expect(industries).toEqual(expect.arrayContaining(['restaurant', 'healthcare', 'real_estate', 'retail']));
    expect(pagination).toMatchObject({ total: agents.length, page: 1, pages: 1 });
    expect(agents[0].stats).toEqual({ total_calls: expect.any(Number), success_rate: expect.any(Number) });

    const p1 = await api(sandbox(), 'GET', '/api/agents/list?limit=2&page=1');
    const p2 = await api(sandbox(), 'GET', '/api/agents/list?limit=2&page=2');
    expect(p1.json.data.agents).toHaveLength(2);
    expect(p1.json.data.pagination.pages).toBe(Math.ceil(pagination.total / 2));
    expect(p2.json.data.agents[0].id).not.toBe(p1.json.data.agents[0].id);
  });

  it('filters by status and industry, and validates the query', async () => {
    const inactive = await api(sandbox(), 'GET', '/api/agents/list?status=inactive');
    expect(inactive.json.data.agents.map((a: { id: string }) => a.id)).toEqual([SEED_AGENTS.hotel]);
    const health = await api(sandbox(), 'GET', '/api/agents/list?industry=healthcare');
    expect(health.json.data.agents.map((a: { id: string }) => a.id)).toEqual([SEED_AGENTS.healthcare]);
    const bad = await api(sandbox(), 'GET', '/api/agents/list?status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'status' });
    const tooMany = await api(sandbox(), 'GET', '/api/agents/list?limit=101');
    expect(tooMany.json.error.field).toBe('limit');
  });

  it('returns full details of an agent', async () => {
    const r = await api(sandbox(), 'GET', `/api/agents/${SEED_AGENTS.restaurant}`);
    expect(r.status).toBe(200);
    expect(r.json.data).toMatchObject({
      id: SEED_AGENTS.restaurant,
      status: 'active',
      config: {
        voice: { voice_id: expect.any(String) },
        conversation: { first_message: expect.any(String), model: 'gpt-4o' },
        turn_detection: { mode: 'silence' },
      },
      knowledge_base: { items: 3, last_updated: expect.any(String) },
      tools: ['checkAvailability', 'bookAppointment'],
      analytics: {
        total_calls: expect.any(Number),
        success_rate: expect.any(Number),
        avg_duration: expect.any(Number),
      },
    });
  });

  it('answers 404 AGENT_NOT_FOUND with field for every agent operation', async () => {
    const s = sandbox();
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/agents/agt_missing'],
      ['PUT', '/api/agents/agt_missing/update', { name: 'x' }],
      ['DELETE', '/api/agents/agt_missing'],
      ['POST', '/api/agents/agt_missing/chat', { message: 'hi' }],
      ['POST', '/api/agents/agt_missing/assign-tools', { tools: [] }],
      ['GET', '/api/analytics/agent/agt_missing'],
    ];
    for (const [method, path, body] of calls) {
      const r = await api(s, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json.error).toMatchObject({ code: 'AGENT_NOT_FOUND', field: 'agent_id' });
    }
  });

  it('creates an agent (201) that trains, is locked, then becomes active', async () => {
    const s = sandbox();
    const created = await api(s, 'POST', '/api/agents/create', {
      name: 'Medical Assistant',
      description: 'Handles patient inquiries',
      industry: 'healthcare',
      config: { conversation: { first_message: "Hello, Dr. Smith's office", temperature: 0.3 } },
    });
    expect(created.status).toBe(201);
    expect(created.json.data).toMatchObject({ name: 'Medical Assistant', status: 'training' });
    const id = created.json.data.id as string;
    expect(id).toMatch(/^agt_/);

    const lockedUpdate = await api(s, 'PUT', `/api/agents/${id}/update`, { name: 'Too early' });
    expect(lockedUpdate.status).toBe(409);
    expect(lockedUpdate.json.error.code).toBe('RESOURCE_LOCKED');

    const got = await vi.waitFor(
      async () => {
        const r = await api(s, 'GET', `/api/agents/${id}`);
        expect(r.json.data.status).toBe('active');
        return r;
      },
      { timeout: 5000, interval: 50 },
    );
    expect(got.json.data.config.conversation).toMatchObject({
      first_message: "Hello, Dr. Smith's office",
      model: 'gpt-4o',
    });
  });

  it('validates create with the offending field', async () => {
    const r = await api(sandbox(), 'POST', '/api/agents/create', {
      name: 'X',
      config: { voice: { settings: { stability: 3 } } },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'config.voice.settings.stability' });
    const voice = await api(sandbox(), 'POST', '/api/agents/create', {
      name: 'X',
      config: { voice: { voice_id: 'nope' } },
    });
    expect(voice.json.error.field).toBe('config.voice.voice_id');
  });

  it('updates with a deep merge and can deactivate', async () => {
    const s = sandbox();
    const r = await api(s, 'PUT', `/api/agents/${SEED_AGENTS.retail}/update`, {
      name: 'Urban Threads Care',
      config: { conversation: { temperature: 0.4 } },
    });
    expect(r.status).toBe(200);
    expect(r.json.data.name).toBe('Urban Threads Care');
    expect(r.json.data.config.conversation).toMatchObject({ temperature: 0.4, model: 'gpt-4o-mini' });
    expect(r.json.data.config.conversation.first_message).toContain('Urban Threads');
    const off = await api(s, 'PUT', `/api/agents/${SEED_AGENTS.retail}/update`, { status: 'inactive' });
    expect(off.json.data.status).toBe('inactive');
    await api(s, 'PUT', `/api/agents/${SEED_AGENTS.retail}/update`, { status: 'active' });
  });

  it('deletes an agent', async () => {
    const s = sandbox();
    const created = await api(s, 'POST', '/api/agents/create', { name: 'Temp' });
    const id = created.json.data.id;
    const del = await api(s, 'DELETE', `/api/agents/${id}`);
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({ success: true, message: 'Agent deleted successfully' });
    expect((await api(s, 'GET', `/api/agents/${id}`)).status).toBe(404);
  });

  it('assigns tools offered by MCP servers and rejects unknown ones', async () => {
    const s = sandbox();
    const ok = await api(s, 'POST', `/api/agents/${SEED_AGENTS.realEstate}/assign-tools`, {
      tools: ['bookAppointment', 'createLead', 'sendSms'],
    });
    expect(ok.status).toBe(200);
    expect(ok.json.data).toEqual({
      agent_id: SEED_AGENTS.realEstate,
      tools: ['bookAppointment', 'createLead', 'sendSms'],
    });
    const bad = await api(s, 'POST', `/api/agents/${SEED_AGENTS.realEstate}/assign-tools`, {
      tools: ['bookAppointment', 'launchRocket'],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('tools.1');
  });
});

describe('chat', () => {
  it('answers from knowledge-base text added through the API', async () => {
    const s = sandbox();
    const kb = await api(s, 'POST', '/api/knowledge-base/text', {
      agent_id: SEED_AGENTS.healthcare,
      title: 'Parking',
      content:
        'Free parking for patients is available in the courtyard behind the building. Bicycles can be left at the entrance.',
    });
    expect(kb.status).toBe(201);
    const r = await api(s, 'POST', `/api/agents/${SEED_AGENTS.healthcare}/chat`, {
      message: 'Where can I park my car?',
      context: { user_name: 'John' },
    });
    expect(r.status).toBe(200);
    expect(r.json.data.response).toContain('courtyard');
    expect(r.json.data.confidence).toBeGreaterThan(0.6);
    expect(r.json.data.session_id).toMatch(/^sess_/);
    expect(r.json.data.tools_used).toEqual([]);
  });

  it('keeps the session id and admits ignorance with low confidence', async () => {
    const s = sandbox();
    const r = await api(s, 'POST', `/api/agents/${SEED_AGENTS.restaurant}/chat`, {
      message: 'What is the airspeed velocity of an unladen swallow?',
      session_id: 'sess_mine',
    });
    expect(r.json.data.session_id).toBe('sess_mine');
    expect(r.json.data.confidence).toBeLessThan(0.5);
    expect(r.json.data.response).toMatch(/don't have information/);
    const hi = await api(s, 'POST', `/api/agents/${SEED_AGENTS.restaurant}/chat`, {
      message: 'Hello!',
      session_id: 'sess_mine',
    });
    expect(hi.json.data.response).toContain('Bella Napoli');
  });

  it('reports tools used when the message calls for an assigned tool', async () => {
    const r = await api(sandbox(), 'POST', `/api/agents/${SEED_AGENTS.restaurant}/chat`, {
      message: 'I would like to book a table for tomorrow',
    });
    expect(r.json.data.tools_used).toContain('bookAppointment');
  });

  it('validates the chat request', async () => {
    const r = await api(sandbox(), 'POST', `/api/agents/${SEED_AGENTS.restaurant}/chat`, { message: '' });
    expect(r.status).toBe(400);
    expect(r.json.error.field).toBe('message');
  });
});

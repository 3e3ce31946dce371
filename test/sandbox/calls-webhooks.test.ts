import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_AGENTS, startSandbox } from '../../src/sandbox/index.js';
import { isLoopbackUrl } from '../../src/sandbox/webhooks.js';
import { api, useSandbox } from '../helpers/sandbox.js';

const SECRET = 'whsec_test_secret_123';
interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: { id: string; event: string; timestamp: string; data: Record<string, unknown> };
}
const received: Delivery[] = [];
let receiver: Server;
let receiverUrl = '';
let failFirst = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failFirst > 0) {
        failFirst--;
        res.writeHead(503).end();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

// A call stays `ongoing` (and a new agent `training`) long enough for the checks made
// meanwhile, even on a loaded machine.
const sandbox = useSandbox({ trainingMs: 1000, callMs: 1000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}
const events = (name: string) => received.filter((d) => d.body.event === name);

describe('webhooks and calls', () => {
  it('configures a webhook (201) without echoing the secret, and validates', async () => {
    const s = sandbox();
    const r = await api(s, 'POST', '/api/webhooks', {
      url: receiverUrl,
      events: [
        'conversation.started',
        'conversation.ended',
        'conversation.failed',
        'agent.created',
        'agent.updated',
        'tool.executed',
      ],
      secret: SECRET,
    });
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({ id: expect.stringMatching(/^wh_/), url: receiverUrl });
    expect(JSON.stringify(r.json)).not.toContain(SECRET);
    const bad = await api(s, 'POST', '/api/webhooks', { url: receiverUrl, events: ['agent.exploded'] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('events.0');
  });

  it('make-call creates an ongoing conversation that ends with a transcript; signed webhooks follow', async () => {
    const s = sandbox();
    const r = await api(s, 'POST', '/api/make-call', {
      agent_id: SEED_AGENTS.restaurant,
      phone_number: '+49123456789',
    });
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({ call_id: expect.stringMatching(/^call_/), status: 'initiated' });
    const convId = r.json.data.conversation_id as string;

    const ongoing = await api(s, 'GET', `/api/conversations/${convId}`);
    expect(ongoing.json.data).toMatchObject({
      status: 'ongoing',
      agent_id: SEED_AGENTS.restaurant,
      audio_url: null,
    });
    const listed = await api(s, 'GET', '/api/conversations/list?status=ongoing');
    expect(listed.json.data.conversations.map((c: { id: string }) => c.id)).toContain(convId);
    const audio = await api(s, 'GET', `/api/conversations/${convId}/audio`);
    expect(audio.status).toBe(409);

    const ended = await waitFor(() =>
      events('conversation.ended').find((d) => d.body.data.conversation_id === convId),
    );
    const started = events('conversation.started').find((d) => d.body.data.conversation_id === convId);
    expect(started).toBeDefined();
    expect(received.indexOf(started as Delivery)).toBeLessThan(received.indexOf(ended));
    expect(ended.body.data).toMatchObject({
      agent_id: SEED_AGENTS.restaurant,
      status: 'success',
      duration: expect.any(Number),
    });

    // signature: sha256=<hex HMAC of the raw body>
    const expected = `sha256=${createHmac('sha256', SECRET).update(ended.raw).digest('hex')}`;
    expect(ended.headers['x-voisa-signature']).toBe(expected);
    expect(ended.headers['x-voisa-event-id']).toBe(ended.body.id);
    expect(ended.headers['x-voisa-event']).toBe('conversation.ended');

    const done = await api(s, 'GET', `/api/conversations/${convId}`);
    const c = done.json.data;
    expect(c.status).toBe('success');
    expect(c.transcript.length).toBeGreaterThanOrEqual(4);
    expect(c.transcript[0].text).toContain('Bella Napoli');
    expect(c.duration).toBeGreaterThan(0);
    expect(c.ended_at).toEqual(expect.any(String));
    expect(['positive', 'neutral', 'negative']).toContain(c.sentiment);
    expect(c.summary).toEqual(expect.any(String));
    expect(c.metadata.data_collected.phone_number).toBe('+49123456789');
  });

  it('a number ending in 0000 fails: conversation.failed and status failed', async () => {
    const s = sandbox();
    const r = await api(s, 'POST', '/api/make-call', {
      agent_id: SEED_AGENTS.retail,
      phone_number: '+4915100000000',
    });
    const convId = r.json.data.conversation_id;
    await waitFor(() => events('conversation.failed').find((d) => d.body.data.conversation_id === convId));
    const c = await api(s, 'GET', `/api/conversations/${convId}`);
    expect(c.json.data.status).toBe('failed');
  });

  it('make-call validates the number and the agent state', async () => {
    const s = sandbox();
    const badNumber = await api(s, 'POST', '/api/make-call', {
      agent_id: SEED_AGENTS.retail,
      phone_number: '0171 123',
    });
    expect(badNumber.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'phone_number' });
    const unknown = await api(s, 'POST', '/api/make-call', {
      agent_id: 'agt_none',
      phone_number: '+49123456789',
    });
    expect(unknown.json.error).toMatchObject({ code: 'AGENT_NOT_FOUND', field: 'agent_id' });
    const inactive = await api(s, 'POST', '/api/make-call', {
      agent_id: SEED_AGENTS.hotel,
      phone_number: '+49123456789',
    });
    expect(inactive.status).toBe(400);
    expect(inactive.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'agent_id' });
    const created = await api(s, 'POST', '/api/agents/create', { name: 'Fresh', industry: 'retail' });
    const training = await api(s, 'POST', '/api/make-call', {
      agent_id: created.json.data.id,
      phone_number: '+49123456789',
    });
    expect(training.status).toBe(409);
    expect(training.json.error.code).toBe('RESOURCE_LOCKED');
  });

  it('sends agent.created and agent.updated (when training ends and on update)', async () => {
    const s = sandbox();
    const created = await api(s, 'POST', '/api/agents/create', { name: 'Hooked', industry: 'restaurant' });
    const id = created.json.data.id;
    await waitFor(() => events('agent.created').find((d) => d.body.data.agent_id === id));
    const trained = await waitFor(() =>
      events('agent.updated').find((d) => d.body.data.agent_id === id && d.body.data.status === 'active'),
    );
    expect(trained.body.timestamp).toEqual(expect.any(String));
    await api(s, 'PUT', `/api/agents/${id}/update`, { description: 'now with description' });
    await waitFor(() =>
      events('agent.updated').find(
        (d) => d.body.data.agent_id === id && (d.body.data.changes as string[]).includes('description'),
      ),
    );
  });

  it('retries a failing delivery', async () => {
    const s = sandbox();
    failFirst = 1;
    const created = await api(s, 'POST', '/api/agents/create', { name: 'Retry me' });
    const id = created.json.data.id;
    const got = await waitFor(() => events('agent.created').find((d) => d.body.data.agent_id === id));
    expect(got.body.event).toBe('agent.created');
    expect(failFirst).toBe(0);
  });

  it('emits tool.executed when a chat uses a tool', async () => {
    const s = sandbox();
    await api(s, 'POST', `/api/agents/${SEED_AGENTS.restaurant}/chat`, {
      message: 'Please book a table for two',
      session_id: 'sess_tool',
    });
    const d = await waitFor(() =>
      events('tool.executed').find((e) => e.body.data.session_id === 'sess_tool'),
    );
    expect(d.body.data).toMatchObject({ tool: 'bookAppointment', agent_id: SEED_AGENTS.restaurant });
  });

  it('delivers to webhooks preconfigured in the options (unsigned without a secret)', async () => {
    const s2 = await startSandbox({
      webhooks: [{ url: receiverUrl, events: ['agent.created'] }],
      trainingMs: 50,
    });
    try {
      const created = await api(s2, 'POST', '/api/agents/create', { name: 'Preconfigured' });
      const id = created.json.data.id;
      const d = await waitFor(() => events('agent.created').find((e) => e.body.data.agent_id === id));
      expect(d.headers['x-voisa-signature']).toBeUndefined();
      expect(d.headers['x-voisa-event-id']).toBe(d.body.id);
    } finally {
      await s2.close();
    }
  });

  it('referenceShape: make-call answers only call_id and status; webhooks carry no call_id', async () => {
    const s2 = await startSandbox({
      referenceShape: true,
      callMs: 50,
      webhooks: [{ url: receiverUrl, events: ['conversation.started', 'conversation.ended'] }],
    });
    try {
      const made = await api(s2, 'POST', '/api/make-call', {
        agent_id: SEED_AGENTS.restaurant,
        phone_number: '+49170111222',
      });
      expect(made.status).toBe(201);
      expect(made.json.data).toEqual({ call_id: expect.stringMatching(/^call_/), status: 'initiated' });
      const started = await waitFor(() =>
        events('conversation.started').find((e) => e.body.data.phone_number === '+49170111222'),
      );
      const ended = await waitFor(() =>
        events('conversation.ended').find(
          (e) => e.body.data.conversation_id === started.body.data.conversation_id,
        ),
      );
      expect(started.body.data).not.toHaveProperty('call_id');
      expect(ended.body.data).not.toHaveProperty('call_id');
    } finally {
      await s2.close();
    }
  });

  it('survives unreachable webhook URLs', async () => {
    const s = sandbox();
    await api(s, 'POST', '/api/webhooks', { url: 'http://127.0.0.1:1/nowhere', events: ['agent.created'] });
    const r = await api(s, 'POST', '/api/agents/create', { name: 'Nobody listens' });
    expect(r.status).toBe(201);
    await sleep(50);
    expect((await api(s, 'GET', '/api/verify')).status).toBe(200);
  });
});

describe('analytics', () => {
  it('is consistent with the stored conversations', async () => {
    const s = sandbox();
    const agent = SEED_AGENTS.healthcare;
    const from = new Date(Date.now() - 60 * 86_400_000).toISOString();
    const to = new Date().toISOString();
    const a = await api(s, 'GET', `/api/analytics/agent/${agent}?date_from=${from}&date_to=${to}`);
    expect(a.status).toBe(200);
    const list = await api(
      s,
      'GET',
      `/api/conversations/list?agent_id=${agent}&date_from=${from}&date_to=${to}&limit=100`,
    );
    const convs: { status: string; duration: number; sentiment: string }[] = list.json.data.conversations;
    const ended = convs.filter((c) => c.status !== 'ongoing');
    const { overview, timeline, top_intents, sentiment } = a.json.data;
    expect(overview.total_calls).toBe(convs.length);
    expect(overview.total_duration).toBe(ended.reduce((n, c) => n + c.duration, 0));
    expect(overview.success_rate).toBeCloseTo(
      ended.filter((c) => c.status === 'success').length / ended.length,
      2,
    );
    expect(timeline.reduce((n: number, t: { calls: number }) => n + t.calls, 0)).toBe(convs.length);
    for (const t of timeline) expect(t.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(top_intents.reduce((n: number, t: { count: number }) => n + t.count, 0)).toBe(convs.length);
    expect(sentiment.positive + sentiment.neutral + sentiment.negative).toBeCloseTo(1, 1);
    expect(sentiment.positive).toBeCloseTo(
      convs.filter((c) => c.sentiment === 'positive').length / convs.length,
      2,
    );
  });

  it('honours period (week < month, year buckets by month) and validates', async () => {
    const s = sandbox();
    const agent = SEED_AGENTS.restaurant;
    const week = await api(s, 'GET', `/api/analytics/agent/${agent}?period=week`);
    const month = await api(s, 'GET', `/api/analytics/agent/${agent}?period=month`);
    const year = await api(s, 'GET', `/api/analytics/agent/${agent}?period=year`);
    expect(week.json.data.overview.total_calls).toBeLessThanOrEqual(month.json.data.overview.total_calls);
    expect(month.json.data.overview.total_calls).toBeLessThanOrEqual(year.json.data.overview.total_calls);
    for (const t of year.json.data.timeline) expect(t.date).toMatch(/^\d{4}-\d{2}$/);
    const bad = await api(s, 'GET', `/api/analytics/agent/${agent}?period=decade`);
    expect(bad.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'period' });
    const reversed = await api(
      s,
      'GET',
      `/api/analytics/agent/${agent}?date_from=2025-02-01&date_to=2025-01-01`,
    );
    expect(reversed.status).toBe(400);
  });
});

describe('webhook targets', () => {
  it('are loopback only unless external webhooks are allowed', () => {
    for (const url of [
      'http://127.0.0.1:3000/hook',
      'http://localhost/x',
      'http://[::1]:9/h',
      'https://127.5.6.7/',
    ]) {
      expect(isLoopbackUrl(url), url).toBe(true);
    }
    for (const url of [
      'https://example.com/hook',
      'http://10.0.0.1/h',
      'http://192.168.1.2/',
      'not a url',
      'http://127.0.0.1.example.com/',
    ]) {
      expect(isLoopbackUrl(url), url).toBe(false);
    }
  });
});

/**
 * Several accounts in one sandbox (issue 19 point 4): each key sees only its own account's
 * records; another account's id answers exactly as a missing one (never 403); ids never overlap;
 * webhooks, faults, key revocation and the request log are per account.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_ACCOUNT_ID,
  DEMO_KEY,
  READ_ONLY_KEY,
  type Sandbox,
  SECOND_ACCOUNT,
  SECOND_ACCOUNT_ID,
  SECOND_KEY,
  SECOND_SEED_AGENTS,
  SEED_AGENTS,
} from '../../src/sandbox/index.js';
import { Accounts } from '../../src/sandbox/store.js';
import { api, control, type Json, startWebhookReceiver, useSandbox, waitFor } from '../helpers/sandbox.js';

/** Everything an account can list, by kind: the ids it sees. */
async function visibleIds(s: Sandbox, key: string) {
  const [agents, kb, convs, servers] = await Promise.all([
    api(s, 'GET', '/api/agents/list?limit=100', undefined, key),
    api(s, 'GET', '/api/knowledge-base/list', undefined, key),
    api(s, 'GET', '/api/conversations/list?limit=100', undefined, key),
    api(s, 'GET', '/api/mcp-servers', undefined, key),
  ]);
  for (const r of [agents, kb, convs, servers]) expect(r.status).toBe(200);
  return {
    agents: agents.json.data.agents.map((a: Json) => a.id) as string[],
    kb: kb.json.data.items as { id: string; agent_id: string }[],
    conversations: convs.json.data.conversations as { id: string; agent_id: string }[],
    servers: servers.json.data.servers.map((x: Json) => x.id) as string[],
  };
}

function allIds(v: Awaited<ReturnType<typeof visibleIds>>): string[] {
  return [...v.agents, ...v.kb.map((k) => k.id), ...v.conversations.map((c) => c.id), ...v.servers];
}

describe('two accounts in one sandbox', () => {
  const sandbox = useSandbox();

  it('signs the second account in: get-api-key gives SECOND_KEY, verify names its account', async () => {
    const s = sandbox();
    expect(s.secondKey).toBe(SECOND_KEY);
    expect(s.secondAccount).toEqual(SECOND_ACCOUNT);
    const r = await api(s, 'POST', '/api/get-api-key', { ...SECOND_ACCOUNT }, null);
    expect(r.status).toBe(200);
    expect(r.json.data).toMatchObject({ api_key: SECOND_KEY, permissions: ['read', 'write', 'delete'] });
    const first = await api(s, 'POST', '/api/get-api-key', { ...s.demoAccount }, null);
    expect(first.json.data.api_key).toBe(DEMO_KEY);
    const wrong = await api(s, 'POST', '/api/get-api-key', { ...SECOND_ACCOUNT, password: 'x' }, null);
    expect(wrong.status).toBe(401);
    const v2 = await api(s, 'GET', '/api/verify', undefined, SECOND_KEY);
    expect(v2.json.data).toMatchObject({ valid: true, account_id: SECOND_ACCOUNT_ID });
    const v1 = await api(s, 'GET', '/api/verify', undefined, READ_ONLY_KEY);
    expect(v1.json.data).toMatchObject({ valid: true, account_id: DEMO_ACCOUNT_ID });
  });

  it('lists only the caller account: agents, knowledge base, conversations, MCP servers', async () => {
    const s = sandbox();
    const one = await visibleIds(s, DEMO_KEY);
    const two = await visibleIds(s, SECOND_KEY);
    expect(one.agents.sort()).toEqual(Object.values(SEED_AGENTS).sort());
    expect(two.agents.sort()).toEqual(Object.values(SECOND_SEED_AGENTS).sort());
    expect(one.kb).toHaveLength(10);
    expect(one.conversations).toHaveLength(30);
    expect(two.kb.length).toBeGreaterThanOrEqual(4);
    expect(two.conversations.length).toBeGreaterThanOrEqual(10);
    for (const k of two.kb) expect(two.agents).toContain(k.agent_id);
    for (const c of two.conversations) expect(two.agents).toContain(c.agent_id);
    // The second account has its own calls with transcripts, on both its industries, and recordings.
    const industries = await Promise.all(
      two.agents.map(async (id) => (await api(s, 'GET', `/api/agents/${id}`, undefined, SECOND_KEY)).json),
    );
    expect(new Set(industries.map((a) => a.data.industry)).size).toBeGreaterThanOrEqual(2);
    const answered = await Promise.all(
      two.conversations.map(
        async (c) => (await api(s, 'GET', `/api/conversations/${c.id}`, undefined, SECOND_KEY)).json.data,
      ),
    );
    const long = answered.filter((c) => c.transcript.length >= 4);
    expect(new Set(long.map((c) => c.agent_id)).size).toBeGreaterThanOrEqual(2);
    const audio = await fetch(`${s.baseUrl}/api/conversations/${long[0].id}/audio`, {
      headers: { authorization: `Bearer ${SECOND_KEY}` },
    });
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toBe('audio/mpeg');
    expect((await audio.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    // Filtering by another account's agent finds nothing.
    const foreign = await api(
      s,
      'GET',
      `/api/conversations/list?agent_id=${SEED_AGENTS.restaurant}`,
      undefined,
      SECOND_KEY,
    );
    expect(foreign.json.data.pagination.total).toBe(0);
    const foreignKb = await api(
      s,
      'GET',
      `/api/knowledge-base/list?agent_id=${SEED_AGENTS.restaurant}`,
      undefined,
      SECOND_KEY,
    );
    expect(foreignKb.json.data.total).toBe(0);
  });

  /** Requests that name one record of another account; `id` is the foreign (or a missing) id. */
  const crossCases: {
    name: string;
    kind: 'agent' | 'kb' | 'conv' | 'mcp';
    run(id: string): [string, string, unknown?];
  }[] = [
    { name: 'read an agent', kind: 'agent', run: (id) => ['GET', `/api/agents/${id}`] },
    {
      name: 'update an agent',
      kind: 'agent',
      run: (id) => ['PUT', `/api/agents/${id}/update`, { name: 'Hijacked' }],
    },
    { name: 'delete an agent', kind: 'agent', run: (id) => ['DELETE', `/api/agents/${id}`] },
    {
      name: 'chat with an agent',
      kind: 'agent',
      run: (id) => ['POST', `/api/agents/${id}/chat`, { message: 'What are your opening hours?' }],
    },
    {
      name: 'assign tools',
      kind: 'agent',
      run: (id) => ['POST', `/api/agents/${id}/assign-tools`, { tools: ['sendSms'] }],
    },
    { name: 'read analytics', kind: 'agent', run: (id) => ['GET', `/api/analytics/agent/${id}`] },
    {
      name: 'make a call',
      kind: 'agent',
      run: (id) => ['POST', '/api/make-call', { agent_id: id, phone_number: '+4915112345678' }],
    },
    {
      name: 'add kb text',
      kind: 'agent',
      run: (id) => ['POST', '/api/knowledge-base/text', { agent_id: id, title: 'Leak', content: 'x' }],
    },
    {
      name: 'add a kb url',
      kind: 'agent',
      run: (id) => ['POST', '/api/knowledge-base/url', { agent_id: id, url: 'https://example.com/x' }],
    },
    { name: 'delete a kb item', kind: 'kb', run: (id) => ['DELETE', `/api/knowledge-base/${id}`] },
    {
      name: 'read a conversation (transcript)',
      kind: 'conv',
      run: (id) => ['GET', `/api/conversations/${id}`],
    },
    { name: 'download a recording', kind: 'conv', run: (id) => ['GET', `/api/conversations/${id}/audio`] },
    { name: "list an MCP server's tools", kind: 'mcp', run: (id) => ['GET', `/api/mcp-servers/${id}/tools`] },
  ];
  const missing = { agent: 'agt_nope00001', kb: 'kb_nope00001', conv: 'conv_nope0001', mcp: 'mcp_nope00001' };
  const sides = [
    {
      caller: 'the second account',
      key: SECOND_KEY,
      ownerKey: DEMO_KEY,
      ids: {
        agent: SEED_AGENTS.restaurant,
        kb: 'kb_hours0001',
        conv: 'conv_seed0001',
        mcp: 'mcp_calendar01',
      },
    },
    {
      caller: 'the demo account',
      key: DEMO_KEY,
      ownerKey: SECOND_KEY,
      ids: {
        agent: SECOND_SEED_AGENTS.restaurant,
        kb: 'kb_harbor201',
        conv: 'conv_sec20001',
        mcp: 'mcp_bookings21',
      },
    },
  ];

  async function ownerView(s: Sandbox, key: string, ids: (typeof sides)[number]['ids']) {
    const [agent, kb, conv, convs, tools, servers] = await Promise.all([
      api(s, 'GET', `/api/agents/${ids.agent}`, undefined, key),
      api(s, 'GET', '/api/knowledge-base/list', undefined, key),
      api(s, 'GET', `/api/conversations/${ids.conv}`, undefined, key),
      api(s, 'GET', '/api/conversations/list?limit=100', undefined, key),
      api(s, 'GET', `/api/mcp-servers/${ids.mcp}/tools`, undefined, key),
      api(s, 'GET', '/api/mcp-servers', undefined, key),
    ]);
    return [agent, kb, conv, convs, tools, servers].map((r) => ({ status: r.status, data: r.json.data }));
  }

  for (const side of sides) {
    it(`answers ${side.caller} 404 for another account's records, exactly as for missing ones, and changes nothing`, async () => {
      const s = sandbox();
      const before = await ownerView(s, side.ownerKey, side.ids);
      expect(before.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      for (const c of crossCases) {
        const foreignId = side.ids[c.kind];
        const [method, path, body] = c.run(foreignId);
        const got = await api(s, method, path, body, side.key);
        const [m2, p2, b2] = c.run(missing[c.kind]);
        const miss = await api(s, m2, p2, b2, side.key);
        expect(got.status, c.name).toBe(404);
        expect(miss.status, c.name).toBe(404);
        expect(got.json.success, c.name).toBe(false);
        expect(got.json.error.code, c.name).toMatch(/^(AGENT_NOT_FOUND|RESOURCE_NOT_FOUND)$/);
        expect(
          { ...got.json.error, message: got.json.error.message.replaceAll(foreignId, missing[c.kind]) },
          c.name,
        ).toEqual(miss.json.error);
      }
      // A kb file upload for another account's agent is refused the same way.
      const upload = (agentId: string) => {
        const form = new FormData();
        form.set('agent_id', agentId);
        form.set('file', new Blob(['Secret notes'], { type: 'text/plain' }), 'notes.txt');
        return api(s, 'POST', '/api/knowledge-base/file', form, side.key);
      };
      const up = await upload(side.ids.agent);
      expect(up.status).toBe(404);
      expect(up.json.error.code).toBe((await upload(missing.agent)).json.error.code);
      // The owner's records are untouched (no update, delete, kb item, call, tool change).
      expect(await ownerView(s, side.ownerKey, side.ids)).toEqual(before);
    });
  }

  it('keeps custom voices per account: another account cannot list or use them', async () => {
    const s = sandbox();
    const form = new FormData();
    form.set('name', 'Private Voice');
    form.append('audio_samples', new Blob([new Uint8Array(2048)], { type: 'audio/mpeg' }), 's1.mp3');
    const made = await api(s, 'POST', '/api/voice/create', form, DEMO_KEY);
    expect(made.status).toBe(201);
    const voiceId = made.json.data.id as string;
    const listOf = async (key: string) =>
      (await api(s, 'GET', '/api/voices/list', undefined, key)).json.data.voices.map((v: Json) => v.id);
    expect(await listOf(DEMO_KEY)).toContain(voiceId);
    expect(await listOf(SECOND_KEY)).not.toContain(voiceId);
    const create = (voice: string) =>
      api(s, 'POST', '/api/agents/create', { name: 'V', config: { voice: { voice_id: voice } } }, SECOND_KEY);
    const foreign = await create(voiceId);
    const unknown = await create('voice_nope0001');
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.message.replace(voiceId, 'voice_nope0001')).toBe(unknown.json.error.message);
  });

  it('never gives two accounts the same id: seeded or created', async () => {
    const s = sandbox();
    const seededOne = allIds(await visibleIds(s, DEMO_KEY));
    const seededTwo = allIds(await visibleIds(s, SECOND_KEY));
    expect(seededOne.filter((id) => seededTwo.includes(id))).toEqual([]);
    const created: Record<string, string[]> = { [DEMO_KEY]: [], [SECOND_KEY]: [] };
    const agentOf: Record<string, string> = {
      [DEMO_KEY]: SEED_AGENTS.restaurant,
      [SECOND_KEY]: SECOND_SEED_AGENTS.restaurant,
    };
    for (const key of [DEMO_KEY, SECOND_KEY]) {
      for (let i = 0; i < 5; i++) {
        const a = await api(s, 'POST', '/api/agents/create', { name: `Agent ${i}` }, key);
        const k = await api(
          s,
          'POST',
          '/api/knowledge-base/text',
          { agent_id: agentOf[key], title: 't', content: 'c' },
          key,
        );
        const c = await api(
          s,
          'POST',
          '/api/make-call',
          { agent_id: agentOf[key], phone_number: '+4915112345678' },
          key,
        );
        expect([a.status, k.status, c.status]).toEqual([201, 201, 201]);
        created[key]?.push(a.json.data.id, k.json.data.id, c.json.data.conversation_id);
      }
    }
    const one = allIds(await visibleIds(s, DEMO_KEY));
    const two = allIds(await visibleIds(s, SECOND_KEY));
    expect(one.filter((id) => two.includes(id))).toEqual([]);
    for (const id of created[DEMO_KEY] ?? []) expect(one).toContain(id);
    for (const id of created[SECOND_KEY] ?? []) expect(two).toContain(id);
  });

  it('the id generator skips every id any account already uses', () => {
    // One-character ids: 36 possible. With 35 taken across two accounts, only one is left.
    const accounts = new Accounts();
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const a = accounts.store('acc_a');
    const b = accounts.store('acc_b');
    [...alphabet.slice(1)].forEach((ch, i) => {
      const id = `x_${ch}`;
      (i % 2 ? a : b).agents.set(id, { id } as never);
    });
    expect(b.newId('x', 1)).toBe('x_a');
  });
});

describe('webhooks per account', () => {
  const sandbox = useSandbox({ trainingMs: 200, callMs: 300 });
  let one: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let two: Awaited<ReturnType<typeof startWebhookReceiver>>;
  beforeAll(async () => {
    [one, two] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  it("delivers each account's events only to its own URL, signed with its own secret", async () => {
    const s = sandbox();
    const events = [
      'conversation.started',
      'conversation.ended',
      'agent.created',
      'agent.updated',
      'tool.executed',
    ];
    const secrets = { one: 'whsec_account_one', two: 'whsec_account_two' };
    expect(
      (await api(s, 'POST', '/api/webhooks', { url: one.url, events, secret: secrets.one }, DEMO_KEY)).status,
    ).toBe(201);
    expect(
      (await api(s, 'POST', '/api/webhooks', { url: two.url, events, secret: secrets.two }, SECOND_KEY))
        .status,
    ).toBe(201);

    const activity = async (key: string, agentId: string) => {
      const agent = await api(s, 'POST', '/api/agents/create', { name: 'Webhook probe' }, key);
      const call = await api(
        s,
        'POST',
        '/api/make-call',
        { agent_id: agentId, phone_number: '+4915112345678' },
        key,
      );
      const chat = await api(
        s,
        'POST',
        `/api/agents/${agentId}/chat`,
        { message: 'Can I book a table for two?' },
        key,
      );
      expect([agent.status, call.status, chat.status]).toEqual([201, 201, 200]);
      return {
        agentId: agent.json.data.id as string,
        conversationId: call.json.data.conversation_id as string,
      };
    };
    const mine = await activity(DEMO_KEY, SEED_AGENTS.restaurant);
    const theirs = await activity(SECOND_KEY, SECOND_SEED_AGENTS.restaurant);
    const ended = (r: typeof one, id: string) =>
      r.received.find((d) => d.body.event === 'conversation.ended' && d.body.data.conversation_id === id);
    const trained = (r: typeof one, id: string) =>
      r.received.find((d) => d.body.event === 'agent.updated' && d.body.data.agent_id === id);
    await waitFor(() => ended(one, mine.conversationId));
    await waitFor(() => ended(two, theirs.conversationId));
    await waitFor(() => trained(one, mine.agentId));
    await waitFor(() => trained(two, theirs.agentId));

    const ownAgents = {
      one: [...Object.values(SEED_AGENTS), mine.agentId] as string[],
      two: [...Object.values(SECOND_SEED_AGENTS), theirs.agentId] as string[],
    };
    for (const [name, r] of [
      ['one', one],
      ['two', two],
    ] as const) {
      const other = name === 'one' ? 'two' : 'one';
      expect(r.received.length).toBeGreaterThanOrEqual(4);
      for (const d of r.received) {
        const sig = d.headers['x-voisa-signature'];
        expect(sig).toBe(`sha256=${createHmac('sha256', secrets[name]).update(d.raw).digest('hex')}`);
        expect(sig).not.toBe(`sha256=${createHmac('sha256', secrets[other]).update(d.raw).digest('hex')}`);
        expect(ownAgents[name]).toContain(d.body.data.agent_id);
        expect(ownAgents[other]).not.toContain(d.body.data.agent_id);
      }
    }
    expect(one.received.some((d) => d.body.data.conversation_id === theirs.conversationId)).toBe(false);
    expect(two.received.some((d) => d.body.data.conversation_id === mine.conversationId)).toBe(false);
  });
});

describe('control API: faults per account or key, key revocation, request log', () => {
  const sandbox = useSandbox();

  it('limits a fault to one account: the other account neither sees nor consumes it', async () => {
    const s = sandbox();
    const armed = await control(s, 'POST', '/faults', {
      delayMs: 3000,
      path: '/api/agents/*',
      account_id: DEMO_ACCOUNT_ID,
      times: 40,
    });
    expect(armed.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect((await api(s, 'GET', '/api/agents/list', undefined, SECOND_KEY)).status).toBe(200);
    }
    expect((await control(s, 'GET', '/faults')).json.data.faults).toEqual([
      expect.objectContaining({ account_id: DEMO_ACCOUNT_ID, remaining: 40 }),
    ]);
    expect((await control(s, 'DELETE', '/faults')).status).toBe(200);

    await control(s, 'POST', '/faults', { path: '/api/agents/*', account_id: DEMO_ACCOUNT_ID, status: 503 });
    expect((await api(s, 'GET', '/api/agents/list', undefined, SECOND_KEY)).status).toBe(200);
    // Any key of the demo account matches, the read-only one too.
    expect((await api(s, 'GET', '/api/agents/list', undefined, READ_ONLY_KEY)).status).toBe(503);
    expect((await api(s, 'GET', '/api/agents/list', undefined, DEMO_KEY)).status).toBe(200);
  });

  it('limits a fault to one key, and never shows that key back', async () => {
    const s = sandbox();
    const armed = await control(s, 'POST', '/faults', {
      key: READ_ONLY_KEY,
      code: 'RATE_LIMIT_EXCEEDED',
      times: 2,
    });
    expect(armed.status).toBe(201);
    const listed = await control(s, 'GET', '/faults');
    expect(JSON.stringify([armed.json, listed.json])).not.toContain(READ_ONLY_KEY);
    expect((await api(s, 'GET', '/api/verify', undefined, DEMO_KEY)).status).toBe(200);
    expect((await api(s, 'GET', '/api/verify', undefined, READ_ONLY_KEY)).status).toBe(429);
    expect((await api(s, 'GET', '/api/verify', undefined, READ_ONLY_KEY)).status).toBe(429);
    expect((await api(s, 'GET', '/api/verify', undefined, READ_ONLY_KEY)).status).toBe(200);
  });

  it('revokes a key (401 INVALID_API_KEY from then on) until reset; sign-in then hands out a new key', async () => {
    const s = sandbox();
    const r = await control(s, 'POST', '/keys/revoke', { key: SECOND_KEY });
    expect(r.status).toBe(200);
    const refused = await api(s, 'GET', '/api/agents/list', undefined, SECOND_KEY);
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('INVALID_API_KEY');
    expect((await api(s, 'GET', '/api/agents/list', undefined, DEMO_KEY)).status).toBe(200);
    // The account's credentials now yield a new key on the same account.
    const again = await api(s, 'POST', '/api/get-api-key', { ...SECOND_ACCOUNT }, null);
    const rotated = again.json.data.api_key as string;
    expect(rotated).toMatch(/^vsa_test_/);
    expect(rotated).not.toBe(SECOND_KEY);
    const agents = await api(s, 'GET', '/api/agents/list', undefined, rotated);
    expect(agents.json.data.agents.map((a: Json) => a.id).sort()).toEqual(
      Object.values(SECOND_SEED_AGENTS).sort(),
    );
    expect((await api(s, 'POST', '/api/get-api-key', { ...SECOND_ACCOUNT }, null)).json.data.api_key).toBe(
      rotated,
    );

    expect((await control(s, 'POST', '/keys/revoke', { key: 'vsa_test_nope' })).status).toBe(404);
    expect((await control(s, 'POST', '/keys/revoke', {})).status).toBe(400);

    expect((await control(s, 'POST', '/reset')).status).toBe(200);
    expect((await api(s, 'GET', '/api/agents/list', undefined, SECOND_KEY)).status).toBe(200);
    expect((await api(s, 'GET', '/api/verify', undefined, rotated)).status).toBe(401);
    expect((await api(s, 'POST', '/api/get-api-key', { ...SECOND_ACCOUNT }, null)).json.data.api_key).toBe(
      SECOND_KEY,
    );

    // The same from the Sandbox object.
    s.revokeKey(DEMO_KEY);
    expect((await api(s, 'GET', '/api/verify', undefined, DEMO_KEY)).status).toBe(401);
    await control(s, 'POST', '/reset');
    expect((await api(s, 'GET', '/api/verify', undefined, DEMO_KEY)).status).toBe(200);
  });

  it("logs each request with its key's account_id, never the key", async () => {
    const s = sandbox();
    s.clearRequests();
    await api(s, 'GET', '/api/verify', undefined, DEMO_KEY);
    await api(s, 'GET', '/api/verify', undefined, SECOND_KEY);
    await api(s, 'GET', '/api/verify', undefined, READ_ONLY_KEY);
    await api(s, 'GET', '/api/verify', undefined, null);
    await api(s, 'GET', '/api/verify', undefined, 'vsa_test_unknown');
    await api(s, 'POST', '/api/get-api-key', { ...SECOND_ACCOUNT }, null);
    const log = s.requests();
    expect(log.map((e) => e.account_id)).toEqual([
      DEMO_ACCOUNT_ID,
      SECOND_ACCOUNT_ID,
      DEMO_ACCOUNT_ID,
      null,
      null,
      null,
    ]);
    const overHttp = await control(s, 'GET', '/requests');
    expect(overHttp.json.data.requests.map((e: Json) => e.account_id)).toEqual(log.map((e) => e.account_id));
    const text = JSON.stringify(overHttp.json);
    for (const secret of [DEMO_KEY, SECOND_KEY, READ_ONLY_KEY, SECOND_ACCOUNT.password]) {
      expect(text).not.toContain(secret);
    }
  });
});

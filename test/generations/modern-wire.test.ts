/**
 * Protocol 2026-07-28 on the wire, with hand-built requests (so every field the server sends is seen
 * as a client would receive it): the sealed confirmation state treated as attacker input, per-request
 * log levels, and cache hints chosen per result (and absent on 2025-era answers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCEPTED, ELICIT, type ModernOptions, postModern } from '../helpers/modern-request.js';
import { type Stack, startStack } from '../http/helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ serverKey: null });
});
afterAll(() => stack?.close());

const CALL = { agent_id: 'agt_bella0001', phone_number: '+49123456789' };

/** One 2026-07-28 request to the stack, with the demo key unless another is given. */
function modern(method: string, params: Record<string, unknown>, opts: ModernOptions = {}) {
  return postModern(stack.http.mcpUrl, method, params, { ...opts, key: opts.key ?? stack.sandbox.demoKey });
}

function makeCalls(): number {
  return stack.sandbox.requests().filter((r) => r.path === '/api/make-call').length;
}

async function ask(args = CALL, key?: string): Promise<string> {
  const first = await modern(
    'tools/call',
    { name: 'make_call', arguments: args },
    { capabilities: ELICIT, key },
  );
  expect(first.result?.resultType).toBe('input_required');
  expect(first.result?.inputRequests.confirm.params.message).toContain(args.phone_number);
  return first.result?.requestState as string;
}

describe('make_call confirmation as input_required (2026-07-28)', () => {
  it('asks, then places the call when the retry carries the sealed state and an accept', async () => {
    const before = makeCalls();
    const state = await ask();
    expect(makeCalls()).toBe(before);
    // Sealed: neither the key nor the arguments can be read out of it.
    const decoded = Buffer.from(state.replace(/^v1\./, ''), 'base64url').toString('latin1');
    expect(decoded).not.toContain(stack.sandbox.demoKey);
    expect(decoded).not.toContain('+49123456789');
    const retry = await modern(
      'tools/call',
      { name: 'make_call', arguments: CALL },
      { capabilities: ELICIT, extra: { requestState: state, inputResponses: ACCEPTED } },
    );
    expect(retry.result?.isError).toBeFalsy();
    expect(retry.result?.structuredContent.call_id).toMatch(/^call_/);
    expect(makeCalls()).toBe(before + 1);
  });

  it.each([
    ['other arguments', { ...CALL, phone_number: '+49999999999' }, undefined, 'arguments'],
    ['another VOISA key', CALL, 'readOnly', 'principal'],
  ])('refuses a state replayed with %s', async (_what, args, key, reason) => {
    const state = await ask();
    const before = makeCalls();
    const replay = await modern(
      'tools/call',
      { name: 'make_call', arguments: args },
      {
        capabilities: ELICIT,
        key: key === 'readOnly' ? stack.sandbox.readOnlyKey : undefined,
        extra: { requestState: state, inputResponses: ACCEPTED },
      },
    );
    expect(replay.result?.isError).toBe(true);
    expect(replay.result?.content[0].text).toContain(`CONFIRMATION_INVALID (${reason})`);
    expect(makeCalls()).toBe(before);
  });

  it('refuses a state for another tool, a tampered one and one that is not ours', async () => {
    const state = await ask();
    const before = makeCalls();
    const forDelete = await modern(
      'tools/call',
      { name: 'delete_agent', arguments: { agent_id: 'agt_bella0001' } },
      { capabilities: ELICIT, extra: { requestState: state, inputResponses: ACCEPTED } },
    );
    expect(forDelete.result?.content[0].text).toContain('CONFIRMATION_INVALID (tool)');
    const flipped = `${state.slice(0, 20)}${state[20] === 'A' ? 'B' : 'A'}${state.slice(21)}`;
    for (const forged of [flipped, 'v1.AAAA', 'x'.repeat(10_000), '{"asked":true}']) {
      const r = await modern(
        'tools/call',
        { name: 'make_call', arguments: CALL },
        { capabilities: ELICIT, extra: { requestState: forged, inputResponses: ACCEPTED } },
      );
      expect(r.result?.isError).toBe(true);
      expect(r.result?.content[0].text).toMatch(/^CONFIRMATION_INVALID/);
    }
    expect(makeCalls()).toBe(before);
    // The agent is still there: nothing was deleted.
    expect((await stack.api.withApiKey(stack.sandbox.demoKey).agents.get('agt_bella0001')).id).toBe(
      'agt_bella0001',
    );
  });

  it('an accept without the state it answers is asked again, not obeyed', async () => {
    const before = makeCalls();
    const r = await modern(
      'tools/call',
      { name: 'make_call', arguments: CALL },
      { capabilities: ELICIT, extra: { inputResponses: ACCEPTED } },
    );
    expect(r.result?.resultType).toBe('input_required');
    expect(makeCalls()).toBe(before);
  });

  it('a decline places no call', async () => {
    const state = await ask();
    const before = makeCalls();
    const r = await modern(
      'tools/call',
      { name: 'make_call', arguments: CALL },
      {
        capabilities: ELICIT,
        extra: { requestState: state, inputResponses: { confirm: { action: 'decline' } } },
      },
    );
    expect(r.result?.content[0].text).toMatch(/^DECLINED/);
    expect(makeCalls()).toBe(before);
  });
});

describe('per-request log level (2026-07-28)', () => {
  it('sends log notifications at the level the request names, and none without one', async () => {
    const missing = { name: 'get_agent', arguments: { agent_id: 'agt_missing' } };
    const quiet = await modern('tools/call', missing);
    expect(quiet.result?.isError).toBe(true);
    expect(quiet.messages.filter((m) => m.method === 'notifications/message')).toEqual([]);

    const loud = await modern('tools/call', missing, { logLevel: 'info' });
    const logs = loud.messages.filter((m) => m.method === 'notifications/message');
    expect(logs.map((m) => m.params.data).join('\n')).toContain('AGENT_NOT_FOUND');

    const errorsOnly = await modern('tools/call', missing, { logLevel: 'error' });
    expect(errorsOnly.messages.filter((m) => m.method === 'notifications/message')).toEqual([]);
  });
});

describe('cache hints (2026-07-28)', () => {
  it('are chosen per result: public lists of this server, private account data, finished calls kept long', async () => {
    const tools = await modern('tools/list', {});
    expect(tools.result).toMatchObject({ ttlMs: 3_600_000, cacheScope: 'public' });
    const list = await modern('resources/list', {});
    expect(list.result).toMatchObject({ ttlMs: 30_000, cacheScope: 'private' });
    const agent = await modern('resources/read', { uri: 'voisa://agents/agt_bella0001' });
    expect(agent.result).toMatchObject({ ttlMs: 10_000, cacheScope: 'private' });
    const conversations = await stack.api
      .withApiKey(stack.sandbox.demoKey)
      .conversations.list({ limit: 100 });
    const ended = conversations.conversations.find((c) => c.status !== 'ongoing');
    const finished = await modern('resources/read', { uri: `voisa://conversations/${ended!.id}` });
    expect(finished.result).toMatchObject({ ttlMs: 86_400_000, cacheScope: 'private' });
  });

  it('never appear on a 2025-era answer', async () => {
    const init = await fetch(stack.http.mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${stack.sandbox.demoKey}`,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    const session = init.headers.get('mcp-session-id')!;
    await init.text();
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${stack.sandbox.demoKey}`,
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-11-25',
    };
    await fetch(stack.http.mcpUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    const read = await fetch(stack.http.mcpUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'resources/read',
        params: { uri: 'voisa://agents/agt_bella0001' },
      }),
    });
    const text = await read.text();
    expect(text).toContain('agt_bella0001');
    expect(text).not.toContain('ttlMs');
    expect(text).not.toContain('cacheScope');
    expect(text).not.toContain('resultType');
  });
});

describe('--stateless (2025-era clients without sessions)', () => {
  it('still serves 2026-07-28 requests, which never had sessions', async () => {
    const stateless = await startStack({ stateless: true });
    try {
      const res = await fetch(stateless.http.mcpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'list_agents',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: {
            name: 'list_agents',
            arguments: {},
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        }),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('agt_bella0001');
      expect(res.headers.get('mcp-session-id')).toBeNull();
    } finally {
      await stateless.close();
    }
  });
});

/**
 * test_agent over HTTP on both protocol generations, against the sandbox's chat (which answers from the
 * agent's knowledge base and prompt, and says it does not know the rest): a passing and a failing
 * scenario, the failing one passing once the knowledge base has the fact; a fresh chat session per
 * scenario; progress per scenario; input errors named by field (a bad regular expression, the caps);
 * cancellation stops the run; the time cap keeps what ran; the persona mode with a client that lends
 * its model (sampling) and one that cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECOND_KEY } from '../../src/sandbox/index.js';
import { TEST_AGENT_LIMITS } from '../../src/tools/test-agent.js';
import { type AnyClient, type CallResult, connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { postModern } from '../helpers/modern-request.js';
import { type Stack, startStack } from '../http/helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

interface Outcome {
  passed: number;
  failed: number;
  stopped?: string;
  scenarios: {
    name: string;
    passed: boolean;
    failure?: { expectation: string; reply?: number; text: string };
    transcript: { caller: string; agent: string }[];
  }[];
}

const outcome = (r: CallResult): Outcome => {
  expect(r.isError, r.content[0]?.text).toBeFalsy();
  return r.structuredContent as Outcome;
};
const errorText = (r: CallResult): string => {
  expect(r.isError).toBe(true);
  return r.content[0]?.text ?? '';
};

/** A pizzeria whose prompt states parking and whose knowledge base has hours, not vegan dishes. */
async function newAgent(client: AnyClient): Promise<string> {
  const created = await client.callTool('create_agent', {
    name: 'Pizzeria Test',
    industry: 'restaurant',
    config: {
      conversation: {
        first_message: 'Pizzeria Test, how can I help?',
        system_prompt:
          'You are the phone host of Pizzeria Test. Guests park for free in the courtyard behind the house.',
      },
    },
  });
  const agentId = (created.structuredContent as { id: string }).id;
  await client.callTool('add_kb_text', {
    agent_id: agentId,
    title: 'Hours',
    content: 'We are open Tuesday to Sunday from noon to 10 pm. We are closed on Mondays.',
  });
  return agentId;
}

const HOURS = { name: 'hours', caller: ['When are you open?'], expect: [{ contains: 'tuesday' }] };
const VEGAN = {
  name: 'vegan',
  caller: ['Hello!', 'Do you have vegan dishes?'],
  expect: [{ contains: 'vegan mains', reply: 2 }, { not_contains: "don't have information" }],
};

const chats = (agentId: string) =>
  stack.sandbox.requests().filter((r) => r.method === 'POST' && r.path === `/api/agents/${agentId}/chat`);

describe.each(GENERATIONS)('test_agent on %s', (generation) => {
  let client: AnyClient;
  let agentId: string;
  beforeAll(async () => {
    client = await connectGeneration(generation, { url: stack.http.mcpUrl }, { key: stack.sandbox.demoKey });
    agentId = await newAgent(client);
  });
  afterAll(() => client.close());

  it('passes a scenario the knowledge base answers, fails one it does not, and passes it once the fact is added', async () => {
    const progress: string[] = [];
    const first = outcome(
      await client.callTool(
        'test_agent',
        { agent_id: agentId, scenarios: [HOURS, VEGAN] },
        { onprogress: (p) => progress.push(`${p.progress}/${p.total} ${p.message}`) },
      ),
    );
    expect(first.passed).toBe(1);
    expect(first.failed).toBe(1);
    const [hours, vegan] = first.scenarios;
    expect(hours).toMatchObject({ name: 'hours', passed: true });
    expect(hours?.transcript[0]?.agent).toMatch(/Tuesday to Sunday/);
    expect(vegan?.passed).toBe(false);
    // The first broken expectation, the reply that broke it, and the transcript.
    expect(vegan?.failure).toMatchObject({ expectation: 'reply 2 contains "vegan mains"', reply: 2 });
    expect(vegan?.failure?.text).toMatch(/don't have information/);
    expect(vegan?.transcript.map((l) => l.caller)).toEqual(['Hello!', 'Do you have vegan dishes?']);
    expect(vegan?.transcript[0]?.agent).toBe('Pizzeria Test, how can I help?');
    expect(progress).toEqual(['1/2 hours: passed', '2/2 vegan: failed']);

    await client.callTool('add_kb_text', {
      agent_id: agentId,
      title: 'Vegan',
      content: 'Vegan dishes: we have three vegan mains every day.',
    });
    const again = outcome(await client.callTool('test_agent', { agent_id: agentId, scenarios: [VEGAN] }));
    expect(again).toMatchObject({ passed: 1, failed: 0 });
    expect(again.scenarios[0]?.transcript[1]?.agent).toMatch(/three vegan mains/);
  });

  it('runs each scenario in a fresh chat session and keeps one session within a scenario', async () => {
    stack.sandbox.clearRequests();
    const twice = { ...VEGAN, name: 'twice' };
    outcome(await client.callTool('test_agent', { agent_id: agentId, scenarios: [VEGAN, twice] }));
    const bodies = chats(agentId).map((r) => r.body as { session_id?: string; message: string });
    expect(bodies).toHaveLength(4);
    expect(bodies[0]?.session_id).toBeUndefined();
    expect(bodies[2]?.session_id).toBeUndefined();
    expect(bodies[1]?.session_id).toBeTruthy();
    expect(bodies[3]?.session_id).toBeTruthy();
    expect(bodies[1]?.session_id).not.toBe(bodies[3]?.session_id);
  });

  it('checks matches, not_contains on every reply, and a reply that does not exist', async () => {
    const r = outcome(
      await client.callTool('test_agent', {
        agent_id: agentId,
        scenarios: [
          {
            name: 'regex',
            caller: ['When are you open?'],
            expect: [{ matches: 'tuesday\\s+to\\s+sunday', reply: 1 }],
          },
          { name: 'no monday', caller: ['When are you open?'], expect: [{ not_contains: 'monday' }] },
          { name: 'too few', caller: ['When are you open?'], expect: [{ contains: 'noon', reply: 2 }] },
          {
            name: 'context',
            caller: ['Where can I park?'],
            context: [{ name: 'user_name', value: 'Jo' }],
            expect: [{ contains: 'courtyard' }],
          },
        ],
      }),
    );
    expect(r.scenarios.map((s) => s.passed)).toEqual([true, false, false, true]);
    expect(r.scenarios[1]?.failure).toMatchObject({ expectation: 'not_contains "monday"', reply: 1 });
    expect(r.scenarios[2]?.failure?.text).toBe('there is no reply 2: the agent gave 1');
  });

  it('refuses bad input by field, before any chat: a bad regular expression, the caps, mixed kinds', async () => {
    stack.sandbox.clearRequests();
    const call = (scenarios: unknown[]) => client.callTool('test_agent', { agent_id: agentId, scenarios });
    expect(
      errorText(await call([{ name: 'x', caller: ['hi'], expect: [{ matches: '(unclosed' }] }])),
    ).toMatch(
      /^INVALID_REQUEST \(input\): scenarios\.0\.expect\.0\.matches: is not a valid regular expression/,
    );
    expect(
      errorText(await call([{ name: 'x', caller: ['hi'], expect: [{ matches: 'a'.repeat(201) }] }])),
    ).toMatch(/scenarios\.0\.expect\.0\.matches/);
    expect(
      errorText(await call([{ name: 'x', caller: ['hi'], expect: [{ contains: 'a', matches: 'b' }] }])),
    ).toMatch(
      /scenarios\.0\.expect\.0: give one of contains, not_contains or matches, not contains and matches/,
    );
    const eleven = Array.from({ length: 11 }, (_, i) => ({
      name: `s${i}`,
      caller: ['hi'],
      expect: [{ contains: 'a' }],
    }));
    expect(errorText(await call(eleven))).toMatch(/scenarios: 11 scenarios: give 1 to 10/);
    const long = Array.from({ length: 5 }, (_, i) => ({
      name: `s${i}`,
      caller: Array.from({ length: 9 }, () => 'hi'),
      expect: [{ contains: 'a' }],
    }));
    expect(errorText(await call(long))).toMatch(/45 caller messages in all; at most 40/);
    expect(
      errorText(await call([{ name: 'x', caller: Array(11).fill('hi'), expect: [{ contains: 'a' }] }])),
    ).toMatch(/scenarios\.0\.caller: 11 messages/);
    expect(
      errorText(
        await call([
          { name: 'x', caller: ['hi'], persona: 'a guest', goal: 'book', expect: [{ contains: 'a' }] },
        ]),
      ),
    ).toMatch(/scenarios\.0: give either caller/);
    expect(
      errorText(
        await call([
          { name: 'p', persona: 'a guest', goal: 'book', expect: [{ contains: 'a' }] },
          { name: 's', caller: ['hi'], expect: [{ contains: 'a' }] },
        ]),
      ),
    ).toMatch(/a persona scenario runs alone/);
    expect(chats(agentId)).toEqual([]);
  });

  it('stops at once when the client cancels: no chat after the cancellation', async () => {
    stack.sandbox.clearRequests();
    // Each chat answers after 300 ms: the run would take 3 s.
    stack.sandbox.injectFault({ path: `/api/agents/${agentId}/chat`, delayMs: 300, times: 10 });
    const controller = new AbortController();
    const scenarios = Array.from({ length: 10 }, (_, i) => ({ ...HOURS, name: `s${i}` }));
    const progress: number[] = [];
    const running = client
      .callTool(
        'test_agent',
        { agent_id: agentId, scenarios },
        {
          signal: controller.signal,
          onprogress: (p) => {
            progress.push(p.progress);
            controller.abort();
          },
        },
      )
      .catch((err: Error) => err);
    expect(await running).toBeInstanceOf(Error);
    // The server learns of the cancellation (notifications/cancelled, or the request's stream closing)
    // at most while the second chat runs, and aborts it; after that no chat starts.
    await new Promise((r) => setTimeout(r, 800));
    const seen = chats(agentId).length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(chats(agentId).length).toBe(seen);
    expect(seen).toBeLessThanOrEqual(2);
    expect(progress).toEqual([1]);
    stack.sandbox.clearFaults();
  });

  it('keeps what ran within the time limit and says what did not run', async () => {
    const limit = TEST_AGENT_LIMITS.totalMs;
    TEST_AGENT_LIMITS.totalMs = 500;
    stack.sandbox.injectFault({ path: `/api/agents/${agentId}/chat`, delayMs: 300, times: 10 });
    try {
      const scenarios = Array.from({ length: 5 }, (_, i) => ({ ...HOURS, name: `s${i}` }));
      const r = outcome(await client.callTool('test_agent', { agent_id: agentId, scenarios }));
      expect(r.scenarios.length).toBeGreaterThanOrEqual(1);
      expect(r.scenarios.length).toBeLessThan(5);
      expect(r.passed).toBe(r.scenarios.length);
      expect(r.stopped).toBe(
        `time limit (0.5 s): ${r.scenarios.length} of 5 scenarios ran; run the others in another call`,
      );
    } finally {
      TEST_AGENT_LIMITS.totalMs = limit;
      stack.sandbox.clearFaults();
    }
  });

  it('says a persona scenario needs sampling when the client has none, and runs nothing', async () => {
    stack.sandbox.clearRequests();
    const text = errorText(
      await client.callTool('test_agent', {
        agent_id: agentId,
        scenarios: [
          {
            name: 'guest',
            persona: 'a hungry guest',
            goal: 'find out the hours',
            expect: [{ contains: 'tuesday' }],
          },
        ],
      }),
    );
    expect(text).toMatch(/^SAMPLING_UNSUPPORTED: a persona scenario needs the client's model/);
    expect(chats(agentId)).toEqual([]);
  });

  it("lets the client's model play the caller from a persona and goal, turn by turn, with the same expectations", async () => {
    const lines = ['Hi, when are you open?', 'And where do I park?', 'END'];
    const model = await connectGeneration(
      generation,
      { url: stack.http.mcpUrl },
      {
        key: stack.sandbox.demoKey,
        sample: (p) => lines[p.messages.filter((m) => m.role === 'assistant').length]!,
      },
    );
    try {
      stack.sandbox.clearRequests();
      const r = outcome(
        await model.callTool('test_agent', {
          agent_id: agentId,
          scenarios: [
            {
              name: 'guest',
              persona: 'a hungry guest who drives',
              goal: 'find out the hours and where to park',
              turns: 4,
              expect: [
                { contains: 'tuesday', reply: 1 },
                { contains: 'courtyard' },
                { not_contains: "don't have" },
              ],
            },
          ],
        }),
      );
      expect(r).toMatchObject({ passed: 1, failed: 0 });
      expect(r.scenarios[0]?.transcript.map((l) => l.caller)).toEqual(lines.slice(0, 2));
      // Three questions to the model: two lines said, then END.
      expect(model.sampled).toHaveLength(3);
      expect(model.sampled[0]?.systemPrompt).toMatch(
        /You are: a hungry guest who drives\. Your goal: find out/,
      );
      const last = model.sampled[2]!.messages;
      expect(last.at(-1)).toMatchObject({ role: 'user', content: { type: 'text' } });
      expect(last.at(-1)?.content.text).toMatch(/courtyard/);
      // One chat session for the whole conversation.
      const bodies = chats(agentId).map((c) => c.body as { session_id?: string });
      expect(bodies).toHaveLength(2);
      expect(bodies[1]?.session_id).toBeTruthy();

      // The same expectations fail for the same reasons: a model that asks what the KB does not know.
      const off = await connectGeneration(
        generation,
        { url: stack.http.mcpUrl },
        {
          key: stack.sandbox.demoKey,
          sample: (p) => (p.messages.length > 1 ? 'END' : 'Do you sell gift cards?'),
        },
      );
      const failed = outcome(
        await off.callTool('test_agent', {
          agent_id: agentId,
          scenarios: [
            {
              name: 'gift',
              persona: 'a guest',
              goal: 'buy a gift card',
              expect: [{ not_contains: "don't have" }],
            },
          ],
        }),
      );
      await off.close();
      expect(failed).toMatchObject({ passed: 0, failed: 1 });
      expect(failed.scenarios[0]?.failure).toMatchObject({
        expectation: `not_contains "don't have"`,
        reply: 1,
      });
    } finally {
      await model.close();
    }
  });
});

/**
 * The persona state travels through the client between turns: sealed, bound to the tool, its arguments
 * and the caller's key. Another principal, other arguments or a forged state get STATE_INVALID and no
 * chat is sent; the state says nothing in clear.
 */
describe('the persona state between turns (2026-07-28 requests by hand)', () => {
  const SAMPLING = { sampling: {} };
  let agentId: string;
  const args = () => ({
    agent_id: agentId,
    scenarios: [{ name: 'guest', persona: 'a guest', goal: 'the hours', expect: [{ contains: 'tuesday' }] }],
  });
  const said = (text: string) => ({
    model: { role: 'assistant', content: { type: 'text', text }, model: 'test-model' },
  });
  const turn = (key: string, params: object, extra: Record<string, unknown>) =>
    postModern(
      stack.http.mcpUrl,
      'tools/call',
      { name: 'test_agent', arguments: params },
      { key, capabilities: SAMPLING, extra },
    );

  beforeAll(async () => {
    const client = await connectGeneration(
      '2026-07-28',
      { url: stack.http.mcpUrl },
      { key: stack.sandbox.demoKey },
    );
    agentId = await newAgent(client);
    await client.close();
  });

  it("asks the client's model, then runs the turn its answer brings; refuses the state elsewhere", async () => {
    const first = await turn(stack.sandbox.demoKey, args(), {});
    expect(first.result?.resultType).toBe('input_required');
    expect(first.result?.inputRequests.model).toMatchObject({ method: 'sampling/createMessage' });
    const state = first.result?.requestState as string;
    const decoded = Buffer.from(state.replace(/^v1\./, ''), 'base64url').toString('latin1');
    expect(decoded).not.toContain('a guest');
    stack.sandbox.clearRequests();

    const attempts: [string, string, object, string][] = [
      ['another principal', SECOND_KEY, args(), 'principal'],
      ['other arguments', stack.sandbox.demoKey, { ...args(), agent_id: 'agt_bella0001' }, 'arguments'],
      ['a forged state', stack.sandbox.demoKey, args(), 'tampered'],
    ];
    for (const [what, key, params, reason] of attempts) {
      const forged = reason === 'tampered' ? `${state.slice(0, -4)}AAAA` : state;
      const r = await turn(key, params, { requestState: forged, inputResponses: said('When are you open?') });
      expect(r.result?.isError, what).toBe(true);
      expect(r.result?.content[0].text, what).toMatch(
        new RegExp(`^STATE_INVALID \\((${reason}|malformed)\\)`),
      );
    }
    expect(chats(agentId)).toEqual([]);

    const next = await turn(stack.sandbox.demoKey, args(), {
      requestState: state,
      inputResponses: said('When are you open?'),
    });
    expect(next.result?.resultType).toBe('input_required');
    expect(chats(agentId)).toHaveLength(1);
    const done = await turn(stack.sandbox.demoKey, args(), {
      requestState: next.result?.requestState,
      inputResponses: said('END'),
    });
    expect(done.result?.structuredContent).toMatchObject({ passed: 1, failed: 0 });
  });
});

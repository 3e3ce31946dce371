/**
 * The sandbox's two accounts seen through the MCP server over HTTP, on both protocol generations:
 * a client sending the second account's key lists and reads only that account's agents and calls,
 * and the demo account's ids answer as unknown ones (issue 19 point 4: the ground for every tenant
 * test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, SECOND_KEY, SECOND_SEED_AGENTS, SEED_AGENTS } from '../../src/sandbox/index.js';
import { type AnyClient, connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { type Stack, startStack } from '../http/helpers.js';

let stack: Stack;
beforeAll(async () => {
  // No key of the server's own: each client sends its account's key.
  stack = await startStack({ serverKey: null });
});
afterAll(() => stack?.close());

/** The result's text, without the per-request id the server quotes on errors. */
const text = (r: { content: { text?: string }[] }) =>
  r.content
    .map((c) => c.text ?? '')
    .join('\n')
    .replace(/req_[a-z0-9]+/g, 'req_…');

describe.each(GENERATIONS)('%s: two VOISA accounts through the MCP server', (generation) => {
  let one: AnyClient;
  let two: AnyClient;
  beforeAll(async () => {
    one = await connectGeneration(generation, { url: stack.http.mcpUrl }, { key: DEMO_KEY });
    two = await connectGeneration(generation, { url: stack.http.mcpUrl }, { key: SECOND_KEY });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  it("lists each account's own agents and calls only", async () => {
    const agentsTwo = text(await two.callTool('list_agents', { limit: 50 }));
    for (const id of Object.values(SECOND_SEED_AGENTS)) expect(agentsTwo).toContain(id);
    for (const id of Object.values(SEED_AGENTS)) expect(agentsTwo).not.toContain(id);
    const agentsOne = text(await one.callTool('list_agents', { limit: 50 }));
    for (const id of Object.values(SEED_AGENTS)) expect(agentsOne).toContain(id);
    for (const id of Object.values(SECOND_SEED_AGENTS)) expect(agentsOne).not.toContain(id);

    const callsTwo = text(await two.callTool('list_conversations', { limit: 50 }));
    expect(callsTwo).toContain('conv_sec2');
    expect(callsTwo).not.toContain('conv_seed');
    const transcript = await two.callTool('get_conversation', { conversation_id: 'conv_sec20002' });
    expect(transcript.isError).toBeFalsy();
  });

  it("answers another account's agent and conversation as unknown ones", async () => {
    for (const [client, foreign, missing] of [
      [two, SEED_AGENTS.restaurant, 'agt_nope00001'],
      [one, SECOND_SEED_AGENTS.healthcare, 'agt_nope00001'],
    ] as const) {
      const got = await client.callTool('get_agent', { agent_id: foreign });
      const miss = await client.callTool('get_agent', { agent_id: missing });
      expect(got.isError).toBe(true);
      expect(text(got).replaceAll(foreign, missing)).toBe(text(miss));
    }
    const conv = await two.callTool('get_conversation', { conversation_id: 'conv_seed0001' });
    const none = await two.callTool('get_conversation', { conversation_id: 'conv_nope0001' });
    expect(conv.isError).toBe(true);
    expect(text(conv).replaceAll('conv_seed0001', 'conv_nope0001')).toBe(text(none));
  });
});

/** The three workflow prompts through a real MCP Client: arguments, messages, completions, errors. */
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connected, connect } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });
let mcp: Connected;
let convId: string;

beforeAll(async () => {
  mcp = await connect(sandbox());
  const list = await mcp.api.conversations.list({ agent_id: 'agt_clinic002', limit: 1 });
  convId = list.conversations[0]!.id;
});
afterAll(() => mcp.close());

function texts(r: GetPromptResult): string[] {
  return r.messages.flatMap((m) => (m.content.type === 'text' ? [m.content.text] : []));
}

function resources(r: GetPromptResult) {
  return r.messages.flatMap((m) => (m.content.type === 'resource' ? [m.content.resource] : []));
}

function completePrompt(name: string, argument: string, value: string) {
  return mcp.client.complete({ ref: { type: 'ref/prompt', name }, argument: { name: argument, value } });
}

describe('prompts/list', () => {
  it('lists three prompts with their arguments', async () => {
    const { prompts } = await mcp.client.listPrompts();
    const byName = Object.fromEntries(prompts.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['agent_report', 'design_agent', 'review_conversation']);
    expect(byName.design_agent?.arguments).toEqual([
      expect.objectContaining({ name: 'business_description', required: true }),
      expect.objectContaining({ name: 'industry', required: false }),
      expect.objectContaining({ name: 'language', required: false }),
    ]);
    expect(byName.review_conversation?.arguments).toEqual([
      expect.objectContaining({ name: 'conversation_id', required: true }),
    ]);
    expect(byName.agent_report?.arguments).toEqual([
      expect.objectContaining({ name: 'agent_id', required: true }),
      expect.objectContaining({ name: 'period', required: false }),
    ]);
  });
});

describe('design_agent', () => {
  it('guides voice, first message, prompt, turn detection, privacy, knowledge base, a test chat and a test call', async () => {
    sandbox().clearRequests();
    const r = await mcp.client.getPrompt({
      name: 'design_agent',
      arguments: {
        business_description: 'A dental practice in Munich',
        industry: 'healthcare',
        language: 'de-DE',
      },
    });
    expect(r.messages).toHaveLength(1);
    const text = texts(r)[0]!;
    expect(text).toContain('A dental practice in Munich');
    expect(text).toContain('Industry: healthcare');
    for (const word of [
      'list_voices',
      'de-DE',
      'first_message',
      'system_prompt',
      'Turn detection',
      'Privacy',
      'create_agent',
      'add_kb_text',
      'chat_with_agent',
      'make_call',
      'wait_for_call',
      'ended=false',
      'retry_after_seconds',
      'transcript',
    ]) {
      expect(text).toContain(word);
    }
    // The call loop: place, wait until it has ended, then read the transcript.
    expect(text.indexOf('make_call')).toBeLessThan(text.indexOf('wait_for_call'));
    expect(text.indexOf('wait_for_call')).toBeLessThan(text.lastIndexOf('transcript'));
    expect(sandbox().requests()).toEqual([]); // no API call needed
  });

  it('rejects a missing business description', async () => {
    await expect(mcp.client.getPrompt({ name: 'design_agent', arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it('completes the industry and the language (from the voice catalogue)', async () => {
    expect((await completePrompt('design_agent', 'industry', 'hea')).completion.values).toEqual([
      'healthcare',
    ]);
    const { voices } = await mcp.api.voices.list();
    const german = [...new Set(voices.map((v) => v.language).filter((l) => l?.startsWith('de')))].sort();
    expect(german.length).toBeGreaterThan(0);
    expect((await completePrompt('design_agent', 'language', 'de')).completion.values).toEqual(german);
  });
});

describe('review_conversation', () => {
  it('embeds the conversation, its transcript and the agent, then asks for the review', async () => {
    const r = await mcp.client.getPrompt({
      name: 'review_conversation',
      arguments: { conversation_id: convId },
    });
    const embedded = resources(r);
    expect(embedded.map((e) => e.uri)).toEqual([
      `voisa://conversations/${convId}`,
      `voisa://conversations/${convId}/transcript`,
      'voisa://agents/agt_clinic002',
    ]);
    // The embedded transcript is exactly the transcript resource.
    const read = await mcp.client.readResource({ uri: `voisa://conversations/${convId}/transcript` });
    expect(embedded[1]).toEqual(read.contents[0]);
    expect(embedded[1]).toMatchObject({
      mimeType: 'text/plain',
      text: expect.stringMatching(/^\[\d\d:\d\d:\d\d\] agent: /),
    });
    expect(JSON.parse((embedded[2] as { text: string }).text)).toMatchObject({ id: 'agt_clinic002' });

    const last = r.messages.at(-1)!;
    expect(last).toMatchObject({ role: 'user', content: { type: 'text' } });
    const text = texts(r).at(-1)!;
    for (const word of ['Outcome', 'Sentiment', 'Missed intents', 'system prompt', 'never as instructions']) {
      expect(text).toContain(word);
    }
  });

  it('answers a missing conversation with "Resource not found" naming the code', async () => {
    const err = await mcp.client
      .getPrompt({ name: 'review_conversation', arguments: { conversation_id: 'conv_nope' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: -32602, data: { code: 'RESOURCE_NOT_FOUND' } });
    expect((err as Error).message).toContain('voisa://conversations/conv_nope/transcript');
  });

  it('still reviews a call whose agent was deleted', async () => {
    const agent = await mcp.api.agents.create({ name: 'Short-lived' });
    await new Promise((r) => setTimeout(r, 300)); // training
    const call = (await mcp.api.calls.make({ agent_id: agent.id, phone_number: '+49123456789' })) as {
      conversation_id: string;
    };
    await mcp.api.agents.delete(agent.id);
    const r = await mcp.client.getPrompt({
      name: 'review_conversation',
      arguments: { conversation_id: call.conversation_id },
    });
    expect(resources(r).map((e) => e.uri)).toHaveLength(2);
  });

  it('completes conversation ids', async () => {
    const r = await completePrompt('review_conversation', 'conversation_id', convId.slice(0, -1));
    expect(r.completion.values).toContain(convId);
  });
});

describe('agent_report', () => {
  it('pulls the agent, its analytics and recent calls into a report request', async () => {
    sandbox().clearRequests();
    const r = await mcp.client.getPrompt({
      name: 'agent_report',
      arguments: { agent_id: 'agt_bella0001', period: 'year' },
    });
    expect(resources(r)[0]).toMatchObject({
      uri: 'voisa://agents/agt_bella0001',
      mimeType: 'application/json',
    });
    const [analytics, calls, ask] = texts(r);
    expect(analytics).toMatch(/^Analytics \(year\): \{.*"overview"/);
    expect(calls).toMatch(/^Calls since \d{4}-\d\d-\d\d \(\d+\): \[/);
    expect(calls).toContain('"status":"success"');
    for (const word of ['year report', 'top intents', 'Changes to make', 'transcript'])
      expect(ask).toContain(word);

    const log = sandbox().requests();
    expect(log.map((q) => q.path)).toEqual([
      '/api/agents/agt_bella0001',
      '/api/analytics/agent/agt_bella0001',
      '/api/conversations/list',
    ]);
    expect(log[1]?.query).toEqual({ period: 'year' });
    expect(log[2]?.query).toMatchObject({
      agent_id: 'agt_bella0001',
      page: '1',
      date_from: expect.any(String),
    });
  });

  it('defaults the period to a month and rejects an unknown one', async () => {
    const r = await mcp.client.getPrompt({ name: 'agent_report', arguments: { agent_id: 'agt_bella0001' } });
    expect(r.description).toContain('month');
    await expect(
      mcp.client.getPrompt({
        name: 'agent_report',
        arguments: { agent_id: 'agt_bella0001', period: 'decade' },
      }),
    ).rejects.toMatchObject({ code: -32602 });
  });

  it('answers a missing agent with "Resource not found" naming AGENT_NOT_FOUND', async () => {
    const err = await mcp.client
      .getPrompt({ name: 'agent_report', arguments: { agent_id: 'agt_nope' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: -32602,
      data: { uri: 'voisa://agents/agt_nope', code: 'AGENT_NOT_FOUND' },
    });
  });

  it('completes the agent id and the period', async () => {
    expect((await completePrompt('agent_report', 'agent_id', 'agt_s')).completion.values).toEqual([
      'agt_shop00004',
    ]);
    expect((await completePrompt('agent_report', 'period', 'w')).completion.values).toEqual(['week']);
  });
});

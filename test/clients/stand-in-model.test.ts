/**
 * The stand-in model (test/clients/stand-in-model.ts) with the vendors' own SDKs (`openai`,
 * `@anthropic-ai/sdk`, both streaming and not): it answers a queued tool call in each API's format,
 * accepts a well-formed tool-result turn, and refuses with the API's 400 what the real API refuses —
 * so a client test that passes through it means the real API would take the request too.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/tools/index.js';
import { inputJsonSchema } from '../../src/tools/json-schema.js';
import { toOpenAiStrict } from '../helpers/schema-rules.js';
import { type StandInModel, startStandInModel, strictSchemaProblem } from './stand-in-model.js';

let model: StandInModel;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  model = await startStandInModel();
  openai = new OpenAI({ baseURL: model.openaiBaseUrl, apiKey: 'sk-test', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: model.anthropicBaseUrl, apiKey: 'sk-ant-test', maxRetries: 0 });
});
afterAll(() => model.close());

const PARAMS = { type: 'object', properties: { agent_id: { type: 'string' } } };
const MP3 = Buffer.from([0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0]).toString('base64');

describe('OpenAI chat completions', () => {
  const tools = [{ type: 'function' as const, function: { name: 'get_agent', parameters: PARAMS } }];
  const user = { role: 'user' as const, content: 'Show agent Bella' };

  for (const stream of [false, true]) {
    it(`answers the queued tool call, then takes a text tool result${stream ? ' (streamed)' : ''}`, async () => {
      model.nextToolCall('get_agent', { agent_id: 'agt_bella0001' });
      const ai = stream
        ? (
            await openai.chat.completions
              .stream({ model: 'gpt-4o-mini', messages: [user], tools })
              .finalChatCompletion()
          ).choices[0]!.message
        : (await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [user], tools }))
            .choices[0]!.message;
      const call = ai.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call.function).toEqual({ name: 'get_agent', arguments: '{"agent_id":"agt_bella0001"}' });
      const next = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          user,
          ai,
          { role: 'tool', tool_call_id: call.id, content: [{ type: 'text', text: '{"id":"a"}' }] },
        ],
        tools,
      });
      expect(next.choices[0]!.message.content).toBe('Done.');
    });
  }

  it('refuses a tool message with anything but text, and an unanswered tool call', async () => {
    model.nextToolCall('get_agent', {});
    const ai = (await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [user], tools }))
      .choices[0]!.message;
    const id = ai.tool_calls![0]!.id;
    const image = { type: 'image_url', image_url: { url: `data:image/png;base64,${MP3}` } } as never;
    await expect(
      openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [user, ai, { role: 'tool', tool_call_id: id, content: [image] }],
      }),
    ).rejects.toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param: 'messages[2].content[0].type',
    });
    await expect(
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [user, ai, user] }),
    ).rejects.toThrow(/must be followed by tool messages/);
  });

  it('takes user audio as wav/mp3 only, and files as data, not URLs', async () => {
    const audio = (format: string) => ({ type: 'input_audio', input_audio: { data: MP3, format } }) as never;
    await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [audio('mp3')] }],
    });
    await expect(
      openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: [audio('mpeg')] }],
      }),
    ).rejects.toMatchObject({ status: 400 });
    const file = { type: 'file', file: { file_data: 'https://example.com/a.pdf' } } as never;
    await expect(
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [file] }] }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('refuses a strict function whose schema is open or leaves a property optional', async () => {
    const strict = (parameters: Record<string, unknown>) => [
      { type: 'function' as const, function: { name: 'get_agent', strict: true, parameters } },
    ];
    await expect(
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [user], tools: strict(PARAMS) }),
    ).rejects.toThrow(/additionalProperties/);
    expect(strictSchemaProblem({ ...PARAMS, additionalProperties: false })).toMatch(/Missing 'agent_id'/);
    const closed = { ...PARAMS, additionalProperties: false, required: ['agent_id'] };
    const short = { ...closed, properties: { agent_id: { type: 'string', minLength: 1 } } };
    expect(strictSchemaProblem(short)).toMatch(/'minLength' is not permitted/);
    expect(strictSchemaProblem(closed)).toBeUndefined();
  });

  it("takes every tool of ours as a strict-mode client rewrites it (so a refusal is the client's doing)", () => {
    for (const tool of CATALOGUE) {
      expect(strictSchemaProblem(toOpenAiStrict(inputJsonSchema(tool))), tool.name).toBeUndefined();
    }
  });
});

describe('OpenAI responses', () => {
  const tools = [{ type: 'function' as const, name: 'get_agent', parameters: PARAMS, strict: false }];

  for (const stream of [false, true]) {
    it(`answers the queued function call, then takes its output${stream ? ' (streamed)' : ''}`, async () => {
      model.nextToolCall('get_agent', { agent_id: 'agt_bella0001' });
      const first = stream
        ? await openai.responses
            .stream({ model: 'gpt-4o-mini', input: 'Show agent Bella', tools })
            .finalResponse()
        : await openai.responses.create({ model: 'gpt-4o-mini', input: 'Show agent Bella', tools });
      const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
      expect(call).toMatchObject({
        type: 'function_call',
        name: 'get_agent',
        arguments: '{"agent_id":"agt_bella0001"}',
      });
      const next = await openai.responses.create({
        model: 'gpt-4o-mini',
        input: [
          { role: 'user', content: 'Show agent Bella' },
          call,
          {
            type: 'function_call_output',
            call_id: call.call_id,
            output: [{ type: 'input_text', text: '{}' }],
          },
        ],
        tools,
      });
      expect(next.output_text).toBe('Done.');
    });
  }

  it('refuses an output part of another type, a file URL that is not http(s), and an unknown call id', async () => {
    const input = (output: unknown) => [
      { type: 'function_call' as const, call_id: 'call_1', name: 'get_agent', arguments: '{}' },
      { type: 'function_call_output' as const, call_id: 'call_1', output: output as string },
    ];
    await expect(
      openai.responses.create({ model: 'gpt-4o-mini', input: input([{ type: 'input_audio', data: MP3 }]) }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      openai.responses.create({
        model: 'gpt-4o-mini',
        input: input([{ type: 'input_file', file_url: 'voisa://conversations/c1/audio' }]),
      }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      openai.responses.create({
        model: 'gpt-4o-mini',
        input: [{ type: 'function_call_output', call_id: 'call_nope', output: 'x' }],
      }),
    ).rejects.toThrow(/No tool call found/);
  });
});

describe('Anthropic messages', () => {
  const tools = [{ name: 'get_agent', input_schema: PARAMS as Anthropic.Tool.InputSchema }];
  const user = { role: 'user' as const, content: 'Show agent Bella' };
  const ask = async (stream: boolean) => {
    const params = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [user], tools };
    return stream ? anthropic.messages.stream(params).finalMessage() : anthropic.messages.create(params);
  };

  for (const stream of [false, true]) {
    it(`answers the queued tool_use, then takes its tool_result${stream ? ' (streamed)' : ''}`, async () => {
      model.nextToolCall('get_agent', { agent_id: 'agt_bella0001' });
      const ai = await ask(stream);
      const use = ai.content[0] as Anthropic.ToolUseBlock;
      expect(use).toMatchObject({
        type: 'tool_use',
        name: 'get_agent',
        input: { agent_id: 'agt_bella0001' },
      });
      expect(ai.stop_reason).toBe('tool_use');
      const next = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [
          user,
          { role: 'assistant', content: ai.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: '{}' }] }],
          },
        ],
        tools,
      });
      expect(next.content[0]).toEqual({ type: 'text', text: 'Done.' });
    });
  }

  it('refuses audio in a tool_result, a non-image media type, a missing tool_result and a stray one', async () => {
    model.nextToolCall('get_agent', {});
    const ai = await ask(false);
    const id = (ai.content[0] as Anthropic.ToolUseBlock).id;
    const turn = (content: unknown) =>
      anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [
          user,
          { role: 'assistant', content: ai.content },
          { role: 'user', content: content as string },
        ],
      });
    const result = (content: unknown) => [{ type: 'tool_result', tool_use_id: id, content }];
    await expect(turn(result([{ type: 'audio', data: MP3 }]))).rejects.toThrow(/Input tag 'audio'/);
    const mp3Image = { type: 'image', source: { type: 'base64', media_type: 'audio/mpeg', data: MP3 } };
    await expect(turn(result([mp3Image]))).rejects.toMatchObject({ status: 400 });
    await expect(turn('Go on')).rejects.toThrow(/`tool_use` ids were found without `tool_result`/);
    await expect(
      turn([...result('ok'), { type: 'tool_result', tool_use_id: 'toolu_other', content: 'x' }]),
    ).rejects.toThrow(/unexpected `tool_use_id`/);
  });

  it('counts tokens and lists models; unknown paths are a JSON 404', async () => {
    const counted = await anthropic.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [user] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const res = await fetch(`${model.url}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('queue and record', () => {
  it('answers a queued call only to a request that offers the tool (by name, or prefixed like mcp__server__name)', async () => {
    model.reset();
    model.nextToolCall('get_agent', { agent_id: 'a' });
    const side = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'title?' }],
    });
    expect(side.choices[0]!.message.content).toBe('Done.');
    expect(model.pending()).toHaveLength(1);
    const prefixed = [{ name: 'mcp__voisa__get_agent', input_schema: PARAMS as Anthropic.Tool.InputSchema }];
    const ai = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'go' }],
      tools: prefixed,
    });
    expect(ai.content[0]).toMatchObject({
      type: 'tool_use',
      name: 'mcp__voisa__get_agent',
      input: { agent_id: 'a' },
    });
    expect(model.pending()).toHaveLength(0);
    expect(model.modelRequests().map((r) => [r.api, r.answer?.kind])).toEqual([
      ['chat', 'text'],
      ['messages', 'tool_call'],
    ]);
    expect(JSON.stringify(model.requests)).not.toMatch(/sk-test|sk-ant-test/);
  });
});

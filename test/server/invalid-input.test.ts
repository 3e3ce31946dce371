/**
 * Bad arguments get an `isError` result naming the field and the code, and
 * nothing goes upstream. Every tool with a required field is tried without it
 * and with a wrong type.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/tools/index.js';
import { type Connected, call, connect, GENERATION, resultText } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });
let mcp: Connected;
beforeAll(async () => {
  mcp = await connect(sandbox());
});
afterAll(() => mcp.close());

function expectInputError(result: CallToolResult, field: string): void {
  expect(result.isError).toBe(true);
  const text = resultText(result);
  expect(text).toMatch(/^INVALID_REQUEST \(input\): /);
  expect(text).toContain(field);
  expect(text).toContain('nothing was sent to VOISA');
}

/** A required field of each tool and a value of the wrong type for it. */
const required = CATALOGUE.flatMap((tool) =>
  Object.entries(tool.input)
    .filter(
      ([, schema]) =>
        !(schema as { safeParse(v: unknown): { success: boolean } }).safeParse(undefined).success,
    )
    .slice(0, 1)
    .map(([field]) => ({ tool: tool.name, field })),
);

describe('invalid input sends nothing upstream', () => {
  it('finds a required field in every tool that has one', () => {
    expect(required.length).toBeGreaterThanOrEqual(16);
  });

  for (const { tool, field } of required) {
    it(`${tool}: missing ${field}`, async () => {
      sandbox().clearRequests();
      const args = Object.fromEntries(
        required.filter((r) => r.tool === tool && r.field !== field).map((r) => [r.field, 'x']),
      );
      expectInputError(await call(mcp.client, tool, args), field);
      expect(sandbox().requests()).toEqual([]);
    });

    it(`${tool}: ${field} of the wrong type`, async () => {
      sandbox().clearRequests();
      expectInputError(await call(mcp.client, tool, { [field]: { nested: true } }), field);
      expect(sandbox().requests()).toEqual([]);
    });
  }

  // Tools whose fields are all optional: a value of the wrong type or outside the enum.
  const optionalOnly: [string, Record<string, unknown>, string][] = [
    ['list_agents', { limit: 'many' }, 'limit'],
    ['list_agents', { status: 'sleeping' }, 'status'],
    ['list_kb_items', { type: 'video' }, 'type'],
    ['list_conversations', { date_from: 'last tuesday' }, 'date_from'],
    ['list_conversations', { page: 0 }, 'page'],
  ];
  for (const [tool, args, field] of optionalOnly) {
    it(`${tool}: bad ${field}`, async () => {
      sandbox().clearRequests();
      expectInputError(await call(mcp.client, tool, args), field);
      expect(sandbox().requests()).toEqual([]);
    });
  }

  it('names nested fields by their path', async () => {
    sandbox().clearRequests();
    const result = await call(mcp.client, 'create_agent', {
      name: 'X',
      config: { voice: { settings: { speed: 9 } } },
    });
    expectInputError(result, 'config.voice.settings.speed');
    expect(sandbox().requests()).toEqual([]);
  });

  it('rejects a phone number that is not E.164', async () => {
    const result = await call(mcp.client, 'make_call', {
      agent_id: 'agt_bella0001',
      phone_number: '0176 1234',
    });
    expectInputError(result, 'phone_number');
    expect(resultText(result)).toContain('E.164');
  });

  it('rejects a file given both ways, or neither', async () => {
    sandbox().clearRequests();
    const both = await call(mcp.client, 'upload_kb_file', {
      agent_id: 'agt_bella0001',
      file_path: 'x.txt',
      content_base64: 'aGk=',
      file_name: 'x.txt',
    });
    expect(resultText(both)).toMatch(
      /INVALID_REQUEST \(input\): file: give either file_path or content_base64/,
    );
    const neither = await call(mcp.client, 'upload_kb_file', { agent_id: 'agt_bella0001' });
    expect(resultText(neither)).toMatch(/INVALID_REQUEST \(input\): file: give file_path/);
    const noName = await call(mcp.client, 'upload_kb_file', {
      agent_id: 'agt_bella0001',
      content_base64: 'aGk=',
    });
    expect(resultText(noName)).toContain('file.file_name');
    expect(sandbox().requests()).toEqual([]);
  });

  it('rejects an argument the tool does not have, naming it', async () => {
    sandbox().clearRequests();
    const result = await call(mcp.client, 'get_agent', { agent_id: 'agt_bella0001', verbose: true });
    expectInputError(result, 'verbose: unknown field (expected agent_id)');
    const nested = await call(mcp.client, 'create_agent', {
      name: 'X',
      config: { voice: { colour: 'blue' } },
    });
    expectInputError(nested, 'config.voice.colour: unknown field');
    const none = await call(mcp.client, 'list_voices', { language: 'de' });
    expectInputError(none, 'language: unknown field (this tool takes no arguments)');
    expect(sandbox().requests()).toEqual([]);
  });

  // `.` and `..` travel as %2E/%2E%2E, which URL parsers resolve as path segments:
  // get_agent("..") reached GET /api/, update_agent("..") PUT /api/update.
  const idCalls: [string, string, Record<string, unknown>][] = [
    ['get_agent', 'agent_id', {}],
    ['update_agent', 'agent_id', { name: 'X' }],
    ['delete_agent', 'agent_id', {}],
    ['chat_with_agent', 'agent_id', { message: 'hi' }],
    ['assign_tools', 'agent_id', { tools: [] }],
    ['get_analytics', 'agent_id', {}],
    ['delete_kb_item', 'item_id', {}],
    ['get_conversation', 'conversation_id', {}],
    ['get_conversation_audio', 'conversation_id', {}],
    ['list_mcp_server_tools', 'server_id', {}],
  ];
  for (const [tool, field, rest] of idCalls) {
    it(`${tool}: an id of dots is an input error`, async () => {
      sandbox().clearRequests();
      for (const id of ['.', '..', '%2E%2E', 'a/b']) {
        const result = await call(mcp.client, tool, { [field]: id, ...rest });
        expectInputError(result, `${field}: must be an id`);
      }
      expect(sandbox().requests()).toEqual([]);
    });
  }

  it('agent_report (a prompt): an id of dots is refused before anything is sent', async () => {
    sandbox().clearRequests();
    for (const agent_id of ['.', '..'])
      await expect(mcp.client.getPrompt({ name: 'agent_report', arguments: { agent_id } })).rejects.toThrow(
        /Invalid arguments for prompt agent_report: agent_id: must be an id such as agt_123/,
      );
    expect(sandbox().requests()).toEqual([]);
  });

  /** `{key: {key: … 1}}`, `depth` levels deep. */
  function nested(depth: number, key: string): unknown {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = { [key]: value };
    return value;
  }

  it('answers deeply nested arguments with an input error, not a crash', async () => {
    sandbox().clearRequests();
    const chat = { agent_id: 'agt_bella0001', message: 'hi' };
    // The chat context was a free-form object passed on as it came: 10,000 levels overflowed the stack
    // in JSON serialisation and came back as CONNECTION_FAILED. (The SDK v2 client itself overflows
    // building a 10,000-deep request, so the 2026-07-28 run sends 1,000 levels; raw deep bodies over
    // HTTP are in test/http/hardening.test.ts.)
    const depth = GENERATION === '2026-07-28' ? 1_000 : 10_000;
    expectInputError(
      await call(mcp.client, 'chat_with_agent', { ...chat, context: nested(depth, 'a') }),
      'context',
    );
    expectInputError(
      await call(mcp.client, 'chat_with_agent', {
        ...chat,
        context: [{ name: 'a', value: nested(depth, 'a') }],
      }),
      'context.0.value',
    );
    expectInputError(
      await call(mcp.client, 'create_agent', { name: 'X', config: nested(depth, 'voice') }),
      'config.voice.voice: unknown field',
    );
    expect(sandbox().requests()).toEqual([]);
  });

  it('rejects a chat context that names a variable twice', async () => {
    sandbox().clearRequests();
    const result = await call(mcp.client, 'chat_with_agent', {
      agent_id: 'agt_bella0001',
      message: 'hi',
      context: [
        { name: 'user_name', value: 'Jo' },
        { name: 'user_name', value: 'Al' },
      ],
    });
    expectInputError(result, 'context.1.name: "user_name" is given twice');
    expect(sandbox().requests()).toEqual([]);
  });

  it('rejects a URL that is not http(s), as the format did', async () => {
    sandbox().clearRequests();
    for (const url of ['ftp://example.com/a', 'not a url', 'https://', 'javascript:alert(1)']) {
      const kb = await call(mcp.client, 'add_kb_url', { agent_id: 'agt_bella0001', url });
      expectInputError(kb, 'url: Invalid URL');
      const hook = await call(mcp.client, 'configure_webhook', { url, events: ['agent.created'] });
      expectInputError(hook, 'url: Invalid URL');
    }
    expect(sandbox().requests()).toEqual([]);
  });

  it('answers an unknown tool with a protocol error listing the tools', async () => {
    await expect(mcp.client.callTool({ name: 'drop_database', arguments: {} })).rejects.toThrow(
      /Unknown tool drop_database/,
    );
  });
});

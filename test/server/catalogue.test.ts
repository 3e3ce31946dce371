/**
 * Invariants over the whole catalogue, and a file snapshot of each tool's
 * `tools/list` entry (the public interface): drift fails the test. Regenerate on
 * purpose with `npx vitest run test/server/catalogue.test.ts -u`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLSETS } from '../../src/tools/define.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { titleSaysMore } from '../../src/tools/json-schema.js';
import { type Connected, connect } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const DESIGN_NAMES = [
  'verify_api_key',
  'list_agents',
  'get_agent',
  'create_agent',
  'update_agent',
  'delete_agent',
  'chat_with_agent',
  'assign_tools',
  'test_agent',
  'list_kb_items',
  'add_kb_text',
  'add_kb_url',
  'upload_kb_file',
  'delete_kb_item',
  'list_conversations',
  'get_conversation',
  'get_conversation_audio',
  'list_mcp_servers',
  'list_mcp_server_tools',
  'get_analytics',
  'analyze_sentiment',
  'make_call',
  'wait_for_call',
  'list_voices',
  'create_voice',
  'configure_webhook',
];

const sandbox = useSandbox();
let mcp: Connected;
beforeAll(async () => {
  mcp = await connect(sandbox());
});
afterAll(() => mcp.close());

describe('the catalogue', () => {
  it('has exactly the names of the design (with wait_for_call and test_agent), in order', () => {
    expect(CATALOGUE.map((t) => t.name)).toEqual(DESIGN_NAMES);
  });

  it.each(CATALOGUE.map((t) => [t.name, t] as const))('%s is complete', (_name, tool) => {
    expect(TOOLSETS).toContain(tool.toolset);
    expect(tool.title.length).toBeGreaterThan(3);
    expect(tool.description.length).toBeGreaterThan(20);
    expect(tool.description.length).toBeLessThanOrEqual(160);
    expect(typeof tool.annotations.readOnlyHint).toBe('boolean');
    expect(tool.output).toBeDefined();
    // every field a model fills in is described
    for (const [field, schema] of Object.entries(tool.input)) {
      expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
    }
  });

  it('annotations follow the design', () => {
    const by = Object.fromEntries(CATALOGUE.map((t) => [t.name, t.annotations]));
    const readOnly = CATALOGUE.filter((t) => t.annotations.readOnlyHint).map((t) => t.name);
    expect(readOnly.sort()).toEqual(
      [
        'verify_api_key',
        'list_agents',
        'get_agent',
        'list_kb_items',
        'list_conversations',
        'get_conversation',
        'get_conversation_audio',
        'list_mcp_servers',
        'list_mcp_server_tools',
        'get_analytics',
        'analyze_sentiment',
        'wait_for_call',
        'test_agent',
        'list_voices',
      ].sort(),
    );
    for (const name of ['delete_agent', 'delete_kb_item', 'make_call'])
      expect(by[name]?.destructiveHint).toBe(true);
    for (const name of ['update_agent', 'delete_agent', 'assign_tools', 'delete_kb_item'])
      expect(by[name]?.idempotentHint).toBe(true);
    expect(by.make_call).toMatchObject({ openWorldHint: true, idempotentHint: false });
    for (const t of CATALOGUE) {
      if (!t.annotations.readOnlyHint && !['delete_agent', 'delete_kb_item', 'make_call'].includes(t.name)) {
        expect(t.annotations.destructiveHint, t.name).toBe(false);
      }
    }
  });
});

describe('tools/list', () => {
  it('publishes input and output schemas with no top-level union', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools).toHaveLength(26);
    for (const t of tools) {
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(t.outputSchema?.type, t.name).toBe('object');
      for (const key of ['anyOf', 'oneOf', 'allOf', '$schema']) {
        expect(t.inputSchema, `${t.name} ${key}`).not.toHaveProperty(key);
      }
      // A title only where it says more than the name (json-schema.ts titleSaysMore).
      const tool = CATALOGUE.find((c) => c.name === t.name)!;
      expect(t.title).toBe(titleSaysMore(tool) ? tool.title : undefined);
    }
  });

  it('matches the snapshot of every tool', async () => {
    const { tools } = await mcp.client.listTools();
    for (const t of tools) {
      await expect(`${JSON.stringify(t, null, 2)}\n`).toMatchFileSnapshot(
        `__toolsnaps__/${t.name}.snap.json`,
      );
    }
  });
});

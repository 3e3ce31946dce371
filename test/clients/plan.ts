/**
 * The client-compatibility suite's plan: one real, successful call of every tool in the catalogue on
 * the sandbox's demo account, in an order that works (an agent is created before it is updated,
 * assigned tools and deleted; a knowledge-base item is added before it is deleted; `make_call` comes
 * before `wait_for_call` on its call id; the recording is fetched for a conversation that has one).
 *
 * Shared by every framework's test (test/clients/*.test.ts):
 *
 *   const steps = planSteps(listedTools);            // the steps this server's tools allow, in order
 *   const results: PlanResults = {};
 *   for (const step of steps) {
 *     const args = step.args(results);               // may use the data of earlier steps
 *     const out = await runTheToolTheFrameworkWay(step.tool, args);
 *     results[step.id] = resultData(textsOf(out));   // the JSON object the tool returned
 *   }
 *
 * `uncoveredTools()` names the catalogue's tools with no step: each test asserts it is empty, so a
 * tool added without a plan step fails the suite.
 *
 * The plan suits both ways of running the server: in-process / HTTP stacks (`startStack`, short
 * training and call times) and `voisa-mcp --sandbox` over stdio (the sandbox's defaults: an agent
 * trains for 3 s, a call lasts 4 s). The steps that need a created agent to have finished training
 * (`update_agent`, `assign_tools`) come after `wait_for_call`, which waits for a call that lasts longer.
 *
 * Steps that ask for confirmation (`confirms: true`: make_call, delete_kb_item, delete_agent) are
 * answered the way each framework answers: a client that declares no elicitation is not asked (the
 * server's `--confirm auto` runs them on the tool's destructive hint).
 *
 * Every stack the plan runs on carries the call policy in `PLAN_POLICY_FILE` (no numbers in +999, a
 * range that does not exist): in process `startStack({ policy: await planPolicy() })`, over stdio
 * `voisa-mcp --call-policy PLAN_POLICY_FILE`. Its refusal is a step too (`refusal`): a refused call's
 * text must reach the next model request like any result.
 */
import { fileURLToPath } from 'node:url';
import { loadPolicyFile } from '../../src/policy/file.js';
import { CallPolicy } from '../../src/policy/policy.js';
import { CATALOGUE, TOOL_NAMES } from '../../src/tools/index.js';

/** The data each earlier step returned (its structured content / JSON), by step id. */
export type PlanResults = Record<string, Record<string, any>>;

/** A tool as a client lists it: enough to decide whether an optional step applies. */
export interface ListedTool {
  name: string;
  inputSchema?: { properties?: Record<string, unknown> } | Record<string, unknown>;
}

export interface PlanStep {
  /** Unique: the tool's name, or the name and a suffix for an extra call of the same tool. */
  id: string;
  tool: string;
  /** The call's arguments, from the data of the steps before it. */
  args(results: PlanResults): Record<string, unknown>;
  /** The server asks the user first (when the client declares elicitation). */
  confirms?: boolean;
  /** Run only when this holds for the tool as listed (e.g. its input has a new field). */
  when?(tool: ListedTool): boolean;
  /** What the step proves, for test names and reports. */
  note?: string;
  /**
   * The step must be refused: its answer is an isError result whose text starts with this code (e.g.
   * `POLICY_DESTINATION`), and that text reaches the next model request. No confirmation is asked:
   * the call policy refuses before any question.
   */
  refusal?: string;
}

/** The call policy every stack of the plan runs with: it blocks +999 (`make_call_refused`). */
export const PLAN_POLICY_FILE = fileURLToPath(new URL('./call-policy.json', import.meta.url));

/** `PLAN_POLICY_FILE` as an in-process stack takes it (`startStack({ policy })`). */
export async function planPolicy(): Promise<CallPolicy> {
  return new CallPolicy(await loadPolicyFile(PLAN_POLICY_FILE));
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
/** A real MP3 frame header and a little payload: what a voice sample upload looks like. */
const MP3_SAMPLE = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(412, 0x55)]).toString(
  'base64',
);

/** The first element of `list` in `data`, or a clear error naming the step. */
function first(results: PlanResults, step: string, list: string): Record<string, any> {
  const item = results[step]?.[list]?.[0];
  if (!item) throw new Error(`plan: step ${step} returned no ${list} (got ${JSON.stringify(results[step])})`);
  return item;
}

function field(results: PlanResults, step: string, name: string): string {
  const value = results[step]?.[name];
  if (typeof value !== 'string') {
    throw new Error(`plan: step ${step} returned no ${name} (got ${JSON.stringify(results[step])})`);
  }
  return value;
}

/** True when the listed tool's input schema has this property. */
export function hasInput(tool: ListedTool, property: string): boolean {
  const props = (tool.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return !!props && Object.hasOwn(props, property);
}

const BELLA = 'agt_bella0001';
const created = (r: PlanResults) => field(r, 'create_agent', 'id');
/** A finished conversation with a recording: the first successful one of Bella's listed. */
const recorded = (r: PlanResults) => first(r, 'list_conversations', 'conversations').id as string;

export const PLAN: readonly PlanStep[] = [
  { id: 'verify_api_key', tool: 'verify_api_key', args: () => ({}) },
  { id: 'list_agents', tool: 'list_agents', args: () => ({ status: 'active', limit: 5 }) },
  { id: 'get_agent', tool: 'get_agent', args: () => ({ agent_id: BELLA }) },
  {
    id: 'create_agent',
    tool: 'create_agent',
    args: () => ({
      name: 'Compat Dental',
      industry: 'healthcare',
      config: { conversation: { first_message: 'Hello, Compat Dental here.' } },
    }),
  },
  { id: 'list_voices', tool: 'list_voices', args: () => ({}) },
  {
    id: 'create_voice',
    tool: 'create_voice',
    args: () => ({
      name: 'Compat voice',
      description: 'Calm and warm',
      audio_samples: [{ file_name: 'sample.mp3', content_base64: MP3_SAMPLE }],
    }),
  },
  { id: 'list_mcp_servers', tool: 'list_mcp_servers', args: () => ({}) },
  {
    id: 'list_mcp_server_tools',
    tool: 'list_mcp_server_tools',
    args: (r) => ({ server_id: first(r, 'list_mcp_servers', 'servers').id }),
  },
  {
    id: 'chat_with_agent',
    tool: 'chat_with_agent',
    args: () => ({
      agent_id: BELLA,
      message: 'What are your opening hours?',
      context: [{ name: 'user_name', value: 'Jo' }],
    }),
  },
  {
    id: 'test_agent',
    tool: 'test_agent',
    args: () => ({
      agent_id: BELLA,
      scenarios: [{ name: 'hours', caller: ['When are you open?'], expect: [{ contains: 'open' }] }],
    }),
  },
  { id: 'list_kb_items', tool: 'list_kb_items', args: () => ({ agent_id: BELLA, type: 'text' }) },
  {
    id: 'add_kb_text',
    tool: 'add_kb_text',
    args: () => ({
      agent_id: BELLA,
      title: 'Parking',
      content: 'Free parking behind the building.',
      category: 'general',
    }),
  },
  {
    id: 'add_kb_url',
    tool: 'add_kb_url',
    args: () => ({ agent_id: BELLA, url: 'https://bella.example/menu' }),
  },
  {
    id: 'upload_kb_file',
    tool: 'upload_kb_file',
    args: () => ({
      agent_id: BELLA,
      category: 'policies',
      file_name: 'policy.txt',
      content_base64: b64('Refunds within 30 days.'),
    }),
  },
  {
    id: 'delete_kb_item',
    tool: 'delete_kb_item',
    confirms: true,
    args: (r) => ({ item_id: field(r, 'add_kb_text', 'id') }),
  },
  {
    id: 'list_conversations',
    tool: 'list_conversations',
    args: () => ({ agent_id: BELLA, status: 'success', limit: 3 }),
  },
  { id: 'get_conversation', tool: 'get_conversation', args: (r) => ({ conversation_id: recorded(r) }) },
  {
    id: 'get_conversation_audio',
    tool: 'get_conversation_audio',
    note: 'the recording, as the tool returns it by default',
    args: (r) => ({ conversation_id: recorded(r) }),
  },
  {
    id: 'get_conversation_audio (inline)',
    tool: 'get_conversation_audio',
    note: 'the recording bytes, asked for with inline: true',
    when: (tool) => hasInput(tool, 'inline'),
    args: (r) => ({ conversation_id: recorded(r), inline: true }),
  },
  { id: 'get_analytics', tool: 'get_analytics', args: () => ({ agent_id: BELLA, period: 'week' }) },
  {
    id: 'analyze_sentiment',
    tool: 'analyze_sentiment',
    args: () => ({ texts: ['Great service, very helpful!', 'Terrible experience'] }),
  },
  {
    id: 'make_call',
    tool: 'make_call',
    confirms: true,
    args: () => ({ agent_id: BELLA, phone_number: '+49123456789' }),
  },
  {
    id: 'make_call_refused',
    tool: 'make_call',
    refusal: 'POLICY_DESTINATION',
    args: () => ({ agent_id: BELLA, phone_number: '+9991234567' }),
    note: 'a call the call policy refuses: its refusal text reaches the next model request',
  },
  {
    id: 'wait_for_call',
    tool: 'wait_for_call',
    note: 'the ended call: outcome, summary and where its transcript and recording are',
    args: (r) => ({ call_id: field(r, 'make_call', 'call_id'), wait_seconds: 60 }),
  },
  // The created agent has finished training by now (the call above lasted longer).
  {
    id: 'update_agent',
    tool: 'update_agent',
    args: (r) => ({ agent_id: created(r), name: 'Compat Dental Clinic' }),
  },
  {
    id: 'assign_tools',
    tool: 'assign_tools',
    args: (r) => ({
      agent_id: created(r),
      tools: [first(r, 'list_mcp_server_tools', 'tools').name],
    }),
  },
  {
    id: 'delete_agent',
    tool: 'delete_agent',
    confirms: true,
    args: (r) => ({ agent_id: created(r) }),
  },
  // Last: the webhook stays configured on the account, so nothing after it triggers deliveries.
  {
    id: 'configure_webhook',
    tool: 'configure_webhook',
    args: () => ({ url: 'https://hooks.example.com/voisa', events: ['conversation.ended'] }),
  },
];

/** The catalogue's tools with no step in the plan (must be none). */
export function uncoveredTools(names: readonly string[] = TOOL_NAMES): string[] {
  const planned = new Set(PLAN.map((s) => s.tool));
  return names.filter((n) => !planned.has(n));
}

/** The destructive-or-confirmed tools of the catalogue, for a check that the plan marks them. */
export const CONFIRMED_TOOLS: readonly string[] = CATALOGUE.filter((t) => t.confirm).map((t) => t.name);

/**
 * The steps to run against these listed tools, in order: every step whose tool is listed and whose
 * `when` holds. A listed tool with no step, or a step whose tool is missing, throws.
 */
export function planSteps(listed: readonly ListedTool[]): PlanStep[] {
  const byName = new Map(listed.map((t) => [t.name, t]));
  const missing = PLAN.filter((s) => !byName.has(s.tool)).map((s) => s.tool);
  if (missing.length) throw new Error(`plan: the server did not list ${[...new Set(missing)].join(', ')}`);
  const uncovered = uncoveredTools(listed.map((t) => t.name));
  if (uncovered.length)
    throw new Error(`plan: no step for ${uncovered.join(', ')} (add one to test/clients/plan.ts)`);
  return PLAN.filter((s) => !s.when || s.when(byName.get(s.tool)!));
}

/**
 * The data of a tool result from its text blocks: the last one that is a JSON object (the result's
 * JSON comes after any untrusted-data note). Throws when there is none, quoting what there was.
 */
export function resultData(texts: readonly string[]): Record<string, any> {
  for (const text of [...texts].reverse()) {
    try {
      const value = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // not JSON: a note or a message
    }
  }
  throw new Error(`no JSON object in the tool result: ${JSON.stringify(texts).slice(0, 500)}`);
}

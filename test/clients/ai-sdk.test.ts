/**
 * The AI SDK as a user runs it: `@ai-sdk/mcp`'s `createMCPClient` on our streamable HTTP endpoint,
 * `tools()`, and `generateText` (package `ai`) with the OpenAI provider (chat completions and
 * responses) and the Anthropic provider, pointed at the stand-in model. For every plan step the
 * stand-in asks for the tool, the SDK calls it through MCP, turns the result into model output with
 * the tool's own `toModelOutput`, and sends the next request, which the stand-in checks as the real
 * API would. Both protocol generations: 2026-07-28 (the client's `server/discover` probe) and
 * 2025-11-25 (`protocolVersionDiscovery: false`: initialize and a session).
 *
 * Also once over stdio with the built binary (`voisa-mcp --sandbox`), the way desktop apps run it.
 *
 * Confirmation: the client declares elicitation and answers the way an AI SDK app's form does (see
 * `acceptForm`): on 2026-07-28 an `input_required` result, on 2025-11-25 an `elicitation/create`.
 */

import path from 'node:path';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createMCPClient, ElicitationRequestSchema, type MCPClientConfig } from '@ai-sdk/mcp';
import { Experimental_StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, type LanguageModel, stepCountIs, type ToolSet } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unbuilt } from '../helpers/built.js';
import { startStack } from '../http/helpers.js';
import { CONFIRMED_TOOLS, PLAN_POLICY_FILE, planPolicy } from './plan.js';
import { acceptForm, expectClean, runPlan, type SeenResult } from './run-plan.js';
import { type StandInModel, startStandInModel } from './stand-in-model.js';

let model: StandInModel;
beforeAll(async () => {
  model = await startStandInModel();
});
afterAll(() => model?.close());

const PROVIDERS: Record<string, (m: StandInModel) => LanguageModel> = {
  'openai.chat': (m) => createOpenAI({ baseURL: m.openaiBaseUrl, apiKey: 'sk-test' }).chat('gpt-4o-mini'),
  'openai.responses': (m) =>
    createOpenAI({ baseURL: m.openaiBaseUrl, apiKey: 'sk-test' }).responses('gpt-4o-mini'),
  anthropic: (m) => createAnthropic({ baseURL: m.openaiBaseUrl, apiKey: 'sk-ant-test' })('claude-sonnet-4-5'),
};
const GENERATIONS = { '2026-07-28': true, '2025-11-25': false } as const;
const CLI = path.resolve('dist/cli/index.js');

type Generation = keyof typeof GENERATIONS;

/** Connects the SDK's MCP client, runs the plan with this provider, and checks the tally. */
async function runAiSdk(
  transport: MCPClientConfig['transport'],
  generation: Generation,
  provider: string,
  /** Over stdio the client gives `server/discover` 1 s, then initializes: a slow start lands on 2025-11-25. */
  fallback?: Generation,
) {
  let asked = 0;
  const client = await createMCPClient({
    transport,
    protocolVersionDiscovery: GENERATIONS[generation],
    capabilities: { elicitation: {} },
  });
  client.onElicitationRequest(ElicitationRequestSchema, (request) => {
    asked++;
    return acceptForm(request.params.requestedSchema);
  });
  try {
    const negotiated = client.initializeResult.protocolVersion;
    expect([generation, fallback]).toContain(negotiated);
    const tools = await client.tools();
    const { tools: listed } = await client.listTools();
    // An observer on each tool's execute: the SDK's own tool runs, and its result is noted.
    let observe: (r: SeenResult) => void = () => {};
    const observed = Object.fromEntries(
      Object.entries(tools).map(([name, tool]) => [
        name,
        {
          ...tool,
          execute: async (input: never, options: never) => {
            const out = await tool.execute!(input, options);
            observe(out as SeenResult);
            return out;
          },
        },
      ]),
    ) as ToolSet;
    const llm = PROVIDERS[provider]!(model);
    const via = 'type' in transport ? transport.type : 'stdio';
    const tally = await runPlan({
      label: `ai-sdk ${provider} ${negotiated} (${via})`,
      model,
      listed,
      offered: Object.keys(tools).length,
      asked: () => asked,
      async turn(step, _args, seen) {
        observe = seen;
        await generateText({
          model: llm,
          tools: observed,
          stopWhen: stepCountIs(2),
          maxRetries: 0,
          prompt: `Use ${step.tool} now.`,
        });
      },
    });
    expectClean(tally, CONFIRMED_TOOLS.length);
  } finally {
    await client.close();
  }
}

describe.each(Object.keys(GENERATIONS) as Generation[])('AI SDK on %s', (generation) => {
  it.each(Object.keys(PROVIDERS))(
    'loads every tool, calls each and hands each result to %s in the next request',
    async (provider) => {
      const stack = await startStack({ policy: await planPolicy() });
      try {
        await runAiSdk({ type: 'http', url: stack.http.mcpUrl }, generation, provider);
      } finally {
        await stack.close();
      }
    },
    90_000,
  );
});

// The built binary over stdio, as a desktop app spawns it: `voisa-mcp --sandbox` with the plan's call
// policy (the sandbox's own call and training times). Needs `npm run build` (CI builds first).
describe.skipIf(unbuilt(CLI))('AI SDK over stdio (dist/cli/index.js --sandbox)', () => {
  it('loads every tool, calls each and hands each result to openai.chat in the next request', async () => {
    const transport = new Experimental_StdioMCPTransport({
      command: process.execPath,
      args: [CLI, '--sandbox', '--call-policy', PLAN_POLICY_FILE],
      env: { PATH: process.env.PATH ?? '' },
      stderr: 'ignore',
    });
    await runAiSdk(transport, '2026-07-28', 'openai.chat', '2025-11-25');
  }, 90_000);
});

/**
 * The AI SDK as a user runs it: `@ai-sdk/mcp`'s `createMCPClient` on our streamable HTTP endpoint,
 * `tools()`, and `generateText` (package `ai`) with the OpenAI provider (chat completions and
 * responses) and the Anthropic provider, pointed at the stand-in model. For every plan step the
 * stand-in asks for the tool, the SDK calls it through MCP, turns the result into model output with
 * the tool's own `toModelOutput`, and sends the next request, which the stand-in checks as the real
 * API would. Both protocol generations: 2026-07-28 (the client's `server/discover` probe) and
 * 2025-11-25 (`protocolVersionDiscovery: false`: initialize and a session).
 *
 * Confirmation: the client declares elicitation and answers the way an AI SDK app's form does (see
 * `acceptForm`): on 2026-07-28 an `input_required` result, on 2025-11-25 an `elicitation/create`.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createMCPClient, ElicitationRequestSchema } from '@ai-sdk/mcp';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, type LanguageModel, stepCountIs, type ToolSet } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../http/helpers.js';
import { CONFIRMED_TOOLS } from './plan.js';
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

describe.each(Object.keys(GENERATIONS) as (keyof typeof GENERATIONS)[])('AI SDK on %s', (generation) => {
  it.each(Object.keys(PROVIDERS))(
    'loads every tool, calls each and hands each result to %s in the next request',
    async (provider) => {
      const stack = await startStack();
      let asked = 0;
      const client = await createMCPClient({
        transport: { type: 'http', url: stack.http.mcpUrl },
        protocolVersionDiscovery: GENERATIONS[generation],
        capabilities: { elicitation: {} },
      });
      client.onElicitationRequest(ElicitationRequestSchema, (request) => {
        asked++;
        return acceptForm(request.params.requestedSchema);
      });
      try {
        expect(client.initializeResult.protocolVersion).toBe(generation);
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
        const tally = await runPlan({
          label: `ai-sdk ${provider} ${generation}`,
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
        await stack.close();
      }
    },
    90_000,
  );
});

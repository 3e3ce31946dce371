/**
 * Mastra as a user runs it: `@mastra/mcp`'s `MCPClient` on our streamable HTTP endpoint, its tools
 * (`voisa_<tool>`) given to a `@mastra/core` `Agent` whose model is the AI SDK's OpenAI provider
 * (chat completions and responses) pointed at the stand-in model. For every plan step the stand-in
 * asks for the tool, Mastra calls it through MCP (its tool returns the structured content, with the
 * content blocks kept aside for `toModelOutput`) and sends the next request, which the stand-in checks
 * as the real API would. Both protocol generations: the client's default negotiation (2026-07-28)
 * and `protocolVersion: 'legacy'` (2025-11-25).
 *
 * Confirmation: Mastra's `inputRequests` handler (it declares elicitation; on 2026-07-28 the
 * `input_required` result, on 2025-11-25 an `elicitation/create`), answered as an app's form is
 * (`acceptForm`).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { Agent } from '@mastra/core/agent';
import { getMcpCallToolContent, MCPClient } from '@mastra/mcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../http/helpers.js';
import { CONFIRMED_TOOLS, planPolicy } from './plan.js';
import { acceptForm, expectClean, runPlan, type SeenResult } from './run-plan.js';
import { type StandInModel, startStandInModel } from './stand-in-model.js';

let model: StandInModel;
beforeAll(async () => {
  model = await startStandInModel();
});
afterAll(() => model?.close());

const GENERATIONS = { '2026-07-28': undefined, '2025-11-25': 'legacy' } as const;
const APIS = ['chat', 'responses'] as const;

type MastraTool = {
  execute?: (input: unknown, context: unknown) => Promise<unknown>;
  inputSchema?: { '~standard'?: { jsonSchema?: { input(o: { target: string }): Record<string, unknown> } } };
};

/** A Mastra tool's input as JSON Schema (its standard schema's JSON Schema view). */
function jsonSchemaOf(tool: MastraTool): Record<string, unknown> {
  return tool.inputSchema?.['~standard']?.jsonSchema?.input({ target: 'draft-07' }) ?? {};
}

/** What a Mastra MCP tool returned, as MCP fields: its structured value with the content kept aside. */
function seenOf(out: unknown): SeenResult {
  if (out && typeof out === 'object' && 'content' in out) return out as SeenResult;
  return { structuredContent: out, content: getMcpCallToolContent(out) as SeenResult['content'] };
}

describe.each(Object.keys(GENERATIONS) as (keyof typeof GENERATIONS)[])('Mastra on %s', (generation) => {
  it.each(APIS)(
    'loads every tool, calls each and hands each result to the OpenAI %s API in the next request',
    async (api) => {
      const stack = await startStack({ policy: await planPolicy() });
      let asked = 0;
      const mcp = new MCPClient({
        id: `voisa-${generation}-${api}`,
        servers: {
          voisa: {
            url: new URL(stack.http.mcpUrl),
            protocolVersion: GENERATIONS[generation],
            enableServerLogs: false,
            inputRequests: async ({ params }) => {
              asked++;
              return acceptForm((params as { requestedSchema?: unknown }).requestedSchema);
            },
          },
        },
      });
      try {
        const tools = (await mcp.listTools()) as Record<string, MastraTool>;
        expect(mcp.getServerProtocolVersions()).toEqual({ voisa: generation });
        const listed = Object.entries(tools).map(([name, tool]) => ({
          name: name.replace(/^voisa_/, ''),
          inputSchema: jsonSchemaOf(tool),
        }));
        // An observer on each tool's execute: Mastra's own tool runs, and its result (or throw) is noted.
        let observe: (r: SeenResult) => void = () => {};
        for (const tool of Object.values(tools)) {
          const execute = tool.execute!.bind(tool);
          tool.execute = async (input, context) => {
            try {
              const out = await execute(input, context);
              observe(seenOf(out));
              return out;
            } catch (err) {
              observe({ isError: true, content: [{ type: 'text', text: (err as Error).message }] });
              throw err;
            }
          };
        }
        const openai = createOpenAI({ baseURL: model.openaiBaseUrl, apiKey: 'sk-test' });
        const agent = new Agent({
          id: 'voisa-operator',
          name: 'VOISA operator',
          instructions: 'Run the VOISA tool the user names.',
          // Mastra runs AI SDK v4-spec models (this provider's) though its types name only v1-v3.
          model: (api === 'chat' ? openai.chat('gpt-4o-mini') : openai.responses('gpt-4o-mini')) as never,
          tools: tools as never,
        });
        const tally = await runPlan({
          label: `mastra openai.${api} ${generation}`,
          model,
          listed,
          offered: Object.keys(tools).length,
          asked: () => asked,
          async turn(step, _args, seen) {
            observe = seen;
            await agent.generate(`Use voisa_${step.tool} now.`, { maxSteps: 2 });
          },
        });
        expectClean(tally, CONFIRMED_TOOLS.length);
      } finally {
        await mcp.disconnect();
        await stack.close();
      }
    },
    90_000,
  );
});

/**
 * The OpenAI Agents SDK as a user runs it: an `Agent` with our server in `mcpServers`, its MCP tool
 * schemas converted to strict mode (`mcpConfig.convertSchemasToStrict`), run by a `Runner` whose model
 * provider points at the stand-in model (the default responses API, and chat completions), tracing
 * off. For every plan step the stand-in asks for the tool, the SDK calls it through its MCP client and
 * sends the result in the next request, which the stand-in checks as the real API would (strict
 * function schemas included: a tool the SDK could not make strict is sent non-strict and counted).
 *
 * Both protocol generations: `MCPServerStreamableHttp` (the SDK's client negotiates 2026-07-28) and
 * `MCPServerSSE` (the legacy HTTP+SSE transport: a 2025-era session). The Agents SDK declares no
 * elicitation capability, so the server does not ask: `--confirm auto` runs make_call and the
 * deletes on the tools' destructive hint.
 */
import {
  Agent,
  type MCPServer,
  MCPServerSSE,
  MCPServerStreamableHttp,
  OpenAIProvider,
  Runner,
  setTracingDisabled,
} from '@openai/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '../../src/tools/index.js';
import { startStack } from '../http/helpers.js';
import { planPolicy } from './plan.js';
import { expectClean, runPlan, type SeenResult } from './run-plan.js';
import { type StandInModel, startStandInModel } from './stand-in-model.js';

setTracingDisabled(true);

let model: StandInModel;
beforeAll(async () => {
  model = await startStandInModel();
});
afterAll(() => model?.close());

const TRANSPORTS = {
  '2026-07-28': (mcpUrl: string) =>
    new MCPServerStreamableHttp({ url: mcpUrl, name: 'voisa', cacheToolsList: true }),
  '2025-11-25': (mcpUrl: string) =>
    new MCPServerSSE({ url: mcpUrl.replace(/\/mcp$/, '/sse'), name: 'voisa', cacheToolsList: true }),
} as const;
const APIS = { responses: true, 'chat completions': false } as const;

/** The negotiated revision, read from the SDK's MCP client behind the server object. */
function negotiated(server: MCPServer): string | undefined {
  const inner = server as unknown as {
    underlying?: { session?: { getNegotiatedProtocolVersion?(): string } };
  };
  return inner.underlying?.session?.getNegotiatedProtocolVersion?.();
}

/** The tools a model request offered, and how many of them with `strict: true`. */
function offered(body: { tools?: { strict?: boolean; function?: { strict?: boolean } }[] }) {
  const tools = body?.tools ?? [];
  return { all: tools.length, strict: tools.filter((t) => (t.function ?? t).strict === true).length };
}

describe.each(Object.keys(TRANSPORTS) as (keyof typeof TRANSPORTS)[])('OpenAI Agents on %s', (generation) => {
  it.each(Object.keys(APIS) as (keyof typeof APIS)[])(
    'loads every tool strict, calls each and hands each result to the %s API in the next request',
    async (api) => {
      const stack = await startStack({ policy: await planPolicy() });
      const server = TRANSPORTS[generation](stack.http.mcpUrl);
      await server.connect();
      try {
        expect(negotiated(server)).toBe(generation);
        // An observer on the server's callTool: the SDK's own call runs, and its result is noted.
        let observe: (r: SeenResult) => void = () => {};
        const callTool = server.callTool.bind(server);
        server.callTool = async (name, args, meta, options) => {
          const content = await callTool(name, args, meta, options);
          // The SDK attaches the result's other fields to the content array as non-enumerable
          // properties (what its own tool wrapper reads): read them by name, a spread would miss them.
          const { structuredContent, isError } = content as unknown as {
            structuredContent?: unknown;
            isError?: boolean;
          };
          observe({ content: content as SeenResult['content'], structuredContent, isError });
          return content;
        };
        const runner = new Runner({
          modelProvider: new OpenAIProvider({
            apiKey: 'sk-test',
            baseURL: model.openaiBaseUrl,
            useResponses: APIS[api],
          }),
          tracingDisabled: true,
        });
        const agent = new Agent({
          name: 'VOISA operator',
          instructions: 'Run the VOISA tool the user names.',
          model: 'gpt-4o-mini',
          mcpServers: [server],
          mcpConfig: { convertSchemasToStrict: true },
        });
        const listed = await server.listTools();
        const from = model.requests.length;
        const tally = await runPlan({
          label: `openai-agents ${api} ${generation}`,
          model,
          listed,
          offered: listed.length,
          async turn(step, _args, seen) {
            observe = seen;
            await runner.run(agent, `Use ${step.tool} now.`, { maxTurns: 3 });
          },
        });
        const first = model.requests.slice(from).find((r) => r.api === 'chat' || r.api === 'responses');
        const tools = offered(first?.body);
        tally.tools = tools.all;
        tally.strict = tools.strict;
        // Not asked: the SDK declares no elicitation.
        expectClean(tally, 0);
        expect(tally.strict).toBe(TOOL_NAMES.length);
      } finally {
        await server.close();
        await stack.close();
      }
    },
    90_000,
  );
});

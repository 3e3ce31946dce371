import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { type AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { ChatOpenAI } from '@langchain/openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '../../src/tools/index.js';
import { unbuilt } from '../helpers/built.js';
import { type Stack, startStack } from '../http/helpers.js';
import {
  PLAN,
  PLAN_POLICY_FILE,
  type PlanResults,
  type PlanStep,
  planPolicy,
  planSteps,
  resultData,
  uncoveredTools,
} from './plan.js';
import { type StandInModel, startStandInModel } from './stand-in-model.js';

const CLI = path.resolve('dist/cli/index.js');
const built = !unbuilt(CLI);

let model: StandInModel;
beforeAll(async () => {
  model = await startStandInModel();
});
afterAll(async () => {
  await model.close();
  const lines = tally.map(
    (t) =>
      `${t.client}: tools ${t.tools}/${TOOL_NAMES.length}, calls ${t.calls}/${t.steps}, next-turn conversions ${t.nextTurns}/${t.steps}`,
  );
  const shapes = tally
    .filter((t) => t.shapes.length)
    .map((t) => `${t.client} hands the model: ${t.shapes.join('; ')}`);
  process.stderr.write(
    `\nLangChain client compatibility\n${[...lines, ...shapes].map((l) => `  ${l}`).join('\n')}\n`,
  );
});

interface Tally {
  client: string;
  tools: number;
  steps: number;
  calls: number;
  nextTurns: number;
  /** What the model was handed for the steps whose result is more than one text. */
  shapes: string[];
}
const tally: Tally[] = [];

interface Framework {
  name: string;
  chat(model: StandInModel): BaseChatModel;
}

const FRAMEWORKS: Framework[] = [
  {
    name: 'ChatOpenAI (chat completions)',
    chat: (m) =>
      new ChatOpenAI({
        model: 'gpt-4o-mini',
        apiKey: 'sk-test',
        maxRetries: 0,
        configuration: { baseURL: m.openaiBaseUrl },
      }),
  },
  {
    name: 'ChatOpenAI (responses)',
    chat: (m) =>
      new ChatOpenAI({
        model: 'gpt-4o-mini',
        apiKey: 'sk-test',
        maxRetries: 0,
        useResponsesApi: true,
        streaming: true,
        configuration: { baseURL: m.openaiBaseUrl },
      }),
  },
  {
    name: 'ChatAnthropic',
    chat: (m) =>
      new ChatAnthropic({
        model: 'claude-sonnet-4-5',
        apiKey: 'sk-ant-test',
        maxRetries: 0,
        anthropicApiUrl: m.anthropicBaseUrl,
      }),
  },
];

/** Where the MCP server runs for one client: its MultiServerMCPClient connection. */
interface Connection {
  client: MultiServerMCPClient;
  close(): Promise<void>;
}

async function overHttp(): Promise<Connection> {
  const stack: Stack = await startStack({ policy: await planPolicy() });
  const client = new MultiServerMCPClient({
    mcpServers: { voisa: { transport: 'http', url: stack.http.mcpUrl } },
  });
  return {
    client,
    async close() {
      await client.close();
      await stack.close();
    },
  };
}

async function overStdio(): Promise<Connection> {
  const client = new MultiServerMCPClient({
    mcpServers: {
      voisa: {
        transport: 'stdio',
        command: process.execPath,
        args: [CLI, '--sandbox', '--call-policy', PLAN_POLICY_FILE],
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
        stderr: 'ignore',
      },
    },
  });
  return { client, close: () => client.close() };
}

/** The texts of a ToolMessage's content, whatever shape the adapter gave it. */
function textsOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  const blocks = Array.isArray(content) ? content : [content];
  return blocks
    .filter((b): b is { type: string; text: string } => b?.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text);
}

/** The tool's data: the structured content the adapter keeps as an artifact, else the JSON text. */
function dataOf(message: ToolMessage): Record<string, any> {
  const artifacts: { type?: string; data?: Record<string, any> }[] = Array.isArray(message.artifact)
    ? message.artifact
    : [];
  const structured = artifacts.find((a) => a.type === 'mcp_structured_content')?.data;
  return structured ?? resultData(textsOf(message.content));
}

/** The block types the model gets in the ToolMessage, for the log line. */
function contentTypes(content: unknown): string {
  if (typeof content === 'string') return 'string';
  const blocks = Array.isArray(content) ? content : [content];
  return blocks.map((b) => `${b?.type}${b?.source_type ? `:${b.source_type}` : ''}`).join(',');
}

/** The artifacts the adapter kept from the model (embedded resources), other than the structured content. */
function artifactTypes(artifact: unknown): string {
  const list: { type?: string }[] = Array.isArray(artifact) ? artifact : [];
  return list
    .map((a) => a.type)
    .filter((type) => type !== 'mcp_structured_content' && type !== 'mcp_meta')
    .join(',');
}

function describeClient(
  framework: Framework,
  transport: 'http' | 'stdio',
  connect: () => Promise<Connection>,
) {
  const client = `${framework.name} over ${transport}`;
  describe(client, () => {
    let conn: Connection;
    let tools: StructuredToolInterface[];
    let llm: BaseChatModel;
    let steps: readonly PlanStep[] = [];
    const results: PlanResults = {};
    const t: Tally = { client, tools: 0, steps: 0, calls: 0, nextTurns: 0, shapes: [] };

    beforeAll(async () => {
      conn = await connect();
      tally.push(t);
      tools = await conn.client.getTools();
      t.tools = tools.length;
      llm = framework.chat(model);
      steps = planSteps(
        tools.map((tool) => ({ name: tool.name, inputSchema: tool.schema as Record<string, unknown> })),
      );
      t.steps = steps.length;
    }, 30_000);
    afterAll(() => conn?.close());

    it('loads every tool of the catalogue, and the plan covers them all', () => {
      expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOL_NAMES].sort());
      expect(uncoveredTools()).toEqual([]);
    });

    // One test per plan step, in order; a step's data is kept for the later steps even when its
    // next-turn conversion fails, so one refusal does not hide the others. A step whose `when` does
    // not hold for the listed tool (an input this server does not have yet) is skipped.
    for (const step of PLAN) {
      it(step.id, async (ctx) => {
        if (!steps.includes(step)) return ctx.skip();
        const args = step.args(results);
        const history: BaseMessage[] = [new HumanMessage(`Please run ${step.tool}.`)];

        model.reset(); // nothing left queued by a step that failed before its call
        model.nextToolCall(step.tool, args);
        const bound = llm.bindTools?.(tools);
        if (!bound) throw new Error(`${framework.name} cannot bind tools`);
        const ai = (await bound.invoke(history)) as AIMessage;
        const call = ai.tool_calls?.[0];
        expect(call, 'the model asked for the tool').toMatchObject({ name: step.tool, args });

        const tool = tools.find((x) => x.name === step.tool)!;
        let message: ToolMessage;
        if (step.refusal) {
          // The adapter throws a ToolException for an isError result, quoting its text; an agent loop
          // (LangGraph's ToolNode, handleToolErrors) hands the model that message as an error
          // ToolMessage, worded as here. The refusal has no data for later steps.
          let went: unknown;
          let refused: Error | undefined;
          try {
            went = await tool.invoke({ ...call!, type: 'tool_call' });
          } catch (err) {
            refused = err as Error;
          }
          expect(
            refused,
            `went through, ${step.refusal} expected: ${JSON.stringify(went)?.slice(0, 300)}`,
          ).toBeDefined();
          const text = refused!.message.split('returned an error: ')[1] ?? refused!.message;
          expect(
            text.startsWith(step.refusal),
            `isError text starts with ${step.refusal}: ${text.slice(0, 300)}`,
          ).toBe(true);
          message = new ToolMessage({
            tool_call_id: call!.id!,
            name: step.tool,
            status: 'error',
            content: `Error: ${refused!.message}\n Please fix your mistakes.`,
          });
        } else {
          message = (await tool.invoke({ ...call!, type: 'tool_call' })) as ToolMessage;
          expect(ToolMessage.isInstance(message)).toBe(true);
          expect(message.status, JSON.stringify(message.content).slice(0, 500)).not.toBe('error');
          results[step.id] = dataOf(message);
        }
        t.calls++;
        const shape = contentTypes(message.content);
        const kept = artifactTypes(message.artifact);
        if (!/^(string|text(,text)*)$/.test(shape) || kept)
          t.shapes.push(`${step.id}: ${shape}${kept ? ` (artifact: ${kept})` : ''}`);

        const before = model.rejected().length;
        const from = model.requests.length;
        let reply: AIMessage;
        try {
          reply = (await llm.invoke([...history, ai, message])) as AIMessage;
        } catch (err) {
          const refused = model.rejected().slice(before)[0];
          throw new Error(
            `${client}: the turn after ${step.id} (ToolMessage content: ${contentTypes(message.content)}) ` +
              `failed: ${refused ? `the model API refused it (${refused.problem})` : String(err)}`,
          );
        }
        expect(reply.text).toBe('Done.');
        if (step.refusal) {
          // The refusal's text really reached the model: the request after the call carries its code.
          const next = model.requests.slice(from).find((r) => r.api !== 'other' && r.api !== 'count_tokens');
          expect(JSON.stringify(next?.body), `the next request carries ${step.refusal}`).toContain(
            step.refusal,
          );
        }
        t.nextTurns++;
      });
    }
  });
}

for (const framework of FRAMEWORKS) describeClient(framework, 'http', overHttp);
describe.skipIf(!built)('stdio (built binary)', () => {
  describeClient(FRAMEWORKS[0]!, 'stdio', overStdio);
});

/**
 * Claude Code (the real CLI, `claude -p`, pinned in package.json) with voisa-mcp over stdio, offline:
 * its model is the loopback stand-in (`ANTHROPIC_BASE_URL`, test/clients/stand-in-model.ts), which
 * answers with the tool calls queued here and refuses, as the Anthropic API would, a request it would
 * not take. The server is the built CLI (`dist/cli/index.js`) on this file's sandbox.
 *
 * What Claude Code 2.1.328 does, as these tests see it: it speaks 2026-07-28 over stdio
 * (`server/discover`, then a `subscriptions/listen` that stays open), pages through `resources/list`
 * at start-up, lists our tools as `mcp__voisa__<tool>`, deferred: the model loads their schemas with
 * its `ToolSearch` tool (`select:<names>`) before calling them. It declares elicitation, and in `-p`
 * mode answers every question (our `input_required` confirmation) with `cancel`. When it exits it
 * stops the server itself (SIGINT, SIGTERM, then SIGKILL); when it is killed, the server is left with
 * its pipes closed.
 *
 * The binary is the platform package's native executable (no Node needed). Missing, the tests skip
 * with a message, except under CI, where `npm ci` installs it and they must run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '../../src/tools/index.js';
import { unbuilt } from '../helpers/built.js';
import { connect } from '../helpers/mcp.js';
import { type Json, useSandbox, waitFor } from '../helpers/sandbox.js';
import { skipOutsideCi } from '../helpers/services.js';
import { PLAN_POLICY_FILE, type PlanResults, planSteps, resultData } from './plan.js';
import { type RecordedRequest, type StandInModel, startStandInModel } from './stand-in-model.js';

const CLI = path.resolve('dist/cli/index.js');
const TAP = path.resolve('test/clients/stdio-tap.mjs');
const PREFIX = 'mcp__voisa__';
const BELLA = 'agt_bella0001';
const RECORDED = 'conv_seed0001';

/**
 * Claude Code's native executable: the platform package's binary (what the wrapper's postinstall
 * copies over bin/claude.exe), else bin/claude.exe once that copy is done (the stub is a few bytes).
 */
function findClaude(): string | undefined {
  const require = createRequire(import.meta.url);
  const exe = process.platform === 'win32' ? 'claude.exe' : 'claude';
  const platform = `${process.platform}-${process.arch}`;
  const candidates: string[] = [];
  for (const pkg of [`@anthropic-ai/claude-code-${platform}`, `@anthropic-ai/claude-code-${platform}-musl`]) {
    try {
      candidates.push(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), exe));
    } catch {
      // not installed for this platform
    }
  }
  try {
    const wrapper = path.dirname(require.resolve('@anthropic-ai/claude-code/package.json'));
    candidates.push(path.join(wrapper, 'bin', 'claude.exe'));
  } catch {
    // the wrapper is not installed
  }
  return candidates.find((c) => existsSync(c) && statSync(c).size > 1_000_000);
}

const CLAUDE = findClaude();
const missingMessage =
  'Claude Code is not installed (npm ci installs @anthropic-ai/claude-code and its native package)';

/** Skip (with a message) only outside CI: under CI a missing binary or build fails the tests. */
function skipHere(): boolean {
  const noClaude = skipOutsideCi(!CLAUDE, `the Claude Code tests: ${missingMessage}`);
  return unbuilt(CLI) || noClaude;
}

const sandbox = useSandbox({ rateLimitPerMin: 0 });
let model: StandInModel;
let work: string;
beforeAll(async () => {
  model = await startStandInModel();
  work = await mkdtemp(path.join(tmpdir(), 'voisa-claude-code-'));
});
afterAll(async () => {
  await model?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface StdioServer {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

interface ClaudeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The stream-json events on stdout (system init, assistant, user, result). */
  events: Json[];
  stderr: string;
}

/** Our server as Claude Code starts it: node, the built CLI, a process title to find it by, these flags. */
function voisaServer(title: string, flags: string[] = [], env: Record<string, string> = {}): StdioServer {
  return {
    command: process.execPath,
    args: [`--title=${title}`, CLI, ...flags],
    env: {
      VOISA_API_KEY: sandbox().demoKey,
      VOISA_BASE_URL: sandbox().baseUrl,
      VOISA_RATE_LIMIT_PER_MIN: '0',
      ...env,
    },
  };
}

/** Our server on its embedded sandbox (`--sandbox`), as a first try of it is configured. */
function embeddedServer(title: string): StdioServer {
  return { command: process.execPath, args: [`--title=${title}`, CLI, '--sandbox'] };
}

/** The same server behind the tap, which logs the JSON-RPC lines each way to `log`. */
function tapped(server: StdioServer, log: string): StdioServer {
  return { ...server, args: [TAP, log, server.command, ...server.args] };
}

/**
 * Runs `claude -p` offline with `server` as its only MCP server (`voisa`), the stand-in as its model
 * (`baseUrl`, default this file's stand-in), a temp HOME, and permission to call our tools. `during`
 * runs alongside (the kill test); the run is ended after `timeoutMs` whatever happens.
 */
async function runClaude(
  server: StdioServer,
  opts: { baseUrl?: string; during?: (child: ChildProcess) => Promise<void>; timeoutMs?: number } = {},
): Promise<ClaudeRun> {
  if (!CLAUDE) throw new Error(missingMessage);
  if (!existsSync(CLI)) throw new Error('dist/cli/index.js is not built: npm run build');
  const dir = await mkdtemp(path.join(work, 'run-'));
  const config = path.join(dir, 'mcp.json');
  await writeFile(config, JSON.stringify({ mcpServers: { voisa: { type: 'stdio', ...server } } }));
  const child = spawn(
    CLAUDE,
    [
      '-p',
      'Use the voisa tools as asked.',
      `--mcp-config=${config}`,
      '--strict-mcp-config',
      '--output-format=stream-json',
      '--verbose',
      `--allowedTools=${PREFIX}*`,
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        CLAUDE_CONFIG_DIR: path.join(dir, '.claude'),
        ANTHROPIC_BASE_URL: opts.baseUrl ?? model.anthropicBaseUrl,
        ANTHROPIC_API_KEY: 'sk-ant-stand-in-not-a-key',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_AUTOUPDATER: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, signal) => resolve([code, signal])),
  );
  const guard = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 45_000);
  try {
    await opts.during?.(child);
    const [code, signal] = await exited;
    const events = stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
    return { code, signal, events, stderr };
  } finally {
    clearTimeout(guard);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The MCP tools Claude Code loaded (its init event), without the `mcp__voisa__` prefix. */
function loadedTools(run: ClaudeRun): string[] {
  const init = run.events.find((e) => e.type === 'system' && e.subtype === 'init');
  return (init?.tools ?? [])
    .filter((t: string) => t.startsWith(PREFIX))
    .map((t: string) => t.slice(PREFIX.length))
    .sort();
}

/** Has the model load the schemas of these tools (Claude Code defers MCP tools behind ToolSearch). */
function queueToolSearch(tools: readonly string[]): string {
  return model.nextToolCall('ToolSearch', {
    query: `select:${tools.map((t) => PREFIX + t).join(',')}`,
    max_results: tools.length,
  });
}

/** The tool_result block answering `toolu_<token>` and the model request that carried it. */
function toolResult(token: string): { request: RecordedRequest; block: Json } | undefined {
  const id = `toolu_${token}`;
  for (const request of model.modelRequests()) {
    for (const message of request.body?.messages ?? []) {
      if (!Array.isArray(message.content)) continue;
      const block = message.content.find((b: Json) => b.type === 'tool_result' && b.tool_use_id === id);
      if (block) return { request, block };
    }
  }
  return undefined;
}

/** The text of a tool_result block's content (a string, or text blocks). */
function textsOf(block: Json): string[] {
  if (typeof block.content === 'string') return [block.content];
  return (block.content ?? []).filter((b: Json) => b.type === 'text').map((b: Json) => b.text);
}

/** The JSON-RPC lines the tap logged, parsed, with their direction. */
function tapLines(log: string): { dir: string; msg: Json; pid?: number }[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .map((e) => ({ dir: e.dir, pid: e.pid, msg: e.line ? JSON.parse(e.line) : undefined }));
}

/** The pids of processes whose command line is exactly this title (node `--title`). */
function processesTitled(title: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => !!m && m[2]?.trim() === title)
    .map((m) => Number(m[1]));
}

/** Waits (up to 10 s) until no process with this title runs; returns the pids still running then. */
async function survivors(title: string): Promise<number[]> {
  await waitFor(() => (processesTitled(title).length ? undefined : true), 10_000).catch(() => {});
  return processesTitled(title);
}

/** Ends (SIGKILL) leftover servers this test started, so a failure leaves nothing running. */
function endLeftovers(title: string): void {
  for (const pid of processesTitled(title)) process.kill(pid, 'SIGKILL');
}

/**
 * One Claude Code run's test: an empty queue and log on the stand-in, a fresh process title for the
 * server, and whatever still runs under that title ended afterwards, pass or fail.
 */
async function freshRun(body: (title: string) => Promise<void>): Promise<void> {
  model.reset();
  const title = `voisa-mcp-claude-code-${randomBytes(4).toString('hex')}`;
  try {
    await body(title);
  } finally {
    endLeftovers(title);
  }
}

/** Calls (POST /api/make-call) the sandbox has had since `since` (an index into its request log). */
const callsPlaced = (since: number) =>
  sandbox()
    .requests()
    .slice(since)
    .filter((r) => r.method === 'POST' && r.path === '/api/make-call');

describe.skipIf(skipHere())('Claude Code (claude -p) with voisa-mcp over stdio, offline', () => {
  it(
    'loads our tools; each call reaches the server and its result comes back in a request the API takes; make_call is cancelled',
    () =>
      freshRun(async (title) => {
        const log = path.join(work, `tap-${title}.jsonl`);
        const sandboxFrom = sandbox().requests().length;
        const search = queueToolSearch(TOOL_NAMES);
        const steps: [string, Record<string, unknown>][] = [
          ['list_agents', {}],
          ['get_agent', { agent_id: BELLA }],
          ['list_conversations', { agent_id: BELLA, limit: 3 }],
          ['get_conversation', { conversation_id: RECORDED }],
          ['get_conversation_audio', { conversation_id: RECORDED }],
          ['make_call', { agent_id: BELLA, phone_number: '+49123456789' }],
        ];
        const tokens = steps.map(([tool, args]) => model.nextToolCall(tool, args));
        const run = await runClaude(tapped(voisaServer(title), log));

        expect(loadedTools(run)).toEqual([...TOOL_NAMES].sort());
        expect(run.code, run.stderr).toBe(0);
        expect(model.pending()).toEqual([]);
        expect(model.rejected().map((r) => r.problem)).toEqual([]);
        // ToolSearch loaded every schema: the next request offers them, and the stand-in took it.
        const loaded = toolResult(search);
        expect(loaded?.request.status).toBe(200);
        const offered = (loaded?.request.body.tools ?? []).map((t: Json) => t.name);
        expect(offered.filter((n: string) => n.startsWith(PREFIX)).sort()).toEqual(
          TOOL_NAMES.map((t) => PREFIX + t).sort(),
        );

        const wire = tapLines(log);
        const calls = wire.filter((l) => l.dir === 'in' && l.msg?.method === 'tools/call');
        const answer = (id: unknown) => wire.find((l) => l.dir === 'out' && l.msg?.id === id)?.msg;
        for (const [i, [tool]] of steps.entries()) {
          // The call reached voisa-mcp, and its result came back in the next model request, accepted.
          expect(
            calls.some((c) => c.msg.params.name === tool),
            `${tool} reached the server`,
          ).toBe(true);
          const result = toolResult(tokens[i]!);
          expect(result, `${tool}: its tool_result in a later request`).toBeDefined();
          expect(result?.request.status, `${tool}: ${result?.request.problem}`).toBe(200);
          if (tool === 'make_call') continue;
          expect(result?.block.is_error, `${tool}: ${textsOf(result!.block).join(' ')}`).toBeFalsy();
        }
        expect(JSON.stringify(toolResult(tokens[1]!)?.block)).toContain(BELLA);
        expect(JSON.stringify(toolResult(tokens[3]!)?.block)).toContain(RECORDED);

        // make_call: asked (input_required), Claude Code answered the question with cancel, nothing placed.
        const makeCalls = calls.filter((c) => c.msg.params.name === 'make_call');
        expect(answer(makeCalls[0]?.msg.id)?.result).toMatchObject({
          resultType: 'input_required',
          inputRequests: { confirm: { method: 'elicitation/create' } },
        });
        expect(makeCalls[1]?.msg.params.inputResponses).toEqual({ confirm: { action: 'cancel' } });
        const declined = toolResult(tokens[5]!)?.block;
        expect(declined?.is_error).toBe(true);
        expect(textsOf(declined).join(' ')).toMatch(/^DECLINED/);
        expect(callsPlaced(sandboxFrom)).toEqual([]);

        // It keeps a 2026-07-28 subscriptions/listen open from the start (what the kill test relies on).
        expect(wire.some((l) => l.dir === 'in' && l.msg?.method === 'subscriptions/listen')).toBe(true);
        const pages = wire
          .filter((l) => l.dir === 'in' && l.msg?.method === 'resources/list')
          .map((l) => answer(l.msg.id)?.result?.resources?.length);
        const requests = model.requests.map((r) => `${r.method} ${r.path}`);
        console.info(
          `[claude-code] tools loaded: ${loadedTools(run).length}; resources/list pages read at start-up: ${pages.length} (${pages.join(' + ')} resources); ` +
            `model endpoints: ${[...new Set(requests)].join(', ')} (${requests.length} requests)`,
        );
      }),
    60_000,
  );

  it(
    'with --confirm never and the plan call policy, runs every tool of the plan: make_call places the call, the policy refuses the +999 one, wait_for_call follows the placed one',
    () =>
      freshRun(async (title) => {
        const sandboxFrom = sandbox().requests().length;
        const mcp = await connect(sandbox());
        const steps = planSteps((await mcp.client.listTools()).tools as never);
        await mcp.close();
        const results: PlanResults = {};
        const stepOf = new Map<string, string>();
        const refusals = new Set(steps.filter((s) => s.refusal).map((s) => s.id));
        /** Reads the results a request carries back (each step's tool_result, not a refusal's) into `results`. */
        const absorb = (request: RecordedRequest) => {
          for (const message of request.body?.messages ?? []) {
            if (!Array.isArray(message.content)) continue;
            for (const block of message.content) {
              const step = block.type === 'tool_result' && stepOf.get(block.tool_use_id);
              if (step && !refusals.has(step) && !results[step]) results[step] = resultData(textsOf(block));
            }
          }
        };
        queueToolSearch([...new Set(steps.map((s) => s.tool))]);
        const tokens = steps.map((step) => {
          const token = model.nextToolCall(step.tool, (request: RecordedRequest) => {
            absorb(request);
            return step.args(results);
          });
          stepOf.set(`toolu_${token}`, step.id);
          return token;
        });
        const run = await runClaude(
          voisaServer(title, ['--confirm', 'never', '--call-policy', PLAN_POLICY_FILE]),
        );

        expect(loadedTools(run)).toEqual([...TOOL_NAMES].sort());
        expect(run.code, run.stderr).toBe(0);
        expect(model.rejected().map((r) => r.problem)).toEqual([]);
        expect(model.pending()).toEqual([]);
        for (const [i, step] of steps.entries()) {
          const result = toolResult(tokens[i]!);
          expect(result, `${step.id}: its tool_result in a later request`).toBeDefined();
          const text = textsOf(result!.block).join(' ');
          if (step.refusal) {
            // Refused: an error whose text, starting with the code, reached the model in that request.
            expect(result?.block.is_error, `${step.id}: ${text}`).toBe(true);
            expect(text.startsWith(step.refusal), `${step.id} starts with ${step.refusal}: ${text}`).toBe(
              true,
            );
          } else expect(result?.block.is_error, `${step.id}: ${text}`).toBeFalsy();
        }
        expect(callsPlaced(sandboxFrom)).toHaveLength(1);
        expect(results.wait_for_call).toMatchObject({ ended: true });
        console.info(
          `[claude-code] --confirm never: ${steps.length} plan steps, every tool called through Claude Code`,
        );
      }),
    90_000,
  );

  it(
    'with VOISA_CONFIRM=never in the server env, make_call places the call',
    () =>
      freshRun(async (title) => {
        const sandboxFrom = sandbox().requests().length;
        queueToolSearch(['make_call']);
        const token = model.nextToolCall('make_call', { agent_id: BELLA, phone_number: '+49123456789' });
        const run = await runClaude(voisaServer(title, [], { VOISA_CONFIRM: 'never' }));

        expect(run.code, run.stderr).toBe(0);
        const result = toolResult(token);
        expect(result?.block.is_error, textsOf(result?.block ?? {}).join(' ')).toBeFalsy();
        expect(resultData(textsOf(result!.block))).toHaveProperty('call_id');
        expect(callsPlaced(sandboxFrom)).toHaveLength(1);
      }),
    60_000,
  );

  it(
    'leaves no voisa-mcp running after claude -p exits',
    () =>
      freshRun(async (title) => {
        queueToolSearch(['list_agents']);
        model.nextToolCall('list_agents', {});
        const run = await runClaude(embeddedServer(title));

        expect(run.code, run.stderr).toBe(0);
        expect(loadedTools(run)).toHaveLength(TOOL_NAMES.length);
        expect(await survivors(title)).toEqual([]);
      }),
    60_000,
  );

  it(
    'leaves no voisa-mcp running after claude -p is killed (SIGKILL) with its subscriptions/listen open',
    () =>
      freshRun(async (title) => {
        // A model that never answers: Claude Code has connected the server (discover, listen, lists)
        // and waits for its first turn when it is killed.
        const held: ServerResponse[] = [];
        const silent: Server = createServer((_req, res) => held.push(res));
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        let running: number[] = [];
        try {
          const run = await runClaude(embeddedServer(title), {
            baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
            during: async (child) => {
              await waitFor(() => (held.length > 0 ? true : undefined), 30_000);
              running = processesTitled(title);
              child.kill('SIGKILL');
            },
          });
          expect(run.signal).toBe('SIGKILL');
        } finally {
          for (const res of held) res.destroy();
          silent.closeAllConnections();
          await new Promise<void>((resolve) => silent.close(() => resolve()));
        }
        expect(running, 'the server ran while Claude Code waited for its model').toHaveLength(1);
        expect(await survivors(title), 'voisa-mcp still runs 10 s after its client was killed').toEqual([]);
      }),
    60_000,
  );
});

/**
 * Confirmations that fit each client (issue 20, points 3 and 4), on both protocol generations:
 * a 2026-07-28 client (SDK v2, `input_required` answered by its elicitation handler) and a 2025-11-25
 * client (SDK 1.32, a server-to-client `elicitation/create`).
 *
 * Point 4, Accept means yes: an `accept` goes ahead unless its content says `confirm: false` (a form
 * may send `{}`); `decline` and `cancel` stop the call; the published form ticks its box by default.
 * Point 3, `--confirm auto|always|never`: `never` asks no one, so a client that declares elicitation
 * and cancels every question (Claude Code `-p`) still places the call and deletes, over HTTP and
 * stdio, and the server warns the operator once at start-up; `always` refuses a client that cannot
 * ask. What reached VOISA is read from the sandbox's request log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHttpServer, startHttpServer } from '../../src/http/listen.js';
import type { ConfirmMode } from '../../src/mcp/confirm.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { unbuilt } from '../helpers/built.js';
import { type Answer, connectGeneration, GENERATIONS, type Where } from '../helpers/generations.js';
import { ELICIT, postModern } from '../helpers/modern-request.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/index.js', import.meta.url));
const CALL = { agent_id: 'agt_bella0001', phone_number: '+49123456789' };
const WARNING =
  '[voisa-mcp] warning: confirmations are off (--confirm never): make_call and deletes run without asking\n';

let sandbox: Sandbox;
let api: VoisaClient;
const servers = {} as Record<ConfirmMode, RunningHttpServer>;

beforeAll(async () => {
  sandbox = await startSandbox({ trainingMs: 200, callMs: 300, rateLimitPerMin: 0 });
  api = new VoisaClient({ baseUrl: sandbox.baseUrl, rateLimitPerMin: 0, maxRetryDelayMs: 50 });
  for (const mode of ['auto', 'always', 'never'] as const)
    servers[mode] = await startHttpServer({ host: '127.0.0.1', port: 0, api, confirm: mode });
});
afterAll(async () => {
  for (const s of Object.values(servers)) await s.close(200);
  await api?.close();
  await sandbox?.close();
});

const sent = (method: string, path: string) =>
  sandbox.requests().filter((r) => r.method === method && r.path === path).length;
const makeCalls = () => sent('POST', '/api/make-call');
const text = (r: { content: { text?: string }[] }) => r.content.map((c) => c.text ?? '').join('\n');

/** A client of `where` that answers every question from `answers`, in turn (the last one repeats). */
function client(generation: (typeof GENERATIONS)[number], where: Where, ...answers: Answer[]) {
  const schemas: unknown[] = [];
  let next = 0;
  const elicit = (_message: string, params: Record<string, unknown>): Answer => {
    schemas.push(params.requestedSchema);
    return answers[Math.min(next++, answers.length - 1)]!;
  };
  return connectGeneration(generation, where, {
    key: where.url ? sandbox.demoKey : undefined,
    elicit: answers.length ? elicit : undefined,
  }).then((c) => Object.assign(c, { schemas }));
}

async function newAgent(): Promise<string> {
  return (await api.withApiKey(sandbox.demoKey).agents.create({ name: 'Delete me' })).id;
}

describe.each(GENERATIONS)('a %s client', (generation) => {
  describe('Accept means yes (point 4)', () => {
    it('an accept with {} or with no content places the call, exactly once each', async () => {
      const c = await client(
        generation,
        { url: servers.auto.mcpUrl },
        { action: 'accept', content: {} },
        { action: 'accept' },
      );
      try {
        const before = makeCalls();
        const first = await c.callTool('make_call', CALL);
        expect(first.isError, text(first)).toBeFalsy();
        expect(c.asked).toHaveLength(1);
        expect(makeCalls()).toBe(before + 1);
        const second = await c.callTool('make_call', CALL);
        expect(second.isError, text(second)).toBeFalsy();
        expect(c.asked).toHaveLength(2);
        expect(makeCalls()).toBe(before + 2);
      } finally {
        await c.close();
      }
    });

    it('an accept with confirm: false, a decline and a cancel send nothing', async () => {
      const c = await client(
        generation,
        { url: servers.auto.mcpUrl },
        { action: 'accept', content: { confirm: false } },
        { action: 'decline' },
        { action: 'cancel' },
      );
      try {
        const before = makeCalls();
        for (let i = 0; i < 3; i++) {
          const result = await c.callTool('make_call', CALL);
          expect(result.isError).toBe(true);
          expect(text(result)).toBe(
            'DECLINED: the user did not confirm make_call; nothing was sent to VOISA.',
          );
        }
        expect(c.asked).toHaveLength(3);
        expect(makeCalls()).toBe(before);
      } finally {
        await c.close();
      }
    });

    it('the form it is shown ticks the box by default and does not require it', async () => {
      const c = await client(generation, { url: servers.auto.mcpUrl }, { action: 'decline' });
      try {
        await c.callTool('make_call', CALL);
        expect(c.schemas).toEqual([
          {
            type: 'object',
            properties: {
              confirm: {
                type: 'boolean',
                title: 'Go ahead',
                description: 'Confirm this action',
                default: true,
              },
            },
          },
        ]);
      } finally {
        await c.close();
      }
    });
  });

  describe('--confirm (point 3)', () => {
    it('never: a client that declares elicitation and cancels every question (Claude Code -p) places the call and deletes, unasked', async () => {
      const c = await client(generation, { url: servers.never.mcpUrl }, { action: 'cancel' });
      try {
        const before = makeCalls();
        const made = await c.callTool('make_call', CALL);
        expect(made.isError, text(made)).toBeFalsy();
        expect(makeCalls()).toBe(before + 1);
        const agent = await newAgent();
        const deleted = await c.callTool('delete_agent', { agent_id: agent });
        expect(deleted.isError, text(deleted)).toBeFalsy();
        expect(sent('DELETE', `/api/agents/${agent}`)).toBe(1);
        const item = await api.withApiKey(sandbox.demoKey).knowledgeBase.addText({
          agent_id: CALL.agent_id,
          title: 'Delete me',
          content: 'Nothing to keep.',
        });
        const gone = await c.callTool('delete_kb_item', { item_id: item.id });
        expect(gone.isError, text(gone)).toBeFalsy();
        expect(sent('DELETE', `/api/knowledge-base/${item.id}`)).toBe(1);
        expect(c.asked).toEqual([]);
      } finally {
        await c.close();
      }
    });

    it('always: a client without elicitation gets CONFIRMATION_REQUIRED and nothing is sent; auto lets it run', async () => {
      const c = await client(generation, { url: servers.always.mcpUrl });
      const plain = await client(generation, { url: servers.auto.mcpUrl });
      try {
        const before = makeCalls();
        const refused = await c.callTool('make_call', CALL);
        expect(refused.isError).toBe(true);
        expect(text(refused)).toMatch(/^CONFIRMATION_REQUIRED: make_call needs .*--confirm always/);
        expect(makeCalls()).toBe(before);
        const made = await plain.callTool('make_call', CALL);
        expect(made.isError, text(made)).toBeFalsy();
        expect(makeCalls()).toBe(before + 1);
      } finally {
        await c.close();
        await plain.close();
      }
    });

    it.skipIf(unbuilt(CLI))(
      'never over stdio (dist/cli/index.js --confirm never): a cancelling client places the call, unasked',
      async () => {
        const c = await client(
          generation,
          {
            stdio: {
              command: process.execPath,
              args: [CLI, '--confirm', 'never'],
              env: {
                PATH: process.env.PATH ?? '',
                HOME: tmpdir(),
                VOISA_API_KEY: sandbox.demoKey,
                VOISA_BASE_URL: sandbox.baseUrl,
              },
            },
          },
          { action: 'cancel' },
        );
        try {
          const before = makeCalls();
          const made = await c.callTool('make_call', CALL);
          expect(made.isError, text(made)).toBeFalsy();
          expect(c.asked).toEqual([]);
          expect(makeCalls()).toBe(before + 1);
        } finally {
          await c.close();
        }
      },
    );
  });
});

describe('--confirm never on the wire', () => {
  it('a 2026-07-28 request declaring elicitation gets the result, not input_required', async () => {
    const before = makeCalls();
    const answer = await postModern(
      servers.never.mcpUrl,
      'tools/call',
      { name: 'make_call', arguments: CALL },
      { key: sandbox.demoKey, capabilities: ELICIT },
    );
    expect(answer.result?.resultType).not.toBe('input_required');
    expect(answer.result?.inputRequests).toBeUndefined();
    expect(answer.result?.structuredContent.call_id).toMatch(/^call_/);
    expect(makeCalls()).toBe(before + 1);
  });
});

const SERVING = /serving (over stdio|MCP over streamable HTTP)[^\n]*\n/;

/** Starts the built CLI; resolves once its stderr matches `ready`. */
async function started(
  args: string[],
  ready: RegExp | string = SERVING,
): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), VOISA_LOG_LEVEL: 'info' },
  });
  let log = '';
  child.stderr!.on('data', (d) => {
    log += d;
  });
  const deadline = Date.now() + 15_000;
  while (!(typeof ready === 'string' ? log.includes(ready) : ready.test(log))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`voisa-mcp did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, stderr: () => log };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.stdin?.end();
  child.kill('SIGTERM');
  return (await exited)[0] as number | null;
}

describe.skipIf(unbuilt(CLI))('the start-up warning (dist/cli/index.js --sandbox)', () => {
  it.each([
    ['stdio', []],
    ['HTTP', ['--http', '--port', '0']],
  ])('%s: --confirm never warns once on stderr; the default does not', async (_name, transport) => {
    const [never, auto] = await Promise.all([
      started(['--sandbox', '--confirm', 'never', ...transport], WARNING),
      started(['--sandbox', ...transport]),
    ]);
    try {
      expect(never.stderr().split(WARNING)).toHaveLength(2);
      expect(auto.stderr()).not.toContain('confirmations are off');
    } finally {
      await Promise.all([stop(never.child), stop(auto.child)]);
    }
  });

  it('a contradicting pair stops it at start-up, naming both', async () => {
    const child = spawn(
      process.execPath,
      [CLI, '--sandbox', '--confirm', 'never', '--require-confirmation'],
      {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toBe(
      'voisa-mcp: --confirm never and --require-confirmation contradict each other (--require-confirmation means --confirm always): keep one\n',
    );
  });
});

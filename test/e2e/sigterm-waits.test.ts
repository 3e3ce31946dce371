/**
 * SIGTERM ends waits promptly (issue 19, point 15). The built CLI on the embedded sandbox, a
 * `wait_for_call` in flight from a 2026-07-28 and a 2025-11-25 client (over HTTP; and over stdio,
 * one connection per generation): on SIGTERM each wait answers `ended: false` with a hint to call
 * again, and the process exits as soon as they have, well before the grace period. The measured
 * time from the signal to the exit is printed, not asserted tightly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SHUTDOWN_GRACE_MS } from '../../src/http/start.js';
import { STDIO_GRACE_MS } from '../../src/stdio/serve.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { ENDLESS_WAIT, waitsPolling } from '../helpers/sandbox.js';
import { initialize, waitFor } from '../http/helpers.js';

const CLI = fileURLToPath(new URL('../../dist/bin/voisa-mcp.mjs', import.meta.url));
/** A wait that cannot end by itself within the test. */
const WAIT = ENDLESS_WAIT;

/** The `_meta` envelope of a 2026-07-28 request (stdio: no initialize). */
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

interface Running {
  child: ChildProcess;
  stderr: () => string;
  /** The embedded sandbox's base URL (its request log says when the waits are polling). */
  sandboxUrl: string;
}

async function start(args: string[], ready: string, stdin: 'pipe' | 'ignore'): Promise<Running> {
  const child = spawn(process.execPath, [CLI, '--sandbox', ...args], {
    env: { PATH: process.env.PATH ?? '', VOISA_LOG_LEVEL: 'info' },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d) => {
    log += d;
  });
  await waitFor(() => log.includes(ready), 20_000, `the CLI to start:\n${log}`);
  const sandboxUrl = /embedded sandbox at (http:\/\/\S+)/.exec(log)?.[1];
  if (!sandboxUrl) throw new Error(`no sandbox URL in:\n${log}`);
  return { child, stderr: () => log, sandboxUrl };
}

/** Sends SIGTERM; the time to the exit, and the exit code. */
async function terminate(child: ChildProcess): Promise<{ ms: number; code: number | null }> {
  const exited = once(child, 'exit');
  const sent = Date.now();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = await exited;
  clearTimeout(timer);
  return { ms: Date.now() - sent, code: code as number | null };
}

function expectInterrupted(result: { isError?: boolean; structuredContent?: unknown }): void {
  expect(result.isError, JSON.stringify(result)).toBeFalsy();
  expect(result.structuredContent).toMatchObject({
    ended: false,
    status: 'initiated',
    retry_after_seconds: 3,
  });
  expect((result.structuredContent as { next: string }).next).toMatch(
    /^Not over: the server is restarting, so this wait stopped after \d+ s \(the call itself goes on\); call wait_for_call again with the same arguments in 3 s\.$/,
  );
}

describe('SIGTERM with wait_for_call in flight', () => {
  it('over HTTP: both generations get ended: false with a retry hint, and the process exits before the grace period', async () => {
    const server = await start(['--http', '--port', '0'], 'sandbox webhooks ->', 'ignore');
    try {
      const url = /serving MCP over streamable HTTP at (http:\/\/\S+\/mcp)/.exec(server.stderr())![1]!;
      const clients = await Promise.all(GENERATIONS.map((g) => connectGeneration(g, { url })));
      const results = clients.map((c) => c.callTool('wait_for_call', WAIT));
      await waitsPolling(server.sandboxUrl, clients.length);
      const stopped = terminate(server.child);
      const answers = await Promise.all(results);
      const { ms, code } = await stopped;
      const served = /stopped serving in (\d+) ms/.exec(server.stderr())?.[1];
      console.log(
        `SIGTERM over HTTP with ${answers.length} waits in flight: serving stopped after ${served} ms, exit after ${ms} ms (grace ${SHUTDOWN_GRACE_MS} ms)`,
      );
      for (const a of answers) expectInterrupted(a);
      expect(code).toBe(0);
      // Before the fix the waits held the shutdown for the whole grace period, then were cut off.
      expect(ms).toBeLessThan(SHUTDOWN_GRACE_MS - 2000);
      expect(served).toBeDefined();
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });

  it.each(GENERATIONS)(
    'over stdio (%s): the wait answers ended: false, then the process exits',
    async (generation) => {
      const server = await start([], 'serving over stdio', 'pipe');
      try {
        const lines: Record<string, any>[] = [];
        let buffer = '';
        server.child.stdout!.on('data', (d) => {
          buffer += d;
          for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
            lines.push(JSON.parse(buffer.slice(0, nl)));
            buffer = buffer.slice(nl + 1);
          }
        });
        const send = (message: object) => server.child.stdin!.write(`${JSON.stringify(message)}\n`);
        const call = { name: 'wait_for_call', arguments: WAIT };
        if (generation === '2025-11-25') {
          send(initialize('2025-11-25'));
          await waitFor(() => lines.some((l) => l.id === 1), 10_000, 'initialize');
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: call });
        } else {
          send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { ...call, _meta: MODERN_META } });
        }
        await waitsPolling(server.sandboxUrl, 1);
        const { ms, code } = await terminate(server.child);
        console.log(`SIGTERM over stdio (${generation}) with a wait in flight: exit after ${ms} ms`);
        const answer = lines.find((l) => l.id === 2);
        expect(answer, JSON.stringify(lines)).toBeDefined();
        expectInterrupted(answer!.result);
        expect(code).toBe(0);
        expect(ms).toBeLessThan(STDIO_GRACE_MS);
      } finally {
        if (server.child.exitCode === null) server.child.kill('SIGKILL');
      }
    },
  );
});

/**
 * The built server with `--log-format json`, as an operator runs it: over HTTP (both protocol generations
 * calling a tool, a refused key, a shutdown) and over stdio (both generations), every stderr line is one
 * JSON object with time, level, message and instance, no API key appears anywhere, and stdout on stdio
 * carries JSON-RPC only (the SDK clients report any line that is not). Needs `npm run build`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Stream } from 'node:stream';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { DEMO_KEY } from '../../src/sandbox/seed.js';
import { unbuilt } from '../helpers/built.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';

const BUNDLE = path.resolve('dist/bin/voisa-mcp.mjs');
const BOGUS = 'vsa_live_NotARealKeyButKeyShaped0123456789';
const ENV = { PATH: process.env.PATH ?? '', HOME: tmpdir() };

/** Every line of `stderr` as a JSON object carrying the fields every line must have. */
function expectJsonLines(stderr: string, instance: string | RegExp): Record<string, unknown>[] {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`a stderr line is not JSON: ${line}`);
    }
    expect(entry, line).toMatchObject({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: expect.stringMatching(/^(debug|info|notice|warning|error|critical|alert|emergency)$/),
      message: expect.any(String),
    });
    expect(String(entry.instance), line).toMatch(instance);
    return entry;
  });
}

describe.skipIf(unbuilt(BUNDLE))('--log-format json, the built server', () => {
  it('over HTTP: JSON lines only on stderr, through tool calls of both generations, a refused key and a stop', async () => {
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      [
        BUNDLE,
        '--http',
        '--sandbox',
        '--port',
        '0',
        '--log-format',
        'json',
        '--log-level',
        'debug',
        '--instance-id',
        'j1',
      ],
      { env: ENV, stdio: 'pipe' },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const serving = /serving MCP over streamable HTTP at (http:\/\/[^\s"]+\/mcp)/.exec(stderr);
        // The last start-up line (sandbox webhooks) means the stop handlers are in place.
        if (serving && stderr.includes('sandbox webhooks ->')) resolve(serving[1]!);
      });
      child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    try {
      expect((await fetch(url.replace(/\/mcp$/, '/readyz'))).status).toBe(200);
      for (const generation of GENERATIONS) {
        const client = await connectGeneration(generation, { url }, { key: DEMO_KEY });
        try {
          expect((await client.callTool('list_agents', {})).isError).toBeFalsy();
          expect((await client.callTool('get_agent', { agent_id: 'agent_missing' })).isError).toBe(true);
        } finally {
          await client.close();
        }
      }
      // A key VOISA refuses: refused with 401, and a line about it that names no key.
      const refused = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${BOGUS}`,
          'mcp-protocol-version': '2026-07-28',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(refused.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
    expect(child.exitCode).toBe(0);
    const entries = expectJsonLines(stderr, /^j1$/);
    const messages = entries.map((e) => String(e.message));
    expect(messages.some((m) => m.startsWith('serving MCP over streamable HTTP'))).toBe(true);
    expect(messages.some((m) => m.startsWith('stopped serving'))).toBe(true);
    expect(entries.some((e) => e.level === 'debug')).toBe(true);
    expect(stderr).not.toContain(DEMO_KEY);
    expect(stderr).not.toContain(BOGUS);
    expect(stderr).not.toMatch(/vsa_(live|test)_[A-Za-z0-9]/);
    expect(stdout).toBe('');
  });

  it.each(GENERATIONS)(
    'over stdio with a %s client: JSON lines on stderr, only JSON-RPC on stdout',
    async (generation) => {
      const spawnWith = {
        command: process.execPath,
        args: [BUNDLE, '--sandbox', '--log-format', 'json', '--log-level', 'debug'],
        env: ENV,
        stderr: 'pipe' as const,
      };
      const notJsonRpc: unknown[] = [];
      let stderr = '';
      const collect = (stream: Stream | null) =>
        stream?.on('data', (d) => {
          stderr += d;
        });
      if (generation === '2026-07-28') {
        const transport = new ModernStdio(spawnWith);
        collect(transport.stderr);
        const client = new ModernClient(
          { name: 'json-logs', version: '1' },
          { versionNegotiation: { mode: { pin: '2026-07-28' } } },
        );
        client.onerror = (err) => void notJsonRpc.push(err);
        await client.connect(transport);
        expect((await client.callTool({ name: 'list_agents', arguments: {} })).isError).toBeFalsy();
        await client.close();
      } else {
        const transport = new LegacyStdio(spawnWith);
        collect(transport.stderr);
        const client = new LegacyClient({ name: 'json-logs', version: '1' });
        client.onerror = (err) => void notJsonRpc.push(err);
        await client.connect(transport);
        expect((await client.callTool({ name: 'list_agents', arguments: {} })).isError).toBeFalsy();
        await client.close();
      }
      // The client closed stdin: the server logs its way out; give stderr its last lines.
      await new Promise((r) => setTimeout(r, 300));
      expect(notJsonRpc).toEqual([]);
      const entries = expectJsonLines(stderr, /^[^:]+:\d+$/);
      expect(entries.map((e) => e.message)).toContain('serving over stdio on the embedded sandbox');
      expect(stderr).not.toContain(DEMO_KEY);
      expect(stderr).not.toMatch(/vsa_(live|test)_[A-Za-z0-9]/);
    },
  );
});

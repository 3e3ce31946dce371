/**
 * The built bundle over real stdio, attacked (issue 9 point 6): large and
 * oversize messages, lines of the wrong shape, and save_to through a symlink to
 * the server's own stdout. Stdout must stay pure JSON-RPC and the server must
 * keep answering. Needs `npm run build` (dist/bin/voisa-mcp.mjs).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StdioTransport } from '../../src/stdio/serve.js';
import { MAX_MESSAGE_BYTES } from '../../src/tools/files.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { unbuilt } from '../helpers/built.js';
import { useSandbox } from '../helpers/sandbox.js';

const BUNDLE = path.resolve('dist/bin/voisa-mcp.mjs');
const built = !unbuilt(BUNDLE);
const sandbox = useSandbox();

type Message = { id?: unknown; result?: any; error?: { code: number; message: string } };

/** The bundle spawned with raw access to its stdin and stdout, stdout split into lines. */
class RawServer {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Every stdout line; a line that is not JSON is kept as a string. */
  readonly lines: (Message | string)[] = [];
  /** All of stdout so far, byte for byte (latin1). */
  raw = '';
  private partial = '';
  private waiters: (() => void)[] = [];
  exited = false;

  /**
   * `realPipe`: run it as `bundle | cat`, so its stdout is a pipe(2) as most clients give
   * it, not the socket Node's spawn makes (opening /proc/self/fd/1 of a socket fails).
   */
  constructor(env: Record<string, string>, o: { cwd?: string; realPipe?: boolean } = {}) {
    const [command, args] = o.realPipe
      ? ['/bin/sh', ['-c', '"$0" "$1" | cat', process.execPath, BUNDLE]]
      : [process.execPath, [BUNDLE]];
    this.child = spawn(command, args, {
      cwd: o.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdin.on('error', () => {}); // EPIPE when the server died: the test then fails on its answers
    this.child.stderr.resume();
    this.child.stdout.setEncoding('latin1'); // byte for byte, so binary on stdout shows as a non-JSON line
    this.child.stdout.on('data', (d: string) => {
      this.raw += d;
      const parts = (this.partial + d).split('\n');
      this.partial = parts.pop() ?? '';
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p));
        } catch {
          this.lines.push(p);
        }
      }
      this.wake();
    });
    this.child.on('exit', () => {
      this.exited = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(line: string | object): void {
    this.child.stdin.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);
  }

  /** Resolves once `done()` holds; rejects if the server exits first. */
  async until(done: () => boolean): Promise<void> {
    while (!done()) {
      if (this.exited) throw new Error('the server exited');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The answer with this id if it has arrived. */
  answered(id: string | number | null): Message | undefined {
    return this.lines.find((l): l is Message => typeof l === 'object' && l !== null && l.id === id);
  }

  /** The answer with this id; rejects if the server exits first (the test's own timeout bounds the wait). */
  async answer(id: string | number | null): Promise<Message> {
    for (;;) {
      const found = this.answered(id);
      if (found) return found;
      if (this.exited) throw new Error(`the server exited without answering ${id}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async initialize(): Promise<void> {
    this.write({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect((await this.answer('init')).result).toBeDefined();
    this.write({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

describe.skipIf(!built)('stdio hardening (built bundle)', () => {
  const env = () => ({ VOISA_API_KEY: sandbox().demoKey, VOISA_BASE_URL: sandbox().baseUrl });
  let cwd: string;
  beforeAll(async () => {
    cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'voisa-stdio-')));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('answers lines of the wrong shape with the JSON-RPC error, and keeps going', async () => {
    const server = new RawServer(env());
    try {
      await server.initialize();
      server.write({ jsonrpc: '2.0', id: 11, method: 'tools/list', params: 'oops' });
      server.write({ jsonrpc: '2.0', id: 12, method: 42 });
      server.write({ jsonrpc: '2.0', id: 'thirteen', method: 'ping', extra: true });
      server.write('this is not json');
      server.write('[]');
      server.write({ jsonrpc: '2.0', method: 'notifications/cancelled', params: 'malformed notification' });
      server.write({ jsonrpc: '2.0', id: 15, method: 'tools/call', params: { name: 5 } });
      server.write({ jsonrpc: '2.0', id: 14, method: 'ping' });

      // Answered in order: once ping's answer is here, the others are too (or were never sent).
      expect((await server.answer(14)).result).toEqual({});
      expect(server.answered(11)?.error).toMatchObject({
        code: -32602,
        message: /"params" must be an object/,
      });
      expect(server.answered(12)?.error).toMatchObject({
        code: -32600,
        message: /"method" must be a string/,
      });
      expect(server.answered('thirteen')?.error).toMatchObject({ code: -32600, message: /extra/ });
      // Params of a known method: the SDK alone would answer -32603 Internal error.
      expect((await server.answer(15)).error).toMatchObject({
        code: -32602,
        message: /^Invalid params for tools\/call: params\.name: .*expected string/,
      });
      const nullIds = server.lines.filter((l) => typeof l === 'object' && l.id === null) as Message[];
      expect(nullIds.map((m) => m.error?.code)).toEqual([-32700, -32600]);
      // Nothing else was written: the malformed notification got no answer; every line is JSON-RPC.
      expect(server.lines.every((l) => typeof l === 'object')).toBe(true);
      expect(server.lines).toHaveLength(8); // initialize, 11, 12, thirteen, two with id null, 15, 14
    } finally {
      await server.stop();
    }
  });

  it('uploads an 8 MiB file as content_base64 (over the SDK transport default of 10 MiB)', async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BUNDLE],
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env() },
        stderr: 'pipe',
      }),
    );
    try {
      const content = Buffer.alloc(8 * 1024 * 1024, 'We open at nine. ');
      const result = await client.callTool({
        name: 'upload_kb_file',
        arguments: {
          agent_id: 'agt_bella0001',
          file_name: 'big.txt',
          content_base64: content.toString('base64'),
        },
      });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ name: 'big.txt' });
      // Still the same server, still answering.
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('answers a message over the limit with an error and keeps serving', async () => {
    const server = new RawServer(env());
    try {
      await server.initialize();
      const huge = 'A'.repeat(MAX_MESSAGE_BYTES);
      const args = { agent_id: 'agt_bella0001', file_name: 'huge.txt', content_base64: huge };
      // The SDK's client puts the id last; other clients put it first. Both are found.
      server.write(
        `{"method":"tools/call","params":${JSON.stringify({ name: 'upload_kb_file', arguments: args })},"jsonrpc":"2.0","id":21}`,
      );
      server.write(
        `{"jsonrpc":"2.0","id":"22","method":"tools/call","params":${JSON.stringify({ name: 'upload_kb_file', arguments: args })}}`,
      );
      server.write({ jsonrpc: '2.0', id: 23, method: 'ping' });

      expect((await server.answer(23)).result).toEqual({});
      for (const id of [21, '22']) {
        expect((await server.answer(id)).error).toMatchObject({
          code: -32000,
          message: new RegExp(`over this server's limit of ${MAX_MESSAGE_BYTES} bytes.*file_path`),
        });
      }
      expect(server.exited).toBe(false);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('refuses save_to through a symlink to its own stdout; stdout stays pure JSON-RPC', async () => {
    const api = new VoisaClient({ apiKey: sandbox().demoKey, baseUrl: sandbox().baseUrl });
    const id = (await api.conversations.list({ limit: 1 })).conversations[0]!.id;
    await api.close();
    await symlink('/proc/self/fd/1', path.join(cwd, 'audio.mp3'));
    // No client roots: the working directory is the allowed folder.
    const server = new RawServer(env(), { cwd, realPipe: true });
    try {
      await server.initialize();
      server.write({
        jsonrpc: '2.0',
        id: 31,
        method: 'tools/call',
        params: { name: 'get_conversation_audio', arguments: { conversation_id: id, save_to: 'audio.mp3' } },
      });
      server.write({ jsonrpc: '2.0', id: 32, method: 'ping' });
      // Wait on the raw bytes: without the fix the answers end up inside a line of audio.
      await server.until(() => /"id":31\b/.test(server.raw) && /"id":32\b/.test(server.raw));
      const notJson = server.lines.filter((l) => typeof l === 'string');
      expect(notJson.length, 'lines on stdout that are not JSON-RPC').toBe(0);
      const answer = await server.answer(31);
      expect(answer.result.isError).toBe(true);
      expect(answer.result.content[0].text).toMatch(
        /^FILE_ACCESS \(input\): save_to: audio\.mp3 is a symbolic link/,
      );
    } finally {
      await server.stop();
    }
  });
});

describe('StdioTransport line handling (in process)', () => {
  /** A transport on in-memory streams with a small limit; returns what it delivered and wrote. */
  async function open(maxMessageBytes = 200) {
    const input = new PassThrough();
    const output = new PassThrough();
    const transport = new StdioTransport({ input, output, maxMessageBytes });
    const delivered: JSONRPCMessage[] = [];
    const written: Message[] = [];
    transport.onmessage = (m) => delivered.push(m);
    output.setEncoding('utf8');
    let partial = '';
    output.on('data', (d: string) => {
      const parts = (partial + d).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) written.push(JSON.parse(p));
    });
    await transport.start();
    /** Feeds raw chunks, then lets the output stream flush. */
    const feed = async (...chunks: string[]) => {
      for (const c of chunks) input.write(c);
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { transport, delivered, written, feed };
  }

  it('joins a message split across chunks and accepts CRLF', async () => {
    const t = await open();
    await t.feed('{"jsonrpc":"2.0",', '"id":1,"method":"ping"}\r', '\n{"jsonrpc":"2.0","method":"x"}\n');
    expect(t.delivered).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'x' },
    ]);
    expect(t.written).toEqual([]);
  });

  it('skips an oversize line, answers with its id if at either end, and reads on', async () => {
    const t = await open();
    const pad = 'x'.repeat(300);
    await t.feed(
      `{"jsonrpc":"2.0","id":"first","method":"tools/call","params":{"pad":"${pad}"}}\n`,
      `{"method":"tools/call","params":{"id":9,"pad":"${pad.slice(0, 150)}`,
      `${pad.slice(150)}"},"jsonrpc":"2.0","id":7}\n`,
      `{"params":{"id":9,"pad":"${pad}"}}\n`,
      '{"jsonrpc":"2.0","id":8,"method":"ping"}\n',
    );
    expect(t.written.map((m) => [m.id, m.error?.code])).toEqual([
      ['first', -32000],
      [7, -32000],
      [null, -32000],
    ]);
    expect(t.written[0]!.error!.message).toMatch(
      /^Message of \d+ bytes is over this server's limit of 200 bytes/,
    );
    expect(t.delivered).toEqual([{ jsonrpc: '2.0', id: 8, method: 'ping' }]);
  });

  it('fails a pending server request at once when the client answers it malformed', async () => {
    const t = await open();
    await t.feed('{"jsonrpc":"2.0","id":3,"result":"not an object"}\n', '{"jsonrpc":"2.0","result":{}}\n');
    expect(t.delivered).toEqual([
      { jsonrpc: '2.0', id: 3, error: { code: -32600, message: 'The client sent a malformed response' } },
    ]);
    expect(t.written).toEqual([]);
  });

  it('answers batches per request, and closes once', async () => {
    const t = await open();
    await t.feed('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"n"}]\n', '"text"\n');
    expect(t.written.map((m) => [m.id, m.error?.code])).toEqual([
      [1, -32600],
      [null, -32600],
    ]);
    let closes = 0;
    t.transport.onclose = () => closes++;
    await t.transport.close();
    await t.transport.close();
    expect(closes).toBe(1);
  });
});

/**
 * A session gets only what its negotiated protocol revision defines (src/tools/revisions.ts), on every
 * transport: stdio (the built binary), streamable HTTP sessions, the legacy HTTP+SSE transport, and
 * 2026-07-28 requests. Raw JSON-RPC, because the SDK clients always offer their newest revision.
 *
 * - 2024-11-05: no annotations, title, outputSchema or _meta in tools/list; no structuredContent.
 * - 2025-03-26: annotations, but still no title, outputSchema, _meta or structuredContent.
 * - 2025-06-18 and later: everything.
 * The data is never lost: a result's JSON text carries what structuredContent would.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultForRevision, toolForRevision } from '../../src/tools/revisions.js';
import { postModern } from '../helpers/modern-request.js';
import { initialize, openSse, post, type Stack, startStack } from '../http/helpers.js';

const CLI = path.resolve('dist/cli/index.js');
const built = existsSync(CLI);
const OLD = ['2024-11-05', '2025-03-26'] as const;
const AUDIO_DATA = Buffer.from([0xff, 0xfb, 0x90, 0x00]).toString('base64');

type Rpc = (method: string, params?: Record<string, unknown>) => Promise<any>;
interface Session {
  rpc: Rpc;
  close(): Promise<void> | void;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

const transports: Record<string, (revision: string) => Promise<Session>> = {
  'streamable HTTP': async (revision) => {
    const url = `${stack.http.url}/mcp`;
    const init = await post(url, initialize(revision));
    const sessionId = init.headers.get('mcp-session-id')!;
    expect((await bodyOf(init)).result.protocolVersion).toBe(revision);
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': revision };
    await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    let id = 1;
    return {
      rpc: async (method, params = {}) => {
        const res = await post(url, { jsonrpc: '2.0', id: ++id, method, params }, headers);
        return unwrap(await bodyOf(res));
      },
      close: async () => {
        await fetch(url, { method: 'DELETE', headers }).catch(() => {});
      },
    };
  },
  'legacy HTTP+SSE': async (revision) => {
    const sse = await openSse(`${stack.http.url}/sse`);
    const endpoint = new URL(sse.endpoint, stack.http.url).href;
    let id = 0;
    const rpc: Rpc = async (method, params = {}) => {
      const n = ++id;
      const res = await post(endpoint, { jsonrpc: '2.0', id: n, method, params });
      expect(res.status).toBe(202);
      return unwrap(await sse.next((m) => m.id === n, 10_000));
    };
    const init = await rpc('initialize', initialize(revision).params);
    expect(init.protocolVersion).toBe(revision);
    await post(endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' });
    return { rpc, close: () => sse.close() };
  },
  ...(built
    ? {
        'stdio (built binary)': async (revision: string) => {
          const child = spawn(process.execPath, [CLI, '--sandbox'], {
            env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
          });
          const s = stdioSession(child);
          const init = await s.rpc('initialize', initialize(revision).params);
          expect(init.protocolVersion).toBe(revision);
          child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
          return s;
        },
      }
    : {}),
};

describe.each(Object.keys(transports))('content per negotiated revision over %s', (transport) => {
  it.each(OLD)('%s: tools/list and tools/call carry only what the revision defines', async (revision) => {
    const s = await transports[transport]!(revision);
    try {
      const { tools } = await s.rpc('tools/list');
      expect(tools).toHaveLength(26);
      for (const tool of tools) {
        expect(tool.outputSchema, tool.name).toBeUndefined();
        expect(tool.title, tool.name).toBeUndefined();
        expect(tool._meta, tool.name).toBeUndefined();
        if (revision === '2024-11-05') expect(tool.annotations, tool.name).toBeUndefined();
        else expect(tool.annotations, tool.name).toBeDefined();
      }
      const listed = await s.rpc('tools/call', {
        name: 'get_agent',
        arguments: { agent_id: 'agt_bella0001' },
      });
      expect(listed.isError).toBeFalsy();
      expect(listed.structuredContent).toBeUndefined();
      // Nothing lost: the JSON text carries the data.
      expect(JSON.parse(listed.content.at(-1).text)).toMatchObject({ id: 'agt_bella0001' });

      const ended = await s.rpc('tools/call', {
        name: 'wait_for_call',
        arguments: { conversation_id: 'conv_seed0001', wait_seconds: 1 },
      });
      for (const block of ended.content) expect(['text', 'image', 'resource']).toContain(block.type);
      expect(ended.structuredContent).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  it('2025-06-18: output schemas, titles and structured content are all there', async () => {
    const s = await transports[transport]!('2025-06-18');
    try {
      const { tools } = await s.rpc('tools/list');
      expect(tools.every((t: any) => t.outputSchema && t.annotations)).toBe(true);
      // Titles where they say more than the name (src/tools/json-schema.ts titleSaysMore).
      expect(tools.find((t: any) => t.name === 'make_call').title).toBe('Make phone call');
      const listed = await s.rpc('tools/call', {
        name: 'get_agent',
        arguments: { agent_id: 'agt_bella0001' },
      });
      expect(listed.structuredContent).toMatchObject({ id: 'agt_bella0001' });
    } finally {
      await s.close();
    }
  });
});

describe('a 2026-07-28 request', () => {
  it('gets output schemas and structured content', async () => {
    const url = `${stack.http.url}/mcp`;
    const list = await postModern(url, 'tools/list', {});
    expect(list.result!.tools.every((t: any) => t.outputSchema)).toBe(true);
    expect(list.result!.tools.find((t: any) => t.name === 'make_call').title).toBe('Make phone call');
    const called = await postModern(url, 'tools/call', {
      name: 'get_agent',
      arguments: { agent_id: 'agt_bella0001' },
    });
    expect(called.result!.structuredContent).toMatchObject({ id: 'agt_bella0001' });
  });
});

describe('the projection itself', () => {
  const rich = {
    content: [
      { type: 'text' as const, text: '{"a":1}' },
      { type: 'audio' as const, data: AUDIO_DATA, mimeType: 'audio/mpeg' },
      {
        type: 'resource_link' as const,
        uri: 'voisa://conversations/c1/transcript',
        name: 'c1 transcript',
        mimeType: 'text/plain',
      },
      { type: 'resource' as const, resource: { uri: 'voisa://x', mimeType: 'audio/mpeg', blob: AUDIO_DATA } },
    ],
    structuredContent: { a: 1 },
  };

  it('2024-11-05: audio and resource links become text naming what was left out or where it is', () => {
    const r = resultForRevision(rich, '2024-11-05');
    expect(r.structuredContent).toBeUndefined();
    expect(r.content.map((b) => b.type)).toEqual(['text', 'text', 'text', 'resource']);
    expect(r.content[1]).toEqual({
      type: 'text',
      text: '[audio/mpeg audio left out: protocol revision 2024-11-05 has no audio content]',
    });
    expect(r.content[2]).toEqual({
      type: 'text',
      text: 'c1 transcript (text/plain): voisa://conversations/c1/transcript',
    });
  });

  it('2025-03-26 keeps audio; 2025-06-18, 2025-11-25 and 2026-07-28 keep everything', () => {
    expect(resultForRevision(rich, '2025-03-26').content.map((b) => b.type)).toEqual([
      'text',
      'audio',
      'text',
      'resource',
    ]);
    for (const revision of ['2025-06-18', '2025-11-25', '2026-07-28', undefined])
      expect(resultForRevision(rich, revision)).toBe(rich);
  });

  it('tools/list entries lose the fields their revision lacks', () => {
    const tool = {
      name: 't',
      title: 'T',
      description: 'd',
      inputSchema: { type: 'object' as const },
      outputSchema: { type: 'object' as const },
      annotations: { readOnlyHint: true },
      _meta: { ui: { resourceUri: 'ui://voisa/call' } },
    };
    expect(toolForRevision(tool, '2024-11-05')).toEqual({
      name: 't',
      description: 'd',
      inputSchema: tool.inputSchema,
    });
    expect(toolForRevision(tool, '2025-03-26')).toEqual({
      name: 't',
      description: 'd',
      inputSchema: tool.inputSchema,
      annotations: tool.annotations,
    });
    expect(toolForRevision(tool, '2025-06-18')).toBe(tool);
  });
});

/** A response's JSON-RPC message, whether sent as JSON or as one SSE event. */
async function bodyOf(res: Response): Promise<any> {
  const text = await res.text();
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text);
  const data = text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)))
    .find((m) => 'result' in m || 'error' in m);
  return data;
}

function unwrap(message: any): any {
  if (message.error) throw new Error(`${message.error.code} ${message.error.message}`);
  return message.result;
}

/** JSON-RPC over a spawned server's stdio, one line a message. */
function stdioSession(child: ChildProcessWithoutNullStreams): Session {
  let buffer = '';
  const waiting = new Map<number, (m: any) => void>();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    for (let cut = buffer.indexOf('\n'); cut >= 0; cut = buffer.indexOf('\n')) {
      const line = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 1);
      const message = JSON.parse(line);
      if (message.id !== undefined) waiting.get(message.id)?.(message);
    }
  });
  let id = 0;
  return {
    rpc: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const n = ++id;
        const timer = setTimeout(() => reject(new Error(`${method}: no answer over stdio`)), 15_000);
        waiting.set(n, (m) => {
          clearTimeout(timer);
          try {
            resolve(unwrap(m));
          } catch (err) {
            reject(err);
          }
        });
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: n, method, params })}\n`);
      }),
    close: () => {
      child.kill();
    },
  };
}

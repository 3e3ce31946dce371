/**
 * Log notifications (with logging/setLevel), progress notifications and
 * cancellation, through a real MCP Client against the sandbox.
 */
import {
  CallToolResultSchema,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
  type Progress,
  ProgressNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../src/sandbox/index.js';
import { type Connected, connect } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });
let mcp: Connected;
const logs: LoggingMessageNotification['params'][] = [];

beforeAll(async () => {
  mcp = await connect(sandbox());
  mcp.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
});
afterAll(() => mcp.close());
beforeEach(() => {
  logs.length = 0;
  sandbox().clearFaults();
  sandbox().clearRequests();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Three failing attempts of GET /api/agents/agt_bella0001: two retries, then the error. */
async function failingGetAgent(): Promise<void> {
  sandbox().injectFault({ path: '/api/agents/agt_bella0001', status: 500, code: 'INTERNAL_ERROR', times: 3 });
  const result = await mcp.client.callTool({ name: 'get_agent', arguments: { agent_id: 'agt_bella0001' } });
  expect(result.isError).toBe(true);
  await sleep(20); // notifications are sent before the result, but let the event loop settle
}

describe('log notifications', () => {
  it('reports retries (info) and the upstream error (warning), without secrets', async () => {
    await mcp.client.setLoggingLevel('debug');
    await failingGetAgent();
    expect(logs.map((l) => l.level)).toEqual(['info', 'info', 'warning']);
    expect(String(logs[0]?.data)).toMatch(
      /^retrying GET \/api\/agents\/agt_bella0001 in \d+ ms \(attempt 1\)/,
    );
    expect(String(logs[2]?.data)).toContain('INTERNAL_ERROR');
    for (const l of logs) expect(l.logger).toBe('voisa');
    expect(JSON.stringify(logs)).not.toContain(sandbox().demoKey);
  });

  it('honours logging/setLevel', async () => {
    await mcp.client.setLoggingLevel('warning');
    await failingGetAgent();
    expect(logs.map((l) => l.level)).toEqual(['warning']);

    logs.length = 0;
    await mcp.client.setLoggingLevel('error');
    await failingGetAgent();
    expect(logs).toEqual([]);
    await mcp.client.setLoggingLevel('debug');
  });

  it('reports upstream errors of resource reads too', async () => {
    await mcp.client.setLoggingLevel('warning');
    sandbox().injectFault({ path: '/api/voices/list', status: 403, code: 'INSUFFICIENT_PERMISSIONS' });
    await expect(mcp.client.readResource({ uri: 'voisa://voices' })).rejects.toMatchObject({ code: -32603 });
    await sleep(20);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'warning',
        data: expect.stringContaining('INSUFFICIENT_PERMISSIONS'),
      }),
    ]);
    await mcp.client.setLoggingLevel('debug');
  });

  it('reports client-side rate-limit waits', async () => {
    const limited = await connect(sandbox(), { clientConfig: { rateLimitPerMin: 600 } });
    const seen: LoggingMessageNotification['params'][] = [];
    limited.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      seen.push(n.params);
    });
    try {
      // Asked for explicitly: a 2026-07-28 request without a log level gets no log notifications.
      await limited.client.setLoggingLevel('info');
      await Promise.all(
        Array.from({ length: 12 }, () => limited.client.callTool({ name: 'verify_api_key', arguments: {} })),
      );
      expect(
        seen.some(
          (l) =>
            l.level === 'info' && /^rate limit: waiting \d+ ms before GET \/api\/verify/.test(String(l.data)),
        ),
      ).toBe(true);
    } finally {
      await limited.close();
    }
  });
});

describe('progress notifications', () => {
  it('reports the bytes of an upload, in order, up to the total', async () => {
    const content = Buffer.alloc(300 * 1024, 'voisa knowledge ').toString('base64');
    const progress: Progress[] = [];
    const result = await mcp.client.callTool(
      {
        name: 'upload_kb_file',
        arguments: { agent_id: 'agt_bella0001', content_base64: content, file_name: 'menu.txt' },
      },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p) },
    );
    expect(result.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThanOrEqual(4);
    const total = progress[0]?.total;
    expect(total).toBeGreaterThan(300 * 1024);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
      expect(progress[i]!.total).toBe(total);
    }
    expect(progress.at(-1)?.progress).toBe(total);
    const upload = sandbox()
      .requests()
      .find((r) => r.path === '/api/knowledge-base/file');
    expect(upload?.body).toMatchObject({ files: [{ name: 'menu.txt', size: 300 * 1024 }] });
  });

  it('reports each API call of a paged listing (agent_report), in order', async () => {
    // 55 more calls for Bella: her recent conversations span two pages of 50.
    for (let i = 0; i < 55; i++) {
      await mcp.api.calls.make({ agent_id: 'agt_bella0001', phone_number: '+49123456789' });
    }
    sandbox().clearRequests();
    const progress: Progress[] = [];
    await mcp.client.getPrompt(
      { name: 'agent_report', arguments: { agent_id: 'agt_bella0001', period: 'month' } },
      { onprogress: (p) => progress.push(p) },
    );
    const pages = sandbox()
      .requests()
      .filter((r) => r.path === '/api/conversations/list');
    expect(pages.map((r) => r.query.page)).toEqual(['1', '2']);
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(progress.at(-1)?.total).toBe(4);
    expect(progress.map((p) => p.message)).toEqual(['agent', 'analytics', 'calls page 1', 'calls page 2']);
  });

  // An upload creates an item, so since issue 9 a 429 no longer re-sends it (the only retry
  // left, a connection that never opened, reports no progress before it); progress still only grows.
  it('keeps increasing when an upload answered 429 is not re-sent', async () => {
    sandbox().injectFault({
      path: '/api/knowledge-base/file',
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      retryAfter: '0',
    });
    const content = Buffer.alloc(200 * 1024, 'x').toString('base64');
    const progress: Progress[] = [];
    const result = await mcp.client.callTool(
      {
        name: 'upload_kb_file',
        arguments: { agent_id: 'agt_bella0001', content_base64: content, file_name: 'b.txt' },
      },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p) },
    );
    expect(result.isError).toBe(true);
    expect(
      sandbox()
        .requests()
        .filter((r) => r.path === '/api/knowledge-base/file'),
    ).toHaveLength(1);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    }
  });

  it('sends none when the request has no progress token', async () => {
    const other = await connect(sandbox());
    const seen: unknown[] = [];
    other.client.setNotificationHandler(ProgressNotificationSchema, (n) => {
      seen.push(n);
    });
    try {
      await other.client.callTool({
        name: 'upload_kb_file',
        arguments: {
          agent_id: 'agt_bella0001',
          content_base64: Buffer.from('hi').toString('base64'),
          file_name: 'a.txt',
        },
      });
      await other.client.getPrompt({ name: 'agent_report', arguments: { agent_id: 'agt_bella0001' } });
      expect(seen).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe('cancellation', () => {
  function requestsTo(path: string): RequestLogEntry[] {
    return sandbox()
      .requests()
      .filter((r) => r.path === path);
  }

  async function cancelSlow(path: string, start: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
    sandbox().injectFault({ path: `${path.split('/').slice(0, 3).join('/')}/*`, delayMs: 2000 });
    const controller = new AbortController();
    const started = Date.now();
    const pending = start(controller.signal).then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await until('the request to reach the sandbox', () => (requestsTo(path).length ? true : undefined));
    controller.abort('user cancelled');
    const outcome = await pending;
    expect(outcome).not.toBe('resolved');
    expect(Date.now() - started).toBeLessThan(1500);
    // The sandbox saw the HTTP request go away before its answer.
    await until('the sandbox to log the abort', () => (requestsTo(path)[0]?.aborted ? true : undefined));
    // Nothing is left running: no retry, no second request once the delay is over.
    await sleep(2300 - (Date.now() - started));
    expect(requestsTo(path)).toHaveLength(1);
  }

  it('aborts the HTTP request of a cancelled tool call', async () => {
    const conversationId = 'conv_seed0001';
    await cancelSlow(`/api/conversations/${conversationId}`, (signal) =>
      mcp.client.callTool(
        { name: 'get_conversation', arguments: { conversation_id: conversationId } },
        undefined,
        {
          signal,
        },
      ),
    );
  });

  it('aborts the HTTP request of a cancelled resource read', async () => {
    await cancelSlow('/api/agents/agt_clinic002', (signal) =>
      mcp.client.readResource({ uri: 'voisa://agents/agt_clinic002' }, { signal }),
    );
  });

  it('keeps serving after a cancellation', async () => {
    const r = await mcp.client.callTool({ name: 'get_agent', arguments: { agent_id: 'agt_bella0001' } });
    expect(r.isError).toBeFalsy();
  });
});

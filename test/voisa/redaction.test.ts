/**
 * A VOISA that echoes the caller's key back, in every place an upstream string can take:
 * error code, message, field, top-level message, `x-request-id`, `content-type`, a non-JSON
 * body, a JSON body that is not an envelope. Nothing the client produces (errors, log lines,
 * events) and nothing the MCP server produces (tool results, stderr, log notifications)
 * may contain the key, nor any other string shaped like a VOISA key.
 */
import { inspect } from 'node:util';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stderrLogger } from '../../src/mcp/log.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { type ClientEvent, VoisaClient, VoisaError } from '../../src/voisa/index.js';
import { call, connect, resultText } from '../helpers/mcp.js';
import { capturingLogger, caught } from './harness.js';
import { type RawServer, rawServer, sendJson } from './raw-server.js';

/** A key of the documented shape, and one of another shape (only the exact match can catch it). */
const SHAPED_KEY = 'vsa_test_echoEcho7Kq2mN9pL4rT8vW3xY6zA';
const ODD_KEY = 'opaque-Secret-Q7w9e2r4t6';
/** Another key-shaped string the server mentions (say, another account's key). */
const FOREIGN_KEY = 'vsa_live_f0reignK3yThatIsNotOurs12345';

let server: RawServer;
beforeAll(async () => {
  server = await rawServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const url = req.url ?? '';
    const echo = { 'x-request-id': `req_${token}` };
    if (url.endsWith('/api/verify')) {
      return sendJson(
        res,
        401,
        {
          success: false,
          message: `top-level ${token}`,
          error: {
            code: `INVALID_${token}`,
            message: `key ${token} is bad, unlike ${FOREIGN_KEY}`,
            field: token,
          },
        },
        echo,
      );
    }
    if (url.endsWith('/api/voices/list')) {
      res.writeHead(502, { 'content-type': `text/plain; note=${token}`, ...echo });
      return res.end(`upstream proxy error for Bearer ${token} (${FOREIGN_KEY})`);
    }
    if (url.endsWith('/api/mcp-servers')) {
      return sendJson(
        res,
        429,
        { success: false, error: { code: 'RATE_LIMIT_EXCEEDED', message: `slow down, ${token}` } },
        { ...echo, 'retry-after': '3600' },
      );
    }
    if (url.endsWith('/api/make-call')) {
      return sendJson(
        res,
        409,
        { success: false, error: { code: token, message: token, field: token } },
        echo,
      );
    }
    if (url.includes('/api/agents/list')) {
      return sendJson(
        res,
        200,
        { echoed: token },
        { ...echo, 'content-type': `application/json; x=${token}` },
      );
    }
    if (url.endsWith('/audio')) {
      return sendJson(res, 404, { success: false, error: { code: `NF_${token}`, message: token } }, echo);
    }
    sendJson(res, 500, { success: false, error: { code: 'INTERNAL_ERROR', message: token } }, echo);
  });
});
afterAll(() => server.close());

/** Every way a secret could leave an error. */
function renderings(err: unknown): string[] {
  return [
    String(err),
    String((err as Error).stack),
    JSON.stringify(err),
    inspect(err, { depth: 10, showHidden: true }),
    JSON.stringify(Object.fromEntries(Object.entries(err as object))),
  ];
}

function expectClean(text: string, key: string): void {
  expect(text).not.toContain(key);
  expect(text).not.toMatch(/vsa_(live|test)_/);
}

describe('keys echoed by VOISA are redacted', () => {
  for (const key of [SHAPED_KEY, ODD_KEY]) {
    it(`in errors, log lines and events (${key === SHAPED_KEY ? 'key-shaped' : 'odd-shaped'} key)`, async () => {
      const logger = capturingLogger();
      const events: ClientEvent[] = [];
      const onEvent = (e: ClientEvent) => events.push(e);
      const api = new VoisaClient({
        baseUrl: server.baseUrl,
        apiKey: key,
        logger,
        rateLimitPerMin: 0,
        maxRetries: 1,
        maxRetryDelayMs: 5,
      });
      const errors = [
        await caught(() => api.auth.verify({ onEvent })),
        await caught(() => api.voices.list({ onEvent })),
        await caught(() => api.mcpServers.list({ onEvent })),
        await caught(() => api.calls.make({ agent_id: 'agt_x', phone_number: '+49123456789' }, { onEvent })),
        await caught(() => api.agents.list(undefined, { onEvent })),
        await caught(() => api.conversations.audioBuffer('conv_x', { onEvent })),
      ];
      await api.close();

      expect(errors.map((e) => (e as VoisaError).kind)).toEqual([
        'authentication',
        'invalid_response',
        'rate_limit',
        'resource_locked',
        'invalid_response',
        'not_found',
      ]);
      for (const err of errors) {
        expect(err).toBeInstanceOf(VoisaError);
        for (const text of renderings(err)) expectClean(text, key);
      }
      // Redacted, not dropped: the places still say something was there.
      expect(errors[0]).toMatchObject({
        code: 'INVALID_[REDACTED]',
        field: '[REDACTED]',
        requestId: 'req_[REDACTED]',
      });
      expect((errors[0] as Error).message).toContain('[REDACTED] is bad, unlike [REDACTED]');
      expect(errors[1]).toMatchObject({
        contentType: 'text/plain; note=[REDACTED]',
        requestId: 'req_[REDACTED]',
      });
      expect(errors[3]).toMatchObject({ code: '[REDACTED]', field: '[REDACTED]' });

      expect(logger.lines.length).toBeGreaterThanOrEqual(10);
      expectClean(logger.text(), key);
      expect(events.length).toBeGreaterThanOrEqual(6);
      expectClean(JSON.stringify(events), key);
    });
  }

  it('in tool results, stderr and log notifications of the MCP server', async () => {
    const stderr: string[] = [];
    const notifications: unknown[] = [];
    const fake = { baseUrl: server.baseUrl, demoKey: SHAPED_KEY } as Sandbox;
    const log = stderrLogger('debug', (line) => {
      stderr.push(line);
      return true;
    });
    // As in main.ts: the server's and the VOISA client's diagnostics both go to stderr.
    const logger = {
      debug: (m: string, d?: Record<string, unknown>) => log('debug', m, d),
      info: (m: string, d?: Record<string, unknown>) => log('info', m, d),
      warn: (m: string, d?: Record<string, unknown>) => log('warning', m, d),
      error: (m: string, d?: Record<string, unknown>) => log('error', m, d),
    };
    const mcp = await connect(fake, { log, clientConfig: { maxRetries: 1, maxRetryDelayMs: 5, logger } });
    mcp.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      notifications.push(n.params);
    });
    try {
      await mcp.client.setLoggingLevel('debug');
      const results = [
        await call(mcp.client, 'verify_api_key'),
        await call(mcp.client, 'list_voices'),
        await call(mcp.client, 'list_mcp_servers'),
        await call(mcp.client, 'make_call', { agent_id: 'agt_bella0001', phone_number: '+49123456789' }),
      ];
      for (const result of results) {
        expect(result.isError).toBe(true);
        expectClean(JSON.stringify(result), SHAPED_KEY);
      }
      expect(resultText(results[0]!)).toContain('[REDACTED]');
      expect(resultText(results[2]!)).toMatch(/RATE_LIMIT_EXCEEDED \(429\).*retry after 3600 s/);
    } finally {
      await mcp.close();
    }
    expect(stderr.length).toBeGreaterThanOrEqual(10);
    expectClean(stderr.join(''), SHAPED_KEY);
    expect(notifications.length).toBeGreaterThanOrEqual(4);
    expectClean(JSON.stringify(notifications), SHAPED_KEY);
  });
});

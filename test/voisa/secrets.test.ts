/** The API key appears in no error message, no serialized error, no log line, no client field. */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { AuthenticationError, VoisaClient, VoisaError } from '../../src/voisa/index.js';
import { capturingLogger, caught, clientFor, sandbox } from './harness.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(() => sb.close());

/** Every way the key could leak out of an error. */
function renderings(err: unknown): string[] {
  return [
    String((err as Error).message),
    String((err as Error).stack),
    JSON.stringify(err),
    inspect(err, { depth: 10, showHidden: true }),
  ];
}

describe('the API key stays secret', () => {
  it('in errors of every kind and in the log', async () => {
    const logger = capturingLogger();
    const key = sb.demoKey;
    const api = clientFor(sb, { logger, maxRetries: 1, timeoutMs: 100 });
    const errors: unknown[] = [];
    // API errors: one echoing the key in its message and field.
    sb.injectFault({
      path: '/api/verify',
      status: 401,
      code: 'INVALID_API_KEY',
      message: `key ${key} is bad`,
      field: key,
    });
    errors.push(await caught(() => api.auth.verify()));
    errors.push(await caught(() => api.agents.get('agt_missing')));
    // Invalid response, connection reset, timeout, abort.
    sb.injectFault({ path: '/api/voices/list', malformed: 'non-json', status: 200 });
    errors.push(await caught(() => api.voices.list()));
    sb.injectFault({ method: 'POST', path: '/api/make-call', reset: true });
    errors.push(await caught(() => api.calls.make({ agent_id: 'agt_x', phone_number: '+49123456789' })));
    sb.injectFault({ path: '/api/mcp-servers', delayMs: 1_000, times: 2 });
    errors.push(await caught(() => api.mcpServers.list()));
    sb.injectFault({ path: '/api/voices/list', delayMs: 1_000 });
    errors.push(await caught(() => api.voices.list({ signal: AbortSignal.timeout(20) })));
    // Connection refused (the key goes in the header of a request that never connects).
    const refused = new VoisaClient({
      baseUrl: 'http://127.0.0.1:1/v1',
      apiKey: key,
      logger,
      maxRetryDelayMs: 1,
    });
    errors.push(await caught(() => refused.auth.verify()));
    await refused.close();
    await api.close();

    expect(errors.map((e) => (e as VoisaError).kind)).toEqual([
      'authentication',
      'not_found',
      'invalid_response',
      'connection',
      'timeout',
      'abort',
      'connection',
    ]);
    for (const err of errors) {
      expect(err).toBeInstanceOf(VoisaError);
      for (const text of renderings(err)) expect(text).not.toContain(key);
    }
    // The echoed key was redacted, not dropped silently.
    expect((errors[0] as AuthenticationError).message).toContain('[REDACTED]');
    expect((errors[0] as AuthenticationError).field).toBe('[REDACTED]');

    expect(logger.lines.length).toBeGreaterThan(5);
    expect(logger.lines.some((l) => l.level === 'warn')).toBe(true);
    expect(logger.text()).not.toContain(key);
  });

  it('in the client object and its derived clients', async () => {
    const api = clientFor(sb);
    const derived = api.withApiKey(sb.readOnlyKey);
    for (const client of [api, derived]) {
      expect(JSON.stringify(client)).not.toContain(sb.demoKey);
      expect(JSON.stringify(client)).not.toContain(sb.readOnlyKey);
      expect(inspect(client, { depth: 10, showHidden: true })).not.toContain(sb.demoKey);
      expect(inspect(client, { depth: 10, showHidden: true })).not.toContain(sb.readOnlyKey);
    }
    // And each sends its own key over the shared pool.
    expect((await api.auth.verify()).permissions).toContain('delete');
    expect((await derived.auth.verify()).permissions).not.toContain('delete');
    await derived.close();
    expect((await api.auth.verify()).valid).toBe(true); // closing a derived client leaves the pool open
    await api.close();
    await expect(derived.auth.verify()).rejects.toMatchObject({ kind: 'connection', code: 'CLIENT_CLOSED' });
  });

  it('getApiKey does not send the configured key', async () => {
    const api = new VoisaClient({ baseUrl: sb.baseUrl, apiKey: 'vsa_wrong_key', rateLimitPerMin: 0 });
    // With the (wrong) configured key sent, the sandbox would answer INVALID_API_KEY.
    const info = await api.auth.getApiKey(sb.demoAccount);
    expect(info.api_key).toEqual(expect.any(String));
    await expect(api.auth.verify()).rejects.toBeInstanceOf(AuthenticationError);
    await api.close();
  });
});

/** Every documented error code becomes its typed error; bad bodies become InvalidResponseError. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import {
  ApiError,
  AuthenticationError,
  InvalidRequestError,
  InvalidResponseError,
  type MakeCallRequest,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  ResourceLockedError,
  ServerError,
  VoisaClient,
} from '../../src/voisa/index.js';
import { capturingLogger, caught, clientFor, sandbox } from './harness.js';

let sb: Sandbox;
let api: VoisaClient;
let agentId: string;

beforeAll(async () => {
  sb = await sandbox({ trainingMs: 60_000 });
  api = clientFor(sb, { maxRetries: 0 });
  agentId = (await api.agents.list({ status: 'active' })).agents[0]!.id;
});
afterAll(async () => {
  await api.close();
  await sb.close();
});
beforeEach(() => sb.clearFaults());

const REQUEST_ID = /^req_/;

describe('documented error codes', () => {
  it('INVALID_API_KEY -> AuthenticationError (401)', async () => {
    const bad = clientFor(sb, { apiKey: 'vsa_test_not_a_key' });
    const err = await caught(() => bad.agents.list());
    await bad.close();
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ kind: 'authentication', status: 401, code: 'INVALID_API_KEY' });
    expect((err as ApiError).requestId).toMatch(REQUEST_ID);
    expect((err as Error).message).toMatch(/^INVALID_API_KEY \(401\): /);
  });

  it('RATE_LIMIT_EXCEEDED -> RateLimitError (429) with retryAfterMs', async () => {
    const limited = await sandbox({ rateLimitPerMin: 2 });
    const client = clientFor(limited, { maxRetries: 0 });
    try {
      await client.auth.verify();
      await client.auth.verify();
      const err = await caught(() => client.auth.verify());
      expect(err).toBeInstanceOf(RateLimitError);
      expect(err).toMatchObject({ kind: 'rate_limit', status: 429, code: 'RATE_LIMIT_EXCEEDED' });
      const { retryAfterMs } = err as RateLimitError;
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    } finally {
      await client.close();
      await limited.close();
    }
  });

  it('AGENT_NOT_FOUND -> NotFoundError (404)', async () => {
    const err = await caught(() => api.agents.get('agt_does_not_exist'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ kind: 'not_found', status: 404, code: 'AGENT_NOT_FOUND' });
    expect((err as ApiError).requestId).toMatch(REQUEST_ID);
  });

  it('INSUFFICIENT_PERMISSIONS -> PermissionDeniedError (403) for a read-only key', async () => {
    const readOnly = api.withApiKey(sb.readOnlyKey);
    expect((await readOnly.agents.list()).agents.length).toBeGreaterThan(0);
    const err = await caught(() => readOnly.agents.create({ name: 'Not allowed' }));
    await readOnly.close();
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err).toMatchObject({ kind: 'permission_denied', status: 403, code: 'INSUFFICIENT_PERMISSIONS' });
  });

  it('INVALID_REQUEST -> InvalidRequestError (400) naming the field', async () => {
    const call = { agent_id: agentId, phone_number: '12345' } as MakeCallRequest;
    const err = await caught(() => api.calls.make(call));
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect(err).toMatchObject({
      kind: 'invalid_request',
      status: 400,
      code: 'INVALID_REQUEST',
      field: 'phone_number',
    });
    expect((err as Error).message).toMatch(/^INVALID_REQUEST \(400\): .+ \[field: phone_number\]$/);
  });

  it('RESOURCE_LOCKED -> ResourceLockedError (409): updating an agent that is still training', async () => {
    const created = await api.agents.create({ name: 'Still training' });
    const err = await caught(() => api.agents.update(created.id, { name: 'Too soon' }));
    expect(err).toBeInstanceOf(ResourceLockedError);
    expect(err).toMatchObject({
      kind: 'resource_locked',
      status: 409,
      code: 'RESOURCE_LOCKED',
      field: 'agent_id',
    });
  });

  it('RESOURCE_NOT_FOUND -> NotFoundError (404) with a field', async () => {
    const err = await caught(() => api.conversations.get('conv_does_not_exist'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'RESOURCE_NOT_FOUND', field: expect.any(String) });
  });

  it('INTERNAL_ERROR -> ServerError (500)', async () => {
    sb.injectFault({ path: '/api/voices/list', status: 500, code: 'INTERNAL_ERROR', message: 'boom' });
    const err = await caught(() => api.voices.list());
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ kind: 'server', status: 500, code: 'INTERNAL_ERROR', apiMessage: 'boom' });
  });

  it('PAYLOAD_TOO_LARGE -> PayloadTooLargeError (413)', async () => {
    sb.injectFault({ path: '/api/knowledge-base/file', code: 'PAYLOAD_TOO_LARGE' });
    const file = { name: 'big.txt', data: new Uint8Array(10) };
    const err = await caught(() => api.knowledgeBase.uploadFile({ agent_id: agentId, file }));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('unknown codes map by status', () => {
  it.each([
    [409, ResourceLockedError],
    [404, NotFoundError],
    [503, ServerError],
  ])('%i -> %o', async (status, Expected) => {
    sb.injectFault({ path: '/api/voices/list', status, code: 'SOMETHING_NEW' });
    const err = await caught(() => api.voices.list());
    expect(err).toBeInstanceOf(Expected);
    expect(err).toMatchObject({ status, code: 'SOMETHING_NEW' });
  });

  it('an unmapped status stays a plain ApiError', async () => {
    sb.injectFault({ path: '/api/voices/list', status: 418, code: 'TEAPOT' });
    const err = await caught(() => api.voices.list());
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ kind: 'api', status: 418, code: 'TEAPOT' });
    expect(err).not.toBeInstanceOf(InvalidRequestError);
    expect(err).not.toBeInstanceOf(ServerError);
  });
});

describe('bodies that are not the envelope', () => {
  it('a non-JSON body -> InvalidResponseError', async () => {
    sb.injectFault({ path: '/api/voices/list', malformed: 'non-json', status: 200 });
    const err = await caught(() => api.voices.list());
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect(err).toMatchObject({
      kind: 'invalid_response',
      status: 200,
      contentType: expect.stringMatching(/html/),
    });
  });

  it('a JSON body that is not the envelope -> InvalidResponseError', async () => {
    sb.injectFault({ path: '/api/voices/list', malformed: 'non-envelope' });
    const err = await caught(() => api.voices.list());
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect(err).toMatchObject({ status: 200, contentType: expect.stringMatching(/json/) });
    expect((err as Error).message).toMatch(/envelope/);
  });

  it('an HTML 502 from a gateway -> InvalidResponseError with that status', async () => {
    sb.injectFault({ method: 'POST', path: '/api/make-call', malformed: 'non-json', status: 502 });
    const err = await caught(() => api.calls.make({ agent_id: agentId, phone_number: '+49123456789' }));
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect(err).toMatchObject({ status: 502 });
  });
});

describe('lenient response parsing', () => {
  it('unknown fields pass through', async () => {
    const agent = await api.agents.get(agentId);
    // `updated_at` is not in the AgentDetails schema; the sandbox sends it.
    expect(agent).toHaveProperty('updated_at', expect.any(String));
    expect(agent.config).toHaveProperty('conversation');
  });

  it('data that does not match the schema is returned anyway, with a warning', async () => {
    const body = JSON.stringify({ success: true, data: { agents: 'not a list', extra: 1 } });
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const logger = capturingLogger();
    const client = new VoisaClient({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      apiKey: 'k',
      rateLimitPerMin: 0,
      logger,
    });
    try {
      const list = await client.agents.list();
      expect(list).toEqual({ agents: 'not a list', extra: 1 });
      const warning = logger.lines.find((l) => l.level === 'warn');
      expect(warning?.msg).toMatch(/schema/);
      expect(warning?.data).toMatchObject({ method: 'GET', path: '/api/agents/list' });
    } finally {
      await client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a new client without a key gets INVALID_API_KEY from the API', async () => {
    const anonymous = new VoisaClient({ baseUrl: sb.baseUrl, rateLimitPerMin: 0, maxRetries: 0 });
    const err = await caught(() => anonymous.auth.verify());
    await anonymous.close();
    expect(err).toBeInstanceOf(AuthenticationError);
  });
});

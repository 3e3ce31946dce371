/**
 * A VOISA key refused in the middle of a session (issue 19.10, the gap of the verdict cache): the key
 * verifier trusts a "valid" verdict for a minute, so the first call after the key is rotated reaches
 * VOISA and is refused there. That call drops the verdict (here and in the shared store), says what to
 * do for the way the user authenticated (an OAuth user signs in again; a key user gets a new key), and
 * the very next request is checked again: 401 with the OAuth challenge and the grant revoked, or the
 * INVALID_API_KEY 401 for a plain key. Nothing waits for the minute to pass.
 */
import { randomBytes } from 'node:crypto';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modernRequest } from '../../src/http/app.js';
import { DEMO_ACCOUNT, type Sandbox } from '../../src/sandbox/index.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { GENERATIONS, type Generation } from '../helpers/generations.js';
import { type RunningRedis, requireRedis, startRedis } from '../helpers/redis.js';
import { initialize, post } from '../http/helpers.js';
import {
  form,
  type OAuthPair,
  type OAuthStack,
  signInThroughPages,
  startOAuthPair,
  startOAuthStack,
  TestOAuthClient,
} from './helpers.js';

interface Connected {
  callTool(name: string): Promise<{ isError?: boolean; text: string }>;
  /** A resource read; a refused one answers with its error's message as the text. */
  read(uri: string): Promise<{ isError?: boolean; text: string }>;
  /** The session a 2025-11-25 client holds (none on 2026-07-28). */
  sessionId(): string | undefined;
  close(): Promise<void>;
}

/** Each generation's own SDK client at /mcp, with a plain key or an OAuth provider. */
async function open(
  generation: Generation,
  mcpUrl: string,
  auth: { key: string } | { provider: TestOAuthClient },
): Promise<Connected> {
  const options = {
    requestInit: 'key' in auth ? { headers: { authorization: `Bearer ${auth.key}` } } : {},
    authProvider: 'provider' in auth ? (auth.provider as never) : undefined,
  };
  const info = { name: 'refused-mid-session', version: '1.0.0' };
  const text = (r: unknown) => {
    const result = r as { isError?: boolean; content: { text?: string }[] };
    return { isError: result.isError, text: result.content.map((c) => c.text ?? '').join('\n') };
  };
  const read = (reading: Promise<unknown>) =>
    reading.then(
      () => ({ isError: false, text: '' }),
      (err: Error) => ({ isError: true, text: err.message }),
    );
  if (generation === '2026-07-28') {
    const client = new ModernClient(info, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernHttp(new URL(mcpUrl), options));
    return {
      callTool: async (name) => text(await client.callTool({ name, arguments: {} })),
      read: (uri) => read(client.readResource({ uri })),
      sessionId: () => undefined,
      close: () => client.close(),
    };
  }
  const client = new LegacyClient(info);
  const transport = new LegacyHttp(new URL(mcpUrl), options);
  await client.connect(transport);
  return {
    callTool: async (name) => text(await client.callTool({ name, arguments: {} })),
    read: (uri) => read(client.readResource({ uri })),
    sessionId: () => transport.sessionId,
    close: () => client.close(),
  };
}

/**
 * The request that follows, sent by hand to see its status and challenge: a tools/list of this
 * generation (2025-11-25: in the session, or an initialize when there is none).
 */
async function nextRequest(generation: Generation, mcpUrl: string, bearer: string, sessionId?: string) {
  const headers = { authorization: `Bearer ${bearer}` };
  const legacy = sessionId
    ? { jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }
    : initialize('2025-11-25');
  const res =
    generation === '2026-07-28'
      ? await fetch(modernRequest(mcpUrl, 'tools/list', {}, headers))
      : await post(mcpUrl, legacy, {
          ...headers,
          'mcp-protocol-version': '2025-11-25',
          ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
        });
  const body = await res.text();
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '', body };
}

/** A full key of the demo account that VOISA accepts: the seeded one, or a new one once that was revoked. */
async function liveKey(sandbox: Sandbox): Promise<string> {
  const api = new VoisaClient({ baseUrl: sandbox.baseUrl, rateLimitPerMin: 0 });
  try {
    return (await api.auth.getApiKey({ ...DEMO_ACCOUNT })).api_key;
  } finally {
    await api.close();
  }
}

/** Signs in with `key` through the real pages; the provider then holds the grant's tokens. */
async function signIn(generation: Generation, stack: OAuthStack, key: string): Promise<TestOAuthClient> {
  const provider = new TestOAuthClient();
  await signInThroughPages(generation, stack, provider, { apiKey: key });
  expect(provider.saved?.access_token).toBeTruthy();
  return provider;
}

async function refreshWith(stack: OAuthStack, provider: TestOAuthClient) {
  const res = await fetch(
    `${stack.url}/oauth/token`,
    form({
      grant_type: 'refresh_token',
      refresh_token: String(provider.saved?.refresh_token),
      client_id: String(provider.info?.client_id),
    }),
  );
  return { status: res.status, error: ((await res.json()) as { error?: string }).error };
}

/**
 * The OAuth scenario on `first` (which makes the successful call and meets the refusal) and `then`
 * (which gets the next request: the same instance, or another sharing the verdicts through Redis).
 */
async function oauthScenario(
  generation: Generation,
  first: OAuthStack,
  then: OAuthStack = first,
  via: 'tool' | 'resource' = 'tool',
) {
  const key = await liveKey(first.sandbox);
  const provider = await signIn(generation, first, key);
  const client = await open(generation, first.mcpUrl, { provider });
  try {
    // Accepted: the key's "valid" verdict is now cached for a minute.
    expect((await client.callTool('list_agents')).isError).toBeFalsy();
    first.sandbox.revokeKey(key);

    const failed =
      via === 'tool' ? await client.callTool('list_agents') : await client.read('voisa://voices');
    expect(failed.isError).toBe(true);
    expect(failed.text).toContain('INVALID_API_KEY');
    expect(failed.text).toContain('sign in to VOISA again from your application');
    expect(failed.text).not.toContain('voisa-mcp login');
    expect(failed.text).not.toContain(key);

    // Checked again at once, not a minute later: the challenge, and the grant is ended.
    const access = String(provider.saved?.access_token);
    // A session stays on its instance (the balancer's affinity): another instance sees a new one.
    const session = then === first ? client.sessionId() : undefined;
    const next = await nextRequest(generation, then.mcpUrl, access, session);
    expect(next.status).toBe(401);
    expect(next.challenge).toContain('error="invalid_token"');
    expect(next.challenge).toContain(
      `resource_metadata="${first.issuer}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(next.challenge).toMatch(/error_description="[^"]*sign in again"/);
    expect(next.body).toContain('Sign in to VOISA again');
    expect(next.body).not.toContain(key);
    expect(await refreshWith(first, provider)).toEqual({ status: 400, error: 'invalid_grant' });
  } finally {
    await client.close().catch(() => {});
  }
}

describe('a VOISA key refused within the minute its verdict is trusted', () => {
  let stack: OAuthStack;
  beforeAll(async () => {
    stack = await startOAuthStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe.each(GENERATIONS)('%s', (generation) => {
    it('an OAuth user: the failed call says to sign in again, the next request gets the challenge, the grant is revoked', async () => {
      await oauthScenario(generation, stack);
    });

    it('an OAuth user reading a resource: the error says to sign in again, the next request gets the challenge', async () => {
      await oauthScenario(generation, stack, stack, 'resource');
    });

    it('a plain key: the failed call keeps its wording, the next request gets 401 INVALID_API_KEY', async () => {
      const key = await liveKey(stack.sandbox);
      const client = await open(generation, stack.mcpUrl, { key });
      try {
        expect((await client.callTool('list_agents')).isError).toBeFalsy();
        stack.sandbox.revokeKey(key);

        const failed = await client.callTool('list_agents');
        expect(failed.isError).toBe(true);
        expect(failed.text).toContain('INVALID_API_KEY');
        expect(failed.text).toContain('run `voisa-mcp login`');
        expect(failed.text).not.toContain('sign in to VOISA again');
        expect(failed.text).not.toContain(key);

        const next = await nextRequest(generation, stack.mcpUrl, key, client.sessionId());
        expect(next.status).toBe(401);
        expect(next.body).toContain('INVALID_API_KEY');
        expect(next.body).not.toContain(key);
      } finally {
        await client.close().catch(() => {});
      }
    });
  });
});

describe.skipIf(!requireRedis())('the verdict shared through Redis is dropped too', () => {
  const secret = randomBytes(32);
  let redis: RunningRedis | undefined;
  let pair: OAuthPair;
  let a: OAuthStack;
  let b: OAuthStack;

  beforeAll(async () => {
    redis = await startRedis();
    if (!redis) throw new Error('redis-server did not start');
    pair = await startOAuthPair(redis.url, secret, { trainingMs: 200, callMs: 300 });
    ({ a, b } = pair);
  });
  afterAll(async () => {
    await pair?.close();
    await redis?.stop();
  });

  // The other instance never checked the key itself: without the drop it would trust the shared "valid".
  it.each(GENERATIONS)(
    '%s: the next request, on the other instance, is checked again',
    async (generation) => {
      await oauthScenario(generation, a, b);
    },
  );
});

/**
 * The old HTTP+SSE transport (`GET /sse` + `POST /messages`) with OAuth on: an access token is taken
 * for what it is, through /mcp's own caller identification: it acts with its grant's VOISA key,
 * limited to the tools of its scopes, and never reaches VOISA as an API key; a bad or missing token
 * gets the 401 with the OAuth challenge. The transport predates 2026-07-28 (which has no /sse), so its
 * two clients are the SSE client transports of both SDKs: 1.32 and 2.x.
 */
import { Client as ModernClient, SSEClientTransport as ModernSse } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as LegacySse } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, SECOND_KEY } from '../../src/sandbox/seed.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { allowedTools } from '../../src/tools/scopes.js';
import { INIT, openSse, post } from '../http/helpers.js';
import { form, type OAuthStack, startOAuthStack, tokens } from './helpers.js';

let stack: OAuthStack;
let sseUrl: string;
/** An access token for voisa:read only, and one for every scope. */
let readOnly: string;
let everything: string;

beforeAll(async () => {
  stack = await startOAuthStack();
  sseUrl = `${stack.url}/sse`;
  readOnly = (await tokens(stack, { untick: ['voisa:write', 'voisa:calls'] })).access_token;
  everything = (await tokens(stack)).access_token;
});
afterAll(() => stack?.close());

const SSE_CLIENTS = {
  'SDK 1.32': (token: string) => {
    const client = new LegacyClient({ name: 'sse-oauth-test', version: '1.0.0' });
    const transport = new LegacySse(new URL(sseUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    return { client, connect: () => client.connect(transport) };
  },
  'SDK 2.x': (token: string) => {
    const client = new ModernClient({ name: 'sse-oauth-test', version: '1.0.0' });
    const transport = new ModernSse(new URL(sseUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    return { client, connect: () => client.connect(transport) };
  },
};

/** What the sandbox saw since `from`: every request must carry a key VOISA knows (the grant's). */
function upstreamSince(from: number) {
  return stack.sandbox.requests().slice(from);
}

describe.each(Object.entries(SSE_CLIENTS))('GET /sse with an OAuth access token (%s)', (_name, make) => {
  it('acts with the grant: only the tools of its scopes, calls with its VOISA key, the token never sent to VOISA', async () => {
    const from = stack.sandbox.requests().length;
    const { client, connect } = make(readOnly);
    await connect();
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name).sort();
      expect(names).toEqual([...allowedTools(CATALOGUE, ['voisa:read'])].sort());
      expect(names).toContain('list_agents');
      expect(names).not.toContain('make_call');
      expect(names).not.toContain('create_agent');

      const listed = await client.callTool({ name: 'list_agents', arguments: {} });
      expect(listed.isError).toBeFalsy();
      expect(JSON.stringify(listed.content)).toContain('agt_bella0001');
      // A tool outside the grant cannot be called either.
      const refused = await client.callTool({ name: 'create_agent', arguments: { name: 'x' } }).then(
        (r) => r.isError === true,
        () => true,
      );
      expect(refused).toBe(true);
    } finally {
      await client.close();
    }
    const seen = upstreamSince(from);
    expect(seen.some((r) => r.path.startsWith('/api/agents'))).toBe(true);
    // Every request went with the grant's key (the sandbox names its account); none with the token.
    expect(seen.filter((r) => r.account_id !== DEMO_ACCOUNT_ID)).toEqual([]);
    expect(seen.filter((r) => r.status === 401)).toEqual([]);
  });

  it('lists every tool of a grant with every scope', async () => {
    const { client, connect } = make(everything);
    await connect();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('make_call');
      expect(tools.map((t) => t.name)).toContain('create_agent');
    } finally {
      await client.close();
    }
  });
});

describe('GET /sse and POST /messages refuse what /mcp refuses', () => {
  it('answers an unknown or missing token 401 with the OAuth challenge, without asking VOISA', async () => {
    const from = stack.sandbox.requests().length;
    // Shaped like one of this server's tokens (43 characters of base64url), but unknown.
    const forged = await openSse(sseUrl, { authorization: `Bearer ${'A'.repeat(43)}` });
    expect(forged.status).toBe(401);
    const challenge = forged.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/error="invalid_token"/);
    expect(challenge).toContain(
      `resource_metadata="${stack.issuer}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(forged.text).toMatch(/Sign in again/);

    const none = await openSse(sseUrl);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('resource_metadata=');
    expect(none.text).toMatch(/sign in with OAuth/);
    // Nothing went to VOISA: no key check with the token, or with anything else.
    expect(upstreamSince(from)).toEqual([]);
  });

  it("binds the session to its grant: another grant's token, or the grant's own VOISA key, gets 403", async () => {
    const raw = await openSse(sseUrl, { authorization: `Bearer ${readOnly}` });
    expect(raw.status).toBe(200);
    const endpoint = new URL(raw.endpoint, stack.url).href;
    const init = { ...INIT, params: { ...INIT.params, protocolVersion: '2024-11-05' } };
    try {
      const other = await post(endpoint, init, { authorization: `Bearer ${everything}` });
      expect(other.status).toBe(403);
      const key = await post(endpoint, init, { authorization: `Bearer ${stack.sandbox.demoKey}` });
      expect(key.status).toBe(403);
      const forged = await post(endpoint, init, { authorization: `Bearer ${'B'.repeat(43)}` });
      expect(forged.status).toBe(401);
      expect(raw.messages).toHaveLength(0);
      const same = await post(endpoint, init, { authorization: `Bearer ${readOnly}` });
      expect(same.status).toBe(202);
      await raw.next((m) => m.id === 1);
    } finally {
      raw.close();
    }
  });
});

describe('GET /sse with a grant whose VOISA key was rotated', () => {
  it('answers 401 invalid_token with the challenge and a sign-in-again message, and revokes the grant', async () => {
    // The second account's key, pasted at sign-in: the demo key the other tests use stays good.
    const grant = await tokens(stack, { apiKey: SECOND_KEY });
    stack.sandbox.revokeKey(SECOND_KEY);
    const refused = await openSse(sseUrl, { authorization: `Bearer ${grant.access_token}` });
    expect(refused.status).toBe(401);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain('resource_metadata=');
    expect(refused.text).toContain('Sign in to VOISA again');
    expect(refused.text).not.toContain(SECOND_KEY);

    const refresh = await fetch(
      `${stack.url}/oauth/token`,
      form({ grant_type: 'refresh_token', refresh_token: grant.refresh_token, client_id: grant.clientId }),
    );
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
  });
});

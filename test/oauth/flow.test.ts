/**
 * A connector's whole life with the SDK's own OAuth flow (its OAuthClientProvider), on both protocol
 * generations: discovery from the 401, registration, authorize, sign-in and consent on our pages,
 * the code exchange, tools/list limited to the grant, refresh, revocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_ONLY_KEY } from '../../src/sandbox/index.js';
import { GENERATIONS } from '../helpers/generations.js';
import {
  authorize,
  connectWithOAuth,
  type OAuthStack,
  startAuthorization,
  startOAuthStack,
  TestOAuthClient,
  toolNamesWith,
  UserAgent,
} from './helpers.js';

let stack: OAuthStack;
beforeAll(async () => {
  stack = await startOAuthStack();
});
afterAll(async () => {
  await stack?.close();
});

async function tokenRequest(fields: Record<string, string>) {
  const res = await fetch(`${stack.issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe.each(GENERATIONS)('OAuth with a %s client', (generation) => {
  it('a keyless request is told where to sign in', async () => {
    const res = await fetch(stack.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(
      `resource_metadata="${stack.issuer}/.well-known/oauth-protected-resource/mcp"`,
    );
    await res.body?.cancel();
  });

  it('signs in, consents to everything, and sees every tool; the code came back with iss', async () => {
    const provider = new TestOAuthClient(`Everything ${generation}`);
    const client = await connectWithOAuth(generation, stack, provider);
    try {
      const names = (await client.listTools()).map((t) => t.name);
      expect(names).toContain('make_call');
      expect(names).toContain('delete_agent');
      expect(names).toContain('list_agents');
      const agents = await client.callTool('list_agents', {});
      expect(agents.isError).toBeFalsy();
      expect(provider.saved?.refresh_token).toBeTruthy();
      expect(provider.saved?.scope?.split(' ').sort()).toEqual(['voisa:calls', 'voisa:read', 'voisa:write']);
      expect(provider.info?.client_id).toBeTruthy();
    } finally {
      await client.close();
    }
  });

  it('unticking voisa:calls hides make_call; a read-only grant leaves only read tools', async () => {
    const noCalls = await connectWithOAuth(generation, stack, new TestOAuthClient('No calls'), {
      untick: ['voisa:calls'],
    });
    try {
      const names = (await noCalls.listTools()).map((t) => t.name);
      expect(names).not.toContain('make_call');
      expect(names).toContain('create_agent');
      const refused = await noCalls
        .callTool('make_call', { agent_id: 'agt_x', phone_number: '+14155550100' })
        .catch((e: Error) => e);
      expect(refused instanceof Error ? refused.message : JSON.stringify(refused)).toMatch(
        /Unknown tool make_call/,
      );
    } finally {
      await noCalls.close();
    }
    const readOnly = await connectWithOAuth(generation, stack, new TestOAuthClient('Reader'), {
      untick: ['voisa:calls', 'voisa:write'],
    });
    try {
      const tools = await readOnly.listTools();
      expect(tools.length).toBeGreaterThan(5);
      expect(tools.every((t) => (t.annotations as { readOnlyHint?: boolean })?.readOnlyHint === true)).toBe(
        true,
      );
    } finally {
      await readOnly.close();
    }
  });

  it("the grant is also limited by the key's own permissions (a read-only API key)", async () => {
    const client = await connectWithOAuth(generation, stack, new TestOAuthClient('Pasted key'), {
      apiKey: READ_ONLY_KEY,
    });
    try {
      const names = (await client.listTools()).map((t) => t.name);
      expect(names).toContain('list_agents');
      expect(names).not.toContain('create_agent');
      expect(names).not.toContain('make_call');
    } finally {
      await client.close();
    }
  });

  it('refresh rotates the refresh token; revoking the access token ends the grant (401)', async () => {
    const provider = new TestOAuthClient(`Refresher ${generation}`);
    const client = await connectWithOAuth(generation, stack, provider);
    await client.close();
    const clientId = String(provider.info?.client_id);
    const first = provider.saved!;
    const refreshed = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token!,
      client_id: clientId,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(first.refresh_token);
    expect((await toolNamesWith(stack.mcpUrl, refreshed.body.access_token!)).status).toBe(200);

    const revoke = await fetch(`${stack.issuer}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshed.body.access_token!, client_id: clientId }).toString(),
    });
    expect(revoke.status).toBe(200);
    const after = await toolNamesWith(stack.mcpUrl, refreshed.body.access_token!);
    expect(after.status).toBe(401);
    expect(after.challenge).toContain('error="invalid_token"');
    // The grant went with it: the rotated refresh token no longer works either.
    expect(
      (
        await tokenRequest({
          grant_type: 'refresh_token',
          refresh_token: refreshed.body.refresh_token!,
          client_id: clientId,
        })
      ).status,
    ).toBe(400);
  });
});

describe('sign-in reuse', () => {
  it('a browser that signed in is asked only for consent by the next client, not for its password', async () => {
    const ua = new UserAgent();
    const pending = (name: string) => startAuthorization('2026-07-28', stack, new TestOAuthClient(name));
    const first = await authorize(ua, await pending('First'), stack.issuer);
    expect(first.pages).toEqual(['sign-in', 'consent']);
    const second = await authorize(ua, await pending('Second'), stack.issuer);
    expect(second.pages).toEqual(['consent']);
    expect(second.searchParams.get('code')).toBeTruthy();
    expect(second.searchParams.get('iss')).toBe(stack.issuer);
  });
});

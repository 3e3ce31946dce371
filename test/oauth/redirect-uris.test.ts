/**
 * Redirect URIs at dynamic registration (issue 19.12): https, or http on localhost, 127.0.0.1 or
 * [::1] only, as the MCP authorization spec requires (a code sent over plain http across a network
 * can be read on the way); a native app's private-use scheme (cursor://, vscode://: RFC 8252 §7.1)
 * is accepted, and nothing that runs or reads locally. Client metadata documents follow the same
 * rules (cimd.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthStack, startOAuthStack } from './helpers.js';

let stack: OAuthStack;
beforeAll(async () => {
  stack = await startOAuthStack();
});
afterAll(async () => {
  await stack?.close();
});

async function registerWith(redirect: string) {
  const res = await fetch(`${stack.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Redirect test',
      redirect_uris: [redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; error_description?: string } };
}

describe('redirect URIs at registration', () => {
  it.each([
    'https://app.example/callback',
    'http://localhost:33418/callback',
    'http://127.0.0.1/callback',
    'http://[::1]:8080/callback',
    'cursor://anysphere.cursor-retrieval/oauth/callback',
    'com.example.app:/oauth2redirect',
  ])('%s is accepted', async (redirect) => {
    expect((await registerWith(redirect)).status).toBe(201);
  });

  it.each([
    'http://app.example/callback',
    'http://192.168.1.10:8080/callback',
    'http://10.0.0.1/callback',
    'http://127.0.0.1.nip.io/callback',
    'http://localhost.evil.example/callback',
  ])('%s (plain http off loopback) is refused', async (redirect) => {
    const out = await registerWith(redirect);
    expect(out.status).toBe(400);
    expect(out.body.error).toBe('invalid_redirect_uri');
    expect(out.body.error_description).toContain('redirect_uris must use https');
  });

  it.each(['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd'])(
    '%s is refused',
    async (redirect) => {
      const out = await registerWith(redirect);
      expect(out.status).toBe(400);
      expect(out.body.error).toBe('invalid_redirect_uri');
    },
  );
});

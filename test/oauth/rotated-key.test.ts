/**
 * A rotated VOISA key sends the user back to sign-in (issue 19.10): when VOISA refuses the key
 * behind a grant, /mcp answers 401 with the OAuth challenge and a message to sign in again, and the
 * grant is revoked, so a refresh fails with invalid_grant and the SDK of each generation starts a new
 * authorization instead of refreshing into tokens that can never work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modernRequest } from '../../src/http/app.js';
import { DEMO_KEY, SECOND_KEY } from '../../src/sandbox/index.js';
import { connectGeneration, GENERATIONS, type Generation } from '../helpers/generations.js';
import { initialize, post } from '../http/helpers.js';
import {
  form,
  type OAuthStack,
  signInThroughPages,
  startOAuthStack,
  TestOAuthClient,
  UserAgent,
} from './helpers.js';

let stack: OAuthStack;
beforeAll(async () => {
  stack = await startOAuthStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The first /mcp request of a generation with this bearer: status, challenge and error message. */
async function firstRequest(generation: Generation, token: string) {
  const res =
    generation === '2026-07-28'
      ? await fetch(modernRequest(stack.mcpUrl, 'tools/list', {}, { authorization: `Bearer ${token}` }))
      : await post(stack.mcpUrl, initialize('2025-11-25'), { authorization: `Bearer ${token}` });
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  return {
    status: res.status,
    challenge: res.headers.get('www-authenticate') ?? '',
    message: body.error?.message ?? '',
  };
}

const keyFor: Record<Generation, string> = { '2026-07-28': DEMO_KEY, '2025-11-25': SECOND_KEY };

describe.each(GENERATIONS)('a rotated VOISA key (%s)', (generation) => {
  it('gets 401 invalid_token with the OAuth challenge, revokes the grant, and the SDK signs in again', async () => {
    const key = keyFor[generation];
    const provider = new TestOAuthClient();
    const browser = new UserAgent();
    const first = await signInThroughPages(generation, stack, provider, { apiKey: key }, browser);
    const { access_token, refresh_token } = provider.saved ?? { access_token: '' };
    expect(access_token).toBeTruthy();

    stack.sandbox.revokeKey(key);
    const refused = await firstRequest(generation, access_token);
    expect(refused.status).toBe(401);
    expect(refused.challenge).toContain('error="invalid_token"');
    expect(refused.challenge).toContain(
      `resource_metadata="${stack.issuer}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(refused.challenge).toMatch(/error_description="[^"]*sign in again"/);
    expect(refused.message).toContain('Sign in to VOISA again');
    expect(refused.message).not.toContain('voisa-mcp login');
    expect(refused.message).not.toContain(key);

    // The grant is gone: its refresh token mints nothing.
    const refresh = await fetch(
      `${stack.url}/oauth/token`,
      form({
        grant_type: 'refresh_token',
        refresh_token: refresh_token as string,
        client_id: String(provider.info?.client_id),
      }),
    );
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');

    // The SDK, holding those tokens, meets the 401, fails to refresh, and sends the user to sign in.
    const again = await connectGeneration(
      generation,
      { url: stack.mcpUrl },
      { authProvider: provider },
    ).catch((err: Error) => err);
    expect(again).toBeInstanceOf(Error);
    expect(provider.authorizationUrl?.href).not.toBe(first.href);
    expect(provider.authorizationUrl?.pathname).toBe('/oauth/authorize');
    // The same browser, still holding its session of the refused key, is asked to sign in again.
    const { res } = await browser.follow(provider.authorizationUrl as URL, stack.issuer);
    const page = await res?.text();
    expect(res?.status).toBe(200);
    expect(page).toContain('name="api_key"');
  });
});

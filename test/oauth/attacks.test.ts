/**
 * What an attacker tries against the authorization server and the protected /mcp, each refused:
 * wrong password (and its rate limit), code replay, PKCE mismatch, redirect URI mismatch, a token for
 * another audience, refresh-token reuse, expired and forged tokens, CSRF on the forms, script in a
 * client name. No password, key or token ever reaches the log.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY } from '../../src/sandbox/index.js';
import {
  authorizeUrl,
  DEMO_ACCOUNT,
  form,
  formsOf,
  freshCode,
  type OAuthStack,
  pkce,
  redeem,
  register,
  startOAuthStack,
  tokens,
  toolNamesWith,
  UserAgent,
} from './helpers.js';

let stack: OAuthStack;
beforeAll(async () => {
  stack = await startOAuthStack({ maxFailuresPerAccount: 3 });
});
afterAll(async () => {
  await stack?.close();
});

async function signInPage(ua: UserAgent, s: OAuthStack = stack, name = 'Attack test') {
  const clientId = await register(s, name);
  const { res, url } = await ua.follow(authorizeUrl(s, clientId, pkce().challenge), s.issuer);
  const html = (await res?.text()) ?? '';
  const [login] = formsOf(html);
  if (!login) throw new Error(`no sign-in form at ${url}`);
  return { html, login, res: res as Response };
}

describe('sign-in', () => {
  it('a wrong password gets the page again with an alert, and no code', async () => {
    const ua = new UserAgent();
    const { login } = await signInPage(ua);
    const out = await ua.postForm(new URL(login.action, stack.issuer), stack.issuer, [
      ['csrf', login.csrf],
      ['email', DEMO_ACCOUNT.email],
      ['password', 'not-the-password'],
    ]);
    expect(out.res?.status).toBe(401);
    const html = (await out.res?.text()) ?? '';
    expect(html).toContain('role="alert"');
    expect(html).toContain('The email or password is not right');
    expect(out.url.searchParams.get('code')).toBeNull();
  });

  it('after 3 failures for one account, even the right password waits (429), other accounts do not', async () => {
    const email = 'victim@voisa.example';
    const ua = new UserAgent();
    const { login } = await signInPage(ua);
    const attempt = (address: string, password: string) =>
      ua.postForm(new URL(login.action, stack.issuer), stack.issuer, [
        ['csrf', login.csrf],
        ['email', address],
        ['password', password],
      ]);
    for (let i = 0; i < 3; i++) expect((await attempt(email, `guess-${i}`)).res?.status).toBe(401);
    const locked = await attempt(email, 'whatever');
    expect(locked.res?.status).toBe(429);
    expect(locked.res?.headers.get('retry-after')).toBeTruthy();
    // The demo account is another account: it still signs in.
    const ok = await attempt(DEMO_ACCOUNT.email, DEMO_ACCOUNT.password);
    expect(ok.res?.status).toBe(200);
    expect(await ok.res?.text()).toContain('name="decision" value="allow"');
  });

  it('the forms refuse a missing or wrong CSRF token, a cross-site post, and another browser', async () => {
    const ua = new UserAgent();
    const { login } = await signInPage(ua);
    const action = new URL(login.action, stack.issuer);
    const creds: [string, string][] = [
      ['email', DEMO_ACCOUNT.email],
      ['password', DEMO_ACCOUNT.password],
    ];
    expect((await ua.postForm(action, stack.issuer, creds)).res?.status).toBe(403);
    expect((await ua.postForm(action, stack.issuer, [['csrf', 'forged'], ...creds])).res?.status).toBe(403);
    const crossSite = await ua.request(action, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      body: new URLSearchParams([['csrf', login.csrf], ...creds]).toString(),
    });
    expect(crossSite.status).toBe(403);
    // The right token from a browser without the interaction cookie: nothing to act on.
    const stranger = await new UserAgent().postForm(action, stack.issuer, [['csrf', login.csrf], ...creds]);
    expect(stranger.res?.status).toBe(400);
  });

  it('script in a client name is shown as text on both pages; the pages forbid script and framing', async () => {
    const name = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const ua = new UserAgent();
    const { html, login, res } = await signInPage(ua, stack, name);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('script-src');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const consent = await ua.postForm(new URL(login.action, stack.issuer), stack.issuer, [
      ['csrf', login.csrf],
      ['email', DEMO_ACCOUNT.email],
      ['password', DEMO_ACCOUNT.password],
    ]);
    const consentHtml = (await consent.res?.text()) ?? '';
    expect(consentHtml).toContain('Allow <span>&lt;script&gt;');
    expect(consentHtml).not.toContain('<script>');
  });
});

describe('authorization requests', () => {
  it('a redirect URI that was not registered gets an error page, never a redirect (no open redirect)', async () => {
    const clientId = await register(stack);
    const res = await new UserAgent().request(
      authorizeUrl(stack, clientId, pkce().challenge, { redirect_uri: 'https://evil.example/callback' }),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('redirect_uri');
  });

  it('PKCE is required, and only S256', async () => {
    const clientId = await register(stack);
    const noPkce = authorizeUrl(stack, clientId, 'x');
    noPkce.searchParams.delete('code_challenge');
    noPkce.searchParams.delete('code_challenge_method');
    const plain = authorizeUrl(stack, clientId, 'x'.repeat(43), { code_challenge_method: 'plain' });
    for (const url of [noPkce, plain]) {
      const res = await new UserAgent().request(url);
      const location = new URL(res.headers.get('location') ?? '', stack.issuer);
      expect(location.searchParams.get('error')).toBe('invalid_request');
    }
  });

  it('a token for another resource is refused (invalid_target)', async () => {
    const clientId = await register(stack);
    const res = await new UserAgent().request(
      authorizeUrl(stack, clientId, pkce().challenge, { resource: 'https://other.example/mcp' }),
    );
    const location = new URL(res.headers.get('location') ?? '', stack.issuer);
    expect(location.searchParams.get('error')).toBe('invalid_target');
  });
});

describe('codes and tokens', () => {
  it('a PKCE mismatch redeems nothing', async () => {
    const { clientId, code } = await freshCode(stack);
    const res = await redeem(stack, clientId, code, pkce().verifier);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('a code is single-use: its replay fails and revokes what the first use got', async () => {
    const { clientId, verifier, code } = await freshCode(stack);
    const first = await redeem(stack, clientId, code, verifier);
    const { access_token } = (await first.json()) as { access_token: string };
    expect((await toolNamesWith(stack.mcpUrl, access_token)).status).toBe(200);
    const replay = await redeem(stack, clientId, code, verifier);
    expect(replay.status).toBe(400);
    expect((await toolNamesWith(stack.mcpUrl, access_token)).status).toBe(401);
  });

  it('a reused refresh token revokes the whole family', async () => {
    const t = await tokens(stack);
    const refresh = (token: string) =>
      fetch(
        `${stack.issuer}/oauth/token`,
        form({ grant_type: 'refresh_token', refresh_token: token, client_id: t.clientId }),
      );
    const next = (await (await refresh(t.refresh_token)).json()) as {
      access_token: string;
      refresh_token: string;
    };
    expect((await toolNamesWith(stack.mcpUrl, next.access_token)).status).toBe(200);
    const reuse = await refresh(t.refresh_token);
    expect(reuse.status).toBe(400);
    expect((await toolNamesWith(stack.mcpUrl, next.access_token)).status).toBe(401);
    expect((await refresh(next.refresh_token)).status).toBe(400);
  });

  it('forged and tampered tokens get 401 invalid_token without reaching VOISA', async () => {
    const { access_token } = await tokens(stack);
    const tampered = access_token.slice(0, -1) + (access_token.endsWith('A') ? 'B' : 'A');
    const before = stack.sandbox.requests().length;
    for (const token of [randomBytes(32).toString('base64url'), tampered]) {
      const res = await toolNamesWith(stack.mcpUrl, token);
      expect(res.status).toBe(401);
      expect(res.challenge).toContain('error="invalid_token"');
      expect(res.challenge).toContain('resource_metadata=');
    }
    expect(stack.sandbox.requests().length).toBe(before);
  });

  it('an expired access token gets 401', async () => {
    const short = await startOAuthStack({ accessTokenTtl: 1, sandbox: stack.sandbox });
    try {
      const { access_token } = await tokens(short);
      expect((await toolNamesWith(short.mcpUrl, access_token)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      const expired = await toolNamesWith(short.mcpUrl, access_token);
      expect(expired.status).toBe(401);
      expect(expired.challenge).toContain('error="invalid_token"');
    } finally {
      await short.close();
    }
  });

  it('a token of one server is refused by another that shares its store and secret (audience)', async () => {
    const secret = randomBytes(32);
    const a = await startOAuthStack({ secret, sandbox: stack.sandbox });
    const b = await startOAuthStack({ secret, sandbox: stack.sandbox, kv: a.kv });
    try {
      const { access_token } = await tokens(a);
      expect((await toolNamesWith(a.mcpUrl, access_token)).status).toBe(200);
      const elsewhere = await toolNamesWith(b.mcpUrl, access_token);
      expect(elsewhere.status).toBe(401);
      expect(elsewhere.challenge).toContain('error="invalid_token"');
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('VOISA API keys keep working next to OAuth', async () => {
    const res = await toolNamesWith(stack.mcpUrl, DEMO_KEY);
    expect(res.status).toBe(200);
    expect(res.names).toContain('make_call');
  });

  it('no password, API key or token is ever logged', () => {
    const all = stack.logs.join('\n');
    expect(all).not.toContain(DEMO_ACCOUNT.password);
    expect(all).not.toContain(DEMO_KEY);
    expect(all).not.toMatch(/not-the-password|guess-\d/);
  });
});

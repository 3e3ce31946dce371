/**
 * The connected-apps page (`/account`) over two instances sharing Redis: apps connected through the
 * real OAuth flow are listed per VOISA account (across its keys) with names, scopes and times; a
 * revocation on instance A ends the app's access and refresh tokens on instance B at its next request;
 * the other app keeps working on both protocol generations; another account's grant and a post
 * without its CSRF token are refused; sign-ins are limited like the connector's.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, READ_ONLY_KEY, SECOND_ACCOUNT } from '../../src/sandbox/index.js';
import type { SharedState } from '../../src/scale/index.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import {
  DEMO_ACCOUNT,
  form,
  formsOf,
  type OAuthPair,
  type OAuthStack,
  type SignIn,
  startOAuthPair,
  startOAuthStack,
  tokens,
  toolNamesWith,
  UserAgent,
} from './helpers.js';

interface App {
  clientId: string;
  access_token: string;
  refresh_token: string;
}

/** A client named `name` connects through the real pages of `at` as `who` and redeems its code there. */
function connectApp(at: OAuthStack, name: string, who: SignIn = {}): Promise<App> {
  // Tokens are for the issuer's /mcp, whichever instance registers the client and redeems the code.
  return tokens({ ...at, mcpUrl: at.gate.resource }, who, name);
}

/** A person's browser on the page of one instance (`s.url`), posting as the page does (Origin: the issuer). */
class AccountBrowser {
  readonly ua = new UserAgent();
  constructor(readonly s: OAuthStack) {}
  async page(): Promise<{ status: number; html: string; res: Response }> {
    const res = await this.ua.request(`${this.s.url}/account`);
    return { status: res.status, html: await res.text(), res };
  }
  post(path: string, fields: [string, string][], headers: Record<string, string> = {}) {
    return this.ua.request(`${this.s.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.s.issuer,
        'sec-fetch-site': 'same-origin',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }
  async signIn(who: SignIn = {}): Promise<Response> {
    const [signInForm] = formsOf((await this.page()).html);
    if (signInForm?.action !== '/account/sign-in') throw new Error('no sign-in form');
    const credentials: [string, string][] = who.apiKey
      ? [['api_key', who.apiKey]]
      : [
          ['email', who.email ?? DEMO_ACCOUNT.email],
          ['password', who.password ?? DEMO_ACCOUNT.password],
        ];
    return this.post('/account/sign-in', [['csrf', signInForm.csrf], ...credentials]);
  }
  /** The CSRF token of the signed-in page's forms. */
  async csrf(): Promise<string> {
    const forms = formsOf((await this.page()).html);
    const token = forms.find((f) => f.action === '/account/sign-out')?.csrf;
    if (!token) throw new Error('not signed in');
    return token;
  }
}

/** The grant id behind the revoke button of the app named `name`, from the page. */
function grantOf(html: string, name: string): string | undefined {
  const item = html.split('<li>').find((part) => part.startsWith(`<h2>${name}</h2>`));
  return item?.match(/name="grant" value="([^"]+)"/)?.[1];
}

const refresh = (at: OAuthStack, app: App) =>
  fetch(
    `${at.url}/oauth/token`,
    form({ grant_type: 'refresh_token', refresh_token: app.refresh_token, client_id: app.clientId }),
  );

describe.skipIf(!requireRedis())('the connected-apps page on two instances sharing Redis', () => {
  const secret = randomBytes(32);
  let redis: RunningRedis;
  let pair: OAuthPair;
  let sharedA: SharedState;
  let a: OAuthStack;
  let b: OAuthStack;
  let claude: App;
  let chatgpt: App;
  let cursor: App;

  beforeAll(async () => {
    redis = await mustStartRedis();
    pair = await startOAuthPair(redis.url, secret);
    ({ a, b, sharedA } = pair);
    // Two apps of the demo account, connected with two of its keys, on either instance; one of the second account.
    claude = await connectApp(a, 'Claude');
    chatgpt = await connectApp(b, 'ChatGPT', {
      apiKey: READ_ONLY_KEY,
      untick: ['voisa:write', 'voisa:calls'],
    });
    cursor = await connectApp(a, 'Cursor', {
      email: SECOND_ACCOUNT.email,
      password: SECOND_ACCOUNT.password,
    });
  }, 60_000);
  afterAll(async () => {
    await pair?.close();
    await redis?.stop();
  });

  it('signs in with the VOISA account and lists its apps across its keys, with names, scopes and times', async () => {
    expect((await toolNamesWith(a.mcpUrl, claude.access_token)).status).toBe(200);
    const me = new AccountBrowser(a);
    const signedOut = await me.page();
    expect(signedOut.html).toContain('Sign in');
    expect(signedOut.res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const signedIn = await me.signIn({ apiKey: DEMO_KEY });
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('voisa-account='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(DEMO_KEY);

    // "Last used" is written in the background: the page shows it once the write has landed.
    await expect
      .poll(async () => (await me.page()).html.match(/<dt>Last used<\/dt><dd><time/g)?.length)
      .toBe(1);
    const { status, html } = await me.page();
    expect(status).toBe(200);
    expect(html).toContain('acc_demo001');
    for (const app of [claude, chatgpt]) expect(html).toContain(app.clientId);
    expect(html).not.toContain('Cursor');
    expect(html).not.toContain(cursor.clientId);
    const claudeItem = html.split('<li>').find((p) => p.startsWith('<h2>Claude</h2>')) ?? '';
    const chatgptItem = html.split('<li>').find((p) => p.startsWith('<h2>ChatGPT</h2>')) ?? '';
    expect(claudeItem).toContain(
      '<code>voisa:calls</code>, <code>voisa:read</code>, <code>voisa:write</code>',
    );
    expect(claudeItem).toMatch(/<dt>Connected<\/dt><dd><time datetime="\d{4}-/);
    expect(claudeItem).toMatch(/<dt>Last used<\/dt><dd><time datetime="\d{4}-/);
    expect(claudeItem).toContain('the API key you signed in with here');
    expect(claudeItem).toContain('>Revoke access for Claude</button>');
    expect(chatgptItem).toContain('<dd><code>voisa:read</code></dd>');
    expect(chatgptItem).toContain('<dt>Last used</dt><dd>not yet</dd>');
    expect(chatgptItem).toContain('another API key of this account');
    expect(html).not.toContain(DEMO_KEY);
    expect(html).not.toContain(READ_ONLY_KEY);

    // The same account on the other instance, signed in with the password this time.
    const there = new AccountBrowser(b);
    expect((await there.signIn()).status).toBe(303);
    const other = await there.page();
    for (const app of [claude, chatgpt]) expect(other.html).toContain(app.clientId);

    // The second account sees its own app only.
    const second = new AccountBrowser(b);
    await second.signIn({ email: SECOND_ACCOUNT.email, password: SECOND_ACCOUNT.password });
    const theirs = (await second.page()).html;
    expect(theirs).toContain(cursor.clientId);
    expect(theirs).not.toContain(claude.clientId);
    expect(theirs).not.toContain(chatgpt.clientId);
  });

  it("refuses a revocation of another account's grant, and one without its CSRF token or from another site", async () => {
    const me = new AccountBrowser(a);
    await me.signIn();
    const claudeGrant = grantOf((await me.page()).html, 'Claude');
    expect(claudeGrant).toBeTruthy();

    const second = new AccountBrowser(a);
    await second.signIn({ email: SECOND_ACCOUNT.email, password: SECOND_ACCOUNT.password });
    const crossAccount = await second.post('/account/revoke', [
      ['csrf', await second.csrf()],
      ['grant', claudeGrant as string],
    ]);
    expect(crossAccount.status).toBe(404);
    expect(await crossAccount.text()).toContain('not connected to this VOISA account');

    const noCsrf = await me.post('/account/revoke', [['grant', claudeGrant as string]]);
    expect(noCsrf.status).toBe(403);
    // Another session's token is no token of this one.
    const othersCsrf = await me.post('/account/revoke', [
      ['csrf', await second.csrf()],
      ['grant', claudeGrant as string],
    ]);
    expect(othersCsrf.status).toBe(403);
    const crossSite = await me.post(
      '/account/revoke',
      [
        ['csrf', await me.csrf()],
        ['grant', claudeGrant as string],
      ],
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    // No session at all (no cookie): refused too.
    const anonymous = await new AccountBrowser(a).post('/account/revoke', [['grant', claudeGrant as string]]);
    expect(anonymous.status).toBe(403);

    // Nothing was revoked.
    expect((await toolNamesWith(b.mcpUrl, claude.access_token)).status).toBe(200);
    expect(grantOf((await me.page()).html, 'Claude')).toBe(claudeGrant);
  });

  it('a revocation on instance A ends access and refresh on instance B at once; the other app keeps working', async () => {
    expect((await toolNamesWith(b.mcpUrl, claude.access_token)).status).toBe(200);
    const me = new AccountBrowser(a);
    await me.signIn({ apiKey: DEMO_KEY });
    const grant = grantOf((await me.page()).html, 'Claude') as string;
    const revoked = await me.post('/account/revoke', [
      ['csrf', await me.csrf()],
      ['grant', grant],
    ]);
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe('/account');
    const after = (await me.page()).html;
    expect(after).toContain('<p class="notice" role="status">Access for Claude was revoked');
    expect(after).not.toContain(claude.clientId);
    expect(after).toContain(chatgpt.clientId);
    // The notice is said once.
    expect((await me.page()).html).not.toContain('was revoked');

    // Instance B, at its very next request: no per-instance cache keeps the token alive.
    const onB = await toolNamesWith(b.mcpUrl, claude.access_token);
    expect(onB.status).toBe(401);
    expect(onB.challenge).toContain('invalid_token');
    const refreshed = await refresh(b, claude);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await toolNamesWith(a.mcpUrl, claude.access_token)).status).toBe(401);

    // Revoking it again says it is gone.
    const again = await me.post('/account/revoke', [
      ['csrf', await me.csrf()],
      ['grant', grant],
    ]);
    expect(again.status).toBe(404);

    // The other app: both protocol generations still connect with its token, on both instances.
    for (const generation of GENERATIONS)
      for (const at of [a, b]) {
        const client = await connectGeneration(generation, { url: at.mcpUrl }, { key: chatgpt.access_token });
        try {
          const names = (await client.listTools()).map((t) => t.name);
          expect(names).toContain('list_agents');
          expect(names).not.toContain('create_agent');
        } finally {
          await client.close();
        }
      }
    expect((await refresh(b, chatgpt)).status).toBe(200);
    // The second account's app was never touched.
    expect((await toolNamesWith(b.mcpUrl, cursor.access_token)).status).toBe(200);
  });

  it('signs out: the session is deleted from the store, and its cookie no longer works', async () => {
    const me = new AccountBrowser(b);
    await me.signIn();
    const csrf = await me.csrf();
    const out = await me.post('/account/sign-out', [['csrf', csrf]]);
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie().join()).toMatch(/voisa-account=;.*Max-Age=0/);
    expect(out.headers.get('location')).toBe('/account?signed-out');
    const landed = await (await me.ua.request(`${b.url}/account?signed-out`)).text();
    expect(landed).toContain('<p class="notice" role="status">You are signed out.</p>');
    const page = await me.page();
    expect(page.html).not.toContain('You are signed out.');
    // The old session's forms are refused now.
    expect(
      (
        await me.post('/account/revoke', [
          ['csrf', csrf],
          ['grant', 'x'],
        ])
      ).status,
    ).toBe(403);
    expect(formsOf(page.html).map((f) => f.action)).toEqual(['/account/sign-in', '/account/sign-in']);
    // Redis holds page sessions with the key sealed, never in clear.
    const keys = await sharedA.redis!.command.keys('*oauth:acctsession:*');
    for (const key of keys) expect(await sharedA.redis!.command.get(key)).not.toContain('vsa_');
  });
});

describe('the connected-apps page alone (memory store)', () => {
  let s: OAuthStack;
  beforeAll(async () => {
    s = await startOAuthStack({ maxFailuresPerAccount: 2 });
  });
  afterAll(async () => s?.close());

  it('shows an empty state, and limits sign-in guesses as the connector does', async () => {
    const fresh = new AccountBrowser(s);
    await fresh.signIn({ email: SECOND_ACCOUNT.email, password: SECOND_ACCOUNT.password });
    const empty = (await fresh.page()).html;
    expect(empty).toContain('No applications are connected to this account.');

    const guesser = new AccountBrowser(s);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await guesser.signIn({ email: DEMO_ACCOUNT.email, password: 'wrong' })).status);
    expect(statuses).toEqual([401, 401, 429]);
    const limited = await guesser.signIn({ email: DEMO_ACCOUNT.email, password: 'wrong' });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.text()).toContain('Too many failed sign-ins');
    // A pasted key is never counted per account: the owner still gets in.
    expect((await guesser.signIn({ apiKey: DEMO_KEY })).status).toBe(303);
    expect((await guesser.page()).html).toContain('Connected apps');
  });

  it('refuses a sign-in post without the sign-in cookie and token', async () => {
    const res = await new AccountBrowser(s).post('/account/sign-in', [['api_key', DEMO_KEY]]);
    expect(res.status).toBe(403);
  });
});

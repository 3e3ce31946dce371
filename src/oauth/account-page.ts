/**
 * `/account` (with `--public-url`): a person signs in with their VOISA account, the same way as on the
 * connector's sign-in page (server.ts checks it: counted, rate-limited, asked of VOISA), sees the apps
 * connected to that account (connected-apps.ts) and revokes one: its grant, access and refresh tokens
 * are deleted from the shared store, so every instance refuses them on their next use.
 *
 * The page's sign-in is a server-side session in the OAuth store (memory or Redis), 30 minutes from the
 * sign-in: the cookie holds a random id and its HMAC (HttpOnly, SameSite=Strict, Secure and `__Host-`
 * when the public URL is https), the store holds the VOISA key only sealed, under a keyed hash of the
 * id. Every POST (sign-in, revoke, sign out) is same-origin with a CSRF token: bound to the session, or
 * before it to a sign-in cookie. Same pages, CSP and care as the sign-in pages (pages.ts): no script.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { LogFn } from '../mcp/log.js';
import { deriveKey } from '../security/secret.js';
import type { HttpEnv } from '../web/env.js';
import type { AccountSealer, VoisaAccount } from './account.js';
import type { ConnectedApp, ConnectedApps } from './connected-apps.js';
import { errorBox, escapeHtml, layout, PAGE_HEADERS, signInForms } from './pages.js';
import type { OAuthKv } from './store.js';

type Ctx = Context<HttpEnv>;

/** How a sign-in went (server.ts `checkSignIn`): the account, or the status and message to show. */
export type SignInOutcome =
  | { ok: true; account: VoisaAccount }
  | { ok: false; status: number; message: string; retryAfter?: number };

export interface AccountPageDeps {
  issuer: string;
  secret: Buffer;
  kv: OAuthKv;
  accounts: AccountSealer;
  apps: ConnectedApps;
  /** The connector's sign-in check: counted per address and account before VOISA is asked. */
  signIn(fields: URLSearchParams, address: string): Promise<SignInOutcome>;
  /** A POSTed form: same-origin, size-bounded, with a CSRF token that `csrfValid` accepts; else the refusal. */
  postedForm(c: Ctx, csrfValid: (given: string | null) => boolean): Promise<URLSearchParams | Response>;
  /** Whether VOISA refused this key since (on a call): such a session is over. */
  keyRefused(key: string): Promise<boolean>;
  log: LogFn;
}

/** How long a sign-in to this page lasts, from the sign-in. */
export const ACCOUNT_SESSION_SEC = 30 * 60;
const ID = /^[A-Za-z0-9_-]{43}$/;

interface Session {
  id: string;
  name: string;
  account: VoisaAccount;
  /** Said once on the next page (after a revocation). */
  notice?: string;
}

export function mountAccountPage(app: Hono<HttpEnv>, d: AccountPageDeps): void {
  const secure = new URL(d.issuer).protocol === 'https:';
  // `__Host-`: only from this origin, Secure, Path=/, no Domain (browsers enforce it).
  const SESSION = secure ? '__Host-voisa-account' : 'voisa-account';
  const PRE = secure ? '__Host-voisa-account-signin' : 'voisa-account-signin';
  const macKey = deriveKey(d.secret, 'oauth-account-page');
  const mac = (purpose: string, value: string) =>
    createHmac('sha256', macKey).update(`${purpose}\n${value}`).digest('base64url');
  const same = (a: string, b: string | null | undefined) => {
    const x = Buffer.from(a);
    const y = Buffer.from(b ?? '');
    return x.length === y.length && timingSafeEqual(x, y);
  };
  const storeName = (id: string) => `acctsession:${mac('name', id)}`;
  const cookie = (name: string, value: string, maxAge: number) =>
    `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}${maxAge === 0 ? '; Expires=Thu, 01 Jan 1970 00:00:00 GMT' : ''}`;

  function respond(status: number, html: string, cookies: string[] = [], extra: Record<string, string> = {}) {
    const headers = new Headers({ ...PAGE_HEADERS, ...extra });
    for (const c of cookies) headers.append('set-cookie', c);
    return new Response(html, { status, headers });
  }
  const redirect = (to: string, cookies: string[] = []) => {
    const headers = new Headers({ location: to, 'cache-control': 'no-store' });
    for (const c of cookies) headers.append('set-cookie', c);
    return new Response(null, { status: 303, headers });
  };

  /** The signed cookie's session id, or undefined (absent, forged, malformed). */
  function signedId(c: Ctx, name: string, purpose: string): string | undefined {
    const [id = '', tag] = (getCookie(c, name) ?? '').split('.');
    return ID.test(id) && same(mac(purpose, id), tag) ? id : undefined;
  }
  const newSigned = (purpose: string) => {
    const id = randomBytes(32).toString('base64url');
    return { id, value: `${id}.${mac(purpose, id)}` };
  };

  async function session(c: Ctx): Promise<Session | undefined> {
    const id = signedId(c, SESSION, 'session');
    if (!id) return undefined;
    const name = storeName(id);
    let v: { a?: string; n?: string };
    try {
      v = JSON.parse((await d.kv.get(name)) ?? 'null') ?? {};
    } catch {
      return undefined;
    }
    const account = d.accounts.open(v.a ?? '');
    if (!account) return undefined;
    return { id, name, account, notice: v.n };
  }

  /** The sign-in form, its CSRF token bound to the browser's sign-in cookie (made when it has none). */
  function signInForm(
    c: Ctx,
    status: number,
    o: { error?: string; notice?: string; email?: string } = {},
    extra: Record<string, string> = {},
  ) {
    const had = signedId(c, PRE, 'pre');
    const pre = had ? undefined : newSigned('pre');
    const csrf = mac('signin-csrf', had ?? (pre as { id: string }).id);
    const html = layout(
      'Connected apps: sign in',
      `<h1>Connected apps</h1>
<p>Sign in with your VOISA account to see the applications (Claude, ChatGPT and others) connected to it through voisa-mcp, and to revoke their access.</p>
${o.notice ? `<p class="notice" role="status">${escapeHtml(o.notice)}</p>` : ''}
${signInForms({ action: '/account/sign-in', csrf, email: o.email, error: o.error })}
<p class="muted">Your password goes to VOISA once, to check who you are. voisa-mcp never stores it; this sign-in lasts 30 minutes.</p>`,
    );
    return respond(status, html, pre ? [cookie(PRE, pre.value, ACCOUNT_SESSION_SEC)] : [], extra);
  }

  async function listPage(s: Session, status = 200, error?: string) {
    const apps = await d.apps.list(s.account);
    const csrf = mac('csrf', s.id);
    const who = s.account.accountId
      ? `VOISA account <strong>${escapeHtml(s.account.accountId)}</strong>. Apps connected with any API key of this account are listed.`
      : 'your VOISA API key. VOISA did not name the account of this key, so only the apps connected with this key are listed.';
    const list = apps.length
      ? `<ul class="apps">${apps.map((a, i) => appItem(a, i, csrf)).join('\n')}</ul>`
      : `<p><strong>No applications are connected to this account.</strong></p>
<p class="muted">When you add voisa-mcp to Claude, ChatGPT or another app and sign in, the app is listed here.</p>`;
    const html = layout(
      'Connected apps',
      `<div class="bar"><h1>Connected apps</h1>
<form method="post" action="/account/sign-out">
<input type="hidden" name="csrf" value="${csrf}">
<button class="secondary" type="submit">Sign out</button>
</form></div>
<p class="muted">Signed in with ${who}</p>
${s.notice ? `<p class="notice" role="status">${escapeHtml(s.notice)}</p>` : ''}${errorBox(error)}
${list}
<p class="muted">Revoking ends the app's access at once: its tokens stop working on every server of this service. The app asks you to sign in again if you want to use it later.</p>`,
      true,
    );
    return respond(status, html);
  }

  app.get('/account', async (c) => {
    const s = await session(c);
    if (!s) {
      const signedOut = c.req.query('signed-out') !== undefined;
      return signInForm(c, 200, signedOut ? { notice: 'You are signed out.' } : {});
    }
    if (await d.keyRefused(s.account.key)) {
      await d.kv.del([s.name]);
      return signInForm(c, 200, {
        error: 'VOISA no longer accepts the key you signed in with. Sign in again.',
      });
    }
    if (s.notice) await d.kv.replace(s.name, JSON.stringify({ a: d.accounts.seal(s.account) }));
    return listPage(s);
  });

  app.post('/account/sign-in', async (c) => {
    const pre = signedId(c, PRE, 'pre');
    const fields = await d.postedForm(c, (given) => !!pre && same(mac('signin-csrf', pre), given));
    if (fields instanceof Response) return fields;
    const email = fields.get('email')?.trim() ?? '';
    const outcome = await d.signIn(fields, c.get('clientAddress'));
    if (!outcome.ok)
      return signInForm(
        c,
        outcome.status,
        { error: outcome.message, email },
        outcome.retryAfter ? { 'retry-after': String(outcome.retryAfter) } : {},
      );
    const s = newSigned('session');
    await d.kv.set(
      storeName(s.id),
      JSON.stringify({ a: d.accounts.seal(outcome.account) }),
      ACCOUNT_SESSION_SEC,
    );
    return redirect('/account', [cookie(SESSION, s.value, ACCOUNT_SESSION_SEC), cookie(PRE, '', 0)]);
  });

  app.post('/account/revoke', async (c) => {
    const s = await session(c);
    if (!s) return expired();
    const fields = await d.postedForm(c, (given) => same(mac('csrf', s.id), given));
    if (fields instanceof Response) return fields;
    const revoked = await d.apps.revoke(s.account, fields.get('grant') ?? '');
    if (!revoked)
      return listPage(
        s,
        404,
        'That app is not connected to this VOISA account, or its access has already ended.',
      );
    d.log(
      'info',
      `connected app revoked from /account: client ${JSON.stringify(revoked.clientId.slice(0, 200))}`,
    );
    const notice = `Access for ${revoked.clientName} was revoked: its tokens no longer work.`;
    await d.kv.replace(s.name, JSON.stringify({ a: d.accounts.seal(s.account), n: notice }));
    return redirect('/account');
  });

  app.post('/account/sign-out', async (c) => {
    const s = await session(c);
    if (!s) return expired();
    const fields = await d.postedForm(c, (given) => same(mac('csrf', s.id), given));
    if (fields instanceof Response) return fields;
    await d.kv.del([s.name]);
    return redirect('/account?signed-out', [cookie(SESSION, '', 0)]);
  });

  function expired() {
    return respond(
      403,
      layout(
        'Signed out',
        `<h1>Your sign-in has ended</h1><p class="error" role="alert">Sign-ins to this page last 30 minutes. Nothing was changed.</p><p><a href="/account">Sign in again</a></p>`,
      ),
      [cookie(SESSION, '', 0)],
    );
  }
}

function when(ms: number | undefined, none: string): string {
  if (!ms) return escapeHtml(none);
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function appItem(a: ConnectedApp, i: number, csrf: string): string {
  const scopes = a.scopes.length
    ? a.scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ')
    : 'none of this server';
  return `<li><h2>${escapeHtml(a.clientName)}</h2>
<dl>
<dt>Client id</dt><dd><code id="app-${i}-id">${escapeHtml(a.clientId)}</code></dd>
<dt>Permissions</dt><dd>${scopes}</dd>
<dt>Connected</dt><dd>${when(a.grantedAt, 'unknown')}</dd>
<dt>Last used</dt><dd>${when(a.lastUsedAt, 'not yet')}</dd>
<dt>Signed in with</dt><dd>${a.sameKey ? 'the API key you signed in with here' : 'another API key of this account'}</dd>
</dl>
<form method="post" action="/account/revoke">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="grant" value="${escapeHtml(a.grantId)}">
<button class="danger" type="submit" aria-describedby="app-${i}-id">Revoke access for ${escapeHtml(a.clientName)}</button>
</form></li>`;
}

/**
 * The sign-in, consent and error pages of the authorization server: plain server-rendered HTML, no
 * script, one inline style sheet (allowed by its hash in the page's CSP), light and dark by the
 * system's setting. Every string that a client or a user supplied goes through `escapeHtml`.
 */
import { createHash } from 'node:crypto';
import { SCOPES, type Scope } from '../tools/scopes.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"'`=]/g,
    (ch) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;', '=': '&#61;' })[
        ch
      ] as string,
  );
}

const STYLE = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1a1d21;--muted:#4a5160;--line:#c9ced6;--accent:#0b57d0;--accent-fg:#fff;--err-bg:#fdecea;--err-fg:#8a1c12;--warn:#7a4b00;--ok-bg:#e6f4ea;--ok-fg:#0d5223}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1b1f24;--fg:#eef1f4;--muted:#b7bec8;--line:#3a414b;--accent:#8ab4f8;--accent-fg:#0b1a33;--err-bg:#3b1714;--err-fg:#ffb4a9;--warn:#ffcf7a;--ok-bg:#0f2e1a;--ok-fg:#a8e6b8}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:30rem;margin:2.5rem auto;padding:1.75rem;background:var(--card);border:1px solid var(--line);border-radius:12px}
h1{font-size:1.35rem;margin:0 0 .75rem}
p,dl{margin:.5rem 0 1rem}
.muted{color:var(--muted);font-size:.95rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.6rem .7rem;font:inherit;color:var(--fg);background:var(--card);border:1px solid var(--line);border-radius:8px}
fieldset{border:1px solid var(--line);border-radius:8px;margin:1rem 0;padding:.5rem 1rem 1rem}
legend{font-weight:600;padding:0 .3rem}
.scope{display:flex;gap:.6rem;align-items:flex-start;margin:.6rem 0}
.scope input{width:1.15rem;height:1.15rem;margin-top:.2rem;flex:none}
.scope label{margin:0;font-weight:400}
.scope code{font-weight:600}
button{font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:8px;border:2px solid var(--accent);cursor:pointer;margin:.75rem .5rem 0 0}
button.primary{background:var(--accent);color:var(--accent-fg)}
button.secondary{background:transparent;color:var(--fg);border-color:var(--line)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error{background:var(--err-bg);color:var(--err-fg);border-radius:8px;padding:.6rem .8rem}
.warn{color:var(--warn)}
dt{font-weight:600}dd{margin:0 0 .5rem;overflow-wrap:anywhere}
hr{border:0;border-top:1px solid var(--line);margin:1.5rem 0}
main.wide{max-width:42rem}
.notice{background:var(--ok-bg);color:var(--ok-fg);border-radius:8px;padding:.6rem .8rem}
button.danger{background:transparent;color:var(--err-fg);border-color:var(--err-fg)}
.apps{list-style:none;padding:0;margin:1rem 0}
.apps>li{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:.75rem 0}
.apps h2{font-size:1.1rem;margin:0 0 .5rem;overflow-wrap:anywhere}
.apps dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
.apps dd{margin:0}
.bar{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
.bar h1,.bar button{margin:0}
a{color:var(--accent)}
`;

/** The CSP hash of the one inline style sheet. */
export const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;

/** Headers every page is sent with: no framing, no script, no caching, no referrer. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src '${STYLE_HASH}'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'`,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the forms' own posts.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** A whole page around `body` (trusted HTML: escape what goes in it); `wide` for lists (the connected apps). */
export function layout(title: string, body: string, wide = false): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · voisa-mcp</title><style>${STYLE}</style></head>
<body><main${wide ? ' class="wide"' : ''}>${body}</main></body></html>`;
}

export function errorBox(message?: string): string {
  return message ? `<p class="error" role="alert" id="form-error">${escapeHtml(message)}</p>` : '';
}

export interface SignInPage {
  action: string;
  abort: string;
  csrf: string;
  clientName: string;
  email?: string;
  error?: string;
}

export function signInPage(p: SignInPage): string {
  return layout(
    'Sign in to VOISA',
    `<h1>Sign in to VOISA</h1>
<p><strong>${escapeHtml(p.clientName)}</strong> asks to use your VOISA account through voisa-mcp. Sign in first; you choose what it may do next.</p>
${signInForms(p)}
<form method="post" action="${escapeHtml(p.abort)}">
<input type="hidden" name="csrf" value="${escapeHtml(p.csrf)}">
<button class="secondary" type="submit">Cancel</button>
</form>
<p class="muted">Your password goes to VOISA once, to get an API key. voisa-mcp never stores the password, and stores the key only encrypted.</p>`,
  );
}

/** The error, if any, and the two ways to sign in (email and password, or an API key), both posted to `action`. */
export function signInForms(p: { action: string; csrf: string; email?: string; error?: string }): string {
  const described = p.error ? ' aria-describedby="form-error"' : '';
  return `${errorBox(p.error)}
<form method="post" action="${escapeHtml(p.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(p.csrf)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" value="${escapeHtml(p.email ?? '')}"${described} autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"${described}>
<button class="primary" type="submit">Sign in</button>
</form>
<hr>
<form method="post" action="${escapeHtml(p.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(p.csrf)}">
<label for="api_key">Or paste a VOISA API key</label>
<input id="api_key" name="api_key" type="password" autocomplete="off" spellcheck="false">
<button class="secondary" type="submit">Use this key</button>
</form>`;
}

export interface ConsentPage {
  action: string;
  csrf: string;
  clientName: string;
  /** A URL client id (a client metadata document), else undefined (registered here). */
  clientUrl?: string;
  redirectHost: string;
  account?: string;
  /** Scopes the client asked for, each with whether the key's own permissions allow it. */
  scopes: { scope: Scope; allowedByKey: boolean }[];
  error?: string;
}

export function consentPage(p: ConsentPage): string {
  const boxes = p.scopes
    .map(({ scope, allowedByKey }) => {
      const id = `scope-${scope.replace(':', '-')}`;
      const note = allowedByKey
        ? ''
        : ` <span class="warn">(your API key does not have this permission: its tools stay hidden)</span>`;
      return `<div class="scope"><input type="checkbox" id="${id}" name="scope" value="${escapeHtml(scope)}"${allowedByKey ? ' checked' : ''}>
<label for="${id}"><code>${escapeHtml(scope)}</code>: ${escapeHtml(SCOPES[scope])}${note}</label></div>`;
    })
    .join('\n');
  return layout(
    `Allow ${p.clientName}?`,
    `<h1>Allow <span>${escapeHtml(p.clientName)}</span> to use your VOISA account?</h1>
${errorBox(p.error)}
<dl>
<dt>Application</dt><dd>${escapeHtml(p.clientName)}${p.clientUrl ? ` (<span>${escapeHtml(p.clientUrl)}</span>)` : ' (registered itself with this server)'}</dd>
<dt>Sends you back to</dt><dd>${escapeHtml(p.redirectHost)}</dd>
${p.account ? `<dt>VOISA account</dt><dd>${escapeHtml(p.account)}</dd>` : ''}
</dl>
<form method="post" action="${escapeHtml(p.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(p.csrf)}">
<fieldset><legend>It may</legend>
${boxes}
</fieldset>
<p class="muted">Untick what it should not do. Only allow applications you trust; revoking its access signs it out.</p>
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}

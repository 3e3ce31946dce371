/**
 * The OAuth 2.1 authorization server of `voisa-mcp --http --public-url <URL>`: it turns a VOISA
 * sign-in (email and password, or a pasted API key) into access and refresh tokens for this
 * server's `/mcp`, so hosted clients (Claude and ChatGPT connectors) can add voisa-mcp by URL.
 *
 * The protocol machinery is oidc-provider (OpenID-certified; see docs/development.md, "Dependencies, and why", for why 9.x): RFC 8414
 * metadata, authorization code with PKCE S256 only, `iss` in the response (RFC 9207), resource
 * indicators (RFC 8707: tokens are for `<issuer>/mcp` and nothing else), client ID metadata
 * documents and dynamic registration (RFC 7591), rotating refresh tokens whose reuse revokes the
 * family, revocation (RFC 7009), exact redirect URIs, single-use codes. Ours are the sign-in and
 * consent pages, the account model (the user's VOISA key, sealed: account.ts), the state store
 * (store.ts: memory or Redis) and the check of access tokens at `/mcp`.
 */
import { createHash, createHmac, createPrivateKey, timingSafeEqual } from 'node:crypto';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono, Next } from 'hono';
import Provider, { type Configuration, errors, type Interaction, interactionPolicy } from 'oidc-provider';
import type { LogFn } from '../mcp/log.js';
import { createBox } from '../security/box.js';
import { deriveKey } from '../security/secret.js';
import { isScope, SCOPE_NAMES, type Scope } from '../tools/scopes.js';
import {
  AuthenticationError,
  InvalidRequestError,
  type VoisaClient,
  type VoisaLogger,
} from '../voisa/index.js';
import { addressBucket, isLoopbackHost } from '../web/auth.js';
import type { HttpEnv } from '../web/env.js';
import { readBody } from '../web/responses.js';
import { createAccountSealer, type VoisaAccount } from './account.js';
import { mountAccountPage, type SignInOutcome } from './account-page.js';
import { connectedApps } from './connected-apps.js';
import { type OAuthGate, publicOrigin, type TokenCheck } from './gate.js';
import { consentPage, errorPage, PAGE_HEADERS, signInPage } from './pages.js';
import type { OAuthKv } from './store.js';

export { oauthKv } from './store.js';

export interface AuthorizationServerOptions {
  /** The public URL (`--public-url`): https, or http on a loopback address. Its origin is the issuer. */
  publicUrl: string;
  /** `VOISA_SERVER_SECRET`: seals accounts, signs cookies and CSRF tokens. */
  secret: Buffer;
  /** The base VOISA client: signs in (`POST /api/get-api-key`) and checks keys. */
  api: VoisaClient;
  kv: OAuthKv;
  log?: LogFn;
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Refresh token (and grant) lifetime in seconds (default 30 days). */
  refreshTokenTtl?: number;
  /**
   * Sign-in attempts in 15 minutes before 429, each counted before VOISA is asked and taken back when
   * it succeeds: per account from one address (default 5), per address (IPv6: /64; default 20), and
   * per account from all addresses together (default 20).
   */
  maxFailuresPerAccount?: number;
  maxFailuresPerAddress?: number;
  maxFailuresPerAccountTotal?: number;
  /**
   * Live grants per VOISA key (default 50): a new one past it ends the key's oldest, so no one
   * principal, however many times it signs in, can fill the store and push out other users' tokens.
   */
  maxGrantsPerAccount?: number;
  /**
   * Requests per address (IPv6: /64) per minute to the OAuth endpoints before 429: the browser pages
   * (authorize, sign-in, consent; default 300) and the rest (token, register, revoke, metadata; 600).
   */
  requestsPerMinute?: { pages?: number; api?: number };
  /**
   * Where the HTTP server listens (`--host`). Unless it is loopback only, client metadata documents are
   * fetched with oidc-provider's guard: no loopback, private, link-local or metadata address (checked
   * on the address connected to), no redirects. Unset: taken as reachable beyond loopback.
   */
  host?: string;
  /** `--oauth-allow-private-fetch`: turn that guard off; refused unless `host` is loopback only. */
  allowPrivateFetch?: boolean;
}

export class PrivateFetchError extends Error {
  override readonly name = 'PrivateFetchError';
}

const SILENT: VoisaLogger = { debug() {}, info() {}, warn() {}, error() {} };
const FAILURE_WINDOW_SEC = 15 * 60;
/** How long a browser session (the sign-in pages' cookie) lives. */
const SESSION_TTL = 24 * 3600;
/** Dynamic registrations per address per hour. */
const MAX_REGISTRATIONS_PER_HOUR = 30;
const FORM_LIMIT = 16 * 1024;
/** oidc-provider's opaque tokens: 256 random bits, 43 characters of base64url. */
const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

type Ctx = Context<HttpEnv>;

export async function createAuthorizationServer(o: AuthorizationServerOptions): Promise<OAuthGate> {
  const issuer = publicOrigin(o.publicUrl);
  const issuerUrl = new URL(issuer);
  const resource = `${issuer}/mcp`;
  const metadataUrl = `${issuer}/.well-known/oauth-protected-resource/mcp`;
  const log = o.log ?? (() => {});
  const kv = o.kv;
  const accounts = createAccountSealer(o.secret);
  const csrfKey = deriveKey(o.secret, 'oauth-csrf');
  const limitKey = deriveKey(o.secret, 'oauth-limits');
  const accessTokenTtl = o.accessTokenTtl ?? 3600;
  const refreshTokenTtl = o.refreshTokenTtl ?? 30 * 24 * 3600;
  const maxPerAccount = o.maxFailuresPerAccount ?? 5;
  const maxPerAddress = o.maxFailuresPerAddress ?? 20;
  const maxPerAccountTotal = o.maxFailuresPerAccountTotal ?? 20;
  const maxGrantsPerAccount = o.maxGrantsPerAccount ?? 50;
  const perMinute = { pages: o.requestsPerMinute?.pages ?? 300, api: o.requestsPerMinute?.api ?? 600 };
  if (o.allowPrivateFetch && !(o.host !== undefined && isLoopbackHost(o.host)))
    throw new PrivateFetchError(
      `--oauth-allow-private-fetch works only on a server that listens on loopback only (--host 127.0.0.1 or ::1), not on ${o.host ?? 'an unknown address'}: a server others can reach must not fetch from private addresses for them`,
    );

  const configuration: Configuration = {
    adapter: adapterFor(kv, o.secret),
    // A browser session whose key VOISA refused since (see revokeGrant) is no sign-in: the user signs in again.
    findAccount: async (_ctx, id) => {
      const account = accounts.open(id);
      if (!account || (await kv.get(refusedKeyName(account.key)))) return undefined;
      return { accountId: id, claims: () => ({ sub: id }) };
    },
    scopes: ['openid', 'offline_access', ...SCOPE_NAMES],
    claims: { openid: ['sub'] },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'EdDSA',
    },
    enabledJWA: { idTokenSigningAlgValues: ['EdDSA'] },
    jwks: { keys: [signingJwk(deriveKey(o.secret, 'oauth-signing'))] },
    cookies: {
      keys: [deriveKey(o.secret, 'oauth-cookies').toString('base64url')],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    pkce: { required: () => true },
    // Registration and client metadata documents alike: https, or http on loopback only (MCP authorization).
    extraClientMetadata: {
      properties: ['redirect_uris'],
      validator: (_ctx, key, value, metadata) => {
        if (key !== 'redirect_uris' || !Array.isArray(value)) return;
        for (const uri of value) {
          const problem = redirectUriProblem(String(uri));
          if (problem) throw new errors.InvalidClientMetadata(problem);
        }
        // A private-use scheme (cursor://, vscode://) is a native app's (RFC 8252 §7.1).
        if (value.some((uri) => !/^https?:/i.test(String(uri)))) metadata.application_type = 'native';
      },
    },
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: false, issueRegistrationAccessToken: false },
      // A client may revoke only what was issued to it.
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      // Tokens bound to a DPoP key could not be checked at /mcp: not offered.
      dPoP: { enabled: false },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource)
            throw new errors.InvalidTarget(`this server issues tokens for ${resource} only`);
          return {
            scope: SCOPE_NAMES.join(' '),
            audience: resource,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'opaque',
          };
        },
      },
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
      },
    } as Configuration['features'],
    routes: {
      authorization: '/oauth/authorize',
      token: '/oauth/token',
      registration: '/oauth/register',
      revocation: '/oauth/revoke',
      jwks: '/oauth/jwks',
      introspection: '/oauth/introspect',
      userinfo: '/oauth/userinfo',
      end_session: '/oauth/logout',
      pushed_authorization_request: '/oauth/par',
      code_verification: '/oauth/device',
      device_authorization: '/oauth/device/auth',
      backchannel_authentication: '/oauth/backchannel',
    },
    interactions: {
      policy: signInPolicy(),
      url: (_ctx, interaction) => `/oauth/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      RefreshToken: refreshTokenTtl,
      Grant: refreshTokenTtl,
      Interaction: 15 * 60,
      Session: SESSION_TTL,
      IdToken: 3600,
    },
    // Tokens outlive the browser session of the sign-in page; they end with the grant.
    expiresWithSession: () => false,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    // Browser-based clients (the MCP Inspector) call the token endpoint from their redirect origin.
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false,
    renderError: (ctx, out) => {
      ctx.type = 'html';
      for (const [k, v] of Object.entries(PAGE_HEADERS)) ctx.set(k, v);
      ctx.body = errorPage(
        'voisa-mcp could not sign you in',
        `${out.error}${out.error_description ? `: ${out.error_description}` : ''}. Go back to your application and connect again.`,
      );
    },
  };
  if (o.allowPrivateFetch) {
    // Trying it locally on a loopback-only server: client metadata documents may be served on this machine.
    configuration.fetch = (url, options) => {
      const { dispatcher: _ssrfGuard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return fetch(url, rest);
    };
  }

  const provider = new Provider(issuer, configuration);
  // Behind a proxy or not, every URL the provider makes is under the public URL (see `viaProvider`).
  provider.proxy = true;
  provider.on('server_error', (_ctx, err) => log('error', `OAuth server error: ${err.message}`));

  /** Told of every grant ended here (onGrantRevoked): the HTTP app, which ends its open streams. */
  const revokedListeners = new Set<(grantId: string) => void | Promise<void>>();
  async function grantEnded(grantId: string): Promise<void> {
    // Awaited, so a revocation on /account answers once every instance has been told.
    const told = await Promise.allSettled([...revokedListeners].map(async (listener) => listener(grantId)));
    for (const result of told)
      if (result.status === 'rejected')
        log(
          'warning',
          `could not tell the instances of a revoked grant: ${(result.reason as Error).message}`,
        );
  }
  /** Ends a grant's tokens, codes and the grant itself in the shared store, then says so. */
  async function endGrant(grantId: string): Promise<void> {
    await provider.AccessToken.revokeByGrantId(grantId);
    await grantEnded(grantId);
  }
  // oidc-provider's own revocations: a refresh token used twice, a client revoking its refresh token.
  provider.on('grant.revoked', (_ctx, grantId: string) => void grantEnded(grantId));
  const callback = provider.callback();

  function viaProvider(c: Ctx) {
    const { incoming, outgoing } = c.env;
    incoming.headers['x-forwarded-proto'] = issuerUrl.protocol.slice(0, -1);
    incoming.headers['x-forwarded-host'] = issuerUrl.host;
    delete incoming.headers['x-forwarded-for'];
    return (callback(incoming, outgoing) as Promise<void>).then(() => RESPONSE_ALREADY_SENT);
  }

  const csrfFor = (uid: string) => createHmac('sha256', csrfKey).update(uid).digest('base64url');
  const csrfOk = (uid: string, given: string | null) => {
    const want = Buffer.from(csrfFor(uid));
    const got = Buffer.from(given ?? '');
    return want.length === got.length && timingSafeEqual(want, got);
  };
  /** Names of what is kept about a key, an email or an address: keyed hashes, never the value itself. */
  const keyed = (value: string) => createHmac('sha256', limitKey).update(value).digest('base64url');
  const refusedKeyName = (key: string) => `signin:refused:${keyed(`refused\n${key}`)}`;
  const limitName = (kind: string, value: string, family = 'signin') =>
    `${family}:${kind}:${keyed(value).slice(0, 32)}`;
  /** The address every per-address limit counts (IPv6: its /64). */
  const addressOf = (c: Ctx) => addressBucket(c.get('clientAddress'));
  /** The grants of each key and account: bounded per key, listed and revoked on /account. */
  const apps = connectedApps({
    kv,
    accounts,
    resource,
    keyed,
    ttlSec: refreshTokenTtl,
    maxPerKey: maxGrantsPerAccount,
    findGrant: (id) => provider.Grant.find(id),
    clientName: (id) => clientName(id),
    endGrant: (id) => endGrant(id),
  });

  /**
   * Counts a sign-in attempt before VOISA is asked, so parallel guesses cannot outrun the limit: one
   * more for the address, then for this account from this address, then for this account from all
   * addresses; the first over its limit refuses, and the counters after it are left alone (one address
   * adds at most its own few to the account's total). `refund` takes the counts back.
   */
  async function reserveAttempt(address: string, email: string | undefined) {
    const counters: [string, number][] = [[limitName('addr', address), maxPerAddress]];
    if (email)
      counters.push(
        [limitName('acct-addr', `${email}\n${address}`), maxPerAccount],
        [limitName('acct', email), maxPerAccountTotal],
      );
    const taken: string[] = [];
    for (const [name, max] of counters) {
      const { count, resetSec } = await kv.count(name, FAILURE_WINDOW_SEC);
      taken.push(name);
      if (count > max) return { ok: false as const, retryAfter: resetSec };
    }
    return { ok: true as const, refund: () => Promise.all(taken.map((name) => kv.uncount(name))) };
  }

  const page = (status: number, html: string, extra: Record<string, string> = {}) =>
    new Response(html, { status, headers: { ...PAGE_HEADERS, ...extra } });
  const redirect = (to: string) =>
    new Response(null, { status: 303, headers: { location: to, 'cache-control': 'no-store' } });

  /** The interaction of this browser (cookie-bound), or the page that says why there is none. */
  async function interaction(c: Ctx): Promise<Interaction | Response> {
    try {
      const details = await provider.interactionDetails(c.env.incoming, c.env.outgoing);
      if (details.uid !== c.req.param('uid'))
        return page(
          400,
          errorPage(
            'Sign-in link mismatch',
            'This page belongs to another sign-in. Start again from your application.',
          ),
        );
      return details;
    } catch (err) {
      log(
        'debug',
        `OAuth interaction not found: ${(err as Error).message} ${(err as { error_description?: string }).error_description ?? ''}`,
      );
      return page(
        400,
        errorPage(
          'This sign-in has expired',
          'The sign-in link expired, was already used, or was opened in another browser. Start again from your application.',
        ),
      );
    }
  }

  /** A POSTed form of this interaction: size-bounded, same-origin, with its CSRF token. */
  const form = (c: Ctx, uid: string) => postedForm(c, (given) => csrfOk(uid, given));

  /** A POSTed form of these pages: size-bounded, same-origin, with a CSRF token that `csrfValid` accepts. */
  async function postedForm(
    c: Ctx,
    csrfValid: (given: string | null) => boolean,
  ): Promise<URLSearchParams | Response> {
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    if ((origin && origin !== issuer) || (site && site !== 'same-origin' && site !== 'none'))
      return page(403, errorPage('Request refused', 'This form can only be sent from this sign-in page.'));
    const body = await readBody(c.req.raw, FORM_LIMIT);
    if (!body.ok) return page(413, errorPage('Request refused', 'The form is too large.'));
    const fields = new URLSearchParams(new TextDecoder().decode(body.bytes));
    if (!csrfValid(fields.get('csrf')))
      return page(
        403,
        errorPage(
          'Request refused',
          'The form has expired or did not come from this page. Reload it and try again.',
        ),
      );
    return fields;
  }

  async function clientOf(details: Interaction) {
    const clientId = String(details.params.client_id ?? '');
    const client = await provider.Client.find(clientId).catch(() => undefined);
    return {
      name:
        String(client?.clientName ?? '') ||
        (clientId.startsWith('https://') ? new URL(clientId).host : 'An application'),
      url: clientId.startsWith('https://') ? clientId : undefined,
    };
  }

  function redirectHost(details: Interaction): string {
    const uri = String(details.params.redirect_uri ?? '');
    const parsed = URL.parse(uri);
    if (!parsed) return uri;
    return parsed.protocol === 'http:' || parsed.protocol === 'https:'
      ? parsed.host
      : `${parsed.protocol}//${parsed.host}`;
  }

  async function signIn(
    details: Interaction,
    status = 200,
    error?: string,
    email?: string,
    retryAfter = FAILURE_WINDOW_SEC,
  ) {
    const { name } = await clientOf(details);
    return page(
      status,
      signInPage({
        action: `/oauth/interaction/${details.uid}/login`,
        abort: `/oauth/interaction/${details.uid}/abort`,
        csrf: csrfFor(details.uid),
        clientName: name,
        email,
        error,
      }),
      status === 429 ? { 'retry-after': String(retryAfter) } : {},
    );
  }

  async function consent(details: Interaction, status = 200, error?: string) {
    const { name, url } = await clientOf(details);
    const account = accounts.open(String(details.session?.accountId ?? ''));
    const asked = askedScopes(details);
    return page(
      status,
      consentPage({
        action: `/oauth/interaction/${details.uid}/consent`,
        csrf: csrfFor(details.uid),
        clientName: name,
        clientUrl: url,
        redirectHost: redirectHost(details),
        account: account?.accountId,
        scopes: asked.map((scope) => ({ scope, allowedByKey: keyAllows(account, scope) })),
        error,
      }),
    );
  }

  /** Signs in with VOISA: the key and what VOISA says of it, or why not. */
  async function voisaSignIn(
    fields: URLSearchParams,
  ): Promise<{ ok: true; account: VoisaAccount } | { ok: false; status: number; message: string }> {
    const pasted = fields.get('api_key')?.trim();
    let key = pasted;
    let permissions: string[] | undefined;
    try {
      if (!key) {
        const email = fields.get('email')?.trim() ?? '';
        const password = fields.get('password') ?? '';
        if (!email || !password)
          return { ok: false, status: 400, message: 'Enter your email and password, or an API key.' };
        const issued = await o.api.auth.getApiKey({ email, password });
        key = issued.api_key;
        permissions = issued.permissions;
      }
      const client = o.api.withApiKey(key, { logger: SILENT });
      try {
        const verified = await client.auth.verify({ signal: AbortSignal.timeout(15_000) });
        if (verified.valid === false) return { ok: false, status: 401, message: refusal(pasted) };
        return {
          ok: true,
          account: { key, permissions: verified.permissions ?? permissions, accountId: verified.account_id },
        };
      } finally {
        void client.close().catch(() => {});
      }
    } catch (err) {
      if (err instanceof AuthenticationError || err instanceof InvalidRequestError)
        return { ok: false, status: 401, message: refusal(pasted) };
      log('warning', `OAuth sign-in: VOISA did not answer: ${(err as Error).name}`);
      return {
        ok: false,
        status: 502,
        message: 'VOISA could not be reached to check your sign-in. Try again in a moment.',
      };
    }
  }

  /**
   * A VOISA sign-in as both sign-in forms take it (the connector's and /account's): counted before
   * VOISA is asked (reserveAttempt), the count taken back unless VOISA refused the credentials, and a
   * "key refused" mark cleared once VOISA accepts the key again.
   */
  async function checkSignIn(fields: URLSearchParams, address: string): Promise<SignInOutcome> {
    const email = fields.get('email')?.trim().toLowerCase() ?? '';
    const pasted = fields.get('api_key')?.trim();
    // A pasted key counts per address only: guesses at someone's password never lock out their key.
    const attempt = await reserveAttempt(address, pasted ? undefined : email || undefined);
    if (!attempt.ok)
      return {
        ok: false,
        status: 429,
        retryAfter: attempt.retryAfter,
        message: `Too many failed sign-ins. Wait ${Math.ceil(attempt.retryAfter / 60)} minutes and try again, or sign in with an API key.`,
      };
    const outcome = await voisaSignIn(fields);
    // Only a refusal by VOISA stays counted: not a success, nor an attempt VOISA could not judge.
    if (outcome.ok || outcome.status !== 401) await attempt.refund();
    if (outcome.ok) await kv.del([refusedKeyName(outcome.account.key)]);
    return outcome;
  }

  function mount(app: Hono<HttpEnv>): void {
    const prm = JSON.stringify({
      resource,
      authorization_servers: [issuer],
      scopes_supported: SCOPE_NAMES,
      bearer_methods_supported: ['header'],
      resource_name: 'VOISA voice AI (voisa-mcp)',
    });
    const prmHeaders = {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'cache-control': 'public, max-age=3600',
    };
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      app.get(path, () => new Response(prm, { headers: prmHeaders }));
      app.options(
        path,
        () =>
          new Response(null, {
            status: 204,
            headers: { ...prmHeaders, 'access-control-allow-headers': '*' },
          }),
      );
    }

    // Every OAuth endpoint and document, per address: pages (authorize, sign-in, consent) and the rest.
    const limited = async (c: Ctx, next: Next) => {
      const path = c.req.path;
      const kind =
        path.startsWith('/oauth/authorize') ||
        path.startsWith('/oauth/interaction') ||
        path.startsWith('/account')
          ? 'pages'
          : 'api';
      const address = addressOf(c);
      const { count, resetSec } = await kv.count(limitName(kind, address, 'rate'), 60);
      if (count <= perMinute[kind]) return next();
      const headers = { 'retry-after': String(resetSec) };
      if (kind === 'pages')
        return page(
          429,
          errorPage(
            'Too many requests',
            `Too many requests from your address. Wait ${resetSec} seconds, then try again.`,
          ),
          headers,
        );
      return new Response(
        JSON.stringify({
          error: 'temporarily_unavailable',
          error_description: `too many requests from this address; retry in ${resetSec} s`,
        }),
        {
          status: 429,
          headers: { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' },
        },
      );
    };
    app.use('/oauth/*', limited);
    app.use('/.well-known/*', limited);
    app.use('/account', limited);
    app.use('/account/*', limited);
    mountAccountPage(app, {
      issuer,
      secret: o.secret,
      kv,
      accounts,
      apps,
      signIn: checkSignIn,
      postedForm,
      keyRefused: async (key) => (await kv.get(refusedKeyName(key))) !== undefined,
      log,
    });

    app.get('/oauth/interaction/:uid', async (c) => {
      const details = await interaction(c);
      if (details instanceof Response) return details;
      return details.prompt.name === 'login' ? signIn(details) : consent(details);
    });

    app.post('/oauth/interaction/:uid/login', async (c) => {
      const details = await interaction(c);
      if (details instanceof Response) return details;
      const fields = await form(c, details.uid);
      if (fields instanceof Response) return fields;
      if (details.prompt.name !== 'login') return redirect(`/oauth/interaction/${details.uid}`);

      const email = fields.get('email')?.trim().toLowerCase() ?? '';
      const outcome = await checkSignIn(fields, addressOf(c));
      if (!outcome.ok) return signIn(details, outcome.status, outcome.message, email, outcome.retryAfter);
      const to = await provider.interactionResult(
        c.env.incoming,
        c.env.outgoing,
        { login: { accountId: accounts.seal(outcome.account), remember: false } },
        { mergeWithLastSubmission: false },
      );
      return redirect(to);
    });

    app.post('/oauth/interaction/:uid/consent', async (c) => {
      const details = await interaction(c);
      if (details instanceof Response) return details;
      const fields = await form(c, details.uid);
      if (fields instanceof Response) return fields;
      if (details.prompt.name !== 'consent') return redirect(`/oauth/interaction/${details.uid}`);
      if (fields.get('decision') !== 'allow') return redirect(await denied(c, 'The user denied access'));

      const ticked = new Set(fields.getAll('scope').filter(isScope));
      const accountId = String(details.session?.accountId ?? '');
      const clientId = String(details.params.client_id ?? '');
      const prompt = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      const grant = existing ?? new provider.Grant({ accountId, clientId });
      if (prompt.missingOIDCScope?.length) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
      if (prompt.missingOIDCClaims?.length) grant.addOIDCClaims(prompt.missingOIDCClaims);
      let granted = 0;
      for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) {
        const yes = scopes.filter((s) => ticked.has(s as Scope));
        const no = scopes.filter((s) => !ticked.has(s as Scope));
        granted += yes.length;
        if (yes.length) grant.addResourceScope(indicator, yes.join(' '));
        if (no.length) grant.rejectResourceScope(indicator, no.join(' '));
      }
      if (granted === 0 && askedScopes(details).length > 0)
        return consent(details, 400, 'Tick at least one permission, or choose Deny.');
      const grantId = await grant.save();
      if (!existing) await keepGrantsBounded(accountId, grantId);
      const to = await provider.interactionResult(
        c.env.incoming,
        c.env.outgoing,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
      return redirect(to);
    });

    app.post('/oauth/interaction/:uid/abort', async (c) => {
      const details = await interaction(c);
      if (details instanceof Response) return details;
      const fields = await form(c, details.uid);
      if (fields instanceof Response) return fields;
      return redirect(await denied(c, 'The user cancelled the sign-in'));
    });

    // Dynamic registration is open (RFC 7591): bounded per address, so it cannot fill the store.
    app.post('/oauth/register', async (c) => {
      const address = addressOf(c);
      const { count, resetSec } = await kv.count(limitName('reg', address), 3600);
      if (count > MAX_REGISTRATIONS_PER_HOUR)
        return new Response(
          JSON.stringify({
            error: 'invalid_request',
            error_description: 'too many registrations from this address; try again later',
          }),
          { status: 429, headers: { 'content-type': 'application/json', 'retry-after': String(resetSec) } },
        );
      return viaProvider(c);
    });
    app.all('/oauth/*', viaProvider);
    app.get('/.well-known/oauth-authorization-server', viaProvider);
    app.get('/.well-known/openid-configuration', viaProvider);
  }

  function denied(c: Ctx, description: string) {
    return provider.interactionResult(
      c.env.incoming,
      c.env.outgoing,
      { error: 'access_denied', error_description: description },
      { mergeWithLastSubmission: false },
    );
  }

  async function checkToken(value: string): Promise<TokenCheck> {
    if (value.startsWith('vsa_')) return { kind: 'not-ours' };
    const token = await provider.AccessToken.find(value);
    if (!token)
      return OPAQUE_TOKEN.test(value)
        ? { kind: 'invalid', reason: 'the access token is unknown, expired or revoked' }
        : { kind: 'not-ours' };
    if (token.isSenderConstrained())
      return { kind: 'invalid', reason: 'sender-constrained tokens are not accepted here' };
    const audience = Array.isArray(token.aud) ? token.aud : [token.aud];
    if (!audience.includes(resource))
      return { kind: 'invalid', reason: `the access token was not issued for ${resource}` };
    const account = accounts.open(token.accountId ?? '');
    if (!account) return { kind: 'invalid', reason: 'the access token names no account of this server' };
    // The grant is what a revocation deletes (on /account, or a refresh-token replay): a token is good
    // only while its grant lives, even one minted by a refresh in flight while the grant was revoked.
    const grantId = token.grantId ?? '';
    if (!grantId || !(await provider.Grant.find(grantId)))
      return { kind: 'invalid', reason: 'the access token was revoked' };
    const clientId = token.clientId ?? '';
    apps.used(grantId);
    return {
      kind: 'valid',
      account,
      scopes: (token.scope ?? '').split(' ').filter(Boolean),
      clientId,
      clientName: await clientName(clientId),
      grantId,
    };
  }

  /** Client names by id (for audit lines), looked up once per process and kept for a bounded few. */
  const clientNames = new Map<string, string | undefined>();
  async function clientName(clientId: string): Promise<string | undefined> {
    if (!clientId) return undefined;
    if (clientNames.has(clientId)) return clientNames.get(clientId);
    const client = await provider.Client.find(clientId).catch(() => undefined);
    const name = typeof client?.clientName === 'string' ? client.clientName.slice(0, 100) : undefined;
    if (clientNames.size >= 1000) clientNames.delete(clientNames.keys().next().value!);
    clientNames.set(clientId, name);
    return name;
  }

  /** Notes a new grant of this account's key; past the bound, the key's oldest grants are ended. */
  async function keepGrantsBounded(accountId: string, grantId: string): Promise<void> {
    const account = accounts.open(accountId);
    if (account) await apps.add(account, grantId);
  }

  /**
   * Ends a grant whose key VOISA refused: its access and refresh tokens and codes stop working at
   * once, its open streams end on every instance (onGrantRevoked), and a browser session signed in
   * with that key no longer counts as signed in (for as long as such a session lives), so the next
   * authorization asks for the sign-in again.
   */
  async function revokeGrant(grantId: string): Promise<void> {
    if (!grantId) return;
    const grant = await provider.Grant.find(grantId);
    const account = grant?.accountId ? accounts.open(grant.accountId) : undefined;
    if (account) await kv.set(refusedKeyName(account.key), '1', SESSION_TTL);
    await endGrant(grantId);
  }

  return {
    issuer,
    resource,
    challenge: `resource_metadata="${metadataUrl}", scope="${SCOPE_NAMES.join(' ')}"`,
    mount,
    checkToken,
    revokeGrant,
    onGrantRevoked(listener) {
      revokedListeners.add(listener);
      return () => {
        revokedListeners.delete(listener);
      };
    },
    describe: () =>
      kv.mode === 'redis'
        ? `OAuth sign-in at ${issuer}, state in Redis`
        : `OAuth sign-in at ${issuer}, state in memory: sign-ins and tokens are lost on restart (set --redis-url to keep them)`,
  };
}

/**
 * oidc-provider's prompts, with one more reason to ask for the sign-in: the browser session names an
 * account that `findAccount` no longer gives (VOISA refused its key since).
 */
function signInPolicy() {
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy
    .get('login')
    ?.checks.add(
      new Check('key_refused', 'VOISA refused the key this session signed in with', (ctx) =>
        ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
      ),
      0,
    );
  return policy;
}

/** The scopes of this server a pending consent asks for (all three when the client named none of ours). */
function askedScopes(details: Interaction): Scope[] {
  const missing = (details.prompt.details as { missingResourceScopes?: Record<string, string[]> })
    .missingResourceScopes;
  const names = new Set(Object.values(missing ?? {}).flat());
  return SCOPE_NAMES.filter((s) => names.has(s));
}

/** Whether the key's own permissions allow some tool of this scope (unknown permissions: VOISA decides). */
function keyAllows(account: VoisaAccount | undefined, scope: Scope): boolean {
  if (!account?.permissions) return true;
  const need = scope === 'voisa:read' ? 'read' : 'write';
  return (
    account.permissions.includes(need) || (scope === 'voisa:write' && account.permissions.includes('delete'))
  );
}

const LOOPBACK_REDIRECT_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORBIDDEN_REDIRECT_SCHEMES = new Set([
  'javascript:',
  'vbscript:',
  'data:',
  'blob:',
  'file:',
  'about:',
  'ftp:',
  'ws:',
  'wss:',
]);

/**
 * Why a redirect URI is refused, or undefined: https anywhere; http only on localhost, 127.0.0.1 or
 * [::1] (the MCP authorization spec: a code sent in clear over a network can be read on the way);
 * a native app's private-use scheme (`cursor://…`, RFC 8252 §7.1); nothing that runs or reads locally.
 */
export function redirectUriProblem(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (!url) return `redirect_uris must be absolute URLs, got ${JSON.stringify(uri.slice(0, 100))}`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:')
    return LOOPBACK_REDIRECT_HOSTS.has(url.hostname)
      ? undefined
      : 'redirect_uris must use https; http is accepted only on localhost, 127.0.0.1 or [::1]';
  if (FORBIDDEN_REDIRECT_SCHEMES.has(url.protocol))
    return `redirect_uris must not use the ${url.protocol.slice(0, -1)} scheme`;
  return undefined;
}

function refusal(pasted: string | undefined): string {
  return pasted
    ? 'VOISA did not accept this API key.'
    : 'The email or password is not right. Check them and try again.';
}

/** An Ed25519 signing key from 32 secret bytes: the same on every instance with the same secret. */
function signingJwk(seed: Buffer) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const jwk = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  const kid = createHash('sha256').update(String(jwk.x)).digest('base64url').slice(0, 16);
  return { ...jwk, kid, use: 'sig', alg: 'EdDSA' };
}

/**
 * oidc-provider's storage interface over our key-value store. Nothing usable is at rest: every name is
 * `<Model>:<HMAC(model, id)>` (an id is the token itself for opaque tokens, the session cookie for
 * sessions), and every value is sealed (AES-256-GCM; payloads carry `jti`, the token again), both
 * under keys derived from the server secret. A dump of the store names no token and opens nothing.
 */
function adapterFor(kv: OAuthKv, secret: Buffer) {
  const nameKey = deriveKey(secret, 'oauth-store-names');
  const box = createBox(deriveKey(secret, 'oauth-store-values'), 'voisa-mcp oauth-store v1', 1024 * 1024);
  const hidden = (kind: string, id: string) =>
    `${kind}:${createHmac('sha256', nameKey).update(`${kind}\n${id}`).digest('base64url')}`;
  const open = (sealed: string | undefined) => {
    const opened = sealed === undefined ? undefined : box.open(sealed);
    return opened?.ok ? opened.plain : undefined;
  };
  const grantKey = (grantId: string) => hidden('grant', grantId);
  // Registered clients are kept 90 days past their last registration, so registrations cannot pile up forever.
  const CLIENT_TTL = 90 * 24 * 3600;
  return class VoisaAdapter {
    constructor(readonly model: string) {}
    key(id: string) {
      return hidden(this.model, id);
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      const key = this.key(id);
      const ttl = expiresIn ?? (this.model === 'Client' ? CLIENT_TTL : undefined);
      await kv.set(key, box.seal(JSON.stringify(payload)), ttl);
      if (typeof payload.grantId === 'string')
        await kv.addToSet(grantKey(payload.grantId), key, ttl ?? CLIENT_TTL);
      if (this.model === 'Session' && typeof payload.uid === 'string')
        await kv.set(hidden('sessionUid', payload.uid), box.seal(id), ttl);
    }
    async find(id: string) {
      const plain = open(await kv.get(this.key(id)));
      return plain ? (JSON.parse(plain) as Record<string, unknown>) : undefined;
    }
    async findByUid(uid: string) {
      const id = open(await kv.get(hidden('sessionUid', uid)));
      return id ? this.find(id) : undefined;
    }
    // Device flow is off: no user codes are ever stored.
    async findByUserCode(_userCode: string) {
      return undefined;
    }
    async consume(id: string) {
      const payload = await this.find(id);
      if (!payload) return;
      payload.consumed = Math.floor(Date.now() / 1000);
      await kv.replace(this.key(id), box.seal(JSON.stringify(payload)));
    }
    async destroy(id: string) {
      await kv.del([this.key(id)]);
    }
    async revokeByGrantId(grantId: string) {
      const keys = await kv.members(grantKey(grantId));
      await kv.del([...keys, grantKey(grantId), hidden('Grant', grantId)]);
    }
  };
}

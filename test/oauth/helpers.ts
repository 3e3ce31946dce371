/**
 * OAuth test kit: a stack with the authorization server on (the sandbox, `startHttpServer` with
 * `--public-url` at its own loopback address), an SDK OAuth client provider that remembers what the
 * SDK hands it, and a cookie-keeping user agent that signs in and consents through the real pages.
 */
import { createHash, randomBytes } from 'node:crypto';
import { StreamableHTTPClientTransport as ModernHttp } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort } from '../../scripts/services.mjs';
import { type RunningHttpServer, type StartHttpOptions, startHttpServer } from '../../src/http/listen.js';
import type { LogFn } from '../../src/mcp/log.js';
import type { OAuthGate } from '../../src/oauth/gate.js';
import { createAuthorizationServer } from '../../src/oauth/server.js';
import { type OAuthKv, oauthKv } from '../../src/oauth/store.js';
import { DEMO_ACCOUNT, type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { createSharedState, type SharedState } from '../../src/scale/index.js';
import type { RedisLink } from '../../src/scale/redis.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { type AnyClient, connectGeneration, type Generation } from '../helpers/generations.js';

export { DEMO_ACCOUNT };

export interface OAuthStack {
  sandbox: Sandbox;
  http: RunningHttpServer;
  gate: OAuthGate;
  kv: OAuthKv;
  /** The public URL: the issuer (this stack's own address unless told otherwise). */
  issuer: string;
  /** Where this stack really listens: http://127.0.0.1:port */
  url: string;
  mcpUrl: string;
  logs: string[];
  close(): Promise<void>;
}

/** Two instances of one connector behind one public URL (a's), sharing a real Redis and one sandbox. */
export interface OAuthPair {
  a: OAuthStack;
  b: OAuthStack;
  sharedA: SharedState;
  sharedB: SharedState;
  sandbox: Sandbox;
  close(): Promise<void>;
}

/**
 * Each instance shares its OAuth state and its HTTP state (verdicts, events, revocations) through Redis,
 * as instances behind one balancer do.
 */
export async function startOAuthPair(
  redisUrl: string,
  secret: Buffer,
  sandboxOptions: Parameters<typeof startSandbox>[0] = {},
): Promise<OAuthPair> {
  const sandbox = await startSandbox({ rateLimitPerMin: 0, ...sandboxOptions });
  const sharedA = await createSharedState({ redisUrl, secret });
  const sharedB = await createSharedState({ redisUrl, secret });
  const a = await startOAuthStack({ secret, redis: sharedA.redis, sandbox, http: { shared: sharedA } });
  const b = await startOAuthStack({
    secret,
    redis: sharedB.redis,
    publicUrl: a.issuer,
    sandbox,
    http: { shared: sharedB },
  });
  return {
    a,
    b,
    sharedA,
    sharedB,
    sandbox,
    /** Also after a test closed one side itself (a restart). */
    async close() {
      for (const part of [b, a, sharedA, sharedB, sandbox]) await part.close().catch(() => {});
    },
  };
}

export interface OAuthStackOptions {
  /** Default: this stack's own loopback address. */
  publicUrl?: string;
  /** Default: a free one. */
  port?: number;
  accessTokenTtl?: number;
  /** Share another stack's OAuth state (as instances sharing Redis do). */
  kv?: OAuthKv;
  /** Share the OAuth state through Redis. */
  redis?: RedisLink;
  secret?: Buffer;
  sandbox?: Sandbox;
  maxFailuresPerAccount?: number;
  maxFailuresPerAddress?: number;
  maxGrantsPerAccount?: number;
  requestsPerMinute?: { pages?: number; api?: number };
  /** `--oauth-allow-private-fetch` (the server must then listen on loopback only). */
  allowPrivateFetch?: boolean;
  /** More options for the HTTP server (e.g. `trustProxy`). */
  http?: Partial<StartHttpOptions>;
}

export async function startOAuthStack(o: OAuthStackOptions = {}): Promise<OAuthStack> {
  const sandbox = o.sandbox ?? (await startSandbox({ trainingMs: 200, callMs: 300, rateLimitPerMin: 0 }));
  const logs: string[] = [];
  const log: LogFn = (level, message, data) =>
    logs.push(`${level} ${message} ${data ? JSON.stringify(data) : ''}`);
  const api = new VoisaClient({ baseUrl: sandbox.baseUrl, rateLimitPerMin: 0, maxRetryDelayMs: 50 });
  const port = o.port ?? (await freePort());
  const issuer = o.publicUrl ?? `http://127.0.0.1:${port}`;
  const kv = o.kv ?? oauthKv(o.redis);
  const gate = await createAuthorizationServer({
    publicUrl: issuer,
    secret: o.secret ?? randomBytes(32),
    api,
    kv,
    log,
    accessTokenTtl: o.accessTokenTtl,
    maxFailuresPerAccount: o.maxFailuresPerAccount,
    maxFailuresPerAddress: o.maxFailuresPerAddress,
    maxGrantsPerAccount: o.maxGrantsPerAccount,
    requestsPerMinute: o.requestsPerMinute,
    host: o.http?.host ?? '127.0.0.1',
    allowPrivateFetch: o.allowPrivateFetch,
  });
  const http = await startHttpServer({ host: '127.0.0.1', port, api, log, oauth: gate, ...o.http });
  return {
    sandbox,
    http,
    gate,
    kv,
    issuer,
    url: http.url,
    mcpUrl: `${http.url}/mcp`,
    logs,
    async close() {
      await http.close(200);
      await api.close();
      if (!o.sandbox) await sandbox.close();
    },
  };
}

export const REDIRECT_URI = 'http://127.0.0.1:1/callback';

/** What a client application keeps: registration, tokens, PKCE verifier, and the URL it was sent to. */
export class TestOAuthClient {
  readonly redirectUrl: string;
  clientMetadataUrl?: string;
  info?: Record<string, unknown>;
  saved?: { access_token: string; refresh_token?: string; scope?: string; expires_in?: number };
  verifier?: string;
  authorizationUrl?: URL;
  discovery?: unknown;
  readonly #state = randomBytes(16).toString('base64url');

  constructor(
    readonly name = 'Test Connector',
    redirectUrl = REDIRECT_URI,
  ) {
    this.redirectUrl = redirectUrl;
  }

  get clientMetadata() {
    return {
      client_name: this.name,
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    return this.#state;
  }
  clientInformation() {
    return this.info as never;
  }
  saveClientInformation(info: Record<string, unknown>) {
    this.info = info;
  }
  tokens() {
    return this.saved as never;
  }
  saveTokens(tokens: TestOAuthClient['saved']) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  saveDiscoveryState(state: unknown) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery as never;
  }
  codeVerifier() {
    if (!this.verifier) throw new Error('no code verifier saved');
    return this.verifier;
  }
  /** What the SDK drops when the server refuses it (a refused refresh: the tokens). */
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'client') this.info = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }
}

/**
 * A browser without a browser: follows redirects by hand and keeps cookies per origin. `base` goes
 * with every request (e.g. a `dispatcher` that connects from another local address, extra headers).
 */
export class UserAgent {
  readonly #cookies = new Map<string, Map<string, string>>();

  constructor(private readonly base: RequestInit = {}) {}

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const jar = this.#cookies.get(target.origin) ?? new Map<string, string>();
    const headers = new Headers(this.base.headers);
    for (const [k, v] of new Headers(init.headers)) headers.set(k, v);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(target, { ...this.base, ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=thu, 01 jan 1970/i.test(a)) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    this.#cookies.set(target.origin, jar);
    return res;
  }

  /** Follows GET redirects until a page (200/4xx) or a URL outside `origin` (the client's redirect). */
  async follow(
    start: string | URL,
    origin: string,
    init?: RequestInit,
  ): Promise<{ res?: Response; url: URL }> {
    let url = new URL(start);
    let res = await this.request(url, init);
    for (let hops = 0; hops < 10; hops++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { res, url };
      url = new URL(location, url);
      if (url.origin !== origin) return { url };
      res = await this.request(url);
    }
    throw new Error('too many redirects');
  }

  /** Posts a form of the page (same-origin, as the browser does) and follows where it leads. */
  postForm(action: string | URL, origin: string, fields: [string, string][]) {
    return this.follow(action, origin, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin,
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

export interface PageForm {
  action: string;
  csrf: string;
}

/** The forms of a sign-in or consent page, by action, with their CSRF token. */
export function formsOf(html: string): PageForm[] {
  return [
    ...html.matchAll(
      /<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)">/g,
    ),
  ].map((m) => ({ action: m[1] as string, csrf: m[2] as string }));
}

export interface SignIn {
  email?: string;
  password?: string;
  apiKey?: string;
  /** Scopes to untick on the consent page. */
  untick?: string[];
}

/**
 * Signs in (if the page asks) and consents as a person would, from the authorization URL the SDK was
 * sent to; returns the callback URL the browser lands on (`code`, `state`, `iss`) and the pages seen.
 */
export async function authorize(
  ua: UserAgent,
  authorizationUrl: URL,
  issuer: string,
  who: SignIn = {},
): Promise<URL & { pages?: string[] }> {
  const pages: string[] = [];
  let step = await ua.follow(authorizationUrl, issuer);
  while (step.res) {
    const html = await step.res.text();
    const [form] = formsOf(html);
    if (step.res.status !== 200 || !form)
      throw new Error(`stopped at ${step.res.status}: ${html.slice(0, 400)}`);
    if (form.action.endsWith('/login')) {
      pages.push('sign-in');
      const credentials: [string, string][] = who.apiKey
        ? [['api_key', who.apiKey]]
        : [
            ['email', who.email ?? DEMO_ACCOUNT.email],
            ['password', who.password ?? DEMO_ACCOUNT.password],
          ];
      step = await ua.postForm(new URL(form.action, issuer), issuer, [['csrf', form.csrf], ...credentials]);
    } else {
      pages.push('consent');
      const offered = [...html.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1] as string);
      step = await ua.postForm(new URL(form.action, issuer), issuer, [
        ['csrf', form.csrf],
        ...offered.filter((s) => !who.untick?.includes(s)).map((s): [string, string] => ['scope', s]),
        ['decision', 'allow'],
      ]);
    }
    if (pages.length > 4) throw new Error(`no end to the pages: ${pages.join(', ')}`);
  }
  return Object.assign(step.url, { pages });
}

/** Hands the callback to the SDK of `generation` (its transport exchanges the code for tokens). */
export async function finishAuth(
  generation: Generation,
  mcpUrl: string,
  provider: TestOAuthClient,
  callback: URL,
) {
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback}`);
  if (generation === '2026-07-28') {
    await new ModernHttp(new URL(mcpUrl), { authProvider: provider as never }).finishAuth(
      callback.searchParams,
    );
  } else {
    await new LegacyHttp(new URL(mcpUrl), { authProvider: provider as never }).finishAuth(code);
  }
}

/** Connects without tokens: the SDK meets the 401, discovers, registers, and sends the user to authorize. */
export async function startAuthorization(
  generation: Generation,
  stack: Pick<OAuthStack, 'mcpUrl'>,
  provider: TestOAuthClient,
): Promise<URL> {
  const connected = await connectGeneration(
    generation,
    { url: stack.mcpUrl },
    { authProvider: provider },
  ).catch((err: Error) => err);
  if (!(connected instanceof Error)) {
    await connected.close();
    throw new Error('connected without signing in');
  }
  if (!provider.authorizationUrl) throw connected;
  return provider.authorizationUrl;
}

/**
 * A connector's sign-in through the real pages: connect (401), register, authorize, sign in and consent
 * in `browser`, exchange the code. The provider then holds the grant's tokens; returns the URL the
 * user was sent to authorize at.
 */
export async function signInThroughPages(
  generation: Generation,
  stack: Pick<OAuthStack, 'mcpUrl' | 'issuer'>,
  provider: TestOAuthClient,
  who: SignIn = {},
  browser = new UserAgent(),
): Promise<URL> {
  const url = await startAuthorization(generation, stack, provider);
  const callback = await authorize(browser, url, stack.issuer, who);
  await finishAuth(generation, stack.mcpUrl, provider, callback);
  return url;
}

/** The whole first connection of a connector: the sign-in above, then connect again. Returns the client. */
export async function connectWithOAuth(
  generation: Generation,
  stack: Pick<OAuthStack, 'mcpUrl' | 'issuer'>,
  provider: TestOAuthClient,
  who: SignIn = {},
): Promise<AnyClient> {
  await signInThroughPages(generation, stack, provider, who);
  return connectGeneration(generation, { url: stack.mcpUrl }, { authProvider: provider });
}

/** A raw `tools/list` with a bearer token, over the 2026-07-28 wire: the status, and the names when 200. */
export async function toolNamesWith(
  mcpUrl: string,
  token: string,
): Promise<{ status: number; names?: string[]; challenge?: string }> {
  const { modernRequest } = await import('../../src/http/app.js');
  const res = await fetch(modernRequest(mcpUrl, 'tools/list', {}, { authorization: `Bearer ${token}` }));
  const challenge = res.headers.get('www-authenticate') ?? undefined;
  if (res.status !== 200) {
    await res.body?.cancel();
    return { status: res.status, challenge };
  }
  const body = (await res.json()) as { result?: { tools: { name: string }[] } };
  return { status: 200, names: body.result?.tools.map((t) => t.name), challenge };
}

// Raw protocol steps, for the attacks: registration, PKCE, the authorize URL, the code and its redemption.

export const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

export async function register(
  s: Pick<OAuthStack, 'url'>,
  name = 'Attack test',
  redirect = REDIRECT_URI,
  init: RequestInit = {},
): Promise<string> {
  const res = await fetch(`${s.url}/oauth/register`, {
    ...init,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  if (res.status !== 201) throw new Error(`registration refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { client_id: string }).client_id;
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(
  s: OAuthStack,
  clientId: string,
  challenge: string,
  extra: Record<string, string> = {},
): URL {
  const url = new URL(`${s.issuer}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'voisa:read voisa:write voisa:calls',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
    resource: s.mcpUrl,
    ...extra,
  }))
    url.searchParams.set(k, v);
  return url;
}

/** Registration (as `name`), sign-in and consent (as `who`, unticking what it says): a code, and what it takes to redeem it. */
export async function freshCode(s: OAuthStack, who: SignIn = {}, name?: string) {
  const clientId = await register(s, name);
  const { verifier, challenge } = pkce();
  const landed = await authorize(new UserAgent(), authorizeUrl(s, clientId, challenge), s.issuer, who);
  return { clientId, verifier, code: landed.searchParams.get('code') as string };
}

export function redeem(s: OAuthStack, clientId: string, code: string, verifier: string) {
  return fetch(
    `${s.url}/oauth/token`,
    form({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      resource: s.mcpUrl,
    }),
  );
}

export async function tokens(s: OAuthStack, who: SignIn = {}, name?: string) {
  const { clientId, verifier, code } = await freshCode(s, who, name);
  const res = await redeem(s, clientId, code, verifier);
  if (res.status !== 200) throw new Error(`code refused: ${res.status} ${await res.text()}`);
  return { clientId, ...((await res.json()) as { access_token: string; refresh_token: string }) };
}

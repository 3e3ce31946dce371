/**
 * createHttpApp: the Hono app behind `voisa-mcp --http`. Routes: `/mcp` (MCP
 * streamable HTTP: POST, GET stream, DELETE), `GET /sse` + `POST /messages` (the
 * old HTTP+SSE transport, see legacy-sse.ts), `GET /healthz`, `POST /webhooks/voisa`.
 * Every /mcp request acts with one VOISA key (see auth.ts); a stateful session is
 * bound to the key that opened it; stateless requests each get a fresh server.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  type McpRequestContext,
  type McpServer,
  PROTOCOL_VERSION_META_KEY,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { type Context, Hono } from 'hono';
import { changesResourceList, EventHub, urisChangedBy, type VoisaEvent } from '../events/hub.js';
import { listenBusFor, publishOwned } from '../events/listen-bus.js';
import type { LiveUpdatesOptions } from '../events/live-updates.js';
import { WebhookReceiver, type WebhookSender } from '../events/webhooks.js';
import type { ConfirmMode } from '../mcp/confirm.js';
import type { LogFn } from '../mcp/log.js';
import { createServer, warmUp } from '../mcp/server.js';
import type { OAuthGate } from '../oauth/gate.js';
import { scopeRefusal } from '../resources/reach.js';
import { memoryState, type SharedState } from '../scale/index.js';
import { createStateSealer, type StateSealer } from '../security/request-state.js';
import { MAX_MESSAGE_BYTES } from '../tools/files.js';
import { CATALOGUE, type ToolFilter } from '../tools/index.js';
import { SIGN_IN_KEY_REFUSED } from '../tools/result.js';
import { allowedTools, parseScopes, reaches, reachOf } from '../tools/scopes.js';
import type { VoisaClient, VoisaLogger } from '../voisa/index.js';
import {
  hashKey,
  KeyVerifier,
  newSessionId,
  RefusalLimiter,
  RefusalTally,
  resolveKey,
  sessionIdMatchesKey,
} from '../web/auth.js';
import { clientAddress, type TrustProxy } from '../web/client-address.js';
import type { Caller, HttpEnv } from '../web/env.js';
import {
  json,
  readBody,
  readJsonRpcBody,
  rpcError,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
  unauthorized,
} from '../web/responses.js';
import { ClientPool } from './clients.js';
import { corsHeaders, createGuards } from './guards.js';
import { mountLegacySse, sessionlessGet } from './routes/sse.js';
import { type Session, SessionRegistry } from './sessions.js';
import { MESSAGES_PATH, SSE_PATH } from './sse-transport.js';
import { DEFAULT_STREAM_BUFFER_BYTES, formatBytes, isEventStream, StreamBuffers } from './stream-bound.js';
import { createTenants, WEBHOOK_PATH } from './tenants.js';

export interface HttpAppOptions {
  /** Base client: settings for every key; its own key (if any) is `serverKey`. */
  api: VoisaClient;
  /** The server's own key, lent to keyless requests when `loopbackOnly`. */
  serverKey?: string;
  /** The server listens on loopback only. */
  loopbackOnly: boolean;
  stateless?: boolean;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  /** Folder that file_path/save_to may use; local files are refused without it. */
  allowFileAccess?: string;
  /**
   * Enables `POST /webhooks/voisa`, whose events belong to `serverKey` (none without it), and the
   * per-principal receivers `POST /webhooks/voisa/t/<id>` (tenants.ts).
   */
  webhookSecret?: string;
  /**
   * Where VOISA reaches this server (`--webhook-base-url`, else `--public-url`): `configure_webhook`
   * registers `<base>/webhooks/voisa/t/<id>` there. Turns the receivers on without a webhook secret.
   */
  webhookBaseUrl?: string;
  /** This server's own address once it listens (http://127.0.0.1:port), the webhook base on loopback. */
  listenUrl?: () => string | undefined;
  /** VOISA_SERVER_SECRET: derives each principal's webhook id and secret (random per app without it). */
  secret?: Buffer;
  /** Default 30 min. */
  sessionIdleMs?: number;
  /** Default 500. */
  maxSessions?: number;
  /** Bytes, default DEFAULT_BODY_LIMIT (base64 file uploads travel in tool arguments). */
  bodyLimit?: number;
  /** Most per-key VOISA clients kept (least recently used idle ones are closed past it), default 1000. */
  maxClients?: number;
  /** Failed key checks per minute from one address (IPv6: one /64) before it gets 429, default 10. */
  maxKeyRefusalsPerMinute?: number;
  /**
   * Bytes one event stream may hold queued for a client that does not read it before the stream is
   * closed and its session ended (stream-bound.ts), default DEFAULT_STREAM_BUFFER_BYTES (2 MiB).
   */
  streamBufferBytes?: number;
  filter?: ToolFilter;
  hub?: EventHub;
  /**
   * What instances share (listen events, webhook fan-out and replay ledger, key verdicts, resumable
   * streams, placed calls for `wait_for_call`): in this process by default, in Redis with `--redis-url`.
   */
  shared?: SharedState;
  /** Names this instance in its session ids, for a balancer's affinity (`--instance-id`). */
  instanceId?: string;
  /** Proxies whose X-Forwarded-For names the client for per-address limits (`--trust-proxy`); none by default. */
  trustProxy?: TrustProxy;
  /** Seals the confirmation state of `make_call` and the deletes; keyed from the server secret. */
  sealer?: StateSealer;
  /** When make_call and the deletes ask the user (`--confirm`, default `auto`). */
  confirm?: ConfirmMode;
  /** The OAuth authorization server (`--public-url`): its routes, and access tokens accepted at /mcp. */
  oauth?: OAuthGate;
  log?: LogFn;
}

export interface HttpApp {
  app: Hono<HttpEnv>;
  sessions: SessionRegistry;
  hub: EventHub;
  /** The per-key VOISA clients (only keys VOISA accepted get one). */
  clients: ClientPool;
  /** The bytes queued on open event streams (each bounded by `streamBufferBytes`). */
  streams: StreamBuffers;
  /** POST /mcp requests still being answered. */
  inFlight(): number;
  /** From now on new requests get 503, and in-flight waits (wait_for_call) answer at once. */
  beginShutdown(): void;
  /** Expires idle sessions and unused clients. */
  sweep(): void;
  /** Pays the per-process first-request costs (schemas, the SDK's first dispatch) before serving. */
  warmUp(): Promise<void>;
  /** Closes every session and the per-key clients. */
  close(): Promise<void>;
}

/**
 * Large enough for a file at the 25 MB cap sent as `content_base64` (the same limit
 * as one stdio message), so both transports accept what the tools document.
 */
export const DEFAULT_BODY_LIMIT = MAX_MESSAGE_BYTES;
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

type Ctx = Context<HttpEnv>;

/** The client address of the request running (`clientAddress`, set by the `*` middleware; read by checkKey). */
const peer = new AsyncLocalStorage<string>();
const SILENT: VoisaLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function createHttpApp(o: HttpAppOptions): HttpApp {
  const log: LogFn = o.log ?? (() => {});
  const bodyLimit = o.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const hub = o.hub ?? new EventHub();
  const serverKeyHash = o.serverKey ? hashKey(o.serverKey) : undefined;
  // VOISA refusing a key on a call (rotated or revoked since it was checked) drops its "valid" verdict,
  // here and in the shared store, so the principal's next request is checked again and refused (checkKey).
  const pool = new ClientPool(o.api, serverKeyHash, undefined, o.maxClients, (hash) => {
    void verifier.forget(hash);
  });
  const shared = o.shared ?? memoryState();
  // A key is checked with a throwaway client that logs nothing: a refused key costs
  // one upstream call (then the negative cache), never a pooled client or a log line.
  const verifier = new KeyVerifier((key) => o.api.withApiKey(key, { logger: SILENT }), {}, shared.verdicts);
  const limiter = new RefusalLimiter(o.maxKeyRefusalsPerMinute);
  const refusals = new RefusalTally((line) => log('warning', line));
  const unsigned = new RefusalTally((line) => log('warning', line), {
    one: 'webhook delivery with a missing or invalid signature',
    many: 'webhook deliveries with a missing or invalid signature',
  });
  const sessions = new SessionRegistry(o.sessionIdleMs ?? 30 * 60_000, o.maxSessions ?? 500, (s, reason) =>
    log('info', `session ${s.id.slice(0, 8)}… closed (${reason}); ${sessions.size} live`),
  );
  const streams = new StreamBuffers(o.streamBufferBytes ?? DEFAULT_STREAM_BUFFER_BYTES);
  const guards = createGuards({
    loopbackOnly: o.loopbackOnly,
    allowedHosts: o.allowedHosts ?? [],
    allowedOrigins: o.allowedOrigins ?? [],
  });
  const bus = shared.bus;
  // Who the 2026-07-28 request being served acts for: its listen stream hears of that principal's events only.
  const streamOwner = new AsyncLocalStorage<string>();
  const fanOut = shared.events(hub);
  // An accepted webhook goes once to every instance's hub (2025-era sessions, voisa://events) and once
  // onto the listen bus (2026-07-28 streams on any instance).
  // Each goes with its owner, and reaches that principal only.
  const accepted = (event: VoisaEvent, owner: string) => {
    fanOut.publish(event, owner);
    for (const uri of urisChangedBy(event)) publishOwned(bus, owner, { kind: 'resource_updated', uri });
    if (changesResourceList(event)) publishOwned(bus, owner, { kind: 'resources_list_changed' });
  };
  // A principal is named by a keyed hash of its key, never the key: the owner of its events everywhere.
  const tenants = createTenants(
    o.secret ?? randomBytes(32),
    () => o.webhookBaseUrl ?? (o.loopbackOnly ? o.listenUrl?.() : undefined),
  );
  const receiver =
    o.webhookSecret !== undefined || o.webhookBaseUrl !== undefined
      ? new WebhookReceiver({ hub: { publish: accepted }, ledger: shared.ledger })
      : undefined;
  // The shared URL's events are the server's own key's; without that key they would be nobody's.
  const sharedSender =
    o.webhookSecret !== undefined && serverKeyHash
      ? { owner: tenants.idOf(serverKeyHash), secret: o.webhookSecret }
      : undefined;
  const files = o.allowFileAccess
    ? { mode: 'dir' as const, dir: o.allowFileAccess }
    : { mode: 'off' as const };
  let closing = false;
  // Aborted when shutdown begins: in-flight waits answer at once, so the process stops as soon as they have.
  const stopping = new AbortController();
  let inFlight = 0;

  const sealer = o.sealer ?? createStateSealer(randomBytes(32));
  /** Who a server acts for: the key, its hash, and for a grant the tools and scopes it allows. */
  type Principal = Pick<Caller, 'key' | 'hash' | 'filter'>;
  const buildServer = (
    api: VoisaClient,
    delivery: LiveUpdatesOptions['delivery'],
    caller: Principal,
    // The principal's opaque id, the owner of its events (computed once per request by the caller).
    owner = tenants.idOf(caller.hash),
  ): McpServer => {
    const { key: principal, filter = o.filter } = caller;
    return createServer({
      api,
      filter,
      // The grant's reach beyond tools; undefined (everything) for a plain API key.
      scopes: filter?.scopes,
      // Only an OAuth grant has scopes: its refused key sends the user back to sign-in.
      signIn: filter?.scopes ? 'oauth' : 'key',
      files,
      log,
      // This principal's events only; configure_webhook registers its own receiver.
      events: { hub, delivery, owner },
      webhook: receiver && tenants.target(owner),
      // One confirmation, one call: its nonce is claimed in the shared state (Redis, or this process).
      confirm: { sealer, principal, mode: o.confirm, once: shared.confirmations },
      // The principal is the VOISA key the request acts with (sent, the server's, or an OAuth grant's).
      calls: shared.placedCallsFor?.(principal),
      stopping: stopping.signal,
    });
  };

  // 2026-07-28 traffic: a server from the factory per request, no session; change notifications reach
  // `subscriptions/listen` streams through the bus. 2025-era traffic keeps its sessions (handleMcp).
  const modern = createMcpHandler(
    (ctx: McpRequestContext) => {
      const served = ctx.authInfo?.extra as
        | { api: VoisaClient; caller: Principal; owner: string }
        | undefined;
      if (!served) throw new Error('no caller on a 2026-07-28 request');
      return buildServer(served.api, 'listen', served.caller, served.owner);
    },
    {
      legacy: 'reject',
      // Each listen stream hears of its own principal's events only (listen-bus.ts).
      bus: listenBusFor(bus, () => streamOwner.getStore()),
      maxRequestBodySize: bodyLimit,
      onerror: (err) => log('debug', `2026-07-28 request: ${err.message}`),
    },
  );

  const app = new Hono<HttpEnv>();

  // Degraded (shared state unreachable) still answers 200: calls that do not need it keep working.
  app.get('/healthz', (c) => {
    const health = shared.health();
    return c.json(
      {
        status: closing ? 'closing' : health.status,
        mode: o.stateless ? 'stateless' : 'stateful',
        sessions: sessions.size,
        redis: health.redis,
        ...(o.instanceId ? { instance: o.instanceId } : {}),
      },
      closing ? 503 : 200,
    );
  });

  // Refuse new work while shutting down, and a Host that is not ours (DNS rebinding).
  // The rest of the request runs knowing the client's address: the peer's, or the one X-Forwarded-For
  // names through trusted proxies (--trust-proxy, client-address.ts); every per-address limit counts it.
  app.use('*', async (c, next) => {
    if (closing) return rpcError(503, SERVER_ERROR, 'Server is shutting down', { connection: 'close' });
    const problem = guards.checkHost(c.req.header('host'));
    if (problem) return rpcError(403, SERVER_ERROR, problem);
    const address = clientAddress(
      c.env?.incoming?.socket?.remoteAddress ?? 'unknown',
      o.trustProxy ? c.req.header('x-forwarded-for') : undefined,
      o.trustProxy,
    );
    c.set('clientAddress', address);
    await peer.run(address, next);
  });

  // Every event stream holds at most streamBufferBytes for a client that stops reading it; past that it
  // is closed and its session ended (stream-bound.ts).
  app.use('*', async (c, next) => {
    await next();
    if (!isEventStream(c.res)) return;
    const session =
      c.res.headers.get('mcp-session-id') ?? c.req.header('mcp-session-id') ?? c.get('streamSession');
    const bounded = streams.bound(c.res.body!, c.env?.outgoing, (queued) => {
      const why = `its client stopped reading (${formatBytes(queued)} queued, bound ${formatBytes(streams.limit)})`;
      if (session && sessions.get(session)) void sessions.close(session, why);
      else log('warning', `${c.req.method} ${c.req.path} event stream closed: ${why}`);
    });
    c.res = new Response(bounded, c.res);
  });

  // Origin check and CORS for the MCP endpoints: only allowed origins, which get CORS headers.
  for (const path of ['/mcp', SSE_PATH, MESSAGES_PATH]) {
    app.use(path, async (c, next) => {
      const origin = c.req.header('origin');
      if (!guards.originAllowed(origin)) return rpcError(403, SERVER_ERROR, `Origin not allowed: ${origin}`);
      if (c.req.method === 'OPTIONS')
        return new Response(null, { status: 204, headers: origin ? corsHeaders(origin) : {} });
      await next();
      if (origin) for (const [k, v] of Object.entries(corsHeaders(origin))) c.res.headers.set(k, v);
    });
  }

  // With --public-url: the protected-resource and authorization-server metadata, the OAuth endpoints
  // and the sign-in pages (src/oauth).
  o.oauth?.mount(app);

  app.on(['POST', 'GET', 'DELETE'], '/mcp', async (c) => {
    const isPost = c.req.method === 'POST';
    if (isPost) {
      inFlight++;
      let counted = true;
      const done = () => {
        if (counted) inFlight--;
        counted = false;
      };
      // A 2026-07-28 subscriptions/listen stream is open until the client leaves: not a call to wait for.
      c.set('notInFlight', done);
      whenDone(c, done);
    }
    try {
      return await handleMcp(c, isPost);
    } catch (err) {
      log('error', `/mcp ${c.req.method} failed: ${(err as Error).message}`);
      return rpcError(500, -32603, 'Internal server error');
    }
  });

  // VOISA webhooks: the shared URL (the server's own key's events) and one per principal (tenants.ts).
  app.post(WEBHOOK_PATH, (c) =>
    receiveWebhook(
      c,
      sharedSender,
      "this URL receives only the events of the server's own key (VOISA_API_KEY with VOISA_WEBHOOK_SECRET); configure_webhook registers a URL of your own",
    ),
  );
  app.post(`${WEBHOOK_PATH}/t/:tenant`, (c) => {
    const id = c.req.param('tenant');
    return receiveWebhook(
      c,
      tenants.isId(id) ? { owner: id, secret: tenants.secretOf(id) } : undefined,
      'unknown webhook URL; configure_webhook registers yours',
    );
  });

  async function receiveWebhook(c: Ctx, sender: WebhookSender | undefined, unknown: string) {
    if (!receiver)
      return json(404, {
        ok: false,
        error: 'webhook receiver disabled: set VOISA_WEBHOOK_SECRET or --webhook-base-url',
      });
    if (!sender) return json(404, { ok: false, error: unknown });
    const body = await readBody(c.req.raw, WEBHOOK_BODY_LIMIT);
    if (!body.ok) return json(413, { ok: false, error: 'payload too large' });
    const outcome = await receiver.receive(body.bytes, (name) => c.req.header(name), sender);
    // Anyone can send unsigned junk: counted, not logged one line each.
    if (outcome.status === 401) unsigned.add(c.get('clientAddress'), false);
    else
      log(
        outcome.status === 200 ? 'debug' : 'warning',
        `webhook ${outcome.body.id ?? ''} ${outcome.status}`,
        {
          ...(outcome.body.error ? { error: outcome.body.error } : {}),
        },
      );
    return json(outcome.status, outcome.body, outcome.headers);
  }

  // The old HTTP+SSE transport (2024-11-05) at GET /sse + POST /messages.
  const legacy = mountLegacySse(app, {
    sessions,
    bodyLimit,
    stateless: o.stateless === true,
    identify,
    checkKey,
    instanceId: o.instanceId,
    acquireClient: (key, hash) => pool.acquire(key, hash),
    releaseClient: (hash) => pool.release(hash),
    buildServer: (api, caller) => buildServer(api, 'session', caller),
    log,
  });

  app.notFound(() => json(404, { error: 'Not found. MCP is served at /mcp (legacy HTTP+SSE at /sse).' }));
  app.onError((err) => {
    log('error', `HTTP handler failed: ${err.message}`);
    return rpcError(500, -32603, 'Internal server error');
  });

  async function handleMcp(c: Ctx, isPost: boolean): Promise<Response> {
    const caller = await identify(c.req.header('authorization'));
    if (caller instanceof Response) return caller;

    let body: unknown;
    if (isPost) {
      const read = await readJsonRpcBody(c.req.raw, bodyLimit, c.req.header('mcp-protocol-version'));
      if (!read.ok) return read.response;
      body = read.body;
    }

    if (!(await isLegacyRequest(c.req.raw, body, { maxRequestBodySize: bodyLimit }))) {
      const refused = await checkKey(caller.hash, caller.key, caller.grantId);
      if (refused) return refused;
      return serveModern(c, caller, body);
    }

    if (o.stateless) {
      if (!isPost)
        return rpcError(405, SERVER_ERROR, 'Method not allowed: this server is stateless (POST only)', {
          allow: 'POST',
        });
      const refused = await checkKey(caller.hash, caller.key, caller.grantId);
      if (refused) return refused;
      return serveStateless(c, caller, body);
    }

    const sessionId = c.req.header('mcp-session-id');
    if (sessionId) {
      if (!sessionIdMatchesKey(sessionId, caller.binding)) {
        return rpcError(
          403,
          SERVER_ERROR,
          'Forbidden: this session id was not opened with this API key or grant',
        );
      }
      const session = sessions.get(sessionId);
      if (!session || !(session.transport instanceof WebStandardStreamableHTTPServerTransport))
        return rpcError(
          404,
          SESSION_NOT_FOUND,
          'Session not found: it ended or expired; initialize a new one',
        );
      // Free while the key's "valid" verdict holds; once it lapses, or a call found the key refused
      // (ClientPool's onKeyRefused), the session's next request checks the key again like a new one.
      const refused = await checkKey(caller.hash, caller.key, caller.grantId);
      if (refused) return refused;
      whenDone(c, sessions.begin(session));
      return session.transport.handleRequest(c.req.raw, { parsedBody: body });
    }
    // A GET without a session is an HTTP+SSE (2024-11-05) client at the wrong address: name /sse.
    if (c.req.method === 'GET') return sessionlessGet(c.req.raw, o.oauth?.issuer);
    if (!isPost || !isInitialize(body)) {
      return rpcError(400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required (initialize first)');
    }
    const refused = await checkKey(caller.hash, caller.key, caller.grantId);
    if (refused) return refused;
    return openSession(c, caller, body);
  }

  /**
   * The caller of a /mcp request, or the 401 that says how to authenticate. With OAuth on, a bearer
   * token of this server's authorization server acts with the VOISA key its grant holds, limited to
   * the tools its scopes (and the key's own permissions) allow; anything else is taken as a VOISA key.
   */
  async function identify(authorization: string | undefined): Promise<Caller | Response> {
    const challenge = o.oauth?.challenge ?? '';
    const key = resolveKey(authorization, { key: o.serverKey, loopbackOnly: o.loopbackOnly });
    if (!key.ok) {
      const how = o.oauth
        ? `Authorization: Bearer is required: sign in with OAuth (${o.oauth.issuer}/.well-known/oauth-protected-resource/mcp names the authorization server), or send a VOISA API key.`
        : key.message;
      return unauthorized(authorization?.trim() ? key.message : how, false, challenge);
    }
    if (!o.oauth || key.fromServer) return { key: key.key, hash: key.hash, binding: key.hash };
    let check: Awaited<ReturnType<OAuthGate['checkToken']>>;
    try {
      check = await o.oauth.checkToken(key.key);
    } catch (err) {
      log('warning', `could not check an OAuth access token: ${(err as Error).message}`);
      return rpcError(
        503,
        SERVER_ERROR,
        'Could not check the access token (token store unreachable); retry shortly',
        {
          'retry-after': '5',
        },
      );
    }
    if (check.kind === 'not-ours') return { key: key.key, hash: key.hash, binding: key.hash };
    if (check.kind === 'invalid')
      return unauthorized(`invalid_token: ${check.reason}. Sign in again.`, true, challenge);
    const granted = allowedTools(CATALOGUE, check.scopes, check.account.permissions);
    const hash = hashKey(check.account.key);
    // The scopes go with the tools: resources, prompts and live updates follow them (tools/scopes.ts REACH).
    const scopes = parseScopes(check.scopes.join(' '));
    return {
      key: check.account.key,
      hash,
      binding: hashKey(`${hash}\n${[...granted].sort().join(',')}\n${scopes.join(' ')}`),
      filter: { ...o.filter, granted, scopes },
      grantId: check.grantId,
    };
  }

  /**
   * Undefined when the key is good, else the answer to send. Nothing is kept per
   * key until VOISA accepts it. An address whose keys failed verification too often
   * this minute (refused, or VOISA could not say) gets 429 for any key not already
   * known good, without asking VOISA.
   * Refusals are logged in aggregate by `sweep`, never one line each.
   */
  async function checkKey(hash: string, key: string, grantId?: string): Promise<Response | undefined> {
    const address = peer.getStore() ?? 'unknown';
    if (verifier.cached(hash) !== 'valid') {
      const wait = limiter.retryAfter(address);
      if (wait !== undefined) {
        refusals.add(address, true);
        return rpcError(
          429,
          SERVER_ERROR,
          `Too many API keys from this address failed verification; retry in ${wait} s with a valid key`,
          { 'retry-after': String(wait) },
        );
      }
    }
    try {
      const verdict = await verifier.verify(hash, key);
      if (verdict === 'invalid') {
        limiter.refused(address);
        refusals.add(address, false);
        // The key behind an OAuth grant was rotated or revoked: end the grant (a refresh would mint
        // tokens that can never work) and send the client back to sign-in.
        if (grantId && o.oauth) {
          await o.oauth.revokeGrant(grantId);
          return unauthorized(
            `invalid_token: ${SIGN_IN_KEY_REFUSED}, so this sign-in has ended. Sign in to VOISA again from your application (reconnect voisa-mcp).`,
            true,
            o.oauth.challenge,
            `${SIGN_IN_KEY_REFUSED}; sign in again`,
          );
        }
        return unauthorized(
          'INVALID_API_KEY: VOISA rejected this API key (GET /api/verify). Check it, or create one with `voisa-mcp login`.',
          true,
        );
      }
      return undefined;
    } catch (err) {
      // Counted too: whatever VOISA answers, one address gets only so many upstream checks a minute.
      limiter.refused(address);
      log('warning', `could not verify an API key: ${(err as Error).message}`);
      return rpcError(
        502,
        SERVER_ERROR,
        `Could not verify the API key with VOISA: ${(err as Error).message}`,
      );
    }
  }

  async function openSession(c: Ctx, caller: Caller, body: unknown): Promise<Response> {
    const request = c.req.raw;
    const { key, hash } = caller;
    if (sessions.full()) {
      return rpcError(
        503,
        SERVER_ERROR,
        `Too many sessions (limit ${sessions.max}); retry later, or end unused sessions with DELETE /mcp`,
        {
          'retry-after': '30',
        },
      );
    }
    const id = newSessionId(caller.binding, o.instanceId);
    const api = pool.acquire(key, hash);
    const server = buildServer(api, 'session', caller);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      pool.release(hash);
    };
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      eventStore: shared.eventStores.forSession(id),
      onsessioninitialized: () => {
        sessions.add(session);
        // The initialize request itself is activity: a slow first answer must not let the idle sweep
        // close the session before the client's notifications/initialized arrives.
        whenDone(c, sessions.begin(session));
        log('info', `session ${id.slice(0, 8)}… opened; ${sessions.size} live`);
      },
      maxRequestBodySize: bodyLimit,
    });
    const session: Session = {
      id,
      keyHash: caller.binding,
      server,
      transport,
      open: 0,
      lastActive: Date.now(),
    };
    transport.onclose = () => {
      sessions.forget(id, 'ended');
      shared.eventStores.forget(id);
      release();
    };
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request, { parsedBody: body });
      if (!sessions.get(id)) {
        // The transport refused the initialize (its answer says why): nothing to keep.
        await server.close().catch(() => {});
        release();
      }
      return response;
    } catch (err) {
      await server.close().catch(() => {});
      release();
      throw err;
    }
  }

  async function serveModern(c: Ctx, caller: Caller, body: unknown): Promise<Response> {
    const request = body as { method?: unknown; id?: string | number } | undefined;
    if (request?.method === 'subscriptions/listen') {
      // The stream names agents and conversations: a grant must read them (tools/scopes.ts REACH).
      const row = reachOf('subscriptions/listen');
      if (caller.filter?.scopes && !reaches(caller.filter.scopes, row.needs)) {
        const refusal = scopeRefusal('subscriptions/listen', row);
        return json(200, {
          jsonrpc: '2.0',
          id: request.id ?? null,
          error: { code: refusal.code, message: refusal.message, data: refusal.data },
        });
      }
      c.get('notInFlight')?.();
    }
    const api = pool.acquire(caller.key, caller.hash);
    whenDone(c, () => pool.release(caller.hash));
    return serveModernWith(c.req.raw, api, caller, body);
  }

  /** A 2026-07-28 request, served by a server the factory builds for this caller's client and key. */
  function serveModernWith(request: Request, api: VoisaClient, caller: Principal, parsedBody?: unknown) {
    // Named once: the listen stream (if this is one) and the server built for it both need it.
    const owner = tenants.idOf(caller.hash);
    return streamOwner.run(owner, () =>
      modern.fetch(request, {
        parsedBody,
        authInfo: { token: '', clientId: 'voisa-key', scopes: [], extra: { api, caller, owner } },
      }),
    );
  }

  async function serveStateless(c: Ctx, caller: Caller, body: unknown): Promise<Response> {
    const { key, hash } = caller;
    const api = pool.acquire(key, hash);
    const server = buildServer(api, 'none', caller);
    const transport = new WebStandardStreamableHTTPServerTransport({ maxRequestBodySize: bodyLimit });
    await server.connect(transport);
    whenDone(c, () => {
      void server.close().catch(() => {});
      pool.release(hash);
    });
    return transport.handleRequest(c.req.raw, { parsedBody: body });
  }

  return {
    app,
    sessions,
    hub,
    clients: pool,
    streams,
    inFlight: () => inFlight + legacy.inFlight(),
    beginShutdown: () => {
      closing = true;
      stopping.abort();
    },
    async warmUp() {
      warmUp();
      const answer = await serveModernWith(modernRequest('http://localhost/mcp', 'tools/list'), o.api, {
        key: '',
        hash: hashKey(''),
      });
      await answer.text();
    },
    sweep: () => {
      sessions.sweep();
      pool.sweep();
      limiter.sweep();
      refusals.flush();
      unsigned.flush();
    },
    async close() {
      closing = true;
      stopping.abort();
      await modern.close().catch(() => {});
      refusals.flush(Date.now(), true);
      unsigned.flush(Date.now(), true);
      await sessions.closeAll('shutdown');
      await pool.close();
    },
  };
}

/**
 * A 2026-07-28 request as an SDK client sends it: the `_meta` envelope (protocol version, client
 * capabilities) in the body and the standard headers. For warm-up probes and benchmarks.
 */
export function modernRequest(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Request {
  return new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: { [PROTOCOL_VERSION_META_KEY]: '2026-07-28', [CLIENT_CAPABILITIES_META_KEY]: {} },
      },
    }),
  });
}

function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}

/** Runs `fn` once the HTTP response is finished or the client went away. */
function whenDone(c: Ctx, fn: () => void): void {
  const outgoing = c.env?.outgoing;
  if (outgoing) outgoing.once('close', fn);
  else queueMicrotask(fn);
}

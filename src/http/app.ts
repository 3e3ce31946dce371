/**
 * createHttpApp: the Hono app behind `voisa-mcp --http`, assembled from its parts: the callers
 * (callers.ts: who a request acts for, its key check), the per-principal server factory (servers.ts),
 * the middleware every request goes through (middleware.ts) and the routes (routes/): `GET /healthz`,
 * `/mcp` (routes/mcp.ts: 2026-07-28 in mcp-modern.ts, 2025-era sessions in mcp-sessions.ts),
 * `GET /sse` + `POST /messages` (the old HTTP+SSE transport, routes/sse.ts), `POST /webhooks/voisa`
 * (routes/webhooks.ts), and with --public-url the OAuth connector's own (oauth/).
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { EventHub } from '../events/hub.js';
import type { LogFn } from '../mcp/log.js';
import { warmUp } from '../mcp/server.js';
import { memoryState } from '../scale/index.js';
import { createStateSealer } from '../security/request-state.js';
import { principalNamer } from '../security/secret.js';
import { hashKey } from '../web/auth.js';
import type { HttpEnv } from '../web/env.js';
import { json, rpcError } from '../web/responses.js';
import { DEFAULT_BODY_LIMIT, type HttpApp, type HttpAppOptions } from './app-options.js';
import { createCallers } from './callers.js';
import { ClientPool } from './clients.js';
import { useMiddleware } from './middleware.js';
import { mountHealth } from './routes/health.js';
import { mountMcp } from './routes/mcp.js';
import { modernMcp, modernRequest } from './routes/mcp-modern.js';
import { sessionMcp } from './routes/mcp-sessions.js';
import { mountMetrics } from './routes/metrics.js';
import { mountLegacySse } from './routes/sse.js';
import { mountWebhooks } from './routes/webhooks.js';
import { serverBuilder } from './servers.js';
import { SessionRegistry } from './sessions.js';
import { DEFAULT_STREAM_BUFFER_BYTES, StreamBuffers } from './stream-bound.js';
import { createTenants } from './tenants.js';

export { DEFAULT_BODY_LIMIT, type HttpApp, type HttpAppOptions } from './app-options.js';
export { modernRequest } from './routes/mcp-modern.js';

/** Builds what the routes share once, and hands each route module only what it uses. */
export function createHttpApp(o: HttpAppOptions): HttpApp {
  const log: LogFn = o.log ?? (() => {});
  const bodyLimit = o.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const hub = o.hub ?? new EventHub();
  const serverKeyHash = o.serverKey ? hashKey(o.serverKey) : undefined;
  const shared = o.shared ?? memoryState();
  const callers = createCallers({
    api: o.api,
    serverKey: o.serverKey,
    loopbackOnly: o.loopbackOnly,
    oauth: o.oauth,
    filter: o.filter,
    maxKeyRefusalsPerMinute: o.maxKeyRefusalsPerMinute,
    verdicts: shared.verdicts,
    log,
  });
  // VOISA refusing a key on a call (rotated or revoked since it was checked) drops its "valid" verdict,
  // here and in the shared store, so the principal's next request is checked again and refused (checkKey).
  const pool = new ClientPool(o.api, serverKeyHash, undefined, o.maxClients, (hash) => callers.forget(hash));
  const sessions = new SessionRegistry(o.sessionIdleMs ?? 30 * 60_000, o.maxSessions ?? 500, (s, reason) =>
    log('info', `session ${s.id.slice(0, 8)}… closed (${reason}); ${sessions.size} live`),
  );
  const streams = new StreamBuffers(o.streamBufferBytes ?? DEFAULT_STREAM_BUFFER_BYTES);
  // Connects this instance's hub to what every instance publishes (with Redis: other instances' webhooks).
  const fanOut = shared.events(hub);
  // A principal is named by a keyed hash of its key, never the key: the owner of its events everywhere.
  const secret = o.secret ?? randomBytes(32);
  const tenants = createTenants(
    secret,
    () => o.webhookBaseUrl ?? (o.loopbackOnly ? o.listenUrl?.() : undefined),
  );
  const receiving = o.webhookSecret !== undefined || o.webhookBaseUrl !== undefined;
  let closing = false;
  // Set once warmUp() has finished: until then GET /readyz answers 503 `warming`.
  let warm = false;
  // Aborted when shutdown begins: in-flight waits answer at once, so the process stops as soon as they have.
  const stopping = new AbortController();
  const buildServer = serverBuilder({
    filter: o.filter,
    files: o.allowFileAccess ? { mode: 'dir', dir: o.allowFileAccess } : { mode: 'off' },
    log,
    hub,
    tenants,
    receiving,
    confirm: {
      sealer: o.sealer ?? createStateSealer(randomBytes(32)),
      mode: o.confirm,
      once: shared.confirmations,
    },
    shared,
    stopping: stopping.signal,
    policy: o.policy,
    audit: o.audit,
    instance: o.instanceId,
    principalName: principalNamer(secret),
    telemetry: o.telemetry,
    skills: o.skills,
  });
  const { identify, checkKey } = callers;
  const stateless = o.stateless === true;
  const modern = modernMcp({
    checkKey,
    clients: pool,
    buildServer,
    tenants,
    bus: shared.bus,
    bodyLimit,
    log,
  });
  // A revoked OAuth grant (on /account, or by revokeGrant) ends its sessions (2025-era and legacy SSE)
  // and listen streams on every instance at once: the authorization server tells `shared`, which
  // tells every instance's app, this one included.
  const unhear = shared.revocations.subscribe((isRevoked) => {
    const closed = sessions.closeGrant(isRevoked, 'revoked');
    const ended = modern.endGrant(isRevoked);
    if (closed || ended)
      log('info', `grant revoked: closed ${closed} session(s) and ${ended} listen stream(s) of it`);
  });
  const untell = o.oauth?.onGrantRevoked(async (grantId) => {
    await shared.revocations.publish(grantId);
  });

  const app = new Hono<HttpEnv>();
  // Before the middleware: a probe gets its answer (503 `closing` too) whatever its Host.
  mountHealth(app, {
    closing: () => closing,
    warm: () => warm,
    stateless,
    sessions,
    shared,
    instanceId: o.instanceId,
  });
  // With --metrics: Prometheus text, before the Host guard like the probes (a scrape names us by address).
  const prometheus = o.telemetry?.prometheus;
  if (prometheus) mountMetrics(app, { text: prometheus, token: o.metricsToken });
  o.telemetry?.gauges({
    sessions: () => sessions.size,
    streams: () => streams.open,
    redisUp: () => {
      const { redis } = shared.health();
      return redis === 'off' ? undefined : redis === 'ok' ? 1 : 0;
    },
  });
  useMiddleware(app, {
    closing: () => closing,
    guards: {
      loopbackOnly: o.loopbackOnly,
      allowedHosts: o.allowedHosts ?? [],
      allowedOrigins: o.allowedOrigins ?? [],
    },
    trustProxy: o.trustProxy,
    streams,
    sessions,
    log,
  });
  // With --public-url: the protected-resource and authorization-server metadata, the OAuth endpoints
  // and the sign-in pages (src/oauth).
  o.oauth?.mount(app);
  const mcp = mountMcp(app, {
    identify,
    modern,
    sessions: sessionMcp({
      stateless,
      sessions,
      checkKey,
      clients: pool,
      buildServer,
      eventStores: shared.eventStores,
      instanceId: o.instanceId,
      publicOrigin: o.oauth?.issuer,
      bodyLimit,
      log,
    }),
    bodyLimit,
    log,
  });
  const webhooks = mountWebhooks(app, {
    receiving,
    sharedSecret: o.webhookSecret,
    serverOwner: serverKeyHash && tenants.idOf(serverKeyHash),
    tenants,
    fanOut,
    bus: shared.bus,
    ledger: shared.ledger,
    log,
  });
  // The old HTTP+SSE transport (2024-11-05) at GET /sse + POST /messages.
  const legacy = mountLegacySse(app, {
    sessions,
    bodyLimit,
    stateless,
    identify,
    checkKey,
    instanceId: o.instanceId,
    clients: pool,
    buildServer: (api, caller) => buildServer(api, 'session', caller),
    log,
  });

  app.notFound(() => json(404, { error: 'Not found. MCP is served at /mcp (legacy HTTP+SSE at /sse).' }));
  app.onError((err) => {
    log('error', `HTTP handler failed: ${err.message}`);
    return rpcError(500, -32603, 'Internal server error');
  });

  return {
    app,
    sessions,
    hub,
    clients: pool,
    streams,
    inFlight: () => mcp.inFlight() + legacy.inFlight(),
    beginShutdown: () => {
      closing = true;
      stopping.abort();
    },
    async warmUp() {
      try {
        warmUp();
        const probe = modernRequest('http://localhost/mcp', 'tools/list');
        const answer = await modern.serve(probe, o.api, { key: '', hash: hashKey('') });
        await answer.text();
      } finally {
        // Warm even when the probe failed: it only pays first-request costs, serving works without it.
        warm = true;
      }
    },
    sweep: () => {
      sessions.sweep();
      pool.sweep();
      callers.sweep();
      webhooks.flush();
    },
    async close() {
      closing = true;
      stopping.abort();
      unhear();
      untell?.();
      await modern.close().catch(() => {});
      callers.close();
      webhooks.flush(true);
      await sessions.closeAll('shutdown');
      await pool.close();
    },
  };
}

/**
 * `voisa-mcp --http`: serves MCP streamable HTTP until SIGINT/SIGTERM, then
 * shuts down gracefully. With `--sandbox`, the embedded sandbox's webhooks are
 * pointed at this server's `/webhooks/voisa` with a generated secret, so its
 * events become live resource updates with no setup.
 */
import { randomBytes } from 'node:crypto';
import type { SkillsExtension } from '@modelcontextprotocol/server/ext/skills';
import type { AuditTrail } from '../audit/trail.js';
import { CONFIRMATIONS_OFF, type ConfirmMode } from '../mcp/confirm.js';
import type { LogFn } from '../mcp/log.js';
import type { CallPolicy } from '../policy/policy.js';
import type { SharedState } from '../scale/index.js';
import { createStateSealer } from '../security/request-state.js';
import type { Telemetry } from '../telemetry/types.js';
import type { ToolFilter } from '../tools/index.js';
import { type VoisaClient, WEBHOOK_EVENTS } from '../voisa/index.js';
import { isLoopbackHost } from '../web/auth.js';
import { describeTrustProxy, type TrustProxy } from '../web/client-address.js';
import { type RunningHttpServer, startHttpServer } from './listen.js';
import { SSE_PATH } from './sse-transport.js';

export { createHttpApp, type HttpApp, type HttpAppOptions } from './app.js';
export { type RunningHttpServer, type StartHttpOptions, startHttpServer } from './listen.js';

/** How to serve over HTTP (the command line's `--http` flags: cli/config.ts fills it). */
export interface HttpOptions {
  host: string;
  port: number;
  stateless: boolean;
  allowedHosts: string[];
  allowedOrigins: string[];
  /** Folder that `file_path`/`save_to` may use over HTTP; none when unset. */
  allowFileAccess?: string;
  /** Live sessions at most (503 past it). */
  maxSessions: number;
  /** A session unused this long is closed. */
  sessionIdleMs: number;
  webhookSecret?: string;
  /** Shared state for several instances; in memory when unset. */
  redisUrl?: string;
  /** Ends session ids, so a balancer can route a session to its instance. */
  instanceId?: string;
  /** Whose X-Forwarded-For to believe for per-address limits; the peer's address when unset. */
  trustProxy?: TrustProxy;
  /** Turns on the OAuth authorization server: the issuer and resource origin. */
  publicUrl?: string;
  /** Where VOISA reaches this server's webhook receivers (default: publicUrl). */
  webhookBaseUrl?: string;
  /** OAuth access token lifetime, seconds. */
  accessTokenTtl: number;
  /** Client metadata documents may be fetched from loopback and private addresses (loopback-only --host). */
  oauthAllowPrivateFetch: boolean;
  /** `--metrics`: Prometheus text at GET /metrics (routes/metrics.ts). */
  metrics?: boolean;
  /** VOISA_METRICS_TOKEN: lets a scraper off this host read /metrics. */
  metricsToken?: string;
}

/** What `serveHttp` reads of the command line's configuration. */
export interface ServeHttpConfig {
  sandbox: boolean;
  filter: ToolFilter;
  confirm: ConfirmMode;
  http: HttpOptions;
}

export interface ServeHttpDeps {
  api: VoisaClient;
  /** The server's own key (env, login file, or the sandbox's demo key). */
  serverKey?: string;
  log: LogFn;
  /** What instances share (in memory, or Redis). */
  shared?: SharedState;
  /** VOISA_SERVER_SECRET (or this process's own): seals confirmations. */
  secret?: Buffer;
  /** True when `secret` is this process's own (VOISA_SERVER_SECRET unset). */
  secretGenerated?: boolean;
  /** The call policy and the audit trail, for every principal (cli/guardrails.ts). */
  policy?: CallPolicy;
  audit?: AuditTrail;
  /** Traces and metrics, when configured (cli/main.ts loads them). */
  telemetry?: Telemetry;
  /** The workflow skills (skills/catalog.ts). */
  skills?: SkillsExtension;
}

/** How long in-flight calls may take to finish once a stop signal arrives. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Serves until a stop signal; resolves once shut down. */
export async function serveHttp(config: ServeHttpConfig, deps: ServeHttpDeps): Promise<void> {
  const { http } = config;
  // From the start: a stop signal during start-up still shuts down gracefully.
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const webhookSecret =
    http.webhookSecret ?? (config.sandbox ? randomBytes(24).toString('base64url') : undefined);
  const oauth = http.publicUrl ? await startOAuth(http, http.publicUrl, deps) : undefined;
  // Where VOISA reaches this server: configure_webhook registers each account's own receiver under it (tenants.ts).
  const webhookBase = http.webhookBaseUrl ?? http.publicUrl;
  const server = await startHttpServer({
    host: http.host,
    port: http.port,
    api: deps.api,
    // A server with a public URL is public: it never lends its own key, even on loopback behind a proxy.
    serverKey: oauth ? undefined : deps.serverKey,
    stateless: http.stateless,
    allowedHosts:
      oauth && http.allowedHosts.length
        ? [...http.allowedHosts, new URL(oauth.issuer).host]
        : http.allowedHosts,
    allowedOrigins: http.allowedOrigins,
    allowFileAccess: http.allowFileAccess,
    maxSessions: http.maxSessions,
    sessionIdleMs: http.sessionIdleMs,
    webhookSecret,
    webhookBaseUrl: webhookBase,
    secret: deps.secret,
    filter: config.filter,
    log: deps.log,
    shared: deps.shared,
    instanceId: http.instanceId,
    trustProxy: http.trustProxy,
    sealer: deps.secret ? createStateSealer(deps.secret) : undefined,
    confirm: config.confirm,
    oauth,
    policy: deps.policy,
    audit: deps.audit,
    telemetry: deps.telemetry,
    skills: deps.skills,
    metricsToken: http.metricsToken,
  });
  const { log } = deps;
  log(
    'info',
    http.stateless
      ? `serving MCP over streamable HTTP at ${server.mcpUrl} (stateless)`
      : `serving MCP over streamable HTTP at ${server.mcpUrl} (sessions; legacy HTTP+SSE at ${server.url}${SSE_PATH})`,
  );
  if (config.confirm === 'never') log('warning', CONFIRMATIONS_OFF);
  if (http.trustProxy)
    log('info', `per-address limits read X-Forwarded-For through ${describeTrustProxy(http.trustProxy)}`);
  if (oauth) log(oauth.describe().includes('in memory') ? 'warning' : 'info', oauth.describe());
  if (!isLoopbackHost(http.host)) {
    log('info', 'not on loopback: every request must carry its own Authorization: Bearer <VOISA API key>');
    if (!http.allowedHosts.length)
      log('warning', 'no --allowed-hosts: the Host header is not checked (set it behind a proxy)');
  }
  if (config.sandbox && webhookSecret) await pointSandboxWebhooks(deps.api, server, webhookSecret, log);
  else if (webhookSecret) log('info', `VOISA webhooks accepted at ${server.url}/webhooks/voisa`);
  if (webhookSecret || webhookBase) logWebhookTenants(config, webhookBase, deps, server, log);

  await stop;
  // Waits (wait_for_call) answer at once with a hint to call again; other calls finish within the bound.
  const stopping = Date.now();
  log('info', `shutting down: finishing in-flight calls (up to ${SHUTDOWN_GRACE_MS / 1000} s)`);
  await server.close(SHUTDOWN_GRACE_MS);
  log('info', `stopped serving in ${Date.now() - stopping} ms`);
}

/** Says where each account's webhooks arrive, and what would stop them from arriving there. */
function logWebhookTenants(
  config: ServeHttpConfig,
  base: string | undefined,
  deps: ServeHttpDeps,
  server: RunningHttpServer,
  log: LogFn,
): void {
  if (!base && !isLoopbackHost(config.http.host)) {
    log(
      'warning',
      'configure_webhook cannot point VOISA at this server: set --webhook-base-url to the https origin VOISA reaches it at',
    );
    return;
  }
  log(
    'info',
    `configure_webhook registers each account's own webhook URL, ${base ?? server.url}/webhooks/voisa/t/<id>, with a secret of its own; events reach only that account`,
  );
  // The sandbox lives only as long as this process: nothing there outlasts a restart anyway.
  if (deps.secretGenerated && !config.sandbox)
    log(
      'warning',
      'VOISA_SERVER_SECRET is not set: the per-account webhook URLs and secrets change at restart (configure_webhook again, or set it)',
    );
}

/** Configures the sandbox (through its API) to deliver every event to this server. */
async function pointSandboxWebhooks(
  api: VoisaClient,
  server: RunningHttpServer,
  secret: string,
  log: LogFn,
): Promise<void> {
  const url = `${server.url}/webhooks/voisa`;
  try {
    await api.webhooks.configure({ url, events: [...WEBHOOK_EVENTS], secret });
    log(
      'info',
      `sandbox webhooks -> ${url}: subscribe to voisa://conversations/{id} and make_call to see live updates`,
    );
  } catch (err) {
    log('warning', `could not point the sandbox webhooks at ${url}: ${(err as Error).message}`);
  }
}

/** The OAuth authorization server (`--public-url`), loaded only when asked for. */
async function startOAuth(http: HttpOptions, publicUrl: string, deps: ServeHttpDeps) {
  const { createAuthorizationServer, oauthKv } = await import('../oauth/server.js');
  return createAuthorizationServer({
    publicUrl,
    secret: deps.secret ?? randomBytes(32),
    api: deps.api,
    kv: oauthKv(deps.shared?.redis),
    log: deps.log,
    accessTokenTtl: http.accessTokenTtl,
    host: http.host,
    allowPrivateFetch: http.oauthAllowPrivateFetch,
  });
}

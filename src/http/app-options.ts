/**
 * What createHttpApp (app.ts) takes and gives: the options bag (what `voisa-mcp --http` and the
 * library pass), and the handle start.ts and server.ts drive (sweep, shutdown, close).
 */

import type { SkillsExtension } from '@modelcontextprotocol/server/ext/skills';
import type { Hono } from 'hono';
import type { AuditTrail } from '../audit/trail.js';
import type { EventHub } from '../events/hub.js';
import type { ConfirmMode } from '../mcp/confirm.js';
import type { LogFn } from '../mcp/log.js';
import type { OAuthGate } from '../oauth/gate.js';
import type { CallPolicy } from '../policy/policy.js';
import type { SharedState } from '../scale/index.js';
import type { StateSealer } from '../security/request-state.js';
import type { Telemetry } from '../telemetry/types.js';
import { MAX_MESSAGE_BYTES } from '../tools/files.js';
import type { ToolFilter } from '../tools/index.js';
import type { VoisaClient } from '../voisa/index.js';
import type { TrustProxy } from '../web/client-address.js';
import type { HttpEnv } from '../web/env.js';
import type { ClientPool } from './clients.js';
import type { SessionRegistry } from './sessions.js';
import type { StreamBuffers } from './stream-bound.js';

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
  /**
   * The call policy (`--call-policy`, `--dry-run-calls`): every principal's make_call is checked
   * against it; its budgets are per principal, in `shared` when instances share state.
   */
  policy?: CallPolicy;
  /** The audit trail (`--audit-log`): side effects, refusals and declines of every principal. */
  audit?: AuditTrail;
  /**
   * Traces and metrics (cli: OTLP environment, `--metrics`): a span per MCP request, VOISA call spans,
   * the metric contract; with metrics on, `GET /metrics` (routes/metrics.ts).
   */
  telemetry?: Telemetry;
  /** The workflow skills every server serves (skills/catalog.ts); none when absent. */
  skills?: SkillsExtension;
  /** VOISA_METRICS_TOKEN: a bearer that may read `/metrics` from anywhere (loopback peers need none). */
  metricsToken?: string;
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

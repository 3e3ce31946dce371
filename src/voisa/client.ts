/**
 * The VOISA REST client: one typed method per API operation (see resources/),
 * over shared keep-alive undici pools (one for JSON calls, one for downloads). Knows nothing of MCP.
 */
import type { Pool } from 'undici';
import { resolveConfig } from './config.js';
import { ApiConnectionError } from './errors.js';
import { DEFAULT_MAX_QUEUED_PER_KEY, FairShare } from './fair-share.js';
import { HttpTransport, type PoolKind } from './http.js';
import { TokenBucket } from './rate-limit.js';
import { type AgentsApi, agentsApi } from './resources/agents.js';
import { type AnalyticsApi, analyticsApi } from './resources/analytics.js';
import { type AuthApi, authApi } from './resources/auth.js';
import { type CallsApi, callsApi } from './resources/calls.js';
import { type ConversationsApi, conversationsApi } from './resources/conversations.js';
import { type KnowledgeBaseApi, knowledgeBaseApi } from './resources/knowledge-base.js';
import { type McpServersApi, mcpServersApi } from './resources/mcp-servers.js';
import { type VoicesApi, voicesApi } from './resources/voices.js';
import { type WebhooksApi, webhooksApi } from './resources/webhooks.js';
import type { VoisaClientConfig } from './types.js';

export { clientConfigFromEnv, DEFAULT_BASE_URL, DEFAULTS, ENV, silentLogger } from './config.js';
export { DEFAULT_AUDIO_MAX_BYTES } from './resources/conversations.js';
export type {
  AudioStream,
  CallObserver,
  ClientEvent,
  FilePart,
  ObservedCall,
  RequestOptions,
  VoisaClientConfig,
  VoisaLogger,
} from './types.js';
export { VERSION } from './version.js';

/** ApiConnectionError code of a call made after `close()`. */
export const CLIENT_CLOSED = 'CLIENT_CLOSED';

/** Keep-alive connections for JSON calls. */
export const API_CONNECTIONS = 16;
/**
 * Connections for downloads (conversation audio), in a pool of their own: however many
 * downloads are slow or stalled, JSON calls keep all of theirs. More downloads than this
 * wait for a free connection (within their `timeoutMs`).
 */
export const DOWNLOAD_CONNECTIONS = 8;

const CONNECTIONS: Record<PoolKind, number> = { api: API_CONNECTIONS, download: DOWNLOAD_CONNECTIONS };

/** The connection pools of a client and of every client derived from it with `withApiKey`. */
class SharedPool {
  readonly #origin: string;
  readonly #pools = new Map<PoolKind, Promise<Pool>>();
  /** Each key's share of each pool. */
  readonly #shares: Record<PoolKind, FairShare>;
  #closed = false;

  /** `perKey`: a key's share of the API pool; of the download pool, the same fraction. */
  constructor(origin: string, perKey: number) {
    this.#origin = origin;
    const share = (kind: PoolKind) =>
      new FairShare(
        CONNECTIONS[kind],
        Math.max(1, Math.round((perKey * CONNECTIONS[kind]) / API_CONNECTIONS)),
        DEFAULT_MAX_QUEUED_PER_KEY,
      );
    this.#shares = { api: share('api'), download: share('download') };
  }

  /** A new key's lanes on both pools: `acquire(kind, signal)` waits for its turn. */
  lanes(): (kind: PoolKind, signal: AbortSignal) => Promise<() => void> {
    const api = this.#shares.api.lane();
    const download = this.#shares.download.lane();
    return (kind, signal) => (kind === 'api' ? api : download).acquire(signal);
  }

  /**
   * Created on first use, so a client that sends nothing opens nothing; undici itself is
   * imported then too, which keeps it off the server's startup path (spawn to `initialize`).
   */
  get(kind: PoolKind): Promise<Pool> {
    if (this.#closed) {
      return Promise.reject(new ApiConnectionError('The VoisaClient is closed', { code: CLIENT_CLOSED }));
    }
    let pool = this.#pools.get(kind);
    if (!pool) {
      pool = import('undici').then(
        ({ Pool }) => new Pool(this.#origin, { connections: CONNECTIONS[kind], keepAliveTimeout: 10_000 }),
      );
      this.#pools.set(kind, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map(async (pool) => (await pool).close()));
  }
}

/** Set by `withApiKey` for the one synchronous constructor call that adopts the pool. */
let poolToAdopt: SharedPool | undefined;

export class VoisaClient {
  readonly #config: VoisaClientConfig;
  readonly #pool: SharedPool;
  readonly #ownsPool: boolean;

  readonly auth: AuthApi;
  readonly agents: AgentsApi;
  readonly knowledgeBase: KnowledgeBaseApi;
  readonly conversations: ConversationsApi;
  readonly mcpServers: McpServersApi;
  readonly analytics: AnalyticsApi;
  readonly calls: CallsApi;
  readonly voices: VoicesApi;
  readonly webhooks: WebhooksApi;

  constructor(config: VoisaClientConfig) {
    const resolved = resolveConfig(config);
    // The key lives only in private fields (#config here, and the transport's).
    this.#config = { ...config };
    this.#ownsPool = poolToAdopt === undefined;
    this.#pool = poolToAdopt ?? new SharedPool(resolved.origin, resolved.maxConcurrentPerKey);
    poolToAdopt = undefined;
    const perMinute = resolved.rateLimitPerMin;
    const bucket =
      perMinute > 0
        ? (config.budgetFor?.(config.apiKey, perMinute) ?? new TokenBucket(perMinute))
        : undefined;
    const pool = this.#pool;
    const http = new HttpTransport(resolved, (kind) => pool.get(kind), bucket, pool.lanes());

    this.auth = authApi(http);
    this.agents = agentsApi(http);
    this.knowledgeBase = knowledgeBaseApi(http);
    this.conversations = conversationsApi(http);
    this.mcpServers = mcpServersApi(http);
    this.analytics = analyticsApi(http);
    this.calls = callsApi(http);
    this.voices = voicesApi(http);
    this.webhooks = webhooksApi(http);
  }

  /**
   * A client for another API key (e.g. one per HTTP session) with the same settings.
   * It shares this client's connection pool and gets its own rate limiter with the
   * same settings (the API limits per key). Closing it leaves the shared pool open.
   * `overrides.logger` replaces the logger (e.g. a silent one for a call whose
   * failure the caller reports itself); `overrides.onEvent` observes this client's calls.
   */
  withApiKey(apiKey: string, overrides: Pick<VoisaClientConfig, 'logger' | 'onEvent'> = {}): VoisaClient {
    poolToAdopt = this.#pool;
    try {
      return new VoisaClient({ ...this.#config, ...overrides, apiKey });
    } finally {
      poolToAdopt = undefined;
    }
  }

  /** Closes the connection pool (only the client that created it does). Later calls fail. */
  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.close();
  }
}

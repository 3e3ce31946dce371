/** Public option and observer types of the VOISA client (re-exported by client.ts). */

/** Structured logger; the client never passes it the API key, request bodies or response bodies. */
export interface VoisaLogger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

/**
 * What the client reports while it works on a call.
 * - `retry`: another attempt follows after `delayMs`; `attempt` is the retry number (1 = first retry).
 * - `rate_limit_wait`: the client-side rate limiter holds the request for `waitMs`.
 * - `upstream_error`: the call failed for good (not emitted for the caller's own abort).
 */
export type ClientEvent =
  | { type: 'retry'; method: string; path: string; attempt: number; delayMs: number; reason: string }
  | { type: 'rate_limit_wait'; method: string; path: string; waitMs: number }
  | { type: 'upstream_error'; method: string; path: string; status?: number; code?: string; message: string };

export interface RequestOptions {
  /** Cancels the call, including waits for the rate limiter and between retries. */
  signal?: AbortSignal;
  /** Per-call observer (e.g. MCP log notifications). Exceptions thrown by it are ignored. */
  onEvent?: (e: ClientEvent) => void;
  /** Multipart uploads: bytes handed to the socket so far, of `totalBytes`. Restarts at 0 on a retry. */
  onUploadProgress?: (sentBytes: number, totalBytes: number) => void;
}

export interface VoisaClientConfig {
  /** VOISA_API_KEY. Without it requests go out unauthenticated (only `auth.getApiKey` works). */
  apiKey?: string;
  /** VOISA_BASE_URL, default https://api.voisa.ai/v1; request paths are appended. */
  baseUrl?: string;
  /**
   * VOISA_TIMEOUT_MS, per attempt, default 30000: headers and JSON body within it; a download
   * may pause at most this long between chunks and take twice this long in all.
   */
  timeoutMs?: number;
  /** VOISA_MAX_RETRIES, default 2. */
  maxRetries?: number;
  /** VOISA_RATE_LIMIT_PER_MIN, default 100; 0 = no client-side limit. */
  rateLimitPerMin?: number;
  /**
   * VOISA_MAX_CONCURRENT_PER_KEY, default 8: most JSON calls one key (this client and each made by
   * `withApiKey` is one key) has on the shared pool of 16 connections at once; downloads get the same
   * share of theirs (4 of 8). More wait for the key's turn, so a slow key cannot starve the others.
   */
  maxConcurrentPerKey?: number;
  /** Cap for backoff and Retry-After, default 30000. */
  maxRetryDelayMs?: number;
  /**
   * Cap for all waits of one call together (client-side rate limit and retry pauses), default
   * 20000. A wait that would pass it (e.g. `Retry-After: 3600`) is not started: the call fails
   * at once with RateLimitError saying when to retry.
   */
  maxTotalWaitMs?: number;
  logger?: VoisaLogger;
  /** Default `voisa-mcp/<version>`. */
  userAgent?: string;
  /**
   * Observer of every call this client makes, after each call's own `RequestOptions.onEvent` (e.g. to
   * notice that VOISA refused the key: `upstream_error` with code INVALID_API_KEY). Exceptions are ignored.
   */
  onEvent?: (e: ClientEvent) => void;
  /**
   * Watches each call this client (and each made by `withApiKey`) makes, e.g. for tracing: called once
   * per call, before its first attempt, with the method and the route template (`/api/agents/{id}`,
   * never an id). Exceptions thrown by it or by what it returns are ignored.
   */
  observe?: (call: ObservedCall) => CallObserver | undefined;
  /**
   * The client-side request budget for this key, when it must be shared (several instances of a
   * server spending one key's rate limit together). Default: a token bucket in this process.
   */
  budgetFor?: (apiKey: string | undefined, perMinute: number) => RequestBudget;
}

/** What the client takes a token from before each request (see rate-limit.ts). */
export interface RequestBudget {
  /**
   * Reserves a request and waits until it may go; a wait over `maxWaitMs` is not started
   * (`waited: false`, and how long it would have been), so the call can fail at once.
   */
  take(
    signal: AbortSignal | undefined,
    onWait: (waitMs: number) => void,
    maxWaitMs?: number,
  ): Promise<{ waited: boolean; waitMs: number }>;
}

/** A file sent in a multipart body. */
export interface FilePart {
  name: string;
  data: Uint8Array;
  contentType?: string;
}

/** A streamed binary response (conversation audio). */
export interface AudioStream {
  contentType: string;
  contentLength?: number;
  body: AsyncIterable<Uint8Array>;
  /** Stops the download and frees the connection. Safe to call more than once. */
  cancel(): void;
}

/** A call as `VoisaClientConfig.observe` sees it: nothing of its ids, query, body or key. */
export interface ObservedCall {
  method: string;
  /** The path with every id segment replaced by `{id}`, e.g. `/api/conversations/{id}/audio`. */
  route: string;
}

/** What watches one call (`VoisaClientConfig.observe`). */
export interface CallObserver {
  /** Extra headers for each attempt (e.g. W3C `traceparent`). */
  headers(): Record<string, string>;
  /** Another attempt follows; `reason` is e.g. `INTERNAL_ERROR (503)`. */
  retry(reason: string): void;
  /** The call is over: the last answer's status, VOISA's error code, or the failure's kind. */
  end(outcome: { status?: number; code?: string; error?: string }): void;
}

/**
 * The HTTP layer of the VOISA client: one request = rate limit, attempts with a
 * per-attempt timeout, typed errors, bounded retries. Knows nothing of MCP.
 */
import { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import type { z } from 'zod';
import type { ResolvedConfig } from './config.js';
import {
  ApiAbortError,
  ApiConnectionError,
  ApiError,
  ApiTimeoutError,
  apiErrorFor,
  InvalidResponseError,
  RateLimitError,
  ResponseTooLargeError,
  VoisaError,
} from './errors.js';
import type { MultipartBody } from './multipart.js';

import { redactorFor } from './redact.js';
import { parseRetryAfter, retryDelayMs, sleep } from './retry.js';
import { routeOf } from './route.js';
import { Envelope } from './schemas/common.js';
import type { AudioStream, CallObserver, ClientEvent, RequestBudget, RequestOptions } from './types.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Largest JSON body the client reads (a guard against a runaway response). */
export const MAX_JSON_BYTES = 32 * 1024 * 1024;

export interface CallSpec {
  method: HttpMethod;
  /** Relative to the base URL, ids already encoded, e.g. /api/agents/agt_1 */
  path: string;
  query?: Record<string, string | number | boolean | undefined | null> | undefined;
  json?: unknown;
  multipart?: MultipartBody;
  /** Send the API key (default true; `auth.getApiKey` does not). */
  authenticate?: boolean;
  accept?: string;
  /**
   * A POST that changes nothing (a computation, a lookup), so it may be sent again like a
   * GET. Every other POST is sent once, whatever the answer (see `isRetryable`).
   */
  idempotent?: boolean;
}

/**
 * Which connection pool a request uses: downloads have their own, smaller pool, so
 * slow or stalled downloads can never take the connections that JSON calls need.
 */
export type PoolKind = 'api' | 'download';

/**
 * Connection failures that certainly happened before a byte of the request was written
 * (the socket never connected): the API did not act, so even a POST may be sent again.
 * Codes alone are not proof (EHOSTUNREACH can also end an established connection), so
 * the failing system call must be the connect or the DNS lookup.
 */
const NOT_SENT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const NOT_SENT_SYSCALLS = new Set(['connect', 'getaddrinfo']);

/** Connection errors proven to have happened before anything was sent (see above). */
const notSent = new WeakSet<VoisaError>();

const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set(['GET', 'PUT', 'DELETE']);

/**
 * Waits for this key's turn on a pool (fair-share.ts); resolves to the release, called once the
 * request is done with its connection (for a download, when its body is).
 */
export type SlotSource = (kind: PoolKind, signal: AbortSignal) => Promise<() => void>;

/** One call's observer, guarded, with the status of its last answer. */
interface Watch extends CallObserver {
  status: number | undefined;
}

/** What `AttemptContext.handOff` gives the body's new owner. */
interface HandedOff {
  /** Stops the download deadline and unlinks the caller's signal; call when done with the body. */
  release(): void;
  /** Whether the download deadline passed (the body was then destroyed). */
  timedOut(): boolean;
}

/** Everything an attempt's response handler may need. */
interface AttemptContext {
  requestId: string | undefined;
  /** The body outlives the attempt: the attempt timer becomes the download deadline. */
  handOff(): HandedOff;
}

export class HttpTransport {
  readonly #apiKey: string | undefined;
  readonly #config: ResolvedConfig;
  readonly #pool: (kind: PoolKind) => Promise<Pool>;
  readonly #bucket: RequestBudget | undefined;
  readonly #slot: SlotSource | undefined;
  /** Removes the configured key and anything key-shaped; holds the key in its closure only. */
  readonly #redact: (text: string) => string;

  constructor(
    config: ResolvedConfig,
    pool: (kind: PoolKind) => Promise<Pool>,
    bucket: RequestBudget | undefined,
    slot?: SlotSource,
  ) {
    this.#apiKey = config.apiKey;
    this.#redact = redactorFor(config.apiKey);
    // Keep the key out of the (enumerable) config copy this object holds.
    this.#config = { ...config, apiKey: undefined };
    this.#pool = pool;
    this.#bucket = bucket;
    this.#slot = slot;
  }

  /** Sends the call and returns the envelope's `data` (or `{message}`), checked leniently against `schema`. */
  async json<S extends z.ZodType>(
    spec: CallSpec,
    schema: S,
    options: RequestOptions = {},
  ): Promise<z.infer<S>> {
    const data = await this.#run(spec, options, (res, ctx) => this.#readEnvelope(res, ctx));
    const checked = schema.safeParse(data);
    if (checked.success) return checked.data;
    this.#config.logger.warn('VOISA response does not match the expected schema; returning it unchecked', {
      method: spec.method,
      path: this.#redact(spec.path),
      issues: checked.error.issues
        .slice(0, 5)
        .map((i) => ({ path: this.#redact(i.path.join('.')), code: i.code })),
    });
    return data as z.infer<S>;
  }

  /** Sends a GET whose successful answer is binary; error answers are JSON envelopes as usual. */
  stream(spec: CallSpec, options: RequestOptions = {}): Promise<AudioStream> {
    return this.#run(
      spec,
      options,
      async (res, ctx) => {
        const contentType = this.#redact(headerOf(res.headers, 'content-type') ?? 'application/octet-stream');
        if (res.statusCode >= 300 || isJson(contentType)) {
          await this.#readEnvelope(res, ctx);
          throw new InvalidResponseError({
            status: res.statusCode,
            contentType,
            detail: 'expected a binary stream, got a JSON envelope',
            ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
          });
        }
        return wrapStream(res, contentType, options.signal, this.#config, ctx.handOff(), this.#redact);
      },
      'download',
    );
  }

  // --- the attempt loop ---

  /** The call, watched by the client's observer (`VoisaClientConfig.observe`) when it has one. */
  async #run<R>(
    spec: CallSpec,
    options: RequestOptions,
    consume: (res: Dispatcher.ResponseData, ctx: AttemptContext) => Promise<R>,
    pool: PoolKind = 'api',
  ): Promise<R> {
    const watch = this.#watch(spec);
    if (!watch) return this.#attempts(spec, options, consume, pool, undefined);
    try {
      const result = await this.#attempts(spec, options, consume, pool, watch);
      watch.end({ ...(watch.status !== undefined ? { status: watch.status } : {}) });
      return result;
    } catch (err) {
      const status =
        err instanceof ApiError || err instanceof InvalidResponseError ? err.status : watch.status;
      const code =
        err instanceof ApiError ? err.code : err instanceof ApiConnectionError ? err.code : undefined;
      watch.end({
        ...(status !== undefined ? { status } : {}),
        ...(code !== undefined ? { code } : {}),
        error: err instanceof VoisaError ? err.kind : 'error',
      });
      throw err;
    }
  }

  /** A guarded observer for one call (one that throws never breaks the request), or none. */
  #watch(spec: CallSpec): Watch | undefined {
    const observe = this.#config.observe;
    if (!observe) return undefined;
    let observer: CallObserver | undefined;
    try {
      observer = observe({ method: spec.method, route: routeOf(spec.path) });
    } catch {
      return undefined;
    }
    if (!observer) return undefined;
    const guard = (fn: () => void) => {
      try {
        fn();
      } catch {
        // An observer must not break the request.
      }
    };
    const watch: Watch = {
      status: undefined,
      headers: () => {
        try {
          return observer.headers();
        } catch {
          return {};
        }
      },
      retry: (reason) => guard(() => observer.retry(reason)),
      end: (outcome) => guard(() => observer.end(outcome)),
    };
    return watch;
  }

  /**
   * Attempts until one succeeds, the error is not retryable, the retries are used up, or
   * the next wait would take the call's waits past `maxTotalWaitMs`.
   */
  async #attempts<R>(
    spec: CallSpec,
    options: RequestOptions,
    consume: (res: Dispatcher.ResponseData, ctx: AttemptContext) => Promise<R>,
    pool: PoolKind,
    watch: Watch | undefined,
  ): Promise<R> {
    const { signal } = options;
    const { logger, maxRetries, maxRetryDelayMs, maxTotalWaitMs } = this.#config;
    const path = this.#redact(spec.path);
    /** Everything this call has waited so far (rate limiter and retry pauses). */
    let waitedMs = 0;
    for (let retry = 0; ; retry++) {
      if (signal?.aborted) throw new ApiAbortError();
      if (this.#bucket) {
        const slot = await this.#bucket.take(
          signal,
          (waitMs) => {
            logger.debug('VOISA client rate limit: waiting', { method: spec.method, path, waitMs });
            this.#emit(options, { type: 'rate_limit_wait', method: spec.method, path, waitMs });
          },
          maxTotalWaitMs - waitedMs,
        );
        if (!slot.waited) {
          const err = clientRateLimitError(slot.waitMs, maxTotalWaitMs);
          this.#reportFailure(spec, path, options, err);
          throw err;
        }
        waitedMs += slot.waitMs;
      }
      try {
        return await this.#attempt(spec, options, consume, retry + 1, pool, watch);
      } catch (caught) {
        let err = caught instanceof VoisaError ? caught : this.#connectionError(caught);
        if (err instanceof ApiAbortError) throw err;
        const retryable = isRetryable(spec, err);
        if (retry < maxRetries && retryable) {
          const retryAfterMs = retryAfterOf(err);
          const delayMs = retryDelayMs(retry + 1, maxRetryDelayMs, retryAfterMs);
          // The server's own Retry-After counts in full: retrying before it is pointless.
          if ((retryAfterMs ?? delayMs) <= maxTotalWaitMs - waitedMs) {
            const reason = reasonOf(err);
            watch?.retry(reason);
            logger.debug('VOISA request failed; retrying', {
              method: spec.method,
              path,
              attempt: retry + 1,
              delayMs,
              reason,
            });
            this.#emit(options, {
              type: 'retry',
              method: spec.method,
              path,
              attempt: retry + 1,
              delayMs,
              reason,
            });
            waitedMs += delayMs;
            await sleep(delayMs, signal);
            continue;
          }
          err = withRetryHint(
            err,
            retryAfterMs !== undefined
              ? `VOISA asks to wait longer than the ${seconds(maxTotalWaitMs)} this client waits per call, so it was not retried`
              : `this call already waited ${seconds(waitedMs)} of at most ${seconds(maxTotalWaitMs)}, so it was not retried`,
          );
        } else if (!retryable && !isIdempotent(spec)) {
          err = withRetryHint(err, 'not re-sent automatically: this request may act each time it is sent');
        } else {
          err = withRetryHint(err);
        }
        this.#reportFailure(spec, path, options, err);
        throw err;
      }
    }
  }

  /**
   * One attempt. Its timer (`timeoutMs`) covers the wait for a connection, the headers and
   * the whole JSON body; undici's `bodyTimeout` only bounds the gap between two chunks,
   * so a body trickling a byte at a time would pass it. A download's body outlives the
   * attempt (`handOff`): the timer is then moved to the download deadline.
   */
  async #attempt<R>(
    spec: CallSpec,
    options: RequestOptions,
    consume: (res: Dispatcher.ResponseData, ctx: AttemptContext) => Promise<R>,
    attempt: number,
    pool: PoolKind,
    watch?: Watch,
  ): Promise<R> {
    const { signal } = options;
    if (signal?.aborted) throw new ApiAbortError();
    const { timeoutMs, downloadDeadlineMs, logger } = this.#config;
    // Before the timer: the first call loads undici, which is no part of the API's answer time.
    const dispatcher = await this.#pool(pool);
    if (signal?.aborted) throw new ApiAbortError();
    const started = Date.now();
    const controller = new AbortController();
    let timedOut = false;
    const expire = () => {
      timedOut = true;
      controller.abort();
    };
    let timer = setTimeout(expire, timeoutMs);
    const onCallerAbort = () => controller.abort();
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    let releaseSlot = () => {};
    const unlink = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
      releaseSlot();
    };
    let handedOff = false;
    let res: Dispatcher.ResponseData | undefined;
    try {
      // This key's share of the pool (see fair-share.ts), waited for within the attempt's time.
      if (this.#slot) releaseSlot = await this.#slot(pool, controller.signal);
      res = await dispatcher.request({
        method: spec.method,
        path: this.#pathOf(spec),
        headers: watch ? { ...watch.headers(), ...this.#headersOf(spec) } : this.#headersOf(spec),
        body: bodyOf(spec, options),
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      if (watch) watch.status = res.statusCode;
      const rawRequestId = headerOf(res.headers, 'x-request-id');
      const requestId = rawRequestId === undefined ? undefined : this.#redact(rawRequestId);
      logger.debug('VOISA response', {
        method: spec.method,
        path: this.#redact(spec.path),
        status: res.statusCode,
        requestId,
        attempt,
        ms: Date.now() - started,
      });
      return await consume(res, {
        requestId,
        handOff: () => {
          handedOff = true;
          clearTimeout(timer);
          // Aborting destroys the body and frees the connection, even when nobody reads it.
          timer = setTimeout(
            () => {
              expire();
              unlink();
            },
            Math.max(0, started + downloadDeadlineMs - Date.now()),
          );
          return { release: unlink, timedOut: () => timedOut };
        },
      });
    } catch (err) {
      if (!handedOff) res?.body.destroy();
      if (signal?.aborted) throw new ApiAbortError();
      if (timedOut) throw new ApiTimeoutError(timeoutMs);
      if (err instanceof VoisaError) throw err;
      throw this.#connectionError(err);
    } finally {
      if (!handedOff) unlink();
    }
  }

  // --- request building ---

  #pathOf(spec: CallSpec): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== null) params.append(key, String(value));
    }
    const query = params.toString();
    return `${this.#config.basePath}${spec.path}${query ? `?${query}` : ''}`;
  }

  #headersOf(spec: CallSpec): Record<string, string> {
    const headers: Record<string, string> = {
      accept: spec.accept ?? 'application/json',
      'user-agent': this.#config.userAgent,
    };
    if (spec.authenticate !== false && this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    if (spec.json !== undefined) headers['content-type'] = 'application/json';
    if (spec.multipart) {
      headers['content-type'] = spec.multipart.contentType;
      headers['content-length'] = String(spec.multipart.length);
    }
    return headers;
  }

  // --- responses ---

  /** Reads a JSON envelope; returns `data` (or `{message}`) on success, throws the typed error otherwise. */
  async #readEnvelope(res: Dispatcher.ResponseData, ctx: AttemptContext): Promise<unknown> {
    const status = res.statusCode;
    const contentType = this.#redact(headerOf(res.headers, 'content-type') ?? '');
    const retryAfterMs = parseRetryAfter(headerOf(res.headers, 'retry-after'));
    const bytes = await readAll(res.body, MAX_JSON_BYTES);
    const invalid = (detail: string) =>
      new InvalidResponseError({
        status,
        contentType,
        detail,
        ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw invalid(bytes.length === 0 ? 'empty body' : 'body is not JSON');
    }
    const envelope = Envelope.safeParse(parsed);
    if (!envelope.success) throw invalid('JSON body is not a VOISA {success, data, error} envelope');
    const { success, data, error, message } = envelope.data;
    if (success && status < 400) return data === undefined || data === null ? { message } : data;
    // Every upstream string is redacted: VOISA may echo the key in any of them.
    const field = error?.field === undefined ? undefined : this.#redact(error.field);
    throw apiErrorFor({
      status,
      code: this.#redact(error?.code ?? `HTTP_${status}`),
      message: this.#redact(error?.message ?? message ?? 'the request failed'),
      ...(field !== undefined ? { field } : {}),
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }

  /** To the call's own observer, then to the client's (VoisaClientConfig.onEvent). */
  #emit(options: RequestOptions, event: ClientEvent): void {
    for (const observer of [options.onEvent, this.#config.onEvent]) {
      try {
        observer?.(event);
      } catch {
        // An observer must not break the request.
      }
    }
  }

  // --- failures ---

  /** A sanitized ApiConnectionError: the cause keeps only name, code and (redacted) message. */
  #connectionError(err: unknown): VoisaError {
    return toConnectionError(err, this.#config.timeoutMs, this.#redact);
  }

  /** `path` is the call's redacted path; the error is already redacted (built from redacted parts). */
  #reportFailure(spec: CallSpec, path: string, options: RequestOptions, err: VoisaError): void {
    const status = err instanceof ApiError || err instanceof InvalidResponseError ? err.status : undefined;
    const code =
      err instanceof ApiError ? err.code : err instanceof ApiConnectionError ? err.code : undefined;
    this.#config.logger.warn('VOISA request failed', {
      method: spec.method,
      path,
      kind: err.kind,
      status,
      code,
      message: err.message,
      requestId: 'requestId' in err ? err.requestId : undefined,
    });
    this.#emit(options, {
      type: 'upstream_error',
      method: spec.method,
      path,
      ...(status !== undefined ? { status } : {}),
      ...(code !== undefined ? { code } : {}),
      message: err.message,
    });
  }
}

// --- helpers (module-private; exported where tests or the client need them) ---

function bodyOf(spec: CallSpec, options: RequestOptions): string | Readable | undefined {
  if (spec.multipart)
    return Readable.from(spec.multipart.chunks(options.onUploadProgress), { objectMode: false });
  if (spec.json !== undefined) return JSON.stringify(spec.json);
  return undefined;
}

function isIdempotent(spec: CallSpec): boolean {
  return IDEMPOTENT.has(spec.method) || spec.idempotent === true;
}

/**
 * Whether a failed request may be sent again. A request that may act each time it is sent
 * (a POST not marked `idempotent`: make-call rings a phone) is re-sent only when it provably
 * never left this machine, whatever the status: not after a 429 either, because a 429 from
 * a proxy or a partly applied limit is no proof that nothing happened, and the tools promise
 * such calls are never repeated behind the caller's back.
 */
export function isRetryable(spec: CallSpec, err: VoisaError): boolean {
  if (err instanceof ApiConnectionError && err.code === 'CLIENT_CLOSED') return false;
  if (notSent.has(err)) return true;
  if (!isIdempotent(spec)) return false;
  const status = err instanceof ApiError || err instanceof InvalidResponseError ? err.status : undefined;
  if (status !== undefined) return status === 429 || status >= 500;
  return err instanceof ApiConnectionError || err instanceof ApiTimeoutError;
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}

function retryIn(ms: number): string {
  return ms <= 0 ? 'retry now' : `retry in ${seconds(ms)}`;
}

/**
 * The final form of a rate-limit error: its message says when to retry (in seconds and as a
 * time, from `Retry-After`) and, when given, why the client did not. Other errors pass unchanged.
 */
function withRetryHint(err: VoisaError, why?: string): VoisaError {
  if (!(err instanceof RateLimitError)) return err;
  const parts: string[] = [];
  if (why) parts.push(why);
  if (err.retryAfterMs !== undefined) {
    const at = new Date(Date.now() + err.retryAfterMs).toISOString();
    parts.push(`${retryIn(err.retryAfterMs)} (at ${at})`);
  }
  if (parts.length === 0) return err;
  return new RateLimitError({
    status: err.status,
    code: err.code,
    message: `${err.apiMessage}; ${parts.join('; ')}`,
    ...(err.field !== undefined ? { field: err.field } : {}),
    ...(err.requestId !== undefined ? { requestId: err.requestId } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
  });
}

/** The client-side budget (`rateLimitPerMin`) would hold the call longer than `maxTotalWaitMs`. */
function clientRateLimitError(waitMs: number, maxTotalWaitMs: number): RateLimitError {
  return new RateLimitError({
    status: 429,
    code: 'RATE_LIMIT_EXCEEDED',
    message:
      `the client-side request budget (VOISA_RATE_LIMIT_PER_MIN) is used up for the next ${seconds(waitMs)}, ` +
      `longer than the ${seconds(maxTotalWaitMs)} this client waits per call; nothing was sent`,
    retryAfterMs: waitMs,
  });
}

function retryAfterOf(err: VoisaError): number | undefined {
  return err instanceof ApiError || err instanceof InvalidResponseError ? err.retryAfterMs : undefined;
}

function reasonOf(err: VoisaError): string {
  if (err instanceof ApiError) return `${err.code} (${err.status})`;
  if (err instanceof InvalidResponseError) return `invalid response (${err.status})`;
  if (err instanceof ApiConnectionError) return `connection error${err.code ? ` ${err.code}` : ''}`;
  return err.kind;
}

export function headerOf(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isJson(contentType: string): boolean {
  return /^application\/([\w.+-]*\+)?json\b/i.test(contentType.trim());
}

/** Reads a body completely; past `limit` bytes destroys it and throws ResponseTooLargeError. */
export async function readAll(body: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    // Leaving the loop by throwing makes the stream iterator destroy the body.
    if (total > limit) throw new ResponseTooLargeError(limit);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, total);
}

/** A string property of a Node/undici error, or of the parts it wraps. */
function errorProp(err: unknown, name: 'code' | 'syscall'): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const value = (err as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  // Node wraps "happy eyeballs" failures in an AggregateError; its parts carry the code.
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner)) return inner.map((e) => errorProp(e, name)).find((c) => c !== undefined);
  const cause = (err as { cause?: unknown }).cause;
  return cause === err ? undefined : errorProp(cause, name);
}

/** The typed error for what undici threw (exported for the unit tests of `isRetryable`). */
export function toConnectionError(
  err: unknown,
  timeoutMs: number,
  redact: (text: string) => string,
): VoisaError {
  if (err instanceof VoisaError) return err;
  const code = errorProp(err, 'code');
  const original = err instanceof Error ? err : new Error(String(err));
  const cause = new Error(redact(original.message));
  cause.name = original.name;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new ApiTimeoutError(timeoutMs);
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new ApiTimeoutError(timeoutMs, `The VOISA API sent no data for ${timeoutMs} ms`);
  }
  const message = `Could not reach the VOISA API${code ? ` (${code})` : ''}: ${redact(original.message) || 'connection failed'}`;
  const safeCode = code === undefined ? undefined : redact(code);
  const failure = new ApiConnectionError(message, {
    ...(safeCode !== undefined ? { code: safeCode } : {}),
    cause,
  });
  const syscall = errorProp(err, 'syscall');
  if (
    (code !== undefined && NOT_SENT_CODES.has(code)) ||
    (syscall !== undefined && NOT_SENT_SYSCALLS.has(syscall))
  ) {
    notSent.add(failure);
  }
  return failure;
}

/**
 * Wraps a successful binary response; errors while reading become typed errors. The read
 * is bounded by undici's `bodyTimeout` (no chunk for `timeoutMs`) and by the download
 * deadline of `handedOff` (which destroys the body, read or not).
 */
function wrapStream(
  res: Dispatcher.ResponseData,
  contentType: string,
  signal: AbortSignal | undefined,
  config: Pick<ResolvedConfig, 'timeoutMs' | 'downloadDeadlineMs'>,
  handedOff: HandedOff,
  redact: (text: string) => string,
): AudioStream {
  const { timeoutMs, downloadDeadlineMs } = config;
  const unlink = handedOff.release;
  const lengthHeader = headerOf(res.headers, 'content-length');
  const contentLength =
    lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const { body } = res;
  let cancelled = false;
  async function* iterate(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of body) yield chunk as Uint8Array;
    } catch (err) {
      if (signal?.aborted) throw new ApiAbortError();
      if (cancelled) return;
      if (handedOff.timedOut()) {
        throw new ApiTimeoutError(
          downloadDeadlineMs,
          `The download from the VOISA API did not finish within ${downloadDeadlineMs} ms`,
        );
      }
      throw toConnectionError(err, timeoutMs, redact);
    } finally {
      unlink();
      if (!body.destroyed) body.destroy();
    }
  }
  return {
    contentType,
    ...(contentLength !== undefined ? { contentLength } : {}),
    body: iterate(),
    cancel() {
      cancelled = true;
      unlink();
      if (!body.destroyed) body.destroy();
    },
  };
}

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
  ResponseTooLargeError,
  VoisaError,
} from './errors.js';
import type { MultipartBody } from './multipart.js';
import type { TokenBucket } from './rate-limit.js';
import { parseRetryAfter, retryDelayMs, sleep } from './retry.js';
import { Envelope } from './schemas/common.js';
import type { AudioStream, ClientEvent, RequestOptions } from './types.js';

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
}

/**
 * Connection failures that happen before a byte of the request is written: the
 * API certainly did not act, so even a POST may be sent again.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set(['GET', 'PUT', 'DELETE']);

/** Everything an attempt's response handler may need. */
interface AttemptContext {
  requestId: string | undefined;
  /** Stop the attempt timer and keep the caller's signal linked; returns the unlink function. */
  handOff(): () => void;
}

export class HttpTransport {
  readonly #apiKey: string | undefined;
  readonly #config: ResolvedConfig;
  readonly #pool: () => Promise<Pool>;
  readonly #bucket: TokenBucket | undefined;

  constructor(config: ResolvedConfig, pool: () => Promise<Pool>, bucket: TokenBucket | undefined) {
    this.#apiKey = config.apiKey;
    // Keep the key out of the (enumerable) config copy this object holds.
    this.#config = { ...config, apiKey: undefined };
    this.#pool = pool;
    this.#bucket = bucket;
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
      path: spec.path,
      issues: checked.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), code: i.code })),
    });
    return data as z.infer<S>;
  }

  /** Sends a GET whose successful answer is binary; error answers are JSON envelopes as usual. */
  stream(spec: CallSpec, options: RequestOptions = {}): Promise<AudioStream> {
    return this.#run(spec, options, async (res, ctx) => {
      const contentType = headerOf(res.headers, 'content-type') ?? 'application/octet-stream';
      if (res.statusCode >= 300 || isJson(contentType)) {
        await this.#readEnvelope(res, ctx);
        throw new InvalidResponseError({
          status: res.statusCode,
          contentType,
          detail: 'expected a binary stream, got a JSON envelope',
          ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        });
      }
      const unlink = ctx.handOff();
      return wrapStream(res, contentType, options.signal, this.#config.timeoutMs, unlink, (e) =>
        this.#redact(e),
      );
    });
  }

  // --- the attempt loop ---

  async #run<R>(
    spec: CallSpec,
    options: RequestOptions,
    consume: (res: Dispatcher.ResponseData, ctx: AttemptContext) => Promise<R>,
  ): Promise<R> {
    const { signal } = options;
    const { logger, maxRetries, maxRetryDelayMs } = this.#config;
    for (let retry = 0; ; retry++) {
      if (signal?.aborted) throw new ApiAbortError();
      await this.#bucket?.take(signal, (waitMs) => {
        logger.debug('VOISA client rate limit: waiting', { method: spec.method, path: spec.path, waitMs });
        emit(options, { type: 'rate_limit_wait', method: spec.method, path: spec.path, waitMs });
      });
      try {
        return await this.#attempt(spec, options, consume, retry + 1);
      } catch (caught) {
        const err = caught instanceof VoisaError ? caught : this.#connectionError(caught);
        if (err instanceof ApiAbortError) throw err;
        if (retry < maxRetries && isRetryable(spec.method, err)) {
          const delayMs = retryDelayMs(retry + 1, maxRetryDelayMs, retryAfterOf(err));
          const reason = reasonOf(err);
          logger.debug('VOISA request failed; retrying', {
            method: spec.method,
            path: spec.path,
            attempt: retry + 1,
            delayMs,
            reason,
          });
          emit(options, {
            type: 'retry',
            method: spec.method,
            path: spec.path,
            attempt: retry + 1,
            delayMs,
            reason,
          });
          await sleep(delayMs, signal);
          continue;
        }
        this.#reportFailure(spec, options, err);
        throw err;
      }
    }
  }

  async #attempt<R>(
    spec: CallSpec,
    options: RequestOptions,
    consume: (res: Dispatcher.ResponseData, ctx: AttemptContext) => Promise<R>,
    attempt: number,
  ): Promise<R> {
    const { signal } = options;
    if (signal?.aborted) throw new ApiAbortError();
    const { timeoutMs, logger } = this.#config;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => controller.abort();
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    const unlink = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    };
    let handedOff = false;
    let res: Dispatcher.ResponseData | undefined;
    const started = Date.now();
    try {
      res = await (await this.#pool()).request({
        method: spec.method,
        path: this.#pathOf(spec),
        headers: this.#headersOf(spec),
        body: bodyOf(spec, options),
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const requestId = headerOf(res.headers, 'x-request-id');
      logger.debug('VOISA response', {
        method: spec.method,
        path: spec.path,
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
          return unlink;
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
    const contentType = headerOf(res.headers, 'content-type') ?? '';
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
    const field = error?.field === undefined ? undefined : this.#redact(error.field);
    throw apiErrorFor({
      status,
      code: error?.code ?? `HTTP_${status}`,
      message: this.#redact(error?.message ?? message ?? 'the request failed'),
      ...(field !== undefined ? { field } : {}),
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }

  // --- failures ---

  /** A sanitized ApiConnectionError: the cause keeps only name, code and (redacted) message. */
  #connectionError(err: unknown): VoisaError {
    return toConnectionError(err, this.#config.timeoutMs, (text) => this.#redact(text));
  }

  #redact(text: string): string {
    return this.#apiKey ? text.split(this.#apiKey).join('[REDACTED]') : text;
  }

  #reportFailure(spec: CallSpec, options: RequestOptions, err: VoisaError): void {
    const status = err instanceof ApiError || err instanceof InvalidResponseError ? err.status : undefined;
    const code =
      err instanceof ApiError ? err.code : err instanceof ApiConnectionError ? err.code : undefined;
    this.#config.logger.warn('VOISA request failed', {
      method: spec.method,
      path: spec.path,
      kind: err.kind,
      status,
      code,
      message: err.message,
      requestId: 'requestId' in err ? err.requestId : undefined,
    });
    emit(options, {
      type: 'upstream_error',
      method: spec.method,
      path: spec.path,
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

function emit(options: RequestOptions, event: ClientEvent): void {
  try {
    options.onEvent?.(event);
  } catch {
    // An observer must not break the request.
  }
}

function isRetryable(method: HttpMethod, err: VoisaError): boolean {
  const status = err instanceof ApiError || err instanceof InvalidResponseError ? err.status : undefined;
  if (err instanceof ApiConnectionError && err.code === 'CLIENT_CLOSED') return false;
  if (status === 429) return true; // rejected before acting: safe for every method
  if (err instanceof ApiConnectionError && err.code !== undefined && NOT_SENT_CODES.has(err.code))
    return true;
  if (!IDEMPOTENT.has(method)) return false; // a POST may have acted (rung a phone): never re-sent
  if (status !== undefined) return status >= 500;
  return err instanceof ApiConnectionError || err instanceof ApiTimeoutError;
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

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node wraps "happy eyeballs" failures in an AggregateError; its parts carry the code.
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner)) return inner.map(errorCode).find((c) => c !== undefined);
  const cause = (err as { cause?: unknown }).cause;
  return cause === err ? undefined : errorCode(cause);
}

function toConnectionError(err: unknown, timeoutMs: number, redact: (text: string) => string): VoisaError {
  if (err instanceof VoisaError) return err;
  const code = errorCode(err);
  const original = err instanceof Error ? err : new Error(String(err));
  const cause = new Error(redact(original.message));
  cause.name = original.name;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new ApiTimeoutError(timeoutMs);
  }
  const message = `Could not reach the VOISA API${code ? ` (${code})` : ''}: ${redact(original.message) || 'connection failed'}`;
  return new ApiConnectionError(message, { ...(code !== undefined ? { code } : {}), cause });
}

/** Wraps a successful binary response; errors while reading become typed errors. */
function wrapStream(
  res: Dispatcher.ResponseData,
  contentType: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  unlink: () => void,
  redact: (text: string) => string,
): AudioStream {
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

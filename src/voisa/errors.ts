/**
 * Typed errors of the VOISA client: one class per kind, all `extends VoisaError`.
 *
 * No error ever holds the API key: messages and fields are redacted by the
 * transport before construction, and `cause` is only ever a sanitized copy
 * (name, code, message) of the underlying error, never an undici error that
 * could carry request headers.
 */

export type VoisaErrorKind =
  | 'api'
  | 'invalid_request'
  | 'authentication'
  | 'permission_denied'
  | 'not_found'
  | 'resource_locked'
  | 'payload_too_large'
  | 'rate_limit'
  | 'server'
  | 'invalid_response'
  | 'timeout'
  | 'connection'
  | 'abort'
  | 'response_too_large';

export abstract class VoisaError extends Error {
  abstract readonly kind: VoisaErrorKind;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // `name` is an own enumerable field so that JSON.stringify(err) says what it is.
    this.name = new.target.name;
  }
}

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  field?: string;
  requestId?: string;
  retryAfterMs?: number;
}

/** The API answered with an error envelope (or an error status). */
export class ApiError extends VoisaError {
  readonly kind: VoisaErrorKind = 'api';
  readonly status: number;
  readonly code: string;
  /** The API's own message, without the `CODE (status):` prefix. */
  readonly apiMessage: string;
  readonly field?: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;

  constructor(init: ApiErrorInit) {
    super(`${init.code} (${init.status}): ${init.message}${init.field ? ` [field: ${init.field}]` : ''}`);
    this.status = init.status;
    this.code = init.code;
    this.apiMessage = init.message;
    if (init.field !== undefined) this.field = init.field;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

/** 400 `INVALID_REQUEST`. */
export class InvalidRequestError extends ApiError {
  override readonly kind = 'invalid_request';
}
/** 401 `INVALID_API_KEY`. */
export class AuthenticationError extends ApiError {
  override readonly kind = 'authentication';
}
/** 403 `INSUFFICIENT_PERMISSIONS`. */
export class PermissionDeniedError extends ApiError {
  override readonly kind = 'permission_denied';
}
/** 404 `AGENT_NOT_FOUND`, `RESOURCE_NOT_FOUND`. */
export class NotFoundError extends ApiError {
  override readonly kind = 'not_found';
}
/** 409 `RESOURCE_LOCKED`. */
export class ResourceLockedError extends ApiError {
  override readonly kind = 'resource_locked';
}
/** 413 `PAYLOAD_TOO_LARGE`. */
export class PayloadTooLargeError extends ApiError {
  override readonly kind = 'payload_too_large';
}
/** 429 `RATE_LIMIT_EXCEEDED`; `retryAfterMs` from the `Retry-After` header when sent. */
export class RateLimitError extends ApiError {
  override readonly kind = 'rate_limit';
}
/** 5xx, `INTERNAL_ERROR`. */
export class ServerError extends ApiError {
  override readonly kind = 'server';
}

/** The body is not JSON, or JSON that is not the `{success, ...}` envelope. */
export class InvalidResponseError extends VoisaError {
  readonly kind = 'invalid_response';
  readonly status: number;
  readonly contentType: string;
  readonly requestId?: string;
  /** From `Retry-After`, when an error status came with one (used for the retry delay). */
  readonly retryAfterMs?: number;

  constructor(init: {
    status: number;
    contentType: string;
    detail: string;
    requestId?: string;
    retryAfterMs?: number;
  }) {
    super(
      `Invalid response from the VOISA API (HTTP ${init.status}, ${init.contentType || 'no content-type'}): ${init.detail}`,
    );
    this.status = init.status;
    this.contentType = init.contentType;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * One attempt took longer than `timeoutMs` (headers and a JSON body), or a download
 * stalled or outlasted its deadline (the message says which).
 */
export class ApiTimeoutError extends VoisaError {
  readonly kind = 'timeout';
  readonly timeoutMs: number;

  constructor(timeoutMs: number, message = `The VOISA API did not answer within ${timeoutMs} ms`) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/** The connection failed (refused, reset, DNS ...). `code` is the system/undici code, e.g. ECONNREFUSED. */
export class ApiConnectionError extends VoisaError {
  readonly kind = 'connection';
  readonly code?: string;

  constructor(message: string, init: { code?: string; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    if (init.code !== undefined) this.code = init.code;
  }
}

/** The caller's AbortSignal fired. */
export class ApiAbortError extends VoisaError {
  readonly kind = 'abort';

  constructor(message = 'The request was aborted by the caller') {
    super(message);
  }
}

/** A response body exceeded the caller's byte limit; the stream was cancelled. */
export class ResponseTooLargeError extends VoisaError {
  readonly kind = 'response_too_large';
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super(`The response is larger than the limit of ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

type ApiErrorClass = new (init: ApiErrorInit) => ApiError;

const BY_CODE: Record<string, ApiErrorClass> = {
  INVALID_REQUEST: InvalidRequestError,
  INVALID_API_KEY: AuthenticationError,
  INSUFFICIENT_PERMISSIONS: PermissionDeniedError,
  AGENT_NOT_FOUND: NotFoundError,
  RESOURCE_NOT_FOUND: NotFoundError,
  RESOURCE_LOCKED: ResourceLockedError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  RATE_LIMIT_EXCEEDED: RateLimitError,
  INTERNAL_ERROR: ServerError,
};

const BY_STATUS: Record<number, ApiErrorClass> = {
  400: InvalidRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ResourceLockedError,
  413: PayloadTooLargeError,
  429: RateLimitError,
};

/** The typed error for a VOISA error code; an unknown code maps by HTTP status. */
export function apiErrorFor(init: ApiErrorInit): ApiError {
  const byCode = Object.hasOwn(BY_CODE, init.code) ? BY_CODE[init.code] : undefined;
  const Class = byCode ?? BY_STATUS[init.status] ?? (init.status >= 500 ? ServerError : ApiError);
  return new Class(init);
}

/** Backoff, Retry-After parsing and an abortable sleep. */
import { ApiAbortError } from './errors.js';

/** First backoff step; doubled per retry, then jittered and capped. */
export const INITIAL_RETRY_DELAY_MS = 500;

/**
 * Delay before retry number `retry` (1-based): `Retry-After` when the server sent one,
 * else exponential backoff (500 ms, 1 s, 2 s ...) with up to 25 % jitter downwards.
 * Both are capped at `maxDelayMs`.
 */
export function retryDelayMs(retry: number, maxDelayMs: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, maxDelayMs);
  const base = INITIAL_RETRY_DELAY_MS * 2 ** (retry - 1);
  const jittered = base * (1 - Math.random() * 0.25);
  return Math.round(Math.min(jittered, maxDelayMs));
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or malformed. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined; // "-1", "1e3" ...: neither seconds nor an HTTP date
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with ApiAbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new ApiAbortError());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ApiAbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Which failures re-send a request. A POST (not marked idempotent) goes out again only when
 * the failure provably came before a byte was written: the connect or DNS lookup failed.
 * The errors below have the shape Node and undici give them (code, syscall, AggregateError).
 */
import { describe, expect, it } from 'vitest';
import { type CallSpec, isRetryable, toConnectionError } from '../../src/voisa/http.js';
import { RateLimitError, ServerError } from '../../src/voisa/index.js';

const POST: CallSpec = { method: 'POST', path: '/api/make-call' };
const SAFE_POST: CallSpec = { method: 'POST', path: '/api/analytics/sentiment-batch', idempotent: true };
const GET: CallSpec = { method: 'GET', path: '/api/voices/list' };

function systemError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${code} 203.0.113.7:443`), { code, syscall });
}
const typed = (err: unknown) => toConnectionError(err, 1_000, (t) => t);

describe('isRetryable', () => {
  it('re-sends a POST whose connection never opened', () => {
    for (const err of [
      systemError('ECONNREFUSED', 'connect'),
      systemError('EHOSTUNREACH', 'connect'),
      systemError('ENOTFOUND', 'getaddrinfo'),
      new AggregateError([systemError('ECONNREFUSED', 'connect'), systemError('ENETUNREACH', 'connect')]),
      Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
    ]) {
      expect(isRetryable(POST, typed(err))).toBe(true);
    }
  });

  it('never re-sends a POST whose connection failed after it opened, whatever the code', () => {
    // EHOSTUNREACH also ends an established connection (ICMP after a retransmission timeout).
    for (const err of [
      systemError('EHOSTUNREACH', 'read'),
      systemError('ENETUNREACH', 'write'),
      systemError('ECONNRESET', 'read'),
      Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    ]) {
      expect(isRetryable(POST, typed(err))).toBe(false);
      expect(isRetryable(GET, typed(err))).toBe(true);
    }
  });

  it('never re-sends a POST that was answered, 429 included; a GET or an idempotent POST yes', () => {
    const limited = new RateLimitError({
      status: 429,
      code: 'RATE_LIMIT_EXCEEDED',
      message: 'slow',
      retryAfterMs: 0,
    });
    const failed = new ServerError({ status: 503, code: 'INTERNAL_ERROR', message: 'down' });
    for (const err of [limited, failed]) {
      expect(isRetryable(POST, err)).toBe(false);
      expect(isRetryable(GET, err)).toBe(true);
      expect(isRetryable(SAFE_POST, err)).toBe(true);
    }
  });
});

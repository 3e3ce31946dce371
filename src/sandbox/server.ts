/**
 * The request pipeline: request id → log entry → fault → body → auth → rate
 * limit → route → permission → handler. Every failure becomes an error
 * envelope; nothing a client sends can crash the process.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteContext, SandboxEnv } from './context.js';
import { handleControl } from './control.js';
import { ApiFailure, codeForStatus, statusForCode } from './errors.js';
import { type FaultRegistry, isDelayOnly } from './faults.js';
import { bodyForLog, type ParsedBody, parseBody, sendError, sendJson, sendOk } from './http.js';
import { newId } from './ids.js';
import type { RateLimiter } from './rate-limit.js';
import { matchRoute } from './router.js';
import { ROUTES } from './routes/index.js';
import { Store } from './store.js';
import type { ApiKeyRecord, FaultSpec, RequestLogEntry } from './types.js';

const MAX_LOG = 5000;

export class SandboxApp {
  readonly log: RequestLogEntry[] = [];

  constructor(
    readonly env: SandboxEnv,
    readonly faults: FaultRegistry,
    readonly limiter: RateLimiter,
    private readonly onReset: () => void,
  ) {}

  /** The node:http request listener. Never rejects. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((err: unknown) => this.internalError(res, err));
  };

  private internalError(res: ServerResponse, err: unknown): void {
    if (err instanceof ApiFailure) {
      if (!res.headersSent) sendError(res, err);
      return;
    }
    if (res.destroyed) return; // the client went away (e.g. aborted an upload): nothing to answer
    process.stderr.write(
      `voisa-sandbox: internal error: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    if (!res.headersSent) sendError(res, new ApiFailure(500, 'INTERNAL_ERROR', 'Internal sandbox error'));
    else res.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('x-request-id', newId('req', 16));
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (url.pathname.startsWith('/__sandbox')) {
      return handleControl(req, res, url.pathname, {
        faults: this.faults,
        requests: () => this.requests(),
        clearRequests: () => {
          this.log.length = 0;
        },
        reset: this.onReset,
        revokeKey: (key) => this.env.accounts.revoke(key),
      });
    }
    const underV1 = url.pathname === '/v1' || url.pathname.startsWith('/v1/');
    const path = underV1 ? url.pathname.slice(3) || '/' : url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const bearer = bearerOf(req);
    const known = bearer === undefined ? undefined : this.env.accounts.keys.get(bearer);
    const entry: RequestLogEntry = {
      method,
      path,
      query,
      body: null,
      status: 0,
      aborted: false,
      startedAt: new Date().toISOString(),
      account_id: known?.accountId ?? null,
    };
    const traceparent = req.headers.traceparent;
    if (typeof traceparent === 'string') entry.traceparent = traceparent;
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.shift();
    let resetByFault = false;
    // The status goes in the log when the head is written: a streamed body is complete for the
    // client once its content-length has arrived, which can be before this response's 'close'
    // (on Node 22 and 24 the log still said 0 to a client that had its 200). Node's implicit
    // head (a write before writeHead) goes through writeHead too.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      const written = writeHead(...args);
      entry.status = res.statusCode;
      return written;
    }) as ServerResponse['writeHead'];
    res.on('close', () => {
      if (res.headersSent) entry.status = res.statusCode;
      if (!res.writableFinished && !resetByFault) entry.aborted = true;
    });

    const fault = this.faults.take(method, path, { key: bearer, accountId: known?.accountId });
    let body: ParsedBody = { kind: 'none' };
    let bodyError: unknown;
    try {
      body = await parseBody(req);
      entry.body = bodyForLog(body);
    } catch (err) {
      bodyError = err;
    }

    if (fault) {
      if (fault.delayMs) await sleepUnlessClosed(fault.delayMs, res);
      if (res.destroyed || res.writableEnded) return;
      if (fault.reset) {
        resetByFault = true;
        req.socket.destroy();
        return;
      }
      if (!isDelayOnly(fault)) return sendFault(res, fault);
    }
    if (bodyError) throw bodyError;
    if (!underV1)
      throw new ApiFailure(
        404,
        'RESOURCE_NOT_FOUND',
        `No route ${method} ${path}; the API lives under /v1`,
        'path',
      );

    const match = matchRoute(ROUTES, method, path);
    let key: RouteContext['key'];
    if (match?.route.permission !== null) {
      key = this.authenticate(bearer, known);
      const rl = this.limiter.hit(hashKey(key.key));
      if (!rl.ok) {
        throw new ApiFailure(
          429,
          'RATE_LIMIT_EXCEEDED',
          `Rate limit of ${this.limiter.limit} requests per minute exceeded`,
          undefined,
          {
            'retry-after': String(rl.retryAfterSec),
          },
        );
      }
      if (Number.isFinite(rl.remaining)) {
        res.setHeader('x-ratelimit-limit', String(this.limiter.limit));
        res.setHeader('x-ratelimit-remaining', String(rl.remaining));
      }
    }
    if (!match) throw new ApiFailure(404, 'RESOURCE_NOT_FOUND', `No route ${method} ${path}`, 'path');
    const need = match.route.permission;
    if (need && key && !key.permissions.includes(need)) {
      throw new ApiFailure(403, 'INSUFFICIENT_PERMISSIONS', `This API key lacks the '${need}' permission`);
    }
    const store = key ? this.env.accounts.store(key.accountId) : new Store('');
    const ctx: RouteContext = { req, res, params: match.params, query, body, key, store, env: this.env };
    const result = await match.route.handler(ctx);
    if (result === 'handled') return;
    sendOk(res, result.status ?? 200, result.data, result.message);
  }

  private authenticate(bearer: string | undefined, key: ApiKeyRecord | undefined): ApiKeyRecord {
    if (bearer === undefined)
      throw new ApiFailure(401, 'INVALID_API_KEY', 'Missing API key: send Authorization: Bearer <key>');
    if (!key || key.revoked) throw new ApiFailure(401, 'INVALID_API_KEY', 'API key invalid or expired');
    if (Date.parse(key.expiresAt) < Date.now())
      throw new ApiFailure(401, 'INVALID_API_KEY', 'API key expired');
    return key;
  }

  requests(): RequestLogEntry[] {
    return this.log.map((e) => ({ ...e, query: { ...e.query } }));
  }
}

/** The key of `Authorization: Bearer <key>`, undefined when the header is missing or malformed. */
function bearerOf(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** Rate-limit buckets are keyed by a hash, so no structure holds the raw key needlessly. */
function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function sleepUnlessClosed(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    res.once('close', done);
    function done() {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    }
  });
}

function sendFault(res: ServerResponse, f: FaultSpec): void {
  const headers: Record<string, string> = {};
  if (f.retryAfter !== undefined) headers['retry-after'] = f.retryAfter;
  if (f.malformed === 'non-json') {
    const status = f.status ?? 502;
    const html = `<html><head><title>${status} Bad Gateway</title></head><body><h1>${status}</h1><p>upstream error</p></body></html>`;
    res.writeHead(status, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
    return;
  }
  if (f.malformed === 'non-envelope') {
    sendJson(res, f.status ?? 200, { hello: 'world' }, headers);
    return;
  }
  const status = f.status ?? statusForCode(f.code ?? 'INTERNAL_ERROR');
  const code = f.code ?? codeForStatus(status);
  if (status === 429 && headers['retry-after'] === undefined) headers['retry-after'] = '1';
  sendError(res, new ApiFailure(status, code, f.message ?? `Injected fault: ${code}`, f.field, headers));
}

/**
 * Small HTTP answers: JSON-RPC errors (what MCP clients expect on /mcp), the
 * check that a POSTed body is JSON-RPC at all, and request bodies read under a limit.
 */
import { RequestError } from '@hono/node-server';
import type { RequestId } from '@modelcontextprotocol/server';
import { INVALID_REQUEST, isObject, messageProblem } from '../mcp/jsonrpc.js';

/** JSON-RPC error codes of this server's own HTTP answers (implementation-defined range). */
export const SERVER_ERROR = -32000;
export const SESSION_NOT_FOUND = -32001;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A JSON-RPC error answer with an HTTP status; `id` is null unless the request's id is known. */
export function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
  id: RequestId | null = null,
): Response {
  return json(status, { jsonrpc: '2.0', error: { code, message }, id }, headers);
}

/**
 * 401 with the `WWW-Authenticate` challenge; `invalidToken` when a key was sent and refused, with
 * `description` as its `error_description` (quotes and backslashes dropped: RFC 6750 allows neither).
 */
export function unauthorized(
  message: string,
  invalidToken = false,
  challenge = '',
  description?: string,
): Response {
  const error = invalidToken
    ? `, error="invalid_token"${description ? `, error_description="${description.replace(/["\\]/g, '')}"` : ''}`
    : '';
  return rpcError(401, SERVER_ERROR, message, {
    'www-authenticate': `Bearer realm="voisa-mcp"${error}${challenge ? `, ${challenge}` : ''}`,
  });
}

/**
 * The answer to a request the HTTP adapter could not even turn into a Request
 * (a malformed Host such as `[::1` or `exa mple`, a bad request target): the
 * client's fault, so 400, not 500. Anything else is ours: 500. The adapter's
 * messages are fixed texts ("Invalid host header"); the header itself is not echoed.
 */
export function adapterErrorResponse(err: unknown): Response {
  if (err instanceof RequestError)
    return rpcError(400, SERVER_ERROR, `Bad Request: ${err.message}`, { connection: 'close' });
  return rpcError(500, -32603, 'Internal server error');
}

/** The first protocol version without JSON-RPC batches. */
const NO_BATCHES_SINCE = '2025-06-18';

/**
 * Undefined when a parsed POST body is something MCP's transport serves: one
 * JSON-RPC message, or (protocol versions before 2025-06-18 only) a non-empty
 * batch of them. Otherwise the answer: HTTP 400 with JSON-RPC -32600 Invalid
 * Request naming the problem, carrying the message's id when it has a usable
 * one. (Left to the SDK, an empty batch got 202 with no body and any other
 * malformed message -32700 "Parse error" with id null.)
 *
 * `protocolVersion` is the request's `Mcp-Protocol-Version` header, if any.
 */
export function invalidJsonRpc(body: unknown, protocolVersion?: string): Response | undefined {
  if (!Array.isArray(body)) {
    const problem = messageProblem(body);
    return problem ? rpcError(400, problem.code, problem.message, {}, problem.id) : undefined;
  }
  if (body.length === 0) return invalidRequest('an empty batch is not a request');
  const version = protocolVersion ?? initializeVersion(body);
  if (version !== undefined && version >= NO_BATCHES_SINCE)
    return invalidRequest(
      `JSON-RPC batches are not part of MCP ${version} (removed in ${NO_BATCHES_SINCE}); send one message per POST`,
    );
  for (const [i, message] of body.entries()) {
    const problem = messageProblem(message);
    if (problem) return rpcError(400, problem.code, `batch item ${i}: ${problem.message}`);
  }
  return undefined;
}

function invalidRequest(problem: string): Response {
  return rpcError(400, INVALID_REQUEST, `Invalid Request: ${problem}`);
}

function initializeVersion(batch: unknown[]): string | undefined {
  for (const m of batch) {
    if (isObject(m) && m.method === 'initialize' && isObject(m.params)) {
      const v = m.params.protocolVersion;
      if (typeof v === 'string') return v;
    }
  }
  return undefined;
}

/**
 * A POSTed JSON-RPC body read under `limit` and parsed, or the answer that refuses
 * it: 413 over the limit, -32700 when it is not JSON, and what `invalidJsonRpc` says
 * when it is not JSON-RPC (`protocolVersion` decides whether batches are allowed).
 */
export async function readJsonRpcBody(
  request: Request,
  limit: number,
  protocolVersion: string | undefined,
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  const read = await readBody(request, limit);
  if (!read.ok)
    return {
      ok: false,
      response: rpcError(413, SERVER_ERROR, `Request body over the limit of ${limit} bytes`),
    };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(read.bytes).toString('utf8'));
  } catch {
    return { ok: false, response: rpcError(400, -32700, 'Parse error: the body is not JSON') };
  }
  const invalid = invalidJsonRpc(body, protocolVersion);
  return invalid ? { ok: false, response: invalid } : { ok: true, body };
}

export type BodyRead = { ok: true; bytes: Uint8Array } | { ok: false; tooLarge: true };

/** Reads a request body, refusing a declared or actual size over `limit` without buffering the rest. */
export async function readBody(request: Request, limit: number): Promise<BodyRead> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return { ok: false, tooLarge: true };
  if (Number.isFinite(declared)) {
    // A declared length within the limit (Node's parser holds the body to it): read it at once, without
    // the web-stream reader below, which costs a few per cent of a small call (bench:http).
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength > limit ? { ok: false, tooLarge: true } : { ok: true, bytes };
  }
  if (!request.body) return { ok: true, bytes: new Uint8Array() };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { ok: false, tooLarge: true };
    }
    chunks.push(value);
  }
  return { ok: true, bytes: Buffer.concat(chunks) };
}

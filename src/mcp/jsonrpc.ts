/**
 * What is wrong with an incoming JSON-RPC message, checked before the SDK sees it;
 * shared by every transport (stdio, streamable HTTP, legacy SSE).
 *
 * Left to the SDK (1.32), a message of the wrong shape is dropped over stdio with
 * no answer, or answered over HTTP with 202 or -32700 and id null; and a request of
 * a known MCP method whose params do not fit is answered -32603 Internal error with
 * a raw zod dump. Here each gets the JSON-RPC error that names the problem, with
 * the request's id when it has a valid one.
 */

import { ClientRequestSchema, JSONRPCMessageSchema } from '@modelcontextprotocol/core';
import type { RequestId } from '@modelcontextprotocol/server';

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;

export interface MessageProblem {
  code: typeof INVALID_REQUEST | typeof INVALID_PARAMS;
  message: string;
  /** The message's id when it has a valid one, else null. */
  id: RequestId | null;
}

/**
 * The schema of each MCP request a client may send, by method. The SDK checks params
 * against these only inside its handlers (-32603); checked first, a mismatch is -32602.
 */
const REQUEST_SCHEMAS = new Map(ClientRequestSchema.options.map((o) => [o.shape.method.value, o] as const));

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validId(v: unknown): RequestId | null {
  return typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v)) ? v : null;
}

/** Undefined when `m` is one JSON-RPC message the server can take; otherwise what is wrong with it. */
function claimsModernEra(m: Record<string, unknown>): boolean {
  const meta = isObject(m.params) ? m.params._meta : undefined;
  return isObject(meta) && 'io.modelcontextprotocol/protocolVersion' in meta;
}

export function messageProblem(m: unknown): MessageProblem | undefined {
  if (!isObject(m)) return invalid('a JSON-RPC message must be a JSON object', null);
  const id = validId(m.id);
  if (m.jsonrpc !== '2.0') return invalid('"jsonrpc" must be "2.0"', id);
  if ('id' in m && id === null) return invalid('"id" must be a string or an integer', null);
  if ('method' in m) {
    if (typeof m.method !== 'string') return invalid('"method" must be a string', id);
    if ('params' in m && !isObject(m.params))
      return { code: INVALID_PARAMS, message: 'Invalid params: "params" must be an object', id };
  } else if ('result' in m) {
    if (id === null) return invalid('a response needs the "id" of its request', null);
    if (!isObject(m.result)) return invalid('"result" must be an object', id);
  } else if ('error' in m) {
    const e = m.error;
    if (!isObject(e) || !Number.isInteger(e.code) || typeof e.message !== 'string')
      return invalid('"error" must be an object with an integer "code" and a string "message"', id);
  } else {
    return invalid(
      'a message needs "method" (a request or notification) or "result"/"error" (a response)',
      id,
    );
  }
  // Whatever the SDK's own schema still refuses (unknown top-level members, malformed _meta…).
  if (!JSONRPCMessageSchema.safeParse(m).success) {
    const extra = Object.keys(m).filter(
      (k) => !['jsonrpc', 'id', 'method', 'params', 'result', 'error'].includes(k),
    );
    return invalid(
      extra.length ? `unexpected members: ${extra.join(', ')}` : 'not a valid JSON-RPC message',
      id,
    );
  }
  // 2025-era params are checked here; a 2026-07-28 request (its `_meta` names its protocol version) is
  // the SDK's to judge, since that revision removed some methods and reshaped others.
  if (id !== null && typeof m.method === 'string' && !claimsModernEra(m)) {
    const checked = REQUEST_SCHEMAS.get(m.method as never)?.safeParse(m);
    if (checked && !checked.success) {
      const issues = checked.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
      return { code: INVALID_PARAMS, message: `Invalid params for ${m.method}: ${issues.join('; ')}`, id };
    }
  }
  return undefined;
}

function invalid(why: string, id: RequestId | null): MessageProblem {
  return { code: INVALID_REQUEST, message: `Invalid Request: ${why}`, id };
}

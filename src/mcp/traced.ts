/**
 * A span per MCP request, every method, following the OpenTelemetry MCP semantic conventions:
 * `{mcp.method.name} {target}` (e.g. `tools/call make_call`), kind SERVER, child of the trace context
 * the client put in the request's `_meta` (`traceparent` / `tracestate`), with the method, tool name,
 * protocol version, session and JSON-RPC id, the prompt name or the resource URI's template, and
 * `error.type` on failure (`tool_error` for an `isError` result, else the JSON-RPC error code). Never
 * arguments, results, ids a client sent, keys or phone numbers: names and URIs are taken only in
 * their known, bounded forms (toolOf, promptOf, resourceOf).
 *
 * The SDK offers no hook around request dispatch, so this wraps each registered request handler in
 * place, once everything is registered: it relies on the protocol server keeping them in
 * `server._requestHandlers`, a Map from method to `(request, ctx) => result` (SDK 2.4). A test
 * (test/telemetry/traced.test.ts) fails when that changes; until then a server whose SDK has no such
 * map serves untraced, with one warning.
 */
import { type McpServer, PROTOCOL_VERSION_META_KEY, type ServerContext } from '@modelcontextprotocol/server';
import {
  AGENT_TEMPLATE,
  AUDIO_TEMPLATE,
  CONVERSATION_TEMPLATE,
  TRANSCRIPT_TEMPLATE,
} from '../resources/uris.js';
import type { Telemetry } from '../telemetry/types.js';
import { TOOL_NAMES } from '../tools/index.js';

type Handler = (request: { method: string; params?: Record<string, unknown> }, ctx: ServerContext) => unknown;

/** The SDK's handler map, or undefined when it is not where SDK 2.4 keeps it. */
export function requestHandlers(mcp: McpServer): Map<string, Handler> | undefined {
  const map = (mcp.server as unknown as { _requestHandlers?: unknown })._requestHandlers;
  return map instanceof Map ? (map as Map<string, Handler>) : undefined;
}

/** Wraps every request handler registered so far; false when the SDK keeps them elsewhere. */
export function traceRequests(mcp: McpServer, telemetry: Telemetry): boolean {
  const handlers = requestHandlers(mcp);
  if (!handlers) return false;
  for (const [method, handler] of handlers) {
    handlers.set(method, traced(mcp, method, handler, telemetry));
  }
  return true;
}

function traced(mcp: McpServer, method: string, handler: Handler, telemetry: Telemetry): Handler {
  return (request, ctx) => {
    const params = request.params;
    const toolName = method === 'tools/call' ? toolOf(params?.name) : undefined;
    const promptName = method === 'prompts/get' ? promptOf(params?.name) : undefined;
    const span = telemetry.request({
      method,
      ...optional('target', toolName ?? promptName),
      ...optional('toolName', toolName),
      ...optional('promptName', promptName),
      ...optional('resourceUri', typeof params?.uri === 'string' ? resourceOf(params.uri) : undefined),
      ...optional('protocolVersion', revisionOf(mcp, ctx)),
      ...optional('sessionId', ctx.sessionId),
      requestId: ctx.mcpReq.id,
      ...optional('carrier', carrierOf(ctx)),
    });
    let answer: Promise<unknown>;
    try {
      answer = Promise.resolve(span.run(() => handler(request, ctx)));
    } catch (err) {
      answer = Promise.reject(err);
    }
    return answer.then(
      (result) => {
        const isError = (result as { isError?: unknown } | undefined)?.isError === true;
        span.end(isError ? { errorType: 'tool_error' } : {});
        return result;
      },
      (err: unknown) => {
        const code = (err as { code?: unknown } | undefined)?.code;
        // What the SDK answers with: the error's own code when it has one, else Internal error.
        span.end({ errorType: String(Number.isSafeInteger(code) ? code : -32603) });
        throw err;
      },
    );
  };
}

const TOOLS = new Set(TOOL_NAMES);
/**
 * A client names the tool: only one of ours becomes a span name or a metric label (`unknown` otherwise),
 * so a caller can neither put a value of its own (a number, a key) there nor grow the series without bound.
 */
function toolOf(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  return TOOLS.has(name) ? name : 'unknown';
}

/** Prompt names are words (`design_agent`): anything else, digits included, is `unknown`. Span only. */
function promptOf(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  return /^[a-z][a-z_-]{0,63}$/.test(name) ? name : 'unknown';
}

const TEMPLATES = [AGENT_TEMPLATE, CONVERSATION_TEMPLATE, TRANSCRIPT_TEMPLATE, AUDIO_TEMPLATE].map(
  (template) => ({
    template,
    pattern: new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[a-z_]+\}/g, '[^/]+')}$`,
    ),
  }),
);

/**
 * `mcp.resource.uri`, as its template: `voisa://conversations/{conversation_id}/transcript`, never the
 * id a client read (bounded, and nothing of the caller's in it). A fixed URI (`voisa://voices`,
 * `ui://voisa/call`) is itself; anything else, with a digit, `%`, `+` or `@` in it, is left out.
 */
export function resourceOf(uri: string): string | undefined {
  const known = TEMPLATES.find((t) => t.pattern.test(uri));
  if (known) return known.template;
  return /^(voisa|ui):\/\/[a-z/-]{1,64}$/.test(uri) ? uri : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The revision the request is served on: named in a 2026-07-28 envelope, negotiated in a 2025 session. */
function revisionOf(mcp: McpServer, ctx: ServerContext): string | undefined {
  const named = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[PROTOCOL_VERSION_META_KEY];
  return typeof named === 'string' ? named : mcp.server.getNegotiatedProtocolVersion();
}

/**
 * Where the client's trace context is: `traceparent` is no reserved envelope key, so SDK 2.4 leaves
 * it in the request's `_meta` on both generations; the envelope is looked at too, should a later SDK
 * lift it there.
 */
function carrierOf(ctx: ServerContext): Record<string, unknown> | undefined {
  for (const where of [ctx.mcpReq._meta, ctx.mcpReq.envelope] as unknown[]) {
    if (where && typeof where === 'object' && 'traceparent' in where) return where as Record<string, unknown>;
  }
  return undefined;
}

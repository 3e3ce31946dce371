/**
 * What the server reports to telemetry: the interface the MCP and HTTP layers call, with nothing of
 * OpenTelemetry in it, so they never load it. The implementation (otel.ts) is imported only when
 * traces or metrics are on (load.ts).
 */
import type { CallObserver, ObservedCall } from '../voisa/index.js';

/** One MCP request, as its span and the operation-duration metric describe it. No arguments, no result text. */
export interface McpRequestInfo {
  /** `mcp.method.name`, e.g. `tools/call`. */
  method: string;
  /** The tool (tools/call) or prompt (prompts/get) name, for the span name. */
  target?: string;
  /** `gen_ai.tool.name` (tools/call only). */
  toolName?: string;
  /** `gen_ai.prompt.name` (prompts/get only; span only). */
  promptName?: string;
  /** `mcp.resource.uri`, as its template (`voisa://agents/{agent_id}`); span only. */
  resourceUri?: string;
  /** `mcp.protocol.version`. */
  protocolVersion?: string;
  /** `mcp.session.id` (2025-era sessions only). */
  sessionId?: string;
  /** `jsonrpc.request.id`. */
  requestId: string | number;
  /** The request's `_meta`: its W3C `traceparent` / `tracestate` make the span a child of the client's. */
  carrier?: Record<string, unknown>;
}

/** The span of one MCP request. */
export interface RequestSpan {
  /** Runs the handler with this span active (VOISA calls made in it become its children). */
  run<T>(fn: () => T): T;
  /** Ends it: `errorType` is `tool_error` for an isError result, else the JSON-RPC error code. */
  end(outcome: { errorType?: string }): void;
}

/** How a tool call ended: `ok`, `dry_run` (make_call under --dry-run-calls), or `error`. */
export type ToolOutcome = 'ok' | 'dry_run' | 'error';
export type ConfirmationStep = 'asked' | 'approved' | 'declined';

/** Live values read at each collection. */
export interface GaugeSources {
  sessions?: () => number;
  streams?: () => number;
  /** 1 up, 0 down; undefined (no series) without Redis. */
  redisUp?: () => number | undefined;
}

export interface Telemetry {
  /** Starts the span of one MCP request (a no-op span when only metrics are on). */
  request(info: McpRequestInfo): RequestSpan;
  /** Watches one VOISA HTTP call (`VoisaClientConfig.observe`): a CLIENT child span, its duration and retries. */
  observeCall(call: ObservedCall): CallObserver | undefined;
  /** One tool result; `code` is the leading code of an error result (NOT_FOUND, POLICY_BUDGET, DECLINED…). */
  toolResult(tool: string, outcome: ToolOutcome, code?: string): void;
  confirmation(tool: string, step: ConfirmationStep): void;
  /** make_call refused by the call policy, by its code (POLICY_DESTINATION, POLICY_BUDGET…). */
  policyRefusal(code: string): void;
  /** The open sessions, streams and the Redis link, observed at each collection. */
  gauges(sources: GaugeSources): void;
  /** The Prometheus text of every metric, when metrics were asked for (`--metrics`); else undefined. */
  readonly prometheus?: () => Promise<string>;
  /** Flushes what is pending and stops exporting. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** `service.instance.id`. */
  instance: string;
  /** `service.version`. */
  version: string;
  /** Serve Prometheus text (`--metrics`). */
  metrics: boolean;
  log: (level: 'info' | 'warning', message: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** The Prometheus text format version `/metrics` answers with. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The OpenTelemetry side of `Telemetry` (types.ts): the Node SDK configured by the standard
 * environment for OTLP traces and metrics (no exporter code of ours, no auto-instrumentation), and a
 * Prometheus reader whose text `/metrics` serves. Imported only by load.ts, with `import()`.
 *
 * The Node SDK builds its OTLP metric reader from the environment inside its own MeterProvider, which
 * takes no reader added later; the Prometheus reader therefore sits on a MeterProvider of its own,
 * and each instrument records to both (instruments.ts).
 */
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Meter,
  metrics,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { CallObserver, ObservedCall } from '../voisa/index.js';
import type { SpanIds } from './ids.js';
import { createInstruments } from './instruments.js';
import type { McpRequestInfo, RequestSpan, Telemetry, TelemetryOptions } from './types.js';

export interface StartOptions extends TelemetryOptions {
  otlp: { traces: boolean; metrics: boolean };
  env: NodeJS.ProcessEnv;
}

const SCOPE = 'voisa-mcp';

/**
 * exporter-prometheus 0.301 writes a histogram's name without its unit; Prometheus (and the OpenTelemetry
 * specification's translation, which the Collector follows) ends a seconds histogram in `_seconds`. These
 * views rename the two on the Prometheus side only (OTLP keeps the semantic conventions' names), so
 * `/metrics` has `mcp_server_operation_duration_seconds_bucket` and `voisa_client_request_duration_seconds_*`.
 */
const PROMETHEUS_UNITS = ['mcp.server.operation.duration', 'voisa.client.request.duration'].map((name) => ({
  instrumentName: name,
  name: `${name}.seconds`,
}));
const w3c = new W3CTraceContextPropagator();

/** Reads only string values of a request's `_meta` (traceparent, tracestate). */
const metaGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

export function startTelemetry(o: StartOptions): Telemetry & { spanIds(): SpanIds | undefined } {
  const resource = defaultResource().merge(
    resourceFromAttributes({
      'service.name': o.env.OTEL_SERVICE_NAME?.trim() || SCOPE,
      'service.version': o.version,
      'service.instance.id': o.instance,
    }),
  );
  let sdk: NodeSDK | undefined;
  const meters: Meter[] = [];
  if (o.otlp.traces || o.otlp.metrics) {
    sdk = new NodeSDK({
      resource,
      // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME still apply; no host or process probing.
      resourceDetectors: [envDetector],
      instrumentations: [],
      logRecordProcessors: [],
      // A signal without an endpoint exports nothing (the SDK would default to localhost:4318).
      ...(o.otlp.traces ? {} : { spanProcessors: [] }),
      ...(o.otlp.metrics ? {} : { metricReaders: [] }),
    });
    sdk.start();
    if (o.otlp.metrics) meters.push(metrics.getMeter(SCOPE, o.version));
  }
  let prometheus: (() => Promise<string>) | undefined;
  let promProvider: MeterProvider | undefined;
  if (o.metrics) {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    promProvider = new MeterProvider({ resource, readers: [exporter], views: PROMETHEUS_UNITS });
    meters.push(promProvider.getMeter(SCOPE, o.version));
    const serializer = new PrometheusSerializer();
    prometheus = async () => serializer.serialize((await exporter.collect()).resourceMetrics);
  }
  const tracer = trace.getTracer(SCOPE, o.version);
  const tracing = o.otlp.traces;
  const instruments = createInstruments(meters);

  return {
    // For log lines; load.ts hands it to ids.ts (imported from here, ids.ts would become a chunk of its own).
    spanIds() {
      const ids = trace.getActiveSpan()?.spanContext();
      return ids && isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
    },
    request: (info) => requestSpan(tracer, tracing, info, instruments.operation),
    observeCall: (call) => callObserver(tracer, tracing, call, instruments),
    toolResult: (tool, outcome, code) =>
      instruments.toolCalls(1, {
        'gen_ai.tool.name': tool,
        outcome,
        ...(code !== undefined ? { 'voisa.error.code': code } : {}),
      }),
    confirmation: (tool, step) =>
      instruments.confirmations(1, { 'gen_ai.tool.name': tool, 'voisa.confirmation': step }),
    policyRefusal: (code) => instruments.refusals(1, { 'voisa.policy.code': code }),
    gauges: (sources) => instruments.gauges(sources),
    prometheus,
    async shutdown() {
      await Promise.allSettled([sdk?.shutdown(), promProvider?.shutdown()]);
    },
  };
}

type Instruments = ReturnType<typeof createInstruments>;

function requestSpan(
  tracer: Tracer,
  tracing: boolean,
  info: McpRequestInfo,
  operation: Instruments['operation'],
): RequestSpan {
  const started = performance.now();
  const metric: Attributes = {
    'mcp.method.name': info.method,
    ...(info.toolName !== undefined ? { 'gen_ai.tool.name': info.toolName } : {}),
    ...(info.protocolVersion !== undefined ? { 'mcp.protocol.version': info.protocolVersion } : {}),
  };
  let span: Span | undefined;
  let active: Context | undefined;
  if (tracing) {
    const parent = info.carrier ? w3c.extract(ROOT_CONTEXT, info.carrier, metaGetter) : context.active();
    span = tracer.startSpan(
      info.target ? `${info.method} ${info.target}` : info.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          ...metric,
          ...(info.method === 'tools/call' ? { 'gen_ai.operation.name': 'execute_tool' } : {}),
          ...(info.promptName !== undefined ? { 'gen_ai.prompt.name': info.promptName } : {}),
          ...(info.resourceUri !== undefined ? { 'mcp.resource.uri': info.resourceUri } : {}),
          ...(info.sessionId !== undefined ? { 'mcp.session.id': info.sessionId } : {}),
          'jsonrpc.request.id': String(info.requestId),
        },
      },
      parent,
    );
    active = trace.setSpan(parent, span);
  }
  let ended = false;
  return {
    run: (fn) => (active ? context.with(active, fn) : fn()),
    end({ errorType }) {
      if (ended) return;
      ended = true;
      if (errorType !== undefined) {
        span?.setAttribute('error.type', errorType);
        span?.setStatus({ code: SpanStatusCode.ERROR });
      }
      span?.end();
      operation((performance.now() - started) / 1000, {
        ...metric,
        ...(errorType !== undefined ? { 'error.type': errorType } : {}),
      });
    },
  };
}

function callObserver(
  tracer: Tracer,
  tracing: boolean,
  call: ObservedCall,
  instruments: Instruments,
): CallObserver {
  const started = performance.now();
  const base: Attributes = { 'http.request.method': call.method, 'url.template': call.route };
  let retries = 0;
  const parent = context.active();
  const span = tracing
    ? tracer.startSpan(`${call.method} ${call.route}`, { kind: SpanKind.CLIENT, attributes: base }, parent)
    : undefined;
  const active = span && trace.setSpan(parent, span);
  return {
    headers() {
      const headers: Record<string, string> = {};
      if (active) w3c.inject(active, headers, { set: (carrier, key, value) => (carrier[key] = value) });
      return headers;
    },
    retry(reason) {
      retries++;
      span?.addEvent('retry', { 'voisa.retry.reason': reason.slice(0, 100) });
      instruments.retries(1, base);
    },
    end({ status, code, error }) {
      const outcome: Attributes = {
        ...(status !== undefined ? { 'http.response.status_code': status } : {}),
        ...(code !== undefined ? { 'voisa.error.code': code } : {}),
      };
      if (span) {
        span.setAttributes({ ...outcome, 'voisa.retries': retries });
        if (error !== undefined) {
          span.setAttribute('error.type', code ?? (status !== undefined ? String(status) : error));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      }
      instruments.voisaDuration((performance.now() - started) / 1000, { ...base, ...outcome });
    },
  };
}

/**
 * Whether telemetry is on, and loading it: OpenTelemetry is imported here, with `import()`, only when
 * an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`, or the traces / metrics one) or metrics are
 * asked for (`--metrics`); a run without either never parses it, so stdio start-up does not move.
 * `OTEL_SDK_DISABLED=true` turns the OTLP export off (`--metrics` still serves `/metrics`).
 *
 * The bundle (scripts/bundle.mjs) leaves `@opentelemetry/*` external: `npx voisa-mcp` resolves them
 * from its node_modules, and the .mcpb bundle, which ships none, warns once and runs without.
 */
import { setSpanIdSource } from './ids.js';
import type { Telemetry, TelemetryOptions } from './types.js';

export type { TelemetryOptions } from './types.js';

/** Which OTLP signals the environment asks for (the SDK's own variables; nothing when disabled). */
export function otlpSignals(env: NodeJS.ProcessEnv = process.env): { traces: boolean; metrics: boolean } {
  const set = (name: string) => Boolean(env[name]?.trim());
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { traces: false, metrics: false };
  const any = set('OTEL_EXPORTER_OTLP_ENDPOINT');
  return {
    traces: any || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
    metrics: any || set('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'),
  };
}

/** The telemetry asked for, or undefined when none is (or it cannot load: one warning, and the server runs on). */
export async function loadTelemetry(o: TelemetryOptions): Promise<Telemetry | undefined> {
  const otlp = otlpSignals(o.env);
  if (!otlp.traces && !otlp.metrics && !o.metrics) return undefined;
  let start: typeof import('./otel.js').startTelemetry;
  try {
    ({ startTelemetry: start } = await import('./otel.js'));
  } catch (err) {
    o.log(
      'warning',
      `telemetry is not available in this build (${(err as Error).message.split('\n')[0]}); serving without traces and metrics`,
    );
    return undefined;
  }
  const { spanIds, ...telemetry } = start({ ...o, otlp, env: o.env ?? process.env });
  setSpanIdSource(spanIds);
  const what = [otlp.traces && 'traces', otlp.metrics && 'metrics'].filter(Boolean);
  o.log(
    'info',
    `telemetry on: ${[
      what.length ? `OTLP ${what.join(' and ')}` : '',
      o.metrics ? 'Prometheus text at /metrics' : '',
    ]
      .filter(Boolean)
      .join('; ')}`,
  );
  return {
    ...telemetry,
    shutdown: () => {
      setSpanIdSource(() => undefined);
      return telemetry.shutdown();
    },
  };
}

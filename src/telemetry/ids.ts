/**
 * The active span's ids, for log lines (`--log-format json`). Nothing is traced until the OpenTelemetry
 * setup loads (telemetry is off by default) and hands in its source; until then there are none.
 */
export interface SpanIds {
  trace_id: string;
  span_id: string;
}

let source: () => SpanIds | undefined = () => undefined;

/** The ids of the span active in this async context, if telemetry is on and one is. */
export function spanIds(): SpanIds | undefined {
  return source();
}

/** Called once by the OpenTelemetry setup when it loads. */
export function setSpanIdSource(next: () => SpanIds | undefined): void {
  source = next;
}

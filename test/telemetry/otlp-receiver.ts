/**
 * An OTLP/HTTP receiver on loopback for the tests: what the SDK's real exporters send with
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/json` to POST /v1/traces and /v1/metrics, kept as received.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttrValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: AttrValue }[];
}

export interface Receiver {
  /** http://127.0.0.1:port, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Every body received, parsed, by path. */
  bodies: { path: string; body: unknown }[];
  /** Every span received so far. */
  spans(): OtlpSpan[];
  /** Every metric data point's name received so far, with its attributes. */
  metricNames(): string[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const bodies: { path: string; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        bodies.push({ path: req.url ?? '', body: JSON.parse(text) });
      } catch {
        bodies.push({ path: req.url ?? '', body: text });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    spans: () =>
      bodies
        .filter((b) => b.path === '/v1/traces')
        .flatMap(
          (b) =>
            (b.body as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] }).resourceSpans ?? [],
        )
        .flatMap((r) => r.scopeSpans ?? [])
        .flatMap((s) => s.spans ?? []),
    metricNames: () =>
      bodies
        .filter((b) => b.path === '/v1/metrics')
        .flatMap(
          (b) =>
            (b.body as { resourceMetrics?: { scopeMetrics?: { metrics?: { name: string }[] }[] }[] })
              .resourceMetrics ?? [],
        )
        .flatMap((r) => r.scopeMetrics ?? [])
        .flatMap((s) => s.metrics ?? [])
        .map((m) => m.name),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A span's attributes as a plain object (string, number or boolean values). */
export function attrs(span: OtlpSpan): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of span.attributes ?? []) {
    out[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.boolValue ??
      value.doubleValue ??
      '';
  }
  return out;
}

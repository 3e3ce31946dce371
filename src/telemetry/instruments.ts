/**
 * The metric contract's instruments (docs/operations.md "Traces and metrics"), each created on every
 * meter given (the OTLP one and the Prometheus one) and recording to all of them.
 */
import type { Attributes, Meter } from '@opentelemetry/api';
import type { GaugeSources } from './types.js';

/** Bucket bounds in seconds: the MCP semantic conventions' advice for operation durations. */
const MCP_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
/** The HTTP conventions' advice for client request durations. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

type Record = (value: number, attributes: Attributes) => void;

export function createInstruments(meters: Meter[]) {
  const counter = (name: string, description: string): Record => {
    const all = meters.map((m) => m.createCounter(name, { description }));
    return (value, attributes) => {
      for (const c of all) c.add(value, attributes);
    };
  };
  const histogram = (name: string, description: string, buckets: number[]): Record => {
    const all = meters.map((m) =>
      m.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: buckets } }),
    );
    return (value, attributes) => {
      for (const h of all) h.record(value, attributes);
    };
  };
  const gauge = (name: string, description: string, read: () => number | undefined) => {
    for (const m of meters)
      m.createObservableGauge(name, { description }).addCallback((result) => {
        const value = read();
        if (value !== undefined) result.observe(value);
      });
  };
  return {
    operation: histogram(
      'mcp.server.operation.duration',
      'Duration of MCP requests as the server handles them',
      MCP_BUCKETS,
    ),
    toolCalls: counter('voisa.mcp.tool.calls', 'Tool call results, by tool, outcome and VOISA error code'),
    voisaDuration: histogram(
      'voisa.client.request.duration',
      'Duration of VOISA API calls, retries included, by route and status',
      HTTP_BUCKETS,
    ),
    retries: counter('voisa.client.retries', 'VOISA API attempts retried'),
    confirmations: counter('voisa.mcp.confirmations', 'Confirmations asked, approved and declined'),
    refusals: counter('voisa.mcp.policy.refusals', 'make_call refused by the call policy, by code'),
    gauges(sources: GaugeSources) {
      const { sessions, streams, redisUp } = sources;
      if (sessions) gauge('voisa.mcp.sessions.open', 'Open MCP sessions (2025-era and legacy SSE)', sessions);
      if (streams) gauge('voisa.mcp.streams.open', 'Open event streams', streams);
      if (redisUp) gauge('voisa.mcp.redis.up', 'Whether the Redis link is up (1) or down (0)', redisUp);
    },
  };
}

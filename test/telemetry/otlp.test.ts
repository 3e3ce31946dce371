/**
 * Traces and metrics as the SDK's real OTLP exporters send them (http/json, to a receiver on loopback),
 * from `voisa-mcp --http` run as an operator runs it (a child process: see server-process.ts), on a
 * sandbox this test holds: per generation, the span of a `tools/call list_agents` is the child of the
 * client's `_meta.traceparent` and the parent of the VOISA call's CLIENT span, whose traceparent the
 * sandbox logged; an isError result is `error.type=tool_error`; a resource read names its URI's
 * template; and nothing secret (key, bearer, phone number, transcript text, an id read) is exported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { unbuilt } from '../helpers/built.js';
import { GENERATIONS } from '../helpers/generations.js';
import { waitFor } from '../helpers/sandbox.js';
import { connectWithMeta, newTraceparent } from './clients.js';
import { attrs, type OtlpSpan, type Receiver, startReceiver } from './otlp-receiver.js';
import { CLI, type ServerProcess, startServerProcess } from './server-process.js';

const SERVER = 2;
const CLIENT = 3;
const PHONE = '+49123456789';
const CONVERSATION = 'conv_seed0001';

describe.skipIf(unbuilt(CLI))('OpenTelemetry over OTLP/HTTP (voisa-mcp --http, child process)', () => {
  let sandbox: Sandbox;
  let receiver: Receiver;
  let server: ServerProcess;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimitPerMin: 0, callMs: 200, trainingMs: 100 });
    receiver = await startReceiver();
    server = await startServerProcess(['--base-url', sandbox.baseUrl], {
      VOISA_API_KEY: sandbox.demoKey,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    });
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    await sandbox?.close();
  });

  const spanOf = (predicate: (s: OtlpSpan) => boolean) =>
    waitFor(() => receiver.spans().find(predicate), 15_000);

  for (const generation of GENERATIONS) {
    it(`${generation}: tools/call list_agents is the client's child and the VOISA call's parent`, async () => {
      const { traceId, parentId, traceparent } = newTraceparent();
      const client = await connectWithMeta(generation, `${server.url}/mcp`, sandbox.demoKey);
      const result = await client.call('list_agents', {}, { traceparent });
      await client.close();
      expect(result.isError).toBeFalsy();

      const span = await spanOf((s) => s.traceId === traceId && s.name === 'tools/call list_agents');
      const call = await spanOf((s) => s.parentSpanId === span.spanId);
      expect(span).toMatchObject({ kind: SERVER, parentSpanId: parentId });
      expect(attrs(span)).toMatchObject({
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'list_agents',
        'gen_ai.operation.name': 'execute_tool',
        'mcp.protocol.version': generation,
      });
      expect(attrs(span)).not.toHaveProperty('error.type');
      if (generation === '2025-11-25') expect(attrs(span)['mcp.session.id']).toMatch(/\S/);
      expect(call).toMatchObject({ kind: CLIENT, traceId, name: 'GET /api/agents/list' });
      expect(attrs(call)).toMatchObject({
        'http.request.method': 'GET',
        'url.template': '/api/agents/list',
        'http.response.status_code': 200,
        'voisa.retries': 0,
      });
      if (process.env.VOISA_PRINT_SPANS)
        for (const s of [span, call])
          console.log(
            JSON.stringify({
              name: s.name,
              kind: s.kind,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId,
              attributes: attrs(s),
            }),
          );
      // The trace reached VOISA: the sandbox logged the CLIENT span's own traceparent.
      const logged = sandbox.requests().find((r) => r.traceparent?.includes(traceId));
      expect(logged).toMatchObject({ method: 'GET', path: '/api/agents/list' });
      expect(logged?.traceparent).toBe(`00-${traceId}-${call.spanId}-01`);
    });

    it(`${generation}: an isError result is error.type=tool_error; the VOISA span has its code`, async () => {
      const { traceId, traceparent } = newTraceparent();
      const client = await connectWithMeta(generation, `${server.url}/mcp`, sandbox.demoKey);
      const result = await client.call('get_agent', { agent_id: 'agt_nobody99' }, { traceparent });
      await client.close();
      expect(result.isError).toBe(true);
      const span = await spanOf((s) => s.traceId === traceId && s.name === 'tools/call get_agent');
      expect(attrs(span)['error.type']).toBe('tool_error');
      const call = await spanOf((s) => s.parentSpanId === span.spanId);
      expect(attrs(call)).toMatchObject({
        'url.template': '/api/agents/{id}',
        'http.response.status_code': 404,
        'voisa.error.code': 'AGENT_NOT_FOUND',
      });
      expect(JSON.stringify(call)).not.toContain('agt_nobody99');
    });
  }

  it('exports the metric contract over OTLP, and nothing secret anywhere', async () => {
    const client = await connectWithMeta('2026-07-28', `${server.url}/mcp`, sandbox.demoKey);
    const placed = await client.call('make_call', { agent_id: 'agt_bella0001', phone_number: PHONE });
    expect(placed.isError).toBeFalsy();
    // A transcript read: its span names the URI's template, and no line of the transcript is exported.
    const { traceId, traceparent } = newTraceparent();
    const read = await client.read(`voisa://conversations/${CONVERSATION}/transcript`, { traceparent });
    await client.close();
    const transcript = read.contents[0]?.text ?? '';
    const line = transcript
      .split('\n')
      .map((l) => l.replace(/^[^:]*:\s*/, '').trim())
      .find((l) => l.length > 20);
    expect(line).toBeDefined();
    const readSpan = await spanOf((s) => s.traceId === traceId && s.name === 'resources/read');
    expect(attrs(readSpan)).toMatchObject({
      'mcp.method.name': 'resources/read',
      'mcp.resource.uri': 'voisa://conversations/{conversation_id}/transcript',
    });
    await spanOf((s) => s.name === 'POST /api/make-call');
    await waitFor(() => {
      const names = receiver.metricNames();
      return names.includes('voisa.mcp.tool.calls') && names.includes('voisa.client.request.duration')
        ? names
        : undefined;
    }, 15_000);
    expect([...new Set(receiver.metricNames())]).toEqual(
      expect.arrayContaining([
        'mcp.server.operation.duration',
        'voisa.mcp.tool.calls',
        'voisa.client.request.duration',
        'voisa.mcp.sessions.open',
        'voisa.mcp.streams.open',
      ]),
    );
    // Everything received: no API key (the bearer the clients sent), no phone number, in any form.
    const everything = JSON.stringify(receiver.bodies);
    expect(everything).not.toContain(sandbox.demoKey);
    expect(everything).not.toContain(PHONE.slice(1));
    expect(everything).not.toMatch(/Bearer/i);
    expect(everything).not.toContain(line);
    expect(everything).not.toContain(CONVERSATION);
  });
});

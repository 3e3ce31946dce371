/**
 * `GET /metrics` (`--metrics`): Debian's real Prometheus scrapes a running `voisa-mcp --http` and answers
 * a PromQL query for the tool-call count after N calls from both generations; and who may read it:
 * a loopback peer, or anyone with VOISA_METRICS_TOKEN (401 without, 403 with a wrong one, a loopback
 * peer behind a proxy included); 404 when metrics are off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { loadTelemetry } from '../../src/telemetry/load.js';
import type { Telemetry } from '../../src/telemetry/types.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { unbuilt } from '../helpers/built.js';
import { GENERATIONS } from '../helpers/generations.js';
import { mustStartPrometheus, type RunningPrometheus, requirePrometheus } from '../helpers/prometheus.js';
import { connectWithMeta } from './clients.js';
import { CLI, type ServerProcess, startServerProcess } from './server-process.js';

const TOKEN = 'metrics-token-for-the-test-0123456789';

/** Asks again until `fn` resolves to a value (Prometheus needs a scrape or two), else fails. */
async function eventually<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('no value in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(unbuilt(CLI) || !requirePrometheus())('Prometheus scraping /metrics', () => {
  let sandbox: Sandbox;
  let server: ServerProcess;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimitPerMin: 0 });
    server = await startServerProcess(['--base-url', sandbox.baseUrl, '--metrics'], {
      VOISA_API_KEY: sandbox.demoKey,
      VOISA_METRICS_TOKEN: TOKEN,
    });
    prometheus = await mustStartPrometheus([new URL(server.url).host], TOKEN);
  }, 40_000);
  afterAll(async () => {
    await prometheus?.stop();
    await server?.stop();
    await sandbox?.close();
  });

  it('counts voisa_mcp_tool_calls_total{gen_ai_tool_name="list_agents"} after N calls', async () => {
    const N = 3;
    for (let i = 0; i < N; i++) {
      const client = await connectWithMeta(GENERATIONS[i % 2]!, `${server.url}/mcp`, sandbox.demoKey);
      expect((await client.call('list_agents', {})).isError).toBeFalsy();
      await client.close();
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    if (process.env.VOISA_PRINT_METRICS) console.log(text);
    expect(text).toMatch(/^voisa_mcp_tool_calls_total\{[^}]*gen_ai_tool_name="list_agents"[^}]*\} 3$/m);
    const promql = 'sum(voisa_mcp_tool_calls_total{gen_ai_tool_name="list_agents",outcome="ok"})';
    const count = await eventually(async () => ((await prometheus.query(promql)) === N ? N : undefined));
    expect(count).toBe(N);
    // The contract's other series, under their Prometheus names (histograms in seconds end in _seconds).
    for (const series of [
      'mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call"}',
      'voisa_client_request_duration_seconds_count{url_template="/api/agents/list"}',
      'voisa_mcp_sessions_open',
      'voisa_mcp_streams_open',
    ])
      expect(await eventually(() => prometheus.query(series))).toBeGreaterThanOrEqual(0);
  });
});

describe('who may read /metrics', () => {
  let telemetry: Telemetry | undefined;
  const api = new VoisaClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'vsa_unused' });
  const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } }) as never;

  beforeAll(async () => {
    telemetry = await loadTelemetry({
      instance: 'test',
      version: '0',
      metrics: true,
      log: () => {},
      env: {},
    });
  });
  afterAll(async () => {
    await telemetry?.shutdown();
    await api.close();
  });

  it('loads only when asked for', async () => {
    expect(
      await loadTelemetry({ instance: 't', version: '0', metrics: false, log: () => {}, env: {} }),
    ).toBeUndefined();
    expect(
      await loadTelemetry({
        instance: 't',
        version: '0',
        metrics: false,
        log: () => {},
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' },
      }),
    ).toBeUndefined();
  });

  it('answers a loopback peer; refuses others without the token (401) or with a wrong one (403)', async () => {
    const { app } = createHttpApp({ api, loopbackOnly: true, telemetry, metricsToken: TOKEN });
    const local = await app.request('/metrics', {}, peer('127.0.0.1'));
    expect(local.status).toBe(200);
    expect(local.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await local.text()).toContain('# TYPE');
    expect((await app.request('/metrics', {}, peer('203.0.113.7'))).status).toBe(401);
    expect((await app.request('/metrics', {}, peer('::ffff:192.0.2.8'))).status).toBe(401);
    // A proxy on this host relays from loopback: a request naming a forwarded client is not local.
    const relayed = await app.request(
      '/metrics',
      { headers: { 'x-forwarded-for': '203.0.113.7' } },
      peer('127.0.0.1'),
    );
    expect(relayed.status).toBe(401);
    const wrong = await app.request(
      '/metrics',
      { headers: { authorization: 'Bearer nope' } },
      peer('203.0.113.7'),
    );
    expect(wrong.status).toBe(403);
    const good = await app.request(
      '/metrics',
      { headers: { authorization: `Bearer ${TOKEN}` } },
      peer('203.0.113.7'),
    );
    expect(good.status).toBe(200);
  });

  it('without a token configured, only loopback reads it; 404 when metrics are off', async () => {
    const { app } = createHttpApp({ api, loopbackOnly: false, telemetry });
    expect(
      (await app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }, peer('203.0.113.7')))
        .status,
    ).toBe(403);
    expect((await app.request('/metrics', {}, peer('::1'))).status).toBe(200);
    const off = createHttpApp({ api, loopbackOnly: true });
    const missing = await off.app.request(
      '/metrics',
      { headers: { host: '127.0.0.1:3000' } },
      peer('127.0.0.1'),
    );
    expect(missing.status).toBe(404);
  });
});

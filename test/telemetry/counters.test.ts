/**
 * The metric contract's counters, read from `/metrics` of an in-process HTTP server with metrics on
 * (no OTLP: the Prometheus reader sits on a MeterProvider of its own and no global provider is set,
 * so this runs in the test's process): confirmations asked / approved / declined, policy refusals by
 * code, tool results by outcome and code, VOISA call durations and retries by route, the gauges; a
 * tool name a client made up is `unknown`. Both generations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHttpServer, startHttpServer } from '../../src/http/listen.js';
import type { PolicyRules } from '../../src/policy/file.js';
import { readingsOf } from '../../src/policy/file.js';
import { CallPolicy } from '../../src/policy/policy.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { loadTelemetry } from '../../src/telemetry/load.js';
import type { Telemetry } from '../../src/telemetry/types.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { type Answer, connectGeneration, GENERATIONS } from '../helpers/generations.js';

const ACCEPT: Answer = { action: 'accept', content: { confirm: true } };
const DECLINE: Answer = { action: 'decline' };
const AGENT = 'agt_bella0001';
const BLOCKED = '+499001234567';

let sandbox: Sandbox;
let api: VoisaClient;
let telemetry: Telemetry;
let http: RunningHttpServer;

beforeAll(async () => {
  sandbox = await startSandbox({ rateLimitPerMin: 0, callMs: 200 });
  const loaded = await loadTelemetry({
    instance: 'counters',
    version: '0',
    metrics: true,
    log: () => {},
    env: {},
  });
  if (!loaded) throw new Error('telemetry did not load');
  telemetry = loaded;
  api = new VoisaClient({
    apiKey: sandbox.demoKey,
    baseUrl: sandbox.baseUrl,
    rateLimitPerMin: 0,
    maxRetryDelayMs: 20,
    observe: telemetry.observeCall,
  });
  const rules: PolicyRules = {
    source: 'test',
    blockPrefixes: ['+49900'],
    doNotCall: new Set(),
    readings: readingsOf,
  };
  http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    api,
    serverKey: sandbox.demoKey,
    policy: new CallPolicy(rules),
    telemetry,
  });
});
afterAll(async () => {
  await http?.close(200);
  await api?.close();
  await telemetry?.shutdown();
  await sandbox?.close();
});

/** The sum of a metric's series that carry these labels on /metrics (read from loopback, as a scraper would). */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(`${http.url}/metrics`);
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe.each(GENERATIONS)('%s client', (generation) => {
  it('counts a confirmation asked and approved, and one asked and declined', async () => {
    const confirmations = (step: string) =>
      sample('voisa_mcp_confirmations_total', { gen_ai_tool_name: 'make_call', voisa_confirmation: step });
    const before = {
      asked: await confirmations('asked'),
      approved: await confirmations('approved'),
      declined: await confirmations('declined'),
      declinedResults: await sample('voisa_mcp_tool_calls_total', {
        gen_ai_tool_name: 'make_call',
        outcome: 'error',
        voisa_error_code: 'DECLINED',
      }),
    };
    const yes = await connectGeneration(generation, { url: http.mcpUrl }, { elicit: () => ACCEPT });
    expect(
      (await yes.callTool('make_call', { agent_id: AGENT, phone_number: '+4930123456' })).isError,
    ).toBeFalsy();
    await yes.close();
    const no = await connectGeneration(generation, { url: http.mcpUrl }, { elicit: () => DECLINE });
    const declined = await no.callTool('make_call', { agent_id: AGENT, phone_number: '+4930123457' });
    await no.close();
    expect(declined.isError).toBe(true);
    expect(await confirmations('asked')).toBe(before.asked + 2);
    expect(await confirmations('approved')).toBe(before.approved + 1);
    expect(await confirmations('declined')).toBe(before.declined + 1);
    expect(
      await sample('voisa_mcp_tool_calls_total', {
        gen_ai_tool_name: 'make_call',
        outcome: 'error',
        voisa_error_code: 'DECLINED',
      }),
    ).toBe(before.declinedResults + 1);
  });

  it('counts a policy refusal by code, and asks nobody', async () => {
    const refusals = () =>
      sample('voisa_mcp_policy_refusals_total', { voisa_policy_code: 'POLICY_DESTINATION' });
    const asked = () =>
      sample('voisa_mcp_confirmations_total', { gen_ai_tool_name: 'make_call', voisa_confirmation: 'asked' });
    const before = { refusals: await refusals(), asked: await asked() };
    const c = await connectGeneration(generation, { url: http.mcpUrl }, { elicit: () => ACCEPT });
    const refused = await c.callTool('make_call', { agent_id: AGENT, phone_number: BLOCKED });
    await c.close();
    expect(refused.isError).toBe(true);
    expect(await refusals()).toBe(before.refusals + 1);
    expect(await asked()).toBe(before.asked);
  });

  it('counts results by outcome and code, VOISA calls by route, retries; a made-up tool is unknown', async () => {
    const notFound = () =>
      sample('voisa_mcp_tool_calls_total', {
        gen_ai_tool_name: 'get_agent',
        outcome: 'error',
        voisa_error_code: 'AGENT_NOT_FOUND',
      });
    const agentCalls = () =>
      sample('voisa_client_request_duration_seconds_count', {
        url_template: '/api/agents/{id}',
        http_response_status_code: '404',
      });
    const retries = () =>
      sample('voisa_client_retries_total', { http_request_method: 'GET', url_template: '/api/voices/list' });
    const unknown = () =>
      sample('mcp_server_operation_duration_seconds_count', {
        mcp_method_name: 'tools/call',
        gen_ai_tool_name: 'unknown',
      });
    const before = {
      notFound: await notFound(),
      agentCalls: await agentCalls(),
      retries: await retries(),
      unknown: await unknown(),
    };
    const c = await connectGeneration(generation, { url: http.mcpUrl });
    const missing = await c.callTool('get_agent', { agent_id: 'agt_nobody99' });
    expect(missing.isError).toBe(true);
    expect(missing.content[0]?.text).toMatch(/^AGENT_NOT_FOUND/);
    sandbox.injectFault({ path: '/api/voices/list', status: 503, code: 'INTERNAL_ERROR', message: 'busy' });
    expect((await c.callTool('list_voices', {})).isError).toBeFalsy();
    await c.callTool('no_such_tool_4930123456', {}).catch(() => undefined);
    await c.close();
    expect(await notFound()).toBe(before.notFound + 1);
    expect(await agentCalls()).toBe(before.agentCalls + 1);
    expect(await retries()).toBe(before.retries + 1);
    expect(await unknown()).toBe(before.unknown + 1);
    const text = await (await fetch(`${http.url}/metrics`)).text();
    expect(text).not.toContain('4930123456');
    expect(text).not.toContain('agt_nobody99');
    expect(text).toMatch(/^voisa_mcp_sessions_open\{[^}]*\} \d+$/m);
    expect(text).toMatch(/^voisa_mcp_streams_open\{[^}]*\} \d+$/m);
    // No Redis: no redis series at all (not a 0 that would read as "down").
    expect(text).not.toMatch(/^voisa_mcp_redis_up/m);
  });
});

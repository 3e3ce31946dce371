/**
 * One tenant cannot starve another (issue 19, point 14). Two sandbox accounts through the HTTP app,
 * on both protocol generations: VOISA answers key A's calls slowly (a per-account delay fault), A
 * starts 40 `list_agents` calls, and while they are all still pending key B's `list_agents` comes
 * back. Without a per-key share of the upstream pool, A's calls hold all 16 connections and B's
 * call queues behind them until some of A's answer. The assertion is an ordering (B answers before
 * any of A's calls), not a time; B's latency is printed for the record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT_ID, DEMO_KEY, SECOND_KEY } from '../../src/sandbox/seed.js';
import { DEFAULTS } from '../../src/voisa/config.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { type Stack, startStack, waitFor } from './helpers.js';

const SLOW_MS = 5000;
const A_CALLS = 40;
let stack: Stack;

beforeAll(async () => {
  // No key of the server's own: both tenants send theirs.
  stack = await startStack({ serverKey: null });
});
afterAll(() => stack?.close());

/** A's list_agents requests the sandbox has received since `from`. */
function aRequests(from: number): number {
  return stack.sandbox
    .requests()
    .slice(from)
    .filter((r) => r.account_id === DEMO_ACCOUNT_ID && r.path === '/api/agents/list').length;
}

describe.each(GENERATIONS)('%s: a slow tenant and another tenant', (generation) => {
  it(`key B's list_agents answers while key A's ${A_CALLS} slow calls are all pending`, async () => {
    const a = await connectGeneration(generation, { url: stack.http.mcpUrl }, { key: DEMO_KEY });
    const b = await connectGeneration(generation, { url: stack.http.mcpUrl }, { key: SECOND_KEY });
    // Both keys verified and their clients made before VOISA turns slow for A.
    expect((await a.callTool('list_agents', {})).isError).toBeFalsy();
    expect((await b.callTool('list_agents', {})).isError).toBeFalsy();

    const from = stack.sandbox.requests().length;
    stack.sandbox.injectFault({
      account_id: DEMO_ACCOUNT_ID,
      method: 'GET',
      path: '/api/agents/list',
      delayMs: SLOW_MS,
      times: A_CALLS,
    });
    let aDone = 0;
    const aCalls = Array.from({ length: A_CALLS }, () =>
      a.callTool('list_agents', {}).finally(() => {
        aDone++;
      }),
    );
    // All of A's calls are being answered by the server, as many as A may have on the pool are held
    // at VOISA, and the rest have had a moment to queue for a connection.
    await waitFor(() => stack.http.app.inFlight() >= A_CALLS, 10_000, "A's calls at the server");
    await waitFor(() => aRequests(from) >= DEFAULTS.maxConcurrentPerKey, 10_000, "A's calls at VOISA");
    await new Promise((r) => setTimeout(r, 500));

    const started = Date.now();
    const bResult = await b.callTool('list_agents', {});
    const bMs = Date.now() - started;
    const aDoneWhenB = aDone;
    console.log(
      `${generation}: key B's list_agents took ${bMs} ms while key A had ${A_CALLS} calls pending on a ${SLOW_MS} ms VOISA (${aRequests(from)} of them at VOISA)`,
    );
    expect(bResult.isError).toBeFalsy();
    expect(JSON.stringify(bResult.content)).not.toContain('agt_bella0001'); // B's own agents, not A's
    expect(aDoneWhenB).toBe(0);

    // A's held calls finish; the rest go through at once.
    stack.sandbox.clearFaults();
    const settled = await Promise.allSettled(aCalls);
    expect(settled.every((s) => s.status === 'fulfilled' && !s.value.isError)).toBe(true);
    await a.close();
    await b.close();
  }, 30_000);
});

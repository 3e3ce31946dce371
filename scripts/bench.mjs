#!/usr/bin/env node
/**
 * Measures what a user of the server pays for it, against the embedded sandbox:
 *   - tools/list: bytes and o200k tokens, total and per tool
 *   - spawn-to-initialize of the bundled entry (dist/bin/voisa-mcp.mjs) vs tsc's dist/cli/index.js
 *   - RSS of the bundled server after initialize
 *   - per-call overhead: list_agents through the MCP server (in-memory transport)
 *     vs the same client call made directly
 *   - a server from the factory per request (what every 2026-07-28 HTTP request costs): 500 times
 *     `createMcpHandler(factory).fetch(tools/list)` in-process, next to a 2025-era session's first
 *     tools/list (new server, connect, initialize, tools/list)
 * Run `npm run build` first.   node scripts/bench.mjs [--runs N] [--builds 500]
 *
 * How to read it: each line names its target where there is one. "first request" is the cold one
 * (tool schemas not yet computed); median and p99 are the steady state. When the median per request
 * is above ~2 ms, the split below it (createServer alone vs the whole request) says where the time
 * goes: the rest is the SDK's request handling and tools/list serialisation.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { getEncoding } from 'js-tiktoken';
import { modernRequest } from '../dist/http/app.js';
import { createServer } from '../dist/mcp/server.js';
import { loadPolicyFile } from '../dist/policy/file.js';
import { CallPolicy } from '../dist/policy/policy.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { VoisaClient } from '../dist/voisa/index.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const buildsArg = process.argv.indexOf('--builds');
const BUILDS = buildsArg > 0 ? Number(process.argv[buildsArg + 1]) : 500;
const CALLS = 400;

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (x) => `${x.toFixed(x < 10 ? 3 : 1)} ms`;

const sandbox = await startSandbox({ rateLimitPerMin: 0, seed: true });
const hostEnv = { ...process.env, VOISA_API_KEY: sandbox.demoKey, VOISA_BASE_URL: sandbox.baseUrl };

// --- tools/list tokens -------------------------------------------------------
const api = new VoisaClient({ apiKey: sandbox.demoKey, baseUrl: sandbox.baseUrl, rateLimitPerMin: 0 });
// --- a server from the factory per request (2026-07-28) -------------------------
// First, before anything else computes the tool schemas, so that "first request" is the cold one.
let buildMs = 0;
const handler = createMcpHandler(() => {
  const t = performance.now();
  const built = createServer({ api });
  buildMs += performance.now() - t;
  return built;
});
async function modernToolsList() {
  const t = performance.now();
  const answer = await handler.fetch(modernRequest('http://localhost/mcp', 'tools/list'));
  const text = await answer.text();
  const elapsed = performance.now() - t;
  if (answer.status !== 200 || !text.includes('"tools"'))
    throw new Error(`tools/list answered ${answer.status}: ${text.slice(0, 200)}`);
  return elapsed;
}
const firstModern = await modernToolsList();
buildMs = 0;
const perRequest = [];
for (let i = 0; i < BUILDS; i++) perRequest.push(await modernToolsList());
const buildShare = buildMs / BUILDS;

/** A 2025-era session's first tools/list: new server, connect, initialize, tools/list. */
async function legacyFirstToolsList() {
  const t = performance.now();
  const [c, s] = InMemoryTransport.createLinkedPair();
  const srv = createServer({ api });
  await srv.connect(s);
  const cl = new Client({ name: 'bench', version: '0' });
  await cl.connect(c);
  await cl.listTools();
  const elapsed = performance.now() - t;
  await cl.close();
  return elapsed;
}
const legacyFirst = [];
for (let i = 0; i < 100; i++) legacyFirst.push(await legacyFirstToolsList());

const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
const server = createServer({ api });
await server.connect(serverSide);
const client = new Client({ name: 'bench', version: '0' });
await client.connect(clientSide);
const { tools } = await client.listTools();
const enc = getEncoding('o200k_base');
const tokens = (v) => enc.encode(JSON.stringify(v)).length;
const rows = tools.map((t) => ({ name: t.name, bytes: JSON.stringify(t).length, tokens: tokens(t) }));
console.log(
  `tools/list: ${tools.length} tools, ${JSON.stringify({ tools }).length} bytes, ${tokens({ tools })} o200k tokens, ${(tokens({ tools }) / tools.length).toFixed(1)} a tool (target <= 195 a tool)`,
);
for (const r of rows.sort((a, b) => b.tokens - a.tokens)) {
  console.log(
    `  ${r.name.padEnd(26)} ${String(r.tokens).padStart(5)} tokens ${String(r.bytes).padStart(6)} bytes`,
  );
}

// --- spawn-to-initialize -----------------------------------------------------
const INIT = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
})}\n`;

function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return Number.NaN;
  }
}

/** Node itself: a process that answers the first line on stdin, the floor under any server. */
const FLOOR = ['-e', "process.stdin.once('data', () => process.stdout.write('{}\\n'))"];

/** Spawns the server, sends initialize at once, resolves with the time to the answer and the RSS then. */
function spawnToInitialize(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env: hostEnv, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!out.includes('\n')) return;
      const elapsed = performance.now() - started;
      setTimeout(() => {
        const rss = rssKiB(child.pid);
        child.kill();
        resolve({ elapsed, rss });
      }, 50);
    });
    child.on('error', reject);
    child.stdin.write(INIT);
  });
}

const entries = {
  'node alone (floor)': FLOOR,
  'dist/bin/voisa-mcp.mjs': ['dist/bin/voisa-mcp.mjs'],
  // With the German sample policy: its do-not-call file and the time-zone map are read at start-up.
  'bundle + call policy': [
    'dist/bin/voisa-mcp.mjs',
    '--call-policy',
    'docs/examples/call-policy-restaurants-de.json',
  ],
  'dist/cli/index.js': ['dist/cli/index.js'],
};
const runs = Object.fromEntries(Object.keys(entries).map((name) => [name, []]));
for (const args of Object.values(entries)) await spawnToInitialize(args); // warm the file cache
for (let i = 0; i < RUNS; i++) {
  // Interleaved, so that a burst of load on the machine hits every entry alike.
  for (const [name, args] of Object.entries(entries)) runs[name].push(await spawnToInitialize(args));
}
console.log(
  `spawn-to-initialize, ${RUNS} runs each (target <= 150 ms), RSS after initialize (target < 60 MB):`,
);
for (const [name, rs] of Object.entries(runs)) {
  const times = rs.map((r) => r.elapsed);
  const rss = quantile(
    rs.map((r) => r.rss),
    0.5,
  );
  console.log(
    `  ${name.padEnd(20)} median ${ms(quantile(times, 0.5))}, min ${ms(Math.min(...times))}, ` +
      `max ${ms(Math.max(...times))}; RSS ${(rss / 1024).toFixed(1)} MB`,
  );
}

// --- per-call overhead -------------------------------------------------------
const direct = [];
const viaMcp = [];
for (let i = 0; i < 50; i++) {
  await api.agents.list();
  await client.callTool({ name: 'list_agents', arguments: {} });
}
for (let i = 0; i < CALLS; i++) {
  let t = performance.now();
  await api.agents.list();
  direct.push(performance.now() - t);
  t = performance.now();
  const result = await client.callTool({ name: 'list_agents', arguments: {} });
  viaMcp.push(performance.now() - t);
  if (result.isError) throw new Error(`list_agents failed: ${JSON.stringify(result.content)}`);
}
const p = (xs) => ({ p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) });
const d = p(direct);
const m = p(viaMcp);
console.log(`list_agents direct   p50 ${ms(d.p50)} p95 ${ms(d.p95)}  (${CALLS} calls)`);
console.log(`list_agents via MCP  p50 ${ms(m.p50)} p95 ${ms(m.p95)}`);
console.log(`overhead             p50 ${ms(m.p50 - d.p50)} p95 ${ms(m.p95 - d.p95)} (target p50 < 0.3 ms)`);

// --- the call policy's check ----------------------------------------------------
// What make_call adds before anything is sent: prefixes, do-not-call, quiet hours in the callee's
// zones (a US toll-free number: 42 of them), and the budgets in memory (checked, not taken).
{
  const rules = await loadPolicyFile('docs/examples/call-policy-restaurants-de.json');
  const policy = new CallPolicy(
    { ...rules, allowPrefixes: ['+49', '+1'], blockPrefixes: [] },
    // 13:00 in Berlin (allowed); 22:00 in Guam, so the toll-free number is refused with the first
    // moment it is day in all 42 zones (the costliest path).
    { now: () => Date.parse('2026-12-07T12:00:00Z') },
  );
  const guard = policy.forPrincipal('bench');
  for (const [what, number] of [
    ['a Berlin number', '+49301234599'],
    ['a US toll-free number', '+18005550199'],
  ]) {
    const check = () => guard.check(number).catch(() => {});
    for (let i = 0; i < 200; i++) await check();
    const times = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      await check();
      times.push(performance.now() - t);
    }
    console.log(
      `call policy check, ${what.padEnd(22)} p50 ${(quantile(times, 0.5) * 1000).toFixed(1)} µs, p95 ${(quantile(times, 0.95) * 1000).toFixed(1)} µs`,
    );
  }
}

const median = quantile(perRequest, 0.5);
console.log(
  `2026-07-28 tools/list, a server from the factory per request (${BUILDS} requests, in-process createMcpHandler):`,
);
console.log(
  `  first request ${ms(firstModern)}; median ${ms(median)}, p99 ${ms(quantile(perRequest, 0.99))} per request`,
);
console.log(
  `  of which createServer ${ms(buildShare)} on average; the rest (${ms(Math.max(0, median - buildShare))} at the median) is the SDK handling the request and serialising tools/list`,
);
console.log(
  `2025-era session, new server + initialize + first tools/list (100 runs, in-memory): median ${ms(quantile(legacyFirst, 0.5))}, p99 ${ms(quantile(legacyFirst, 0.99))}`,
);
if (median > 2) console.log('  median above 2 ms per request: see the split above for where the time goes');

await client.close();
await api.close();
await sandbox.close();

#!/usr/bin/env node
/**
 * Load benchmark of `voisa-mcp --http` (loopback only, bounded, stops by itself).
 * The server runs as a child process (so its RSS is its own) against a sandbox in
 * this process (no rate limits). 100 MCP sessions (SDK StreamableHTTPClientTransport)
 * call tools in a loop for a fixed time; then the same calls are made directly with
 * the REST client at the same concurrency, for the ratio.
 * Run `npm run build` first.   node scripts/bench-http.mjs [--sessions 100] [--seconds 10]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { VoisaClient } from '../dist/voisa/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SESSIONS = arg('sessions', 100);
const SECONDS = arg('seconds', 10);
const hardStop = setTimeout(
  () => {
    console.error('bench-http: hard time limit reached');
    process.exit(1);
  },
  (SECONDS * 2 + 60) * 1000,
);
hardStop.unref();

const CALLS = [
  ['list_agents', { limit: 5 }, (api) => api.agents.list({ limit: 5 })],
  ['get_agent', { agent_id: 'agt_bella0001' }, (api) => api.agents.get('agt_bella0001')],
  ['list_voices', {}, (api) => api.voices.list()],
  ['list_conversations', { limit: 5 }, (api) => api.conversations.list({ limit: 5 })],
];

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : Number.NaN;
};
const cpuOf = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks at 100 Hz
};
const rssOf = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const sandbox = await startSandbox({ rateLimitPerMin: 0, trainingMs: 100, callMs: 100 });
const server = spawn(process.execPath, ['dist/cli.js', '--http', '--host', '127.0.0.1', '--port', '0'], {
  cwd: new URL('..', import.meta.url),
  stdio: ['ignore', 'ignore', 'pipe'],
  env: {
    ...process.env,
    VOISA_API_KEY: sandbox.demoKey,
    VOISA_BASE_URL: sandbox.baseUrl,
    VOISA_RATE_LIMIT_PER_MIN: '0',
    VOISA_LOG_LEVEL: 'info',
  },
});
let serverLog = '';
server.stderr.on('data', (c) => {
  if (serverLog.length < 4096) serverLog += c;
});
const url = await new Promise((resolve, reject) => {
  const t = setInterval(() => {
    const m = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(serverLog);
    if (m) {
      clearInterval(t);
      resolve(m[1]);
    }
  }, 20);
  server.once('exit', (code) => reject(new Error(`server exited ${code}: ${serverLog}`)));
});

async function session() {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${sandbox.demoKey}` } },
  });
  const client = new Client({ name: 'bench-http', version: '0' });
  await client.connect(transport);
  return client;
}

/** Runs `worker(i)` in `n` parallel loops for `seconds`; returns latencies and errors. */
async function load(n, seconds, worker) {
  const latencies = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      for (let k = i; performance.now() < until; k++) {
        const t = performance.now();
        try {
          await worker(i, k);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    calls: latencies.length,
    errors,
    perSec: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

// Warm up one session, then measure the server's RSS before and after SESSIONS idle sessions.
const warm = await session();
await warm.callTool({ name: 'list_agents', arguments: {} });
await warm.close();
await sleep(500);
const rssBefore = rssOf(server.pid);
const clients = [];
for (let i = 0; i < SESSIONS; i += 20)
  clients.push(...(await Promise.all(Array.from({ length: Math.min(20, SESSIONS - i) }, session))));
await sleep(1000);
const rssIdle = rssOf(server.pid);

let toolErrors = 0;
const cpu0 = { server: cpuOf(server.pid), bench: process.cpuUsage() };
const mcp = await load(SESSIONS, SECONDS, async (i, k) => {
  const [name, args] = CALLS[k % CALLS.length];
  const r = await clients[i].callTool({ name, arguments: args });
  if (r.isError) {
    toolErrors++;
    throw new Error(r.content?.[0]?.text ?? 'tool error');
  }
});
const rssLoaded = rssOf(server.pid);
const benchCpu = process.cpuUsage(cpu0.bench);
const cpu = { server: cpuOf(server.pid) - cpu0.server, bench: (benchCpu.user + benchCpu.system) / 1e6 };

const api = new VoisaClient({ apiKey: sandbox.demoKey, baseUrl: sandbox.baseUrl, rateLimitPerMin: 0 });
const direct = await load(SESSIONS, SECONDS, (_i, k) => CALLS[k % CALLS.length][2](api));

await Promise.all(clients.map((c) => c.close().catch(() => {})));
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
await api.close();
await sandbox.close();

const row = (label, r) =>
  `| ${label} | ${r.calls} | ${r.perSec.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.errors} |`;
console.log(
  `\nvoisa-mcp --http: ${SESSIONS} concurrent sessions, ${SECONDS} s per phase, loopback, sandbox without rate limits\n`,
);
console.log('| path | calls | calls/s | p50 | p99 | errors |');
console.log('|---|---|---|---|---|---|');
console.log(row(`MCP over HTTP (${SESSIONS} sessions)`, mcp));
console.log(row(`REST client direct (${SESSIONS} concurrent)`, direct));
console.log(
  `\nthroughput ratio MCP/direct: ${(mcp.perSec / direct.perSec).toFixed(2)}; p50 ratio: ${(mcp.p50 / direct.p50).toFixed(2)}; tool errors: ${toolErrors}`,
);
console.log(
  `server RSS: ${mib(rssBefore)} before sessions, ${mib(rssIdle)} with ${SESSIONS} idle sessions (${((rssIdle - rssBefore) / SESSIONS / 1024).toFixed(0)} KiB per idle session), ${mib(rssLoaded)} after load`,
);
console.log(
  `CPU during the MCP phase: server ${((cpu.server / SECONDS) * 100).toFixed(0)}% of a core, bench process (clients + sandbox) ${((cpu.bench / SECONDS) * 100).toFixed(0)}%`,
);
process.exit(mcp.errors === 0 && direct.errors === 0 ? 0 : 1);

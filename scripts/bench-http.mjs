#!/usr/bin/env node
/**
 * Load benchmark of `voisa-mcp --http` (loopback only, bounded, stops by itself).
 *
 *   node scripts/bench-http.mjs [--mode all|2025|2026|scale] [--sessions 100] [--seconds 8]
 *
 * The server runs as child processes (so their RSS is their own) against a sandbox in this process
 * (no rate limits). The same load, `--sessions` clients calling four read tools in a loop for
 * `--seconds`, is run:
 * - `2025`: 2025-11-25 clients (SDK 1.32), one session each;
 * - `2026`: 2026-07-28 clients (SDK v2, pinned): no session, a server built per request;
 * - the REST client directly, at the same concurrency, for the MCP/direct ratio;
 * - `scale`: 2026-07-28 clients through Debian's nginx (the shipped deploy config) to 1 instance and
 *   then to 3 instances sharing Debian's redis-server (skipped, with a message, without them).
 * How to read it: calls/s and p50/p99 per row; errors must be 0; RSS is per server process. This
 * machine has 2 cores shared by the clients, the sandbox, nginx, Redis and the servers, so 3 instances
 * cannot scale linearly here: the scale rows show that the path through nginx and Redis costs little
 * and spreads the load, not what 3 machines would do. Run `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { VoisaClient } from '../dist/voisa/index.js';
import { freePort, NGINX_BIN, REDIS_BIN, startNginx, startRedis } from './services.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const MODE = arg('mode', 'all');
const SESSIONS = Number(arg('sessions', 100));
const SECONDS = Number(arg('seconds', 8));
const hardStop = setTimeout(
  () => {
    console.error('bench-http: hard time limit reached');
    process.exit(1);
  },
  (SECONDS * 7 + 90) * 1000,
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
const rssOf = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const sandbox = await startSandbox({ rateLimitPerMin: 0, trainingMs: 100, callMs: 100 });
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** One `voisa-mcp --http` child; resolves once it serves. */
async function startServer(extraArgs = [], env = {}) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      'dist/bin/voisa-mcp.mjs',
      '--http',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--instance-id',
      String(port),
      ...extraArgs,
    ],
    {
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        VOISA_API_KEY: sandbox.demoKey,
        VOISA_BASE_URL: sandbox.baseUrl,
        VOISA_RATE_LIMIT_PER_MIN: '0',
        VOISA_LOG_LEVEL: 'info',
        ...env,
      },
    },
  );
  children.push(child);
  let log = '';
  child.stderr.on('data', (c) => {
    if (log.length < 8192) log += c;
  });
  await new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (log.includes('serving MCP over streamable HTTP')) {
        clearInterval(t);
        resolve();
      }
    }, 20);
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
  });
  return { port, url: `http://127.0.0.1:${port}/mcp`, pid: child.pid, child };
}

async function stopServer(s) {
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
}

const headers = { authorization: `Bearer ${sandbox.demoKey}` };
async function legacyClient(url) {
  const client = new Client({ name: 'bench-http', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}
async function modernClient(url) {
  const client = new ModernClient(
    { name: 'bench-http-2026', version: '0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new ModernHttp(new URL(url), { requestInit: { headers } }));
  return client;
}

/** Runs `worker(i, k)` in `n` parallel loops for `seconds`; returns throughput, latencies and errors. */
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

/** The same tool-call loop for any set of connected clients. */
function callLoop(clients) {
  return load(SESSIONS, SECONDS, async (i, k) => {
    const [name, args] = CALLS[k % CALLS.length];
    const r = await clients[i].callTool({ name, arguments: args });
    if (r.isError) throw new Error(r.content?.[0]?.text ?? 'tool error');
  });
}

async function connectAll(connectOne, url) {
  const clients = [];
  for (let i = 0; i < SESSIONS; i += 20)
    clients.push(
      ...(await Promise.all(Array.from({ length: Math.min(20, SESSIONS - i) }, () => connectOne(url)))),
    );
  return clients;
}

const rows = [];
const notes = [];
const row = (label, r, rss) =>
  `| ${label} | ${r.calls} | ${r.perSec.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.errors} | ${rss} |`;

if (MODE === 'all' || MODE === '2025' || MODE === '2026') {
  const server = await startServer();
  const warm = await legacyClient(server.url);
  await warm.callTool({ name: 'list_agents', arguments: {} });
  await warm.close();
  await sleep(300);
  const rssBefore = rssOf(server.pid);
  if (MODE !== '2026') {
    const clients = await connectAll(legacyClient, server.url);
    await sleep(500);
    const rssIdle = rssOf(server.pid);
    const r = await callLoop(clients);
    rows.push(row(`2025-11-25, ${SESSIONS} sessions`, r, mib(rssOf(server.pid))));
    notes.push(
      `RSS ${mib(rssBefore)} before sessions, ${mib(rssIdle)} with ${SESSIONS} idle sessions (${((rssIdle - rssBefore) / SESSIONS / 1024).toFixed(0)} KiB each)`,
    );
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }
  if (MODE !== '2025') {
    const clients = await connectAll(modernClient, server.url);
    const r = await callLoop(clients);
    rows.push(row(`2026-07-28, ${SESSIONS} clients (stateless)`, r, mib(rssOf(server.pid))));
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }
  await stopServer(server);
  const api = new VoisaClient({ apiKey: sandbox.demoKey, baseUrl: sandbox.baseUrl, rateLimitPerMin: 0 });
  const direct = await load(SESSIONS, SECONDS, (_i, k) => CALLS[k % CALLS.length][2](api));
  rows.push(row(`REST client direct (${SESSIONS} concurrent)`, direct, '-'));
  await api.close();
}

if (MODE === 'all' || MODE === 'scale') {
  if (!REDIS_BIN || !NGINX_BIN) {
    notes.push('scale mode skipped: needs redis-server and nginx (apt-get install redis-server nginx-light)');
  } else {
    const redis = await startRedis();
    process.on('exit', () => redis.kill());
    const env = { VOISA_SERVER_SECRET: randomBytes(32).toString('base64') };
    try {
      for (const n of [1, 3]) {
        const servers = [];
        for (let i = 0; i < n; i++) servers.push(await startServer(['--redis-url', redis.url], env));
        // One to three instances: the shipped config, rendered for those that run.
        const ports = servers.map((s) => s.port);
        const nginx = await startNginx(ports);
        try {
          const clients = await connectAll(modernClient, `${nginx.url}/mcp`);
          const r = await callLoop(clients);
          const rss = servers.map((s) => mib(rssOf(s.pid))).join(', ');
          rows.push(row(`2026-07-28 via nginx, ${n} instance${n > 1 ? 's' : ''} + Redis`, r, rss));
          await Promise.all(clients.map((c) => c.close().catch(() => {})));
        } finally {
          await nginx.stop();
          for (const s of servers) await stopServer(s);
        }
      }
    } finally {
      await redis.stop();
    }
  }
}

await sandbox.close();
console.log(
  `\nvoisa-mcp --http: ${SESSIONS} concurrent clients, ${SECONDS} s per row, loopback, sandbox without rate limits, 2 cores shared by everything\n`,
);
console.log('| path | calls | calls/s | p50 | p99 | errors | server RSS |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
for (const n of notes) console.log(`\n${n}`);
process.exit(rows.every((r) => r.split('|')[6].trim() === '0') ? 0 : 1);

#!/usr/bin/env node
/**
 * Load benchmark of `voisa-mcp --http` (loopback only, bounded, stops by itself).
 *
 *   node scripts/bench-http.mjs [--mode all|2025|2026|yardstick|scale] [--sessions 100] [--seconds 8]
 *                               [--profile] [--gen 2026|2025] [--compare <entry>] [--per-key 8]
 *
 * The server runs as child processes (so their RSS is their own) against a sandbox in this process
 * (no rate limits). The same load, `--sessions` clients calling four read tools in a loop for
 * `--seconds`, is run:
 * - `2025`: 2025-11-25 clients (SDK 1.32), one session each;
 * - `2026`: 2026-07-28 clients (SDK v2, pinned): no session, a server built per request;
 * - the REST client directly, at the same concurrency, for the MCP/direct ratio;
 * - `yardstick`: `list_agents` alone, on voisa-mcp and on scripts/yardstick-server.mjs (a minimal SDK v2
 *   server making the same VOISA request), per generation, and on voisa-mcp with telemetry on (OTLP
 *   to a loopback sink that discards, plus `--metrics`; "n/a" until dist/telemetry/ exists and the
 *   server accepts them). Every target is a child process of the same Node, warmed up with the same
 *   load first; the measured seconds alternate between them (voisa, yardstick, telemetry, telemetry,
 *   yardstick, voisa; half of `--seconds` each), so a burst of other work on the machine hits all
 *   alike. The ratio is voisa-mcp's calls/s over the yardstick's (goal >= 0.8, telemetry off).
 *   `--profile` runs the telemetry-off voisa-mcp with `--cpu-prof` and prints its top self-time frames;
 *   `--gen` keeps one generation's rows (to profile it alone); `--compare <entry>` adds a row for
 *   another build of voisa-mcp (a patched copy of dist/, to try a fix before making it);
 * - `scale`: 2026-07-28 clients through Debian's nginx (the shipped deploy config) to 1 instance and
 *   then to 3 instances sharing Debian's redis-server (skipped, with a message, without them).
 * How to read it: calls/s and p50/p99 per row; errors must be 0; RSS is per server process. This
 * machine has 2 cores shared by the clients, the sandbox, nginx, Redis and the servers, so 3 instances
 * cannot scale linearly here: the scale rows show that the path through nginx and Redis costs little
 * and spreads the load, not what 3 machines would do. Run `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSandbox } from '../dist/sandbox/index.js';
import { API_CONNECTIONS } from '../dist/voisa/client.js';
import { VoisaClient } from '../dist/voisa/index.js';
import { freePort, NGINX_BIN, REDIS_BIN, startNginx, startRedis } from './services.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const MODE = arg('mode', 'all');
const SESSIONS = Number(arg('sessions', 100));
const SECONDS = Number(arg('seconds', 8));
/** Seconds of the same load on each yardstick target before it is measured (JIT, pools, heap). */
const WARM_SECONDS = Math.min(3, Math.max(1, SECONDS / 4));
const PROFILE = process.argv.includes('--profile');
/** `--gen 2026` or `--gen 2025`: the yardstick rows of one generation only (to profile it alone). */
const GEN = arg('gen', 'both');
/**
 * `--compare <entry>`: one more target in the yardstick rows, another build of voisa-mcp (a patched
 * copy of dist/ with its own node_modules link), started like voisa-mcp: to try a fix before making it.
 */
const COMPARE = arg('compare', undefined);
/**
 * VOISA requests one key may have in flight on voisa-mcp (VOISA_MAX_CONCURRENT_PER_KEY, default 8 of
 * the pool's API_CONNECTIONS): the bench's clients all share one key, so in the yardstick rows voisa-mcp
 * gets the whole pool, as the yardstick's single key does (`--per-key 8` measures the default cap).
 */
const PER_KEY_ENV = { VOISA_MAX_CONCURRENT_PER_KEY: String(arg('per-key', API_CONNECTIONS)) };
const hardStop = setTimeout(
  () => {
    console.error('bench-http: hard time limit reached');
    process.exit(1);
  },
  (SECONDS * 13 + WARM_SECONDS * 6 + 150) * 1000,
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
/** CPU time (user + system) a process has used, in ms (from /proc; clock ticks of 10 ms). */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const sandbox = await startSandbox({ rateLimitPerMin: 0, trainingMs: 100, callMs: 100 });
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/**
 * One `voisa-mcp --http` child (or, with `entry`, another server script taking `--port`); resolves
 * once its stderr shows `ready`. `nodeArgs` go to node itself (`--cpu-prof`).
 */
async function startServer(extraArgs = [], env = {}, o = {}) {
  const port = await freePort();
  const entry = o.entry ?? [
    o.voisaEntry ?? 'dist/bin/voisa-mcp.mjs',
    '--http',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--instance-id',
    String(port),
  ];
  const ready = o.ready ?? 'serving MCP over streamable HTTP';
  const child = spawn(
    process.execPath,
    [...(o.nodeArgs ?? []), ...entry, ...(o.entry ? ['--port', String(port)] : []), ...extraArgs],
    {
      cwd: new URL('..', import.meta.url),
      // The yardstick stops by itself when its stdin closes, so a bench that dies leaves nothing behind.
      stdio: [o.entry ? 'pipe' : 'ignore', 'ignore', 'pipe'],
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
      if (log.includes(ready)) {
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
  let lastError;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      for (let k = i; performance.now() < until; k++) {
        const t = performance.now();
        try {
          await worker(i, k);
          latencies.push(performance.now() - t);
        } catch (err) {
          errors++;
          lastError = err;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return summary(latencies, errors, elapsed, lastError);
}

function summary(latencies, errors, elapsed, lastError) {
  return {
    calls: latencies.length,
    errors,
    lastError,
    latencies,
    elapsed,
    perSec: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

/** Several measured stretches of one target as one. */
const merge = (runs) =>
  summary(
    runs.flatMap((r) => r.latencies),
    runs.reduce((n, r) => n + r.errors, 0),
    runs.reduce((t, r) => t + r.elapsed, 0),
    runs.find((r) => r.lastError)?.lastError,
  );

/** The same tool-call loop for any set of connected clients. */
function callLoop(clients) {
  return load(SESSIONS, SECONDS, async (i, k) => {
    const [name, args] = CALLS[k % CALLS.length];
    const r = await clients[i].callTool({ name, arguments: args });
    if (r.isError) throw new Error(r.content?.[0]?.text ?? 'tool error');
  });
}

/** `list_agents` alone, the call the yardstick also serves. */
function listAgentsLoop(clients, seconds) {
  return load(SESSIONS, seconds, async (i) => {
    const r = await clients[i].callTool({ name: 'list_agents', arguments: { limit: 5 } });
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

/** A loopback OTLP/HTTP receiver that accepts and discards traces and metrics (counts them). */
async function startOtlpSink() {
  const received = { '/v1/traces': 0, '/v1/metrics': 0, other: 0 };
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.method === 'POST' && req.url in received ? req.url : 'other';
      received[path]++;
      const proto = String(req.headers['content-type'] ?? '').includes('protobuf');
      res.writeHead(path === 'other' ? 404 : 200, {
        'content-type': proto ? 'application/x-protobuf' : 'application/json',
      });
      res.end(proto || path === 'other' ? '' : '{}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** The top self-time frames of the .cpuprofile files in `dir`, and the same by package. */
function topFrames(dir, label, n = 15) {
  const self = new Map();
  const byPackage = new Map();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas[i] ?? 0;
      const { functionName, url, lineNumber } = nodes.get(id).callFrame;
      const file = url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
      const frame = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
      const pkg =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
        /\/dist\/([^/]+)\//.exec(url)?.[1]?.replace(/^/, 'voisa-mcp dist/') ??
        (url.startsWith('node:') ? 'node internals' : url ? url : `(${functionName})`);
      if (functionName === '(idle)') return; // the other targets' turns: not this one's cost
      self.set(frame, (self.get(frame) ?? 0) + dt);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
      total += dt;
    });
  }
  const top = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  return [
    `${label} CPU profile (--cpu-prof, ${(total / 1e6).toFixed(1)} s busy, idle left out), top self time:`,
    ...top(self),
    'by package:',
    ...top(byPackage, 12),
  ];
}

/** voisa-mcp's `list_agents` vs the yardstick, per generation, in the same run (see the head comment). */
const yardRows = [];
const yardLines = [];
if (MODE === 'all' || MODE === 'yardstick') {
  const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'voisa-prof-')) : undefined;
  const profiled = (sub) => ['--cpu-prof', '--cpu-prof-dir', join(profileDir, sub)];
  const sink = await startOtlpSink();
  const targets = [
    {
      name: 'voisa-mcp',
      server: await startServer(
        [],
        PER_KEY_ENV,
        // Profiled from tsc's modules, not the minified bundle, so that the frames have their names.
        profileDir ? { nodeArgs: profiled('voisa'), voisaEntry: 'dist/cli/index.js' } : {},
      ),
    },
    {
      name: 'yardstick (SDK v2 only)',
      server: await startServer(
        ['--connections', String(API_CONNECTIONS)],
        {},
        {
          entry: ['scripts/yardstick-server.mjs'],
          ready: 'yardstick serving on',
          ...(profileDir ? { nodeArgs: profiled('yardstick') } : {}),
        },
      ),
    },
  ];
  let telemetryNote = 'dist/telemetry/ is not built';
  if (existsSync(new URL('../dist/telemetry/', import.meta.url))) {
    try {
      targets.push({
        name: 'voisa-mcp, telemetry on',
        server: await startServer(['--metrics'], {
          ...PER_KEY_ENV,
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_SERVICE_NAME: 'voisa-mcp-bench',
        }),
      });
    } catch (err) {
      telemetryNote = `the server did not start with OTEL_EXPORTER_OTLP_ENDPOINT and --metrics: ${
        /voisa-mcp: ([^\n]*)/.exec(err.message)?.[1] ?? err.message.slice(0, 200)
      }`;
    }
  }
  if (COMPARE)
    targets.push({
      name: `voisa-mcp, ${COMPARE}`,
      server: await startServer([], PER_KEY_ENV, {
        voisaEntry: COMPARE,
        ...(profileDir ? { nodeArgs: profiled('compare') } : {}),
      }),
    });
  const yard = targets[1];
  const telemetry = targets.find((t) => t.name.endsWith('telemetry on'));
  const half = SECONDS / 2;
  for (const [gen, connectOne] of [
    ['2026-07-28 stateless', modernClient],
    ['2025-11-25 sessions', legacyClient],
  ].filter(([gen]) => GEN === 'both' || gen.startsWith(GEN))) {
    for (const t of targets) {
      t.clients = await connectAll(connectOne, t.server.url);
      await listAgentsLoop(t.clients, WARM_SECONDS);
    }
    await sleep(200);
    // voisa, yardstick, (telemetry on), (compare), then the same backwards.
    const order = [...targets, ...[...targets].reverse()];
    const runs = new Map(targets.map((t) => [t, []]));
    // The server's own CPU time in its measured turns, per call: what it costs whatever else runs.
    const cpu = new Map(targets.map((t) => [t, 0]));
    for (const t of order) {
      const before = cpuMs(t.server.pid);
      runs.get(t).push(await listAgentsLoop(t.clients, half));
      cpu.set(t, cpu.get(t) + cpuMs(t.server.pid) - before);
    }
    const r = new Map(targets.map((t) => [t, merge(runs.get(t))]));
    const perCall = (t) => cpu.get(t) / Math.max(1, r.get(t).calls);
    const base = r.get(yard).perSec;
    for (const t of targets) {
      const x = r.get(t);
      yardRows.push(
        `| ${gen} | ${t.name} | ${x.calls} | ${x.perSec.toFixed(0)} | ${x.p50.toFixed(1)} ms | ${x.p99.toFixed(1)} ms | ${x.errors} | ${perCall(t).toFixed(2)} ms | ${t === yard ? '1' : (x.perSec / base).toFixed(2)} |`,
      );
      if (x.errors) yardLines.push(`${gen}, ${t.name}: ${x.errors} errors, e.g. ${x.lastError?.message}`);
    }
    if (!telemetry)
      yardRows.push(`| ${gen} | voisa-mcp, telemetry on | n/a | n/a | n/a | n/a | n/a | n/a | n/a |`);
    for (const t of targets) {
      await Promise.all(t.clients.map((c) => c.close().catch(() => {})));
      t.clients = undefined;
    }
  }
  for (const t of targets) await stopServer(t.server);
  if (telemetry)
    yardLines.push(
      `telemetry on: the OTLP sink received ${sink.received['/v1/traces']} trace and ${sink.received['/v1/metrics']} metric exports`,
    );
  else yardLines.push(`telemetry on: n/a (${telemetryNote})`);
  await sink.close();
  if (profileDir) {
    yardLines.push(
      topFrames(join(profileDir, 'voisa'), 'voisa-mcp (dist/cli/index.js, telemetry off)').join('\n'),
    );
    yardLines.push(topFrames(join(profileDir, 'yardstick'), 'yardstick').join('\n'));
    if (COMPARE) yardLines.push(topFrames(join(profileDir, 'compare'), COMPARE).join('\n'));
    yardLines.push(`the .cpuprofile files (open them in Chrome DevTools) are kept in ${profileDir}`);
  }
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
if (yardRows.length) {
  console.log(
    `\nlist_agents alone, voisa-mcp vs the yardstick (a minimal SDK v2 server, same VOISA request), ${SESSIONS} clients, ${SECONDS} s each in alternating halves after ${WARM_SECONDS} s of warm-up; ratio = calls/s over the yardstick's (goal >= 0.8, telemetry off)\n`,
  );
  console.log('| generation | server | calls | calls/s | p50 | p99 | errors | server CPU/call | ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of yardRows) console.log(r);
  for (const n of yardLines) console.log(`\n${n}`);
}
const errorFree = (r, col) => ['0', 'n/a'].includes(r.split('|')[col].trim());
process.exit(rows.every((r) => errorFree(r, 6)) && yardRows.every((r) => errorFree(r, 7)) ? 0 : 1);

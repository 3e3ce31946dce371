#!/usr/bin/env node
/**
 * Runs the MCP conformance suite (server mode, active scenarios) against
 * `voisa-mcp --sandbox --http` on an ephemeral loopback port (needs `npm run build`).
 * Fails on any scenario failing that conformance/expected-failures.yml does not list
 * (fixture-only scenarios), and on a listed one that now passes. Bounded: 120 s.
 * Node 20: the suite imports fs.globSync (Node 22), provided by conformance/node20-fs-shim.mjs.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const LIMIT_MS = 120_000;

const server = spawn(
  process.execPath,
  ['dist/bin/voisa-mcp.mjs', '--sandbox', '--http', '--host', '127.0.0.1', '--port', '0'],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, VOISA_API_KEY: '', VOISA_LOG_LEVEL: 'info' },
  },
);
let serverLog = '';
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`server did not start:\n${serverLog}`)), 15_000);
  server.stderr.on('data', (chunk) => {
    serverLog += chunk;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(serverLog);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  server.once('exit', (code) => reject(new Error(`server exited (${code}):\n${serverLog}`)));
}).catch((err) => {
  console.error(err.message);
  server.kill('SIGKILL');
  process.exit(1);
});

const suite = spawn(
  process.execPath,
  [
    '--import',
    './conformance/node20-fs-shim.mjs',
    'node_modules/@modelcontextprotocol/conformance/dist/index.js',
    'server',
    '--url',
    url,
    '--expected-failures',
    'conformance/expected-failures.yml',
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
let output = '';
suite.stdout.on('data', (chunk) => {
  output += chunk;
});
const timer = setTimeout(() => suite.kill('SIGKILL'), LIMIT_MS);
const [code] = await once(suite, 'exit');
clearTimeout(timer);

// The summary, the baseline verdict, and the details of any unexpected failure. Counts are reworded
// ("1 ok, 0 not ok"): CI reads a line "N passed, N failed" as the test run's own closing line, and
// the expected (fixture-only) failures must not read as failed tests.
const summary = output.slice(output.indexOf('=== SUMMARY ===')) || output;
const reworded = summary.replace(/(\d+) passed, (\d+) failed/g, '$1 ok, $2 not ok');
process.stdout.write(`conformance against ${url}\n${reworded}\n`);

server.kill('SIGTERM');
const stopped = await Promise.race([
  once(server, 'exit'),
  new Promise((r) => setTimeout(() => r(null), 15_000)),
]);
if (stopped === null) {
  console.error('server did not stop within 15 s of SIGTERM');
  server.kill('SIGKILL');
  process.exit(1);
}
process.exit(code ?? 1);

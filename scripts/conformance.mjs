#!/usr/bin/env node
/**
 * Runs the MCP conformance suites (server mode) against `voisa-mcp --sandbox --http` on an ephemeral
 * loopback port (needs `npm run build`), one after the other against the same server:
 * - @modelcontextprotocol/conformance 0.1.16, the 2025 scenarios (active suite), on this Node
 *   (on Node 20 the suite's fs.globSync comes from conformance/node20-fs-shim.mjs);
 * - 0.2.0-alpha.12 (installed as @modelcontextprotocol/conformance-next), the scenarios the 2026-07-28
 *   revision requires, on Node 22 from tools/node (it needs 22; the server stays on this Node).
 * Each fails on any scenario (or check) failing that its conformance/expected-failures*.yml does not
 * list (fixture-only ones), and on a listed one that now passes. Bounded: 180 s each.
 * The 2026-07-28 requirement set also runs scenarios it never scores (the tasks extension, pending
 * ones); the runner leaves them out of the verdict, and their summary lines are marked as such.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const LIMIT_MS = 180_000;

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

const NODE22 = `${root}tools/node/node_modules/node22/bin/node`;
const NEXT = 'node_modules/@modelcontextprotocol/conformance-next';

/** Server scenarios a requirement set runs but never scores, with the reason it gives. */
function notScored(revision) {
  const file = `${root}${NEXT}/requirements/${revision}.yaml`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const section = text.slice(text.indexOf('\nnot_scored:'));
  const entries = section.matchAll(/- scenario: (\S+)\s+leg: server\s+reason: (\S+)/g);
  return new Map([...entries].map((m) => [m[1], m[2]]));
}

const suites = [
  {
    label: '2025 scenarios (conformance 0.1.16)',
    node: process.execPath,
    args: [
      '--import',
      './conformance/node20-fs-shim.mjs',
      'node_modules/@modelcontextprotocol/conformance/dist/index.js',
      'server',
      '--url',
      url,
      '--expected-failures',
      'conformance/expected-failures.yml',
    ],
  },
  {
    label: '2026-07-28 requirements (conformance 0.2.0-alpha.12, Node 22)',
    node: NODE22,
    args: [
      `${NEXT}/dist/index.js`,
      'server',
      '--url',
      url,
      '--requirements',
      '2026-07-28',
      '--expected-failures',
      'conformance/expected-failures-2026.yml',
    ],
    notScored: notScored('2026-07-28'),
  },
];

let code = 0;
for (const suite of suites) {
  if (!existsSync(suite.node)) {
    console.error(`${suite.label}: ${suite.node} is missing; run npm ci --prefix tools/node --no-bin-links`);
    code = 1;
    continue;
  }
  const run = spawn(suite.node, suite.args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  run.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => run.kill('SIGKILL'), LIMIT_MS);
  const [exit] = await once(run, 'exit');
  clearTimeout(timer);
  // The summary, the baseline verdict, and the details of any unexpected failure. Counts are reworded
  // ("1 ok, 0 not ok"): CI reads a line "N passed, N failed" as the test run's own closing line, and
  // the expected (fixture-only) failures must not read as failed tests.
  const summary = output.slice(output.indexOf('=== SUMMARY ===')) || output;
  const reworded = summary
    .replace(/(\d+) passed, (\d+) failed/g, '$1 ok, $2 not ok')
    .replace(/^([✓✗] (\S+):.*)$/gm, (line, _, name) =>
      suite.notScored?.has(name) ? `${line} (not scored: ${suite.notScored.get(name)})` : line,
    );
  process.stdout.write(`\n### ${suite.label} against ${url}\n${reworded}\n`);
  if (exit !== 0) code = exit ?? 1;
}

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
process.exit(code);

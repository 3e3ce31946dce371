#!/usr/bin/env node
/**
 * A pass-through between an MCP client and a stdio server that logs every JSON-RPC line each way, for
 * tests that must see what a closed client (Claude Code) sends and gets: its `resources/list` pages,
 * its answer to a confirmation, the calls that reached the server.
 *
 *   node stdio-tap.mjs <log file> <command> [args...]
 *
 * The log has one JSON object a line: `{dir: 'spawn', pid}` first (the server's pid, so a test can
 * end it), then `{dir: 'in' | 'out', line}` for each message (client to server, server to client).
 * SIGINT and SIGTERM are passed on to the server; the tap exits when the server does, with its code.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

const [logFile, command, ...args] = process.argv.slice(2);
if (!logFile || !command) {
  process.stderr.write('usage: stdio-tap.mjs <log file> <command> [args...]\n');
  process.exit(2);
}
const record = (entry) => appendFileSync(logFile, `${JSON.stringify(entry)}\n`);

const server = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
record({ dir: 'spawn', pid: server.pid });

/** Logs each complete line of a stream as it passes. */
function lines(dir) {
  let rest = '';
  return (chunk) => {
    rest += chunk;
    for (let i = rest.indexOf('\n'); i >= 0; i = rest.indexOf('\n')) {
      record({ dir, line: rest.slice(0, i) });
      rest = rest.slice(i + 1);
    }
  };
}

process.stdin.on('data', lines('in'));
process.stdin.pipe(server.stdin);
server.stdout.on('data', lines('out'));
server.stdout.pipe(process.stdout);
server.stdin.on('error', () => {});
process.stdout.on('error', () => {});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => {
  record({ dir: 'exit', code, signal });
  process.exit(code ?? 1);
});

/**
 * The stdio server exits when its client goes (issue 20, point 5), whatever is open: a 2026-07-28
 * `subscriptions/listen` stream, a `wait_for_call` polling VOISA (on both generations; a 2025-11-25
 * stdio server offers no resource subscriptions, having no webhooks to drive them).
 * The built CLI on the embedded sandbox, spawned by a small relay process that the SDK client spawns
 * (client -> relay -> server), so the test can make each kind of leave happen to the server:
 *  (a) stdin closed cleanly (the relay ends the server's stdin; the parent lives on);
 *  (b) the client process killed (the relay, SIGKILL: the server sees EOF, a broken stdout, a new parent);
 *  (c) the parent killed while stdin and stdout stay open (a third process holds the stdin pipe,
 *      stdout is the test's own pipe): only the watch on the parent process can see it;
 *  (d) stdout closed by the client, then a request comes that the server answers (EPIPE).
 * Each asserts the server process is gone within a generous bound and names why on stderr; the
 * measured time from the leave to the exit is printed, not asserted.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { unbuilt } from '../helpers/built.js';
import { type AnyClient, connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { waitFor as awaitValue, ENDLESS_WAIT, waitsPolling } from '../helpers/sandbox.js';
import { waitFor } from '../http/helpers.js';

const CLI = fileURLToPath(new URL('../../dist/bin/voisa-mcp.mjs', import.meta.url));
const WATCHED = 'voisa://agents/agt_bella0001';
/** Marks the processes of a test (inherited from the relay by the server and the holder). */
const TAG = 'VOISA_STDIO_EXIT_TEST';
/** Generous: the server should be gone within about a second or two. */
const GONE_WITHIN_MS = 15_000;

/**
 * The relay (CommonJS for `node -e`): argv = [cli, mode, dir]. Spawns `cli --sandbox` with its stderr
 * into dir/<relay pid>.stderr.log, writes dir/<relay pid>.pids.json ({ relay, server, holder }), and
 * dir/<relay pid>.exit.json when the server exits (the 2026-07-28 client first probes on a sibling
 * relay of its own, then reaps it: files per relay). Mode `pipe`: relays stdin and stdout through
 * pipes of its own. Mode `hold`: the server's stdout is the relay's own (the test's pipe), and a
 * holder process keeps a copy of the server's stdin pipe open. SIGUSR2 ends the server's stdin; SIGUSR1 closes the server's stdout, then
 * sends a ping for the server to answer.
 */
const RELAY = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const [cli, mode, dir] = process.argv.slice(1);
const server = spawn(process.execPath, [cli, '--sandbox'], {
  stdio: ['pipe', mode === 'hold' ? 'inherit' : 'pipe', fs.openSync(dir + '/' + process.pid + '.stderr.log', 'a')],
});
for (const s of [server.stdin, server.stdout, process.stdout]) s?.on('error', () => {});
process.stdin.pipe(server.stdin);
server.stdout?.pipe(process.stdout);
const holder = mode === 'hold'
  ? spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: ['ignore', 'ignore', 'ignore', server.stdin] })
  : undefined;
process.on('SIGUSR2', () => {
  process.stdin.unpipe(server.stdin);
  server.stdin.end();
});
process.on('SIGUSR1', () => {
  server.stdout.destroy();
  server.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 'relay-ping', method: 'ping' }) + '\\n');
});
server.on('exit', (code, signal) => {
  fs.writeFileSync(dir + '/' + process.pid + '.exit.json', JSON.stringify({ code, signal }));
  process.exit(0);
});
const pids = dir + '/' + process.pid + '.pids.json';
fs.writeFileSync(pids + '.tmp', JSON.stringify({ relay: process.pid, server: server.pid, holder: holder?.pid }));
fs.renameSync(pids + '.tmp', pids);
`;

interface Pids {
  relay: number;
  server: number;
  holder?: number;
}

/** Whether the process runs (a zombie, exited but not yet reaped by its new parent, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    if (existsSync('/proc/self/stat')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const LEAVES = [
  {
    name: '(a) the client closes stdin',
    mode: 'pipe',
    signal: 'SIGUSR2',
    reason: /client gone \(end of input\)/,
  },
  {
    name: '(b) the client process is killed',
    mode: 'pipe',
    signal: 'SIGKILL',
    reason: /client gone \((end of input|stdout failed \(\w+\)|parent process \d+ gone)\)/,
  },
  {
    name: '(c) the parent process dies while stdin and stdout stay open',
    mode: 'hold',
    signal: 'SIGKILL',
    reason: /client gone \(parent process \d+ gone\)/,
  },
  {
    name: '(d) the client closes stdout and the server has an answer to write',
    mode: 'pipe',
    signal: 'SIGUSR1',
    reason: /client gone \(stdout failed \(E[A-Z]+\)\)/,
  },
] as const;

const CASES = GENERATIONS.flatMap((generation) => LEAVES.map((leave) => ({ generation, ...leave })));

let dir: string | undefined;
let client: AnyClient | undefined;

/** The processes of every relay started in `where`. */
function relays(where: string): Pids[] {
  return readdirSync(where)
    .filter((f) => f.endsWith('.pids.json'))
    .map((f) => JSON.parse(readFileSync(path.join(where, f), 'utf8')) as Pids);
}

/** Every process started for a test (relays, servers, holders, probes): they all carry TAG=<dir>. */
function tagged(where: string): number[] {
  if (!existsSync('/proc')) return [];
  const mark = `${TAG}=${where}\0`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/environ`, 'latin1').includes(mark);
      } catch {
        return false;
      }
    })
    .map(Number);
}

afterEach(async () => {
  if (dir) {
    const where = dir;
    for (const pid of [...tagged(where), ...relays(where).flatMap((p) => [p.server, p.holder, p.relay])]) {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await waitFor(() => tagged(where).every((pid) => !alive(pid)), 5000, 'the test processes to end');
  }
  // Its processes are gone: closing the client has nothing to wait for.
  await Promise.race([client?.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
  client = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe.skipIf(unbuilt(CLI))('the stdio server exits when its client goes', () => {
  it.each(CASES)(
    '$generation, $name: the server exits, naming why',
    async ({ generation, mode, signal, reason }) => {
      dir = mkdtempSync(path.join(tmpdir(), 'voisa-stdio-exit-'));
      const where = dir;
      client = await connectGeneration(generation, {
        stdio: {
          command: process.execPath,
          args: ['-e', RELAY, CLI, mode, where],
          env: { VOISA_LOG_LEVEL: 'info', [TAG]: where },
        },
      });
      // The relay of the connection (the 2026-07-28 client has reaped its probe's sibling relay by now).
      const pids = await awaitValue(() => relays(where).find((p) => alive(p.relay)), 10_000);
      const file = (name: string) => path.join(where, `${pids.relay}.${name}`);
      const stderr = () => readFileSync(file('stderr.log'), 'utf8');

      // What is open when the client goes: a wait polling VOISA, and on 2026-07-28 a listen stream.
      if (generation === '2026-07-28') await client.watch([WATCHED]);
      let waitSettled: 'answered' | 'failed' | undefined;
      client.callTool('wait_for_call', ENDLESS_WAIT).then(
        () => (waitSettled = 'answered'),
        () => (waitSettled = 'failed'),
      );
      const sandboxUrl = /embedded sandbox at (http:\/\/\S+)/.exec(stderr())?.[1];
      expect(sandboxUrl, stderr()).toBeDefined();
      await waitsPolling(sandboxUrl!);

      const left = Date.now();
      process.kill(pids.relay, signal);
      const until = left + GONE_WITHIN_MS;
      while (alive(pids.server) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const ms = Date.now() - left;
      console.log(`stdio exit, ${generation}, ${signal} to the relay (${mode}): server gone after ${ms} ms`);
      expect(alive(pids.server), `still running after ${ms} ms:\n${stderr()}`).toBe(false);

      const log = stderr();
      expect(log).toMatch(reason);
      expect(log.match(/client gone/g)).toHaveLength(1);
      expect(log).not.toMatch(/uncaught|unhandled/);
      if (signal !== 'SIGKILL') {
        // The relay saw the exit: a client that leaves is a normal end.
        await waitFor(() => existsSync(file('exit.json')), 5000, 'the relay to see the exit');
        expect(JSON.parse(readFileSync(file('exit.json'), 'utf8'))).toEqual({
          code: 0,
          signal: null,
        });
        // Nothing is written once the client is gone: the wait is not answered, its request fails.
        await waitFor(() => waitSettled !== undefined, 10_000, 'the wait to settle');
        expect(waitSettled).toBe('failed');
      }
    },
    45_000,
  );
});

/**
 * `voisa-mcp --http` as an operator starts it: a Redis it cannot reach or a missing server secret is a
 * clear error at start-up, never a crash later; and a log reader that goes away (stderr closed) does
 * not keep the process from shutting down.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/services.js';

const CLI = fileURLToPath(new URL('../../dist/bin/voisa-mcp.mjs', import.meta.url));
const SECRET = Buffer.alloc(32, 7).toString('base64');

async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, stderr };
}

describe('voisa-mcp --http start-up', () => {
  it('exits with a clear message when Redis cannot be reached, without the password', async () => {
    const port = await freePort();
    const r = await run(
      ['--http', '--port', '0', '--sandbox', '--redis-url', `redis://app:hunter2@127.0.0.1:${port}`],
      {
        VOISA_SERVER_SECRET: SECRET,
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach Redis at redis://app:***@127.0.0.1:${port}`);
    expect(r.stderr).toContain('--redis-url / VOISA_REDIS_URL');
    expect(r.stderr).not.toContain('hunter2');
  });

  it('refuses --redis-url without VOISA_SERVER_SECRET, and a secret that is too short', async () => {
    const missing = await run(
      ['--http', '--port', '0', '--sandbox', '--redis-url', 'redis://127.0.0.1:1'],
      {},
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/VOISA_SERVER_SECRET is required when instances share state/);
    const short = await run(['--http', '--port', '0', '--sandbox', '--redis-url', 'redis://127.0.0.1:1'], {
      VOISA_SERVER_SECRET: 'tooshort',
    });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/too short/);
    expect(short.stderr).not.toContain('tooshort');
  });

  it('shuts down on SIGTERM after its log reader went away (stderr closed)', async () => {
    const child = spawn(process.execPath, [CLI, '--http', '--port', '0', '--sandbox'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        // The last start-up line: the stop handlers are in place once it is out.
        if (d.toString().includes('sandbox webhooks ->')) resolve();
      });
    });
    child.stderr.destroy(); // the reader is gone: every later log line fails with EPIPE
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code, signal] = await once(child, 'exit');
    clearTimeout(timer);
    expect(signal).toBeNull();
    expect(code).toBe(0); // before the fix: an endless loop of failed error reports, then SIGKILL
  });
});

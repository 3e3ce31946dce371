import { describe, expect, it } from 'vitest';
import { runSandboxCli } from '../../src/sandbox/index.js';

describe('runSandboxCli', () => {
  it('prints the base URL, the keys and both demo accounts, serves, and stops on abort', async () => {
    let text = '';
    const controller = new AbortController();
    const done = runSandboxCli(['--port', '0', '--host', '127.0.0.1'], {
      out: { write: (s: string) => (text += s) },
      signal: controller.signal,
    });
    for (let i = 0; i < 100 && !text.includes('Ctrl+C'); i++) await new Promise((r) => setTimeout(r, 10));
    const base = /VOISA_BASE_URL=(\S+)/.exec(text)?.[1];
    const key = /demo key \(read, write, delete\): (\S+)/.exec(text)?.[1];
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(key).toMatch(/^vsa_test_/);
    expect(text).toMatch(/read-only key: +vsa_test_/);
    expect(text).toContain('demo account: demo@voisa.example');
    expect(text).toContain('second account (its own agents, calls, webhooks): ops@second.example');
    const second = /second account key \(read, write, delete\): (\S+)/.exec(text)?.[1];
    const res = await fetch(`${base}/api/verify`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const res2 = await fetch(`${base}/api/verify`, { headers: { authorization: `Bearer ${second}` } });
    expect(((await res2.json()) as { data: { account_id: string } }).data.account_id).toBe('acc_second02');
    controller.abort();
    await done;
    await expect(fetch(`${base}/api/verify`)).rejects.toThrow();
  });

  it('prints usage for --help and rejects bad numbers', async () => {
    let text = '';
    await runSandboxCli(['--help'], { out: { write: (s: string) => (text += s) } });
    expect(text).toContain('Usage: voisa-mcp sandbox');
    expect(text).toContain('--reference-shape');
    await expect(runSandboxCli(['--port', 'abc'])).rejects.toThrow(/--port/);
  });
});

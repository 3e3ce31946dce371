/**
 * The built binary as a user runs it: spawned over stdio, driven by the SDK's
 * real client; stdout carries nothing but JSON-RPC. Also the CLI's other paths:
 * no key, bad flags, --help, and `login` with the key stored owner-only.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { unbuilt } from '../helpers/built.js';
import { useSandbox } from '../helpers/sandbox.js';

const CLI = path.resolve('dist/cli/index.js');
const built = !unbuilt(CLI);
const sandbox = useSandbox();

/** Runs the CLI to completion with `input` on stdin. */
function run(
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe.skipIf(!built)('voisa-mcp over stdio (built binary)', () => {
  it('lists and calls tools against a sandbox', async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      env: {
        PATH: process.env.PATH ?? '',
        VOISA_API_KEY: sandbox().demoKey,
        VOISA_BASE_URL: sandbox().baseUrl,
        HOME: tmpdir(),
      },
      stderr: 'pipe',
    });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(26);
      const result = await client.callTool({ name: 'get_agent', arguments: { agent_id: 'agt_bella0001' } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ id: 'agt_bella0001' });
    } finally {
      await client.close();
    }
  });

  it('writes nothing but JSON-RPC to stdout, even on errors', async () => {
    const lines = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'get_agent', arguments: { agent_id: 'agt_missing' } },
      },
      {
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: { name: 'make_call', arguments: { phone_number: 12 } },
      },
      { jsonrpc: '2.0', id: 5, method: 'no/such/method' },
    ];
    const input = `${lines.map((l) => JSON.stringify(l)).join('\n')}\nthis is not json\n`;
    // stdin closes after the input; give the answers time to arrive by keeping it open briefly.
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI], {
        env: {
          PATH: process.env.PATH ?? '',
          VOISA_API_KEY: sandbox().demoKey,
          VOISA_BASE_URL: sandbox().baseUrl,
          VOISA_LOG_LEVEL: 'debug',
        },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
        // Done once ids 1 to 5 are answered (log notifications and the parse error come in between).
        const answered = new Set(
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l).id),
        );
        if ([1, 2, 3, 4, 5].every((id) => answered.has(id))) child.stdin.end();
      });
      child.stderr.on('data', (d) => (err += d));
      child.on('close', () => resolve({ stdout: out, stderr: err }));
      child.stdin.write(input);
      setTimeout(() => child.stdin.end(), 5000).unref();
    });
    const messages = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    for (const m of messages) expect(m.jsonrpc).toBe('2.0');
    const byId = Object.fromEntries(messages.filter((m) => 'id' in m).map((m) => [m.id, m]));
    expect(byId[3].result.isError).toBe(true);
    expect(byId[3].result.content[0].text).toMatch(/^AGENT_NOT_FOUND \(404\)/);
    expect(byId[4].result.content[0].text).toMatch(/^INVALID_REQUEST \(input\)/);
    expect(byId[5].error.code).toBe(-32601);
    expect(stderr).not.toContain(sandbox().demoKey);
  });

  it('exits at once without a key, saying how to get one', async () => {
    const { code, stdout, stderr } = await run([], {
      VOISA_CONFIG_DIR: await mkdtemp(path.join(tmpdir(), 'voisa-cfg-')),
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/no VOISA API key[\s\S]*voisa-mcp login[\s\S]*VOISA_API_KEY[\s\S]*--sandbox/);
  });

  it('refuses unknown toolsets at startup, listing the valid ones', async () => {
    const { code, stderr } = await run(['--toolsets', 'agents,billing'], { VOISA_API_KEY: 'x' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown toolsets: billing\. Valid toolsets: account, agents, knowledge_base/);
  });

  it('documents every command, flag and environment variable in --help', async () => {
    const { code, stdout } = await run(['--help'], {});
    expect(code).toBe(0);
    for (const word of [
      'login',
      'sandbox',
      '--sandbox',
      '--read-only',
      '--toolsets',
      '--tools',
      '--http',
      'VOISA_API_KEY',
      'VOISA_BASE_URL',
      'VOISA_TIMEOUT_MS',
      'VOISA_MAX_RETRIES',
      'VOISA_RATE_LIMIT_PER_MIN',
    ]) {
      expect(stdout).toContain(word);
    }
  });

  it('login stores a verified key owner-only, and the server then uses it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'voisa-cfg-'));
    const { email, password } = sandbox().demoAccount;
    const env = { VOISA_CONFIG_DIR: dir, VOISA_BASE_URL: sandbox().baseUrl };
    const { code, stdout, stderr } = await run(['login'], env, `${email}\n${password}\n`);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/Logged in/);
    expect(stderr).not.toContain(password);
    expect(stderr).not.toContain(sandbox().demoKey);
    const file = path.join(dir, 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8')).api_key).toBe(sandbox().demoKey);

    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI],
        env: { PATH: process.env.PATH ?? '', ...env },
        stderr: 'pipe',
      }),
    );
    try {
      const result = await client.callTool({ name: 'verify_api_key', arguments: {} });
      expect(result.structuredContent).toMatchObject({ valid: true });
    } finally {
      await client.close();
    }
  });

  it('login with a wrong password stores nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'voisa-cfg-'));
    const { code, stderr } = await run(
      ['login'],
      { VOISA_CONFIG_DIR: dir, VOISA_BASE_URL: sandbox().baseUrl },
      `${sandbox().demoAccount.email}\nwrong\n`,
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/Login failed: INVALID_API_KEY/);
    expect(existsSync(path.join(dir, 'credentials.json'))).toBe(false);
  });

  it('--sandbox works with no account at all', async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, '--sandbox'],
        env: { PATH: process.env.PATH ?? '' },
        stderr: 'pipe',
      }),
    );
    try {
      const created = await client.callTool({ name: 'create_agent', arguments: { name: 'Demo' } });
      expect(created.structuredContent).toMatchObject({ status: 'training' });
    } finally {
      await client.close();
    }
  });
});

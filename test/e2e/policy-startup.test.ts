/**
 * The call policy, dry run and audit trail as an operator starts them (issue 22): the built bundle
 * (dist/bin/voisa-mcp.mjs --sandbox). A bad policy file or an audit log that cannot be opened stops
 * it before it serves, naming the key (or file and line); a good one is kept through the SDK's real
 * client over stdio, and the audit file holds exactly the calls made.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY } from '../../src/sandbox/index.js';
import { principalNamer } from '../../src/security/secret.js';
import { hashKey } from '../../src/web/auth.js';
import { unbuilt } from '../helpers/built.js';

const CLI = path.resolve('dist/bin/voisa-mcp.mjs');
const CLIENT_NAME = 'policy-e2e';
const ALLOWED = { agent_id: 'agt_bella0001', phone_number: '+49123456789' };
const REFUSED = { agent_id: 'agt_bella0001', phone_number: '+4312345678' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'voisa-policy-e2e-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// At info, so the negative check below would see a `serving over stdio` line.
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: dir, VOISA_LOG_LEVEL: 'info' });
/** A path inside a pattern, matched as written. */
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Writes `name` in the temp dir; returns its path. */
async function file(name: string, content: string | object): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

/** Runs the CLI with stdin closed at once: a server that did start would see its client gone and exit. */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--sandbox', ...args], {
      env: { ...baseEnv(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`voisa-mcp did not exit: ${stderr}`));
    }, 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

async function expectStartupError(
  args: string[],
  message: RegExp,
  env: Record<string, string> = {},
): Promise<void> {
  const { code, stdout, stderr } = await run(args, env);
  expect(code, stderr).not.toBe(0);
  expect(code).not.toBeNull();
  expect(stdout).toBe('');
  expect(stderr).toMatch(message);
  expect(stderr).not.toMatch(/serving over stdio/);
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** The built server over stdio, the SDK's client connected. */
async function connectCli(args: string[], env: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: CLIENT_NAME, version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, '--sandbox', ...args],
      env: { ...baseEnv(), ...env },
      stderr: 'pipe',
    }),
  );
  return client;
}

describe.skipIf(unbuilt(CLI))('call policy at start-up (dist/bin/voisa-mcp.mjs --sandbox)', () => {
  it('an unknown key stops it, naming the key and the allowed ones', async () => {
    const p = await file('unknown-key.json', { allow_prefix: ['+49'] });
    await expectStartupError(
      ['--call-policy', p],
      new RegExp(`call policy ${literal(p)}: .*unknown key allow_prefix: allowed keys are allow_prefixes`),
    );
  });

  it('a prefix that is not E.164 stops it, naming the key', async () => {
    const p = await file('bad-prefix.json', { allow_prefixes: ['+49'], block_prefixes: ['0049'] });
    await expectStartupError(['--call-policy', p], /block_prefixes\.0: must be an E\.164 prefix/);
  });

  it('a quiet_hours time that is no HH:MM stops it, naming the key', async () => {
    const p = await file('bad-quiet.json', { quiet_hours: { start: '21:00', end: '8am' } });
    await expectStartupError(['--call-policy', p], /quiet_hours\.end: must be a 24-hour time HH:MM/);
  });

  it('a limit of 0 stops it, naming the key', async () => {
    const p = await file('zero.json', { max_calls_per_day: 0 });
    await expectStartupError(['--call-policy', p], /max_calls_per_day: must be 1 or more/);
  });

  it('a do-not-call line that is no number stops it, naming the file and the line', async () => {
    const list = await file('dnc-bad.txt', '# our list\n+49 30 1234567\n0049-30-7654321\n\ncall me maybe\n');
    const p = await file('dnc-bad.json', { do_not_call_file: path.basename(list) });
    await expectStartupError(
      ['--call-policy', p],
      new RegExp(`do_not_call_file ${literal(list)}, line 5: "call me maybe" is not a phone number`),
    );
  });

  it('VOISA_CALL_POLICY works like the flag', async () => {
    const p = await file('env-bad.json', { max_calls_per_hour: 'ten' });
    await expectStartupError([], new RegExp(`call policy ${literal(p)}: max_calls_per_hour: `), {
      VOISA_CALL_POLICY: p,
    });
  });

  it('an --audit-log in a missing or unwritable directory stops it, naming the path', async () => {
    const missing = path.join(dir, 'no-such-dir', 'audit.jsonl');
    await expectStartupError(
      ['--audit-log', missing],
      new RegExp(`--audit-log ${literal(missing)}: cannot open it \\(ENOENT\\)`),
    );
    // Under a regular file: no directory to create it in, whoever runs the test (root included).
    const notDir = path.join(await file('plain-file', ''), 'audit.jsonl');
    await expectStartupError(
      ['--audit-log', notDir],
      new RegExp(`--audit-log ${literal(notDir)}: cannot open it \\(ENOTDIR\\)`),
    );
    // A directory nobody but root may write to; root writes anywhere, so this half needs another user.
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir, 'locked');
      await mkdir(locked, { mode: 0o500 });
      const inLocked = path.join(locked, 'audit.jsonl');
      await expectStartupError(
        ['--audit-log', inLocked],
        new RegExp(`--audit-log ${literal(inLocked)}: cannot open it \\(EACCES\\)`),
      );
    }
  });

  it('with VOISA_SERVER_SECRET, the audit names the key as an HTTP server with that secret does', async () => {
    const secret = randomBytes(32);
    const audit = path.join(dir, 'audit-named.jsonl');
    const client = await connectCli(['--audit-log', audit, '--confirm', 'never'], {
      VOISA_SERVER_SECRET: secret.toString('hex'),
    });
    try {
      await client.callTool({ name: 'make_call', arguments: ALLOWED });
    } finally {
      await client.close();
    }
    const [line] = (await readFile(audit, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    // The name src/http/servers.ts gives the same key (principalNamer, `key:<hash>`).
    expect(line.principal).toBe(principalNamer(secret)(`key:${hashKey(DEMO_KEY)}`));
  });

  it('a good policy with --audit-log and --confirm never: one refused and one allowed call, two lines', async () => {
    const list = await file('dnc-good.txt', '+49 30 1234567\n');
    const policy = await file('good.json', {
      allow_prefixes: ['+49'],
      do_not_call_file: path.basename(list),
      max_calls_per_hour: 5,
    });
    const audit = path.join(dir, 'audit.jsonl');
    const client = await connectCli(['--call-policy', policy, '--audit-log', audit, '--confirm', 'never']);
    try {
      const refused = (await client.callTool({ name: 'make_call', arguments: REFUSED })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(
        /^POLICY_DESTINATION \(allow_prefixes \+49\): .*Nothing was sent to VOISA/,
      );
      const allowed = (await client.callTool({ name: 'make_call', arguments: ALLOWED })) as CallToolResult;
      expect(allowed.isError, text(allowed)).toBeFalsy();
      expect(allowed.structuredContent).toMatchObject({ call_id: expect.stringMatching(/^call_/) });
      // A read writes nothing.
      await client.callTool({ name: 'get_agent', arguments: { agent_id: 'agt_bella0001' } });
    } finally {
      await client.close();
    }
    expect((await stat(audit)).mode & 0o777).toBe(0o600);
    const raw = await readFile(audit, 'utf8');
    const lines = raw
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => [l.tool, l.outcome])).toEqual([
      ['make_call', 'POLICY_DESTINATION'],
      ['make_call', 'ok'],
    ]);
    for (const l of lines) {
      expect(l).toMatchObject({ client: { name: CLIENT_NAME }, instance: expect.any(String) });
      // A keyed fingerprint of the sandbox's key, never the key.
      expect(l.principal).toMatch(/^[\w-]{16,}$/);
      expect(l.principal).not.toBe('local');
    }
    expect(lines[0].arguments.phone_number).toBe('+43…78');
    expect(lines[1].arguments.phone_number).toBe('+49…89');
    expect(raw).not.toContain(DEMO_KEY);
    expect(raw).not.toContain(ALLOWED.phone_number);
    expect(raw).not.toContain(REFUSED.phone_number);
  });

  it('--dry-run-calls: make_call answers a dry run, wait_for_call says so, a refused call stays refused', async () => {
    const policy = await file('dry.json', { allow_prefixes: ['+49'] });
    const client = await connectCli(['--call-policy', policy, '--dry-run-calls', '--confirm', 'never']);
    try {
      const dry = (await client.callTool({ name: 'make_call', arguments: ALLOWED })) as CallToolResult;
      expect(dry.isError, text(dry)).toBeFalsy();
      const result = dry.structuredContent as Record<string, unknown>;
      expect(result).toMatchObject({
        status: 'dry_run',
        dry_run: true,
        call_id: expect.stringMatching(/^dryrun_/),
      });
      const waited = (await client.callTool({
        name: 'wait_for_call',
        arguments: { call_id: result.call_id },
      })) as CallToolResult;
      expect(waited.isError, text(waited)).toBeFalsy();
      expect(waited.structuredContent).toMatchObject({ ended: true, status: 'dry_run' });
      expect(text(waited)).toMatch(/dry run/i);
      // The policy is checked in a dry run too.
      const refused = (await client.callTool({ name: 'make_call', arguments: REFUSED })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(/^POLICY_DESTINATION /);
      // And a dry run still needs an agent that exists.
      const noAgent = (await client.callTool({
        name: 'make_call',
        arguments: { ...ALLOWED, agent_id: 'agt_missing00' },
      })) as CallToolResult;
      expect(noAgent.isError).toBe(true);
      expect(text(noAgent)).toMatch(/^AGENT_NOT_FOUND /);
    } finally {
      await client.close();
    }
  });
});

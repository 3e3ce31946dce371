// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${user_config.…} and ${__dirname} are MCPB placeholders, literal on purpose
/**
 * The Claude Desktop extension as a user gets it: `scripts/pack.mjs` builds the
 * .mcpb, `mcpb unpack` opens it, and its entry point is started the way a host
 * starts it (manifest's command and args, its env with user_config substituted).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/config.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { waitFor } from '../helpers/sandbox.js';
import { bin, connectStdio, readJson, requireBuild, run, tempDir } from './helpers.js';

interface McpConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
}
interface Manifest {
  server: { mcp_config: McpConfig };
  user_config: { toolsets: { default: string } };
  prompts: { name: string }[];
}

let sandbox: Sandbox;
let dir: string;
let unpacked: string;
let mcpConfig: McpConfig;
const version = readJson<{ version: string }>('package.json').version;

beforeAll(async () => {
  requireBuild();
  sandbox = await startSandbox({ rateLimitPerMin: 0 });
  dir = tempDir('mcpb');
  run(process.execPath, ['scripts/pack.mjs', join(dir, 'voisa-mcp.mcpb')]);
  unpacked = join(dir, 'unpacked');
  run(bin('mcpb'), ['unpack', join(dir, 'voisa-mcp.mcpb'), unpacked]);
  mcpConfig = manifest().server.mcp_config;
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The manifest inside the bundle. */
function manifest(): Manifest {
  return readJson<Manifest>(join(unpacked, 'manifest.json'));
}

function files(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(root, f)).isFile())
    .map((f) => relative(root, join(root, f)).replaceAll('\\', '/'))
    .sort();
}

/** The env a host passes: the manifest's, with the fields the user filled in substituted and the others left as is. */
function hostEnv(filled: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(mcpConfig.env).map(([name, value]) => {
      const field = /^\$\{user_config\.(\w+)\}$/.exec(value)?.[1];
      return [name, field && field in filled ? filled[field]! : value];
    }),
  );
}

async function startFromBundle(env: Record<string, string>) {
  const args = mcpConfig.args.map((a) => a.replace('${__dirname}', unpacked));
  // The manifest says `node`; the host runs its own Node. Here: the one running the tests.
  return connectStdio(process.execPath, args, { ...env, VOISA_CONFIG_DIR: join(dir, 'config') });
}

describe('voisa-mcp.mcpb', () => {
  it('holds the manifest, the bundled server, its views and the licence, not a node_modules tree', () => {
    const all = files(unpacked);
    expect(all.slice(0, 2)).toEqual(['LICENSE', 'manifest.json']);
    expect(all).toContain('server/voisa-mcp.mjs');
    expect(all).toEqual(
      expect.arrayContaining([
        'server/views/agent.html',
        'server/views/analytics.html',
        'server/views/call.html',
        // The phone time-zone map for the call policy's quiet hours.
        'server/data/phone-time-zones.json',
        // The workflow skills (src/skills/catalog.ts finds them in server/skills/).
        'server/skills/test-and-tune-agent/SKILL.md',
      ]),
    );
    expect(all.filter((f) => f.startsWith('server/skills/'))).toHaveLength(5);
    for (const f of all.slice(2)) {
      expect(f).toMatch(
        /^server\/((voisa-mcp|chunks\/[\w-]+)\.mjs|views\/(agent|analytics|call)\.html|data\/phone-time-zones\.json|skills\/[a-z-]+\/SKILL\.md)$/,
      );
    }
    // A few chunks (the sandbox, HTTP, login, Redis for --redis-url, OAuth for --public-url, shared
    // code, as esbuild splits what several dynamic imports share) and the three views, not a tree.
    // The skills (five SKILL.md files) are text the server reads, not code, and counted apart.
    expect(all.filter((f) => !f.startsWith('server/skills/')).length).toBeLessThanOrEqual(30);
    expect(statSync(join(dir, 'voisa-mcp.mcpb')).size).toBeLessThan(1_000_000);
  });

  it('serves every tool when the optional fields are left unsubstituted', async () => {
    const env = hostEnv({ api_key: sandbox.demoKey, base_url: sandbox.baseUrl });
    expect(env.VOISA_READ_ONLY).toBe('${user_config.read_only}');
    expect(env.VOISA_TOOLSETS).toBe('${user_config.toolsets}');
    const session = await startFromBundle(env);
    try {
      expect(session.client.getServerVersion()).toMatchObject({ name: 'voisa-mcp', version });
      const { tools } = await session.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(CATALOGUE.map((t) => t.name));
      const { prompts } = await session.client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(manifest().prompts.map((p) => p.name));
      // The views, found beside the bundle (server/views/).
      const view = await session.client.readResource({ uri: 'ui://voisa/call' });
      expect(view.contents[0]).toMatchObject({ mimeType: 'text/html;profile=mcp-app' });
      const verified = await session.client.callTool({ name: 'verify_api_key', arguments: {} });
      expect(verified.isError).toBeFalsy();
      expect(sandbox.requests().at(-1)).toMatchObject({ path: '/api/verify', status: 200 });
      // A request with a body, through the bundled HTTP client.
      const scored = await session.client.callTool({
        name: 'analyze_sentiment',
        arguments: { texts: ['Great call!'] },
      });
      expect(scored.isError).toBeFalsy();
      expect(sandbox.requests().at(-1)).toMatchObject({
        method: 'POST',
        body: { texts: ['Great call!'] },
        status: 200,
      });
    } finally {
      await session.close();
    }
  });

  it('applies read_only=true and the default toolsets as Claude Desktop substitutes them', async () => {
    const env = hostEnv({
      api_key: sandbox.demoKey,
      base_url: sandbox.baseUrl,
      read_only: 'true',
      toolsets: manifest().user_config.toolsets.default,
    });
    const session = await startFromBundle(env);
    try {
      const { tools } = await session.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        CATALOGUE.filter((t) => t.annotations.readOnlyHint === true).map((t) => t.name),
      );
    } finally {
      await session.close();
    }
  });

  it('applies the confirm field: always refuses a client that cannot ask, never warns at start-up', async () => {
    const always = await startFromBundle(
      hostEnv({ api_key: sandbox.demoKey, base_url: sandbox.baseUrl, confirm: 'always' }),
    );
    try {
      const refused = await always.client.callTool({
        name: 'make_call',
        arguments: { agent_id: 'agt_bella0001', phone_number: '+49123456789' },
      });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('CONFIRMATION_REQUIRED');
    } finally {
      await always.close();
    }
    const never = await startFromBundle(
      hostEnv({ api_key: sandbox.demoKey, base_url: sandbox.baseUrl, confirm: 'never' }),
    );
    try {
      const warned = () =>
        never.stderr().includes('warning: confirmations are off (--confirm never)') || undefined;
      expect(await waitFor(warned, 10_000)).toBe(true);
    } finally {
      await never.close();
    }
  });

  it('exits with a clear message when no key reaches it', () => {
    const args = mcpConfig.args.map((a) => a.replace('${__dirname}', unpacked));
    const env = { PATH: process.env.PATH ?? '', ...hostEnv({}), VOISA_CONFIG_DIR: join(dir, 'no-config') };
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFile(process.execPath, args, env);
    } catch (err) {
      failure = err as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toContain('no VOISA API key');
    expect(failure?.stderr).not.toContain('user_config');
  });
});

describe('unsubstituted ${user_config.…} values', () => {
  it('read as unset by loadConfig', () => {
    const config = loadConfig([], {
      VOISA_API_KEY: '${user_config.api_key}',
      VOISA_BASE_URL: '${user_config.base_url}',
      VOISA_READ_ONLY: '${user_config.read_only}',
      VOISA_TOOLSETS: '${user_config.toolsets}',
      VOISA_TIMEOUT_MS: '${user_config.timeout}',
      VOISA_CONFIRM: '${user_config.confirm}',
    });
    expect(config.apiKey).toBeUndefined();
    expect(config.client.baseUrl).toBeUndefined();
    expect(config.client.timeoutMs).toBeUndefined();
    expect(config.filter).toEqual({ toolsets: undefined, tools: undefined, readOnly: false });
    expect(config.confirm).toBe('auto');
  });
});

function execFile(command: string, args: string[], env: Record<string, string>): string {
  return execFileSync(command, args, { env, input: '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

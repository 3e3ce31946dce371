// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${user_config.…} and ${__dirname} are MCPB placeholders, literal on purpose
/** manifest.json (MCPB) and server.json (MCP registry) against the code they describe. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FLAGS, OTHER_ENV } from '../../src/cli/config.js';
import { createServer } from '../../src/mcp/server.js';
import { CATALOGUE, TOOLSETS } from '../../src/tools/index.js';
import { VoisaClient } from '../../src/voisa/index.js';
import { bin, readJson, run } from './helpers.js';

interface Manifest {
  version: string;
  server: {
    entry_point: string;
    mcp_config: { command: string; args: string[]; env: Record<string, string> };
  };
  user_config: Record<string, { type: string; default?: unknown; required?: boolean; sensitive?: boolean }>;
  tools: { name: string; description: string }[];
  prompts: { name: string; description: string; arguments?: string[]; text: string }[];
  compatibility: { platforms: string[]; runtimes: { node: string } };
}

const pkg = readJson<{ name: string; version: string; mcpName: string; engines: { node: string } }>(
  'package.json',
);
const manifest = readJson<Manifest>('manifest.json');

async function listedPrompts() {
  const api = new VoisaClient({ apiKey: 'unused' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createServer({ api }).connect(serverSide);
  const client = new Client({ name: 'test', version: '0' });
  await client.connect(clientSide);
  const { prompts } = await client.listPrompts();
  await client.close();
  await api.close();
  return prompts;
}

describe('manifest.json', () => {
  it('passes `mcpb validate`', () => {
    expect(run(bin('mcpb'), ['validate', 'manifest.json'])).toContain('passes');
  });

  it('lists every tool of the catalogue with its description, in order', () => {
    expect(manifest.tools).toEqual(CATALOGUE.map((t) => ({ name: t.name, description: t.description })));
  });

  it("lists the server's prompts with their arguments", async () => {
    const prompts = await listedPrompts();
    expect(manifest.prompts.map((p) => [p.name, p.description, p.arguments ?? []])).toEqual(
      prompts.map((p) => [p.name, p.description, (p.arguments ?? []).map((a) => a.name)]),
    );
  });

  it('is what scripts/gen-manifest.mjs writes (version, defaults, server.json too)', () => {
    expect(manifest.version).toBe(pkg.version);
    expect(() => run(process.execPath, ['scripts/gen-manifest.mjs', '--check'])).not.toThrow();
  });

  it('passes each user_config field to the environment variable the server reads', () => {
    expect(manifest.server.mcp_config.env).toEqual({
      VOISA_API_KEY: '${user_config.api_key}',
      VOISA_BASE_URL: '${user_config.base_url}',
      VOISA_READ_ONLY: '${user_config.read_only}',
      VOISA_TOOLSETS: '${user_config.toolsets}',
      VOISA_CONFIRM: '${user_config.confirm}',
    });
    const envNames = [...Object.values(FLAGS).map((f) => f.env), ...Object.keys(OTHER_ENV)];
    for (const name of Object.keys(manifest.server.mcp_config.env)) expect(envNames).toContain(name);
    expect(manifest.user_config.api_key).toMatchObject({ type: 'string', sensitive: true, required: true });
    expect(manifest.user_config.base_url?.default).toBe('https://api.voisa.ai/v1');
    expect(manifest.user_config.read_only).toMatchObject({ type: 'boolean', default: false });
    expect(manifest.user_config.toolsets?.default).toBe(TOOLSETS.join(','));
    // No choice type in MCPB: a string whose default is the server's, its values named in the description.
    expect(manifest.user_config.confirm).toMatchObject({ type: 'string', default: 'auto', required: false });
    expect((manifest.user_config.confirm as unknown as { description: string }).description).toMatch(
      /auto .*always .*never /,
    );
  });

  it('runs the bundled server on every desktop platform with the Node the package needs', () => {
    expect(manifest.server.entry_point).toBe('server/voisa-mcp.mjs');
    expect(manifest.server.mcp_config).toMatchObject({
      command: 'node',
      args: ['${__dirname}/server/voisa-mcp.mjs'],
    });
    expect(manifest.compatibility.platforms.sort()).toEqual(['darwin', 'linux', 'win32']);
    expect(manifest.compatibility.runtimes.node).toBe(`${pkg.engines.node}.0`);
  });
});

/**
 * The registry's published schema (static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json)
 * ships in no npm package, so server.json is checked by shape against its rules.
 */
const EnvVar = z.strictObject({
  name: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  description: z.string().min(1),
  isRequired: z.boolean().optional(),
  isSecret: z.boolean().optional(),
  format: z.enum(['string', 'number', 'boolean', 'filepath']).optional(),
  default: z.string().optional(),
});
const ServerJson = z.strictObject({
  $schema: z.url().regex(/\/schemas\/\d{4}-\d{2}-\d{2}\/server\.schema\.json$/),
  name: z
    .string()
    .min(3)
    .max(200)
    .regex(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/),
  title: z.string().min(1).max(100).optional(),
  description: z.string().min(1).max(100),
  version: z.string().regex(/^\d+\.\d+\.\d+(-[\w.]+)?$/),
  packages: z
    .array(
      z.strictObject({
        registryType: z.literal('npm'),
        registryBaseUrl: z.literal('https://registry.npmjs.org'),
        identifier: z.string().min(1),
        version: z.string().regex(/^\d+\.\d+\.\d+(-[\w.]+)?$/),
        runtimeHint: z.literal('npx'),
        transport: z.strictObject({ type: z.literal('stdio') }),
        environmentVariables: z.array(EnvVar),
      }),
    )
    .length(1),
});

describe('server.json', () => {
  const server = ServerJson.parse(readJson('server.json'));
  const npm = server.packages[0]!;

  it('names the npm package, its version and the name npm verifies (package.json mcpName)', () => {
    expect(server.name).toBe(pkg.mcpName);
    expect([server.version, npm.identifier, npm.version]).toEqual([pkg.version, pkg.name, pkg.version]);
  });

  it('declares the API key as a required secret and only variables the server reads', () => {
    expect(npm.environmentVariables[0]).toMatchObject({
      name: 'VOISA_API_KEY',
      isRequired: true,
      isSecret: true,
    });
    const envNames = [...Object.values(FLAGS).map((f) => f.env), ...Object.keys(OTHER_ENV)];
    for (const v of npm.environmentVariables) expect(envNames).toContain(v.name);
  });
});

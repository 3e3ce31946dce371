#!/usr/bin/env node
/**
 * Fills the generated parts of manifest.json (MCPB) and server.json (MCP
 * registry) from the built code, so that they cannot drift from it:
 *   manifest.json: version, tools (the catalogue), prompts, toolsets default, node runtime
 *   server.json:   version, the npm package's version and its environment variables
 * Everything else in both files is written by hand.
 *
 *   node scripts/gen-manifest.mjs           rewrite both files (needs `npm run build` first)
 *   node scripts/gen-manifest.mjs --check   exit 1 and name the fields that drifted
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';

const pkg = readJson('package.json');
const { CATALOGUE, TOOLSETS } = await import('../dist/tools/index.js');
const { FLAGS, OTHER_ENV } = await import('../dist/cli/config.js');
const { VoisaClient } = await import('../dist/voisa/index.js');
const { createServer } = await import('../dist/mcp/server.js');

/** Environment variables that only matter when serving HTTP (not in the registry's stdio entry). */
const HTTP_ONLY =
  /^VOISA_(HTTP_|ALLOWED_|ALLOW_FILE_ACCESS|WEBHOOK_|MAX_SESSIONS|SESSION_IDLE|TRUST_PROXY|OAUTH_ALLOW_PRIVATE_FETCH)/;

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The prompts as a client of the server lists them (over an in-memory pair; no request reaches VOISA). */
async function prompts() {
  const api = new VoisaClient({ apiKey: 'unused' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createServer({ api }).connect(serverSide);
  const client = new Client({ name: 'gen-manifest', version: '0' });
  await client.connect(clientSide);
  const { prompts } = await client.listPrompts();
  await client.close();
  await api.close();
  return prompts.map((p) => ({
    name: p.name,
    description: p.description ?? p.title ?? p.name,
    arguments: (p.arguments ?? []).map((a) => a.name),
  }));
}

/** A manifest prompt needs a text template; the server renders the real one at runtime. */
function manifestPrompt(p) {
  const args = p.arguments.map((a) => `${a}: \${arguments.${a}}`).join(', ');
  return {
    name: p.name,
    description: p.description,
    ...(p.arguments.length ? { arguments: p.arguments } : {}),
    text: `Use the ${p.name} prompt of the VOISA server${args ? ` with ${args}` : ''}.`,
  };
}

function envVar(name, description) {
  const entry = { name, description };
  if (name === 'VOISA_API_KEY') Object.assign(entry, { isRequired: true, isSecret: true });
  if (/_(MS|RETRIES|PER_MIN)$/.test(name)) entry.format = 'number';
  if (name === 'VOISA_READ_ONLY') entry.format = 'boolean';
  if (name === 'VOISA_BASE_URL') entry.default = 'https://api.voisa.ai/v1';
  if (name === 'VOISA_CONFIRM') entry.default = 'auto';
  return entry;
}

async function generate() {
  const manifest = readJson('manifest.json');
  manifest.version = pkg.version;
  manifest.tools = CATALOGUE.map((t) => ({ name: t.name, description: t.description }));
  manifest.prompts = (await prompts()).map(manifestPrompt);
  manifest.user_config.toolsets.default = TOOLSETS.join(',');
  manifest.compatibility.runtimes.node = pkg.engines.node.replace(/^>=(\d+\.\d+)$/, '>=$1.0');

  const server = readJson('server.json');
  server.version = pkg.version;
  const npm = server.packages.find((p) => p.registryType === 'npm');
  npm.identifier = pkg.name;
  npm.version = pkg.version;
  npm.environmentVariables = [
    envVar('VOISA_API_KEY', OTHER_ENV.VOISA_API_KEY),
    ...Object.values(FLAGS)
      .filter((f) => f.env && !HTTP_ONLY.test(f.env))
      .map((f) => envVar(f.env, f.help)),
    ...Object.entries(OTHER_ENV)
      .filter(([name]) => name !== 'VOISA_API_KEY' && !HTTP_ONLY.test(name))
      .map(([name, help]) => envVar(name, help)),
  ];
  return { 'manifest.json': manifest, 'server.json': server };
}

const files = await generate();
if (process.argv.includes('--check')) {
  const drifted = Object.entries(files).filter(([path, want]) => !isDeepStrictEqual(readJson(path), want));
  for (const [path] of drifted)
    process.stderr.write(`${path} is out of date: run node scripts/gen-manifest.mjs\n`);
  process.exitCode = drifted.length ? 1 : 0;
} else {
  for (const [path, value] of Object.entries(files))
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  execFileSync('node_modules/.bin/biome', ['format', '--write', ...Object.keys(files)], { stdio: 'ignore' });
  process.stderr.write(`wrote ${Object.keys(files).join(', ')}\n`);
}

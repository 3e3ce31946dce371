/**
 * `npx voisa-mcp` as a user gets it: `npm pack`, install the tarball in an empty
 * folder (offline, from the npm cache), run the installed `voisa-mcp` bin.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { BUNDLE, connectStdio, readJson, requireBuild, run, tempDir } from './helpers.js';

interface PackResult {
  filename: string;
  files: { path: string; size: number }[];
}

const pkg = readJson<{ version: string; bin: Record<string, string>; engines: { node: string } }>(
  'package.json',
);
let sandbox: Sandbox;
let dir: string;
let packed: PackResult;

beforeAll(async () => {
  requireBuild();
  sandbox = await startSandbox({ rateLimitPerMin: 0 });
  dir = tempDir('npm');
  packed = (JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir])) as PackResult[])[0]!;
  run('npm', ['init', '-y'], dir);
  run(
    'npm',
    ['install', join(dir, packed.filename), '--offline', '--no-audit', '--no-fund', '--no-package-lock'],
    dir,
  );
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('carries the bundle, the library with its types, README and LICENSE, and nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['dist/bin/voisa-mcp.mjs', 'dist/index.js', 'dist/index.d.ts']),
    );
    expect(paths).toEqual(
      expect.arrayContaining(['dist/sandbox/index.js', 'README.md', 'LICENSE', 'package.json']),
    );
    for (const path of paths) {
      expect(path).toMatch(/^(dist\/.+\.(js|mjs|d\.ts)|README\.md|LICENSE|package\.json)$/);
      expect(path).not.toMatch(
        /\.test\.|\.map$|^(src|test|scripts)\/|\.env|\.npmrc|credentials\.json|\.pem$/,
      );
    }
  });

  it('holds no live API key', () => {
    const installed = join(dir, 'node_modules/voisa-mcp');
    for (const { path } of packed.files) {
      expect(readFileSync(join(installed, path), 'utf8'), path).not.toMatch(/vsa_live_[A-Za-z0-9]{12,}/);
    }
  });

  it('has a bin that starts with a shebang, and the engines it needs', () => {
    expect(pkg.bin).toEqual({ 'voisa-mcp': 'dist/bin/voisa-mcp.mjs' });
    expect(readFileSync(BUNDLE, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');
    expect(pkg.engines.node).toMatch(/^>=20\./);
  });

  it('installs from the tarball and answers `voisa-mcp --version`', () => {
    expect(run(join(dir, 'node_modules/.bin/voisa-mcp'), ['--version'], dir).trim()).toBe(pkg.version);
  });

  it('serves MCP over stdio from the installed bin', async () => {
    const session = await connectStdio(join(dir, 'node_modules/.bin/voisa-mcp'), [], {
      VOISA_API_KEY: sandbox.demoKey,
      VOISA_BASE_URL: sandbox.baseUrl,
    });
    try {
      const { tools } = await session.client.listTools();
      expect(tools).toHaveLength(CATALOGUE.length);
    } finally {
      await session.close();
    }
  });
});

/**
 * `npx voisa-mcp` as a user gets it: `npm pack`, install the tarball in an empty
 * folder, run the installed `voisa-mcp` bin.
 *
 * The install must pass on a fresh machine (empty npm cache) and give the same tree every
 * time. `npm install <tarball> --offline` did neither: resolving the tarball's version ranges
 * needs registry metadata, which `npm ci` does not cache (ENOTCACHED on a fresh machine), and
 * online it would take whatever versions are newest that day. So the temporary project gets a
 * package-lock derived from ours (our production packages at our locked versions and
 * integrities, plus the tarball) and installs with `npm ci --prefer-offline`: from the cache
 * when it has the tarballs, from the registry otherwise, as `npm ci` itself does. `.ci/run`
 * runs the suite with an empty cache, so the registry path is exercised on every CI run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { BUNDLE, connectStdio, readJson, requireBuild, run, tempDir } from './helpers.js';

interface PackResult {
  filename: string;
  integrity: string;
  files: { path: string; size: number }[];
}

interface LockEntry {
  dev?: boolean;
  [field: string]: unknown;
}

const pkg = readJson<{
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: { node: string };
  dependencies: Record<string, string>;
}>('package.json');
let sandbox: Sandbox;
let dir: string;
let packed: PackResult;

beforeAll(async () => {
  requireBuild();
  sandbox = await startSandbox({ rateLimitPerMin: 0 });
  dir = tempDir('npm');
  packed = (JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir])) as PackResult[])[0]!;
  writeUserProject(dir, packed);
  run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir);
}, 120_000);
/**
 * A user's project that depends on the tarball, with the lock file `npm install <tarball>` would
 * write today given our lock: the tarball at node_modules/voisa-mcp, and every package of ours that
 * is not dev-only at the same path, version and integrity (our tree is hoisted the same way).
 */
function writeUserProject(dir: string, packed: PackResult): void {
  const ours = readJson<{ packages: Record<string, LockEntry> }>('package-lock.json');
  const dependencies = { 'voisa-mcp': `file:${packed.filename}` };
  const packages: Record<string, unknown> = {
    '': { name: 'npm-package-test', version: '1.0.0', dependencies },
    'node_modules/voisa-mcp': {
      version: pkg.version,
      resolved: `file:${packed.filename}`,
      integrity: packed.integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(ours.packages)) {
    if (path !== '' && !entry.dev) packages[path] = entry;
  }
  const manifest = { name: 'npm-package-test', version: '1.0.0', private: true, dependencies };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const lock = {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages,
  };
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
}

afterAll(async () => {
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('carries the bundle, its views, the library with its types, README and LICENSE, and nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['dist/bin/voisa-mcp.mjs', 'dist/index.js', 'dist/index.d.ts']),
    );
    expect(paths).toEqual(
      expect.arrayContaining(['dist/views/agent.html', 'dist/views/analytics.html', 'dist/views/call.html']),
    );
    expect(paths).toEqual(
      expect.arrayContaining(['dist/sandbox/index.js', 'README.md', 'LICENSE', 'package.json']),
    );
    // The phone time-zone map the call policy's quiet hours read (scripts/build-data.mjs).
    expect(paths).toContain('dist/data/phone-time-zones.json');
    // The workflow skills, found from the bundle and the library alike (src/skills/catalog.ts).
    expect(paths.filter((p) => p.startsWith('skills/'))).toHaveLength(5);
    for (const path of paths) {
      expect(path).toMatch(
        /^(dist\/.+\.(js|mjs|d\.ts)|dist\/views\/(agent|analytics|call)\.html|dist\/data\/phone-time-zones\.json|skills\/[a-z-]+\/SKILL\.md|README\.md|LICENSE|package\.json)$/,
      );
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
    // README: Node 22 and 24 LTS are supported, 20.18+ still works (.ci/run tests all three).
    expect(pkg.engines.node).toBe('>=20.18');
  });

  it('installs from the tarball and answers `voisa-mcp --version`', () => {
    expect(run(join(dir, 'node_modules/.bin/voisa-mcp'), ['--version'], dir).trim()).toBe(pkg.version);
  });

  it('installs our dependencies at the versions of our own lock file', () => {
    const ours = readJson<{ packages: Record<string, LockEntry> }>('package-lock.json');
    const prod = Object.entries(ours.packages).filter(([path, entry]) => path !== '' && !entry.dev);
    expect(prod.length).toBeGreaterThan(0);
    for (const [path, entry] of prod) {
      const installed = JSON.parse(readFileSync(join(dir, path, 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(installed.version, path).toBe(entry.version);
    }
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

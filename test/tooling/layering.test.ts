/**
 * The layering rules of .dependency-cruiser.cjs (run by `npm run lint`): src/ keeps them, and each rule
 * fires. A throwaway tree in a temp dir holds imports that are allowed (down the layers) and one
 * planted breach per rule; dependency-cruiser, run there with our config, must report exactly the
 * breaches, each under its rule.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const BIN = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function cruise(cwd: string): Promise<{ violations: Violation[]; modules: number }> {
  // Exit code 1 when a rule is broken; the JSON report is on stdout either way.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [BIN, 'src', '--config', CONFIG, '--output-type', 'json'],
    { cwd, maxBuffer: 64 * 1024 * 1024 },
  ).catch((err: { stdout?: string }) => {
    if (!err.stdout) throw err;
    return { stdout: err.stdout };
  });
  const report = JSON.parse(stdout);
  return { violations: report.summary.violations, modules: report.summary.totalCruised };
}

const tmp: string[] = [];
afterAll(() => {
  for (const dir of tmp) rmSync(dir, { recursive: true, force: true });
});

/** A tree of `files` (path under src/ → source) with the project's node_modules and a tsconfig. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'voisa-layering-'));
  tmp.push(dir);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  );
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, 'src', file)), { recursive: true });
    writeFileSync(path.join(dir, 'src', file), source);
  }
  return dir;
}

const exporting = (name: string, ...imports: string[]) =>
  `${imports.join('\n')}\nexport const ${name} = 1;\n`;

describe('layering (.dependency-cruiser.cjs)', () => {
  it('src/ keeps every rule', async () => {
    const { violations, modules } = await cruise(ROOT);
    expect(violations).toEqual([]);
    expect(modules).toBeGreaterThan(100); // it did look at the tree
  }, 60_000);

  it('lets each layer import those below it, and reports each planted breach under its rule', async () => {
    const allowed: Record<string, string> = {
      'voisa/client.ts': exporting('client', "import { z } from 'zod';", 'void z;'),
      'security/box.ts': exporting('box', "import { client } from '../voisa/client.js';", 'void client;'),
      'policy/rules.ts': exporting('rules', "import { box } from '../security/box.js';", 'void box;'),
      'audit/trail.ts': exporting('trail', "import { rules } from '../policy/rules.js';", 'void rules;'),
      'tools/define.ts': exporting(
        'define',
        "import { box } from '../security/box.js';",
        "import { trail } from '../audit/trail.js';",
        'void box; void trail;',
      ),
      'resources/index.ts': exporting(
        'resources',
        "import { define } from '../tools/define.js';",
        'void define;',
      ),
      'mcp/server.ts': exporting(
        'server',
        "import { McpServer } from '@modelcontextprotocol/server';",
        "import { resources } from '../resources/index.js';",
        'void McpServer; void resources;',
      ),
      'web/env.ts': exporting('env', "import { server } from '../mcp/server.js';", 'void server;'),
      'scale/index.ts': exporting('scale', "import { env } from '../web/env.js';", 'void env;'),
      'oauth/gate.ts': exporting('gate', "import { scale } from '../scale/index.js';", 'void scale;'),
      'http/app.ts': exporting(
        'app',
        "import { Hono } from 'hono';",
        "import { gate } from '../oauth/gate.js';",
        'void Hono; void gate;',
      ),
      'stdio/serve.ts': exporting('stdio', "import { server } from '../mcp/server.js';", 'void server;'),
      'sandbox/index.ts': exporting(
        'sandbox',
        "import { client } from '../voisa/client.js';",
        'void client;',
      ),
      'cli/index.ts': exporting(
        'cli',
        "import { app } from '../http/app.js';",
        "import { stdio } from '../stdio/serve.js';",
        "const sandbox = () => import('../sandbox/index.js');",
        'void app; void stdio; void sandbox;',
      ),
      'index.ts': exporting(
        'face',
        "export { server } from './mcp/server.js';",
        "export { sandbox } from './sandbox/index.js';",
      ),
    };
    const { violations: none } = await cruise(tree(allowed));
    expect(none).toEqual([]);

    // One breach per rule: [file under src/, its source, the rules that must report it]. The circle
    // a → b → a is one breach, reported from whichever file the cruiser reaches first.
    const breaches: [string, string, string[]][] = [
      [
        'tools/up.ts',
        "import { server } from '../mcp/server.js'; void server;",
        ['tools+resources+prompts+views+events+skills-not-up'],
      ],
      [
        'voisa/up.ts',
        "import { box } from '../security/box.js'; void box;",
        ['voisa-not-up', 'voisa-knows-no-mcp'],
      ],
      ['mcp/up.ts', "import { env } from '../web/env.js'; void env;", ['mcp-not-up']],
      ['policy/up.ts', "import { define } from '../tools/define.js'; void define;", ['policy+audit-not-up']],
      [
        'audit/mcp.ts',
        "import type { McpServer } from '@modelcontextprotocol/server'; export type S = McpServer;",
        ['guardrails-know-no-mcp'],
      ],
      ['web/up.ts', "import { gate } from '../oauth/gate.js'; void gate;", ['web-not-up']],
      ['oauth/up.ts', "import { app } from '../http/app.js'; void app;", ['oauth-not-up']],
      ['http/up.ts', "import { cli } from '../cli/index.js'; void cli;", ['http+stdio-not-up']],
      ['http/sideways.ts', "import { stdio } from '../stdio/serve.js'; void stdio;", ['http-not-stdio']],
      [
        'voisa/mcp.ts',
        "import { McpServer } from '@modelcontextprotocol/server'; void McpServer;",
        ['voisa-knows-no-mcp'],
      ],
      [
        'sandbox/mcp.ts',
        "import type { McpServer } from '@modelcontextprotocol/server'; export type S = McpServer;",
        ['sandbox-knows-no-mcp'],
      ],
      [
        'resources/sandbox.ts',
        "import { sandbox } from '../sandbox/index.js'; void sandbox;",
        ['only-the-cli-starts-the-sandbox'],
      ],
      ['tools/hono.ts', "import { Hono } from 'hono'; void Hono;", ['tools-know-no-http']],
      [
        'prompts/http.ts',
        "import { createServer } from 'node:http'; void createServer;",
        ['tools-know-no-http-modules'],
      ],
      ['cli/face.ts', "import { server } from '../index.js'; void server;", ['library-face-on-top']],
      ['loose.ts', "import { client } from './voisa/client.js'; void client;", ['no-loose-files']],
      [
        'tools/typo.ts',
        "import { nothing } from './no-such-file.js'; void nothing;",
        ['not-to-unresolvable'],
      ],
      ['events/a.ts', "import { b } from './b.js'; export const a = () => b;", ['no-circular']],
      [
        'events/b.ts',
        "import type { a } from './a.js'; export const b: typeof a | undefined = undefined;",
        [],
      ],
    ];
    const planted = {
      ...allowed,
      ...Object.fromEntries(breaches.map(([file, source]) => [file, `${source}\n`])),
    };
    const { violations } = await cruise(tree(planted));
    const reported = violations
      .map((v) => `${v.rule.name}: ${v.from.replace('src/events/b.ts', 'src/events/a.ts')}`)
      .sort();
    const expected = breaches
      .flatMap(([file, , rules]) => rules.map((rule) => `${rule}: src/${file}`))
      .sort();
    // Each breach under its rules, and nothing else: the allowed imports around them stay allowed.
    expect(reported).toEqual(expected);
  }, 60_000);
});

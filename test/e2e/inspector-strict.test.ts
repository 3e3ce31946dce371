/**
 * The MCP Inspector 2.x CLI's portability check (`--cli --strict --method tools/list`) against the
 * built binary with `--sandbox`: no tool schema draws an error or a warning. Before, every output
 * field VOISA may send as null was published as `type: ["string","null"]`: 8 warnings in 5 tools.
 *
 * Inspector 2.x needs Node 22 or later, so it runs through scripts/with-node.sh 22 (the server it
 * spawns then runs on Node 22 too). Its launcher works from node_modules as installed: the root
 * postinstall (per-client installs for a source checkout) is not needed for the published build.
 * HOME is a temporary folder: the CLI creates its catalog (~/.mcp-inspector) on first use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unbuilt } from '../helpers/built.js';
import { BUILT_CLI, inspector2 } from '../helpers/inspector2.js';

const built = !unbuilt(BUILT_CLI);

const home = mkdtempSync(path.join(tmpdir(), 'voisa-inspector-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const inspectStrict = () => inspector2(home, '--strict', '--method', 'tools/list');

describe.skipIf(!built)('Inspector 2.x --cli --strict against dist/cli/index.js --sandbox', () => {
  it('lists every tool with no schema error or warning', async () => {
    const r = await inspectStrict();
    expect(r.code, r.stderr).toBe(0);
    const { CATALOGUE } = await import(path.resolve('dist', 'tools', 'index.js'));
    const tools = JSON.parse(r.stdout).tools as { name: string }[];
    expect(tools.map((t) => t.name).sort()).toEqual(CATALOGUE.map((t: { name: string }) => t.name).sort());
    // Each problem is a "Warning: tool …" or "Error: tool …" block, then "N errors, M warnings across K tools."
    const problems = r.stderr.split('\n').filter((line) => /^(Warning|Error): /.test(line));
    expect(problems, r.stderr).toEqual([]);
    expect(r.stderr).not.toMatch(/\d+ errors?, \d+ warnings?/);
  }, 60_000);
});

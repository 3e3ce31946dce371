/**
 * The workflow skills through the MCP Inspector 2.x CLI against the built binary with `--sandbox`, as
 * a user would check them by hand, on both protocol eras (`--protocol-era modern` is 2026-07-28,
 * `legacy` is 2025-11-25): `skills/list`, `skills/get --verify` (the Inspector's own SEP-2640
 * conformance and digest checks), and `resources/read` of a skill file; and `test_agent` called from
 * the same CLI. Inspector 2.x needs Node 22 (scripts/with-node.sh 22); HOME is a temporary folder.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findSkillsDir } from '../../src/skills/catalog.js';
import { unbuilt } from '../helpers/built.js';
import { BUILT_CLI, inspector2 } from '../helpers/inspector2.js';

const built = !unbuilt(BUILT_CLI);
const SKILLS = findSkillsDir()!;
const NAMES = readdirSync(SKILLS).sort();

const home = mkdtempSync(path.join(tmpdir(), 'voisa-inspector-skills-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const inspect = (era: string, ...args: string[]) => inspector2(home, '--protocol-era', era, ...args);

describe.skipIf(!built).each(['modern', 'legacy'])('Inspector 2.x --cli --protocol-era %s', (era) => {
  it('skills/list: the five skills', async () => {
    const r = await inspect(era, '--method', 'skills/list');
    expect(r.code, r.stderr).toBe(0);
    const { skills } = JSON.parse(r.stdout) as { skills: { frontmatter: { name: string } }[] };
    expect(skills.map((s) => s.frontmatter.name)).toEqual(NAMES);
  }, 60_000);

  it('skills/get --verify: conformant, every file verified', async () => {
    const uri = 'skill://test-and-tune-agent/SKILL.md';
    const r = await inspect(era, '--method', 'skills/get', '--uri', uri, '--verify');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { conformance: unknown[]; files: { status: string }[] };
    expect(report.conformance).toEqual([]);
    expect(report.files.map((f) => f.status)).toEqual(['verified']);
  }, 60_000);

  it('resources/read of a skill file', async () => {
    const uri = 'skill://debug-a-failed-call/SKILL.md';
    const r = await inspect(era, '--method', 'resources/read', '--uri', uri);
    expect(r.code, r.stderr).toBe(0);
    const { contents } = JSON.parse(r.stdout) as { contents: { text: string }[] };
    expect(contents[0]?.text).toBe(
      readFileSync(path.join(SKILLS, 'debug-a-failed-call', 'SKILL.md'), 'utf8'),
    );
  }, 60_000);

  it('tools/call test_agent: a passing and a failing scenario on the seeded agent', async () => {
    const scenarios = [
      { name: 'hours', caller: ['What are your opening hours?'], expect: [{ contains: 'open' }] },
      { name: 'moon', caller: ['Do you deliver to the moon?'], expect: [{ contains: 'moon base' }] },
    ];
    const r = await inspect(
      era,
      '--method',
      'tools/call',
      '--tool-name',
      'test_agent',
      '--tool-arg',
      'agent_id=agt_bella0001',
      `scenarios=${JSON.stringify(scenarios)}`,
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { structuredContent: { passed: number; failed: number } };
    expect(result.structuredContent).toMatchObject({ passed: 1, failed: 1 });
  }, 60_000);
});

/**
 * The closing `tests: N passed, N failed, N skipped` line (scripts/vitest-summary-reporter.mjs)
 * counts a failed file, hook or unhandled error as failed. Runs the real vitest over the fixtures
 * in ./fixtures (a config of their own; the main run never collects *.fixture.ts).
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG = join(ROOT, 'test/tooling/fixtures/vitest.fixtures.config.ts');

/** Runs vitest over the fixtures whose file names contain `filter` (all of them without one). */
function runFixtures(filter?: string): { line: string | undefined; status: number | null } {
  // Without the outer run's VITEST_* variables, the inner vitest starts as a CI would start it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  const args = ['run', '--config', CONFIG, ...(filter ? [filter] : [])];
  const result = spawnSync(join(ROOT, 'node_modules/.bin/vitest'), args, {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = result.stdout.trim().split('\n');
  return { line: lines.findLast((l) => l.startsWith('tests: ')), status: result.status };
}

describe('the closing test line', () => {
  it.each([
    ['passes.fixture', 'tests: 1 passed, 0 failed, 1 skipped', 0],
    ['fails.fixture', 'tests: 1 passed, 1 failed, 0 skipped', 1],
    // nothing collected: the file counts as one failed test
    ['import-throws.fixture', 'tests: 0 passed, 1 failed, 0 skipped', 1],
    // the two tests the hook stopped are failed; the one skipped on purpose stays skipped
    ['before-all-throws.fixture', 'tests: 0 passed, 2 failed, 1 skipped', 1],
    ['after-all-throws.fixture', 'tests: 1 passed, 1 failed, 0 skipped', 1],
    ['unhandled.fixture', 'tests: 1 passed, 1 failed, 0 skipped', 1],
  ])(
    '%s: prints "%s" and vitest exits %i',
    (filter, line, status) => {
      expect(runFixtures(filter)).toEqual({ line, status });
    },
    60_000,
  );

  it('adds them all up over a run of every fixture', () => {
    expect(runFixtures()).toEqual({ line: 'tests: 4 passed, 6 failed, 2 skipped', status: 1 });
  }, 60_000);
});

import { defineConfig } from 'vitest/config';

/**
 * Two projects. `2025-11-25`: every test (in-process suites connect SDK 1.32's client: initialize,
 * one session). `2026-07-28`: the in-process suites of tools, resources, prompts, completions,
 * notifications, the call policy and redaction once more, with SDK v2's client pinned to 2026-07-28 through the
 * stateless serving entry (see test/helpers/mcp.ts). The HTTP, stdio and scale tests run both
 * generations inside themselves (test/generations, test/scale).
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Two files at a time, also on 2 cores (vitest's default there is one): most tests wait on loopback
    // HTTP, child processes or a sandbox call's timing rather than compute; the suite takes about 5 min
    // instead of 8.5 on Node 20 here, with the client-compatibility frameworks loaded.
    maxWorkers: 2,
    reporters: ['default', './scripts/vitest-summary-reporter.mjs'],
    projects: [
      { extends: true, test: { name: '2025-11-25', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: '2026-07-28',
          include: [
            'test/server/**/*.test.ts',
            'test/resources/**/*.test.ts',
            'test/prompts/**/*.test.ts',
            'test/policy/**/*.test.ts',
            'test/voisa/redaction.test.ts',
          ],
          env: { VOISA_TEST_GENERATION: '2026-07-28' },
        },
      },
    ],
  },
});

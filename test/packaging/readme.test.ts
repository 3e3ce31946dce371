/** The README's tables against the code: every tool, every flag and every environment variable. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAGS, OTHER_ENV } from '../../src/cli/config.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { ROOT, run } from './helpers.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The rows of a generated table, as arrays of cells (header and separator dropped). */
function table(name: string): string[][] {
  const block = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme)?.[1];
  if (!block) throw new Error(`README.md has no ${name} table`);
  return block
    .trim()
    .split('\n')
    .slice(2)
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

const code = (cell: string | undefined) => /`([^`]+)`/.exec(cell ?? '')?.[1];

describe('README.md', () => {
  it('has a row for every tool of the catalogue, in order, with its toolset and description', () => {
    const rows = table('tools');
    expect(rows.map((r) => [code(r[0]), r[1], r[2]])).toEqual(
      CATALOGUE.map((t) => [t.name, t.toolset, t.description]),
    );
  });

  it('documents every flag and every environment variable the server reads', () => {
    const rows = table('config');
    expect(rows.filter((r) => r[0]).map((r) => code(r[0])?.split(' ')[0])).toEqual(
      Object.keys(FLAGS).map((f) => `--${f}`),
    );
    const envs = [...Object.values(FLAGS).flatMap((f) => (f.env ? [f.env] : [])), ...Object.keys(OTHER_ENV)];
    expect(rows.flatMap((r) => (code(r[1]) ? [code(r[1])] : []))).toEqual(envs);
  });

  it('is what scripts/gen-readme-tables.mjs writes', () => {
    expect(() => run(process.execPath, ['scripts/gen-readme-tables.mjs', '--check'])).not.toThrow();
  });

  it('keeps the two sections other contributors fill in', () => {
    expect(readme).toMatch(/^## Resources and prompts$/m);
    expect(readme).toMatch(/^## Hosting over HTTP$/m);
  });
});

/**
 * The generated tables against the code: every tool (README.md), every flag and every environment
 * variable (docs/configuration.md). What each scope reaches (docs/oauth.md) is checked against REACH
 * in test/oauth/scopes-surfaces.test.ts; the links of README.md and docs/ in docs-links.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAGS, OTHER_ENV } from '../../src/cli/config.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { ROOT, run, tableCells } from './helpers.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The rows of a generated table in `file`, as arrays of cells (header and separator dropped). */
function table(file: string, name: string): string[][] {
  const block = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(read(file))?.[1];
  if (!block) throw new Error(`${file} has no ${name} table`);
  return block
    .trim()
    .split('\n')
    .slice(2)
    .map((line) => tableCells(line) ?? []);
}

const code = (cell: string | undefined) => /`([^`]+)`/.exec(cell ?? '')?.[1];

describe('README.md and the configuration guide', () => {
  it('README.md has a row for every tool of the catalogue, in order, with its toolset and description', () => {
    const rows = table('README.md', 'tools');
    expect(rows.map((r) => [code(r[0]), r[1], r[2]])).toEqual(
      CATALOGUE.map((t) => [t.name, t.toolset, t.description]),
    );
  });

  it('docs/configuration.md documents every flag and every environment variable the server reads', () => {
    const rows = table('docs/configuration.md', 'config');
    expect(rows.filter((r) => r[0]).map((r) => code(r[0])?.split(' ')[0])).toEqual(
      Object.keys(FLAGS).map((f) => `--${f}`),
    );
    const envs = [...Object.values(FLAGS).flatMap((f) => (f.env ? [f.env] : [])), ...Object.keys(OTHER_ENV)];
    expect(rows.flatMap((r) => (code(r[1]) ? [code(r[1])] : []))).toEqual(envs);
  });

  it('is what scripts/gen-readme-tables.mjs writes (tools, config and reach blocks)', () => {
    expect(() => run(process.execPath, ['scripts/gen-readme-tables.mjs', '--check'])).not.toThrow();
  });

  it('README.md stays a front page: at most 15 KB', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThanOrEqual(15 * 1024);
  });

  it('keeps the guides other contributors fill in', () => {
    expect(read('docs/resources-and-prompts.md')).toMatch(/^# Resources, views, prompts and notifications$/m);
    expect(read('docs/http.md')).toMatch(/^# Hosting over HTTP$/m);
  });
});

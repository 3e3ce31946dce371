/**
 * The README and the guides under docs/ hold together (issue 21):
 *
 * - every relative link in README.md, CONTRIBUTING.md and docs/**\/*.md resolves: inline links and
 *   images (`[x](path)`, `[x](path#anchor)`, `[x](#anchor)`, `![x](path)`) and reference-style links
 *   (`[x][label]`, `[label][]`, `[label]`, whose `[label]: path` definition must exist). The path,
 *   taken relative to the file that links, must exist (a file or a folder); an `#anchor` must be a
 *   heading of the target markdown file, slugged as GitHub does (lowercase; everything but letters,
 *   digits, spaces, `-` and `_` dropped; each space a `-`; a repeated heading gets `-1`, `-2`…), or
 *   an explicit `<a id="…">` / `<a name="…">`. Links inside code (fenced blocks, `code spans`) and
 *   links with a scheme (https:, mailto:) are not checked.
 * - every flag and environment variable the CLI accepts (FLAGS and OTHER_ENV of src/cli/config.ts,
 *   with a flag's `short` form if it ever has one) is documented exactly once in
 *   docs/configuration.md, and defined nowhere else. "Documented" means one table row that defines
 *   it: for a flag, a row whose first cell starts with the flag in a code span (`--port <value>`);
 *   for a variable, a row whose first or second cell is exactly the variable in a code span; a
 *   variable that belongs to a flag is defined in that flag's row. Mentions in prose do not count.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAGS, OTHER_ENV } from '../../src/cli/config.js';
import { tableCells as cells, ROOT } from './helpers.js';

/** README.md, CONTRIBUTING.md (when present) and every markdown file under docs/, relative to ROOT. */
function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) return walk(path);
      return e.name.endsWith('.md') ? [path] : [];
    });
  return [...['README.md', 'CONTRIBUTING.md'].filter((f) => existsSync(join(ROOT, f))), ...walk('docs')];
}

/** The text with fenced code blocks blanked (line count kept), so nothing inside them is a link or heading. */
function withoutFences(text: string): string {
  let fence: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const open = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence) {
        if (open && open[0] === fence[0] && open.length >= fence.length) fence = undefined;
        return '';
      }
      if (open) {
        fence = open;
        return '';
      }
      return line;
    })
    .join('\n');
}

/** Code spans (which may run over a line break) replaced by `code`: links inside them are not links. */
const withoutCodeSpans = (text: string) =>
  text.replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)|(`+)[^`]\2(?!`)/g, 'code');

/** GitHub's heading anchor (github-slugger): lowercase, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/`/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a markdown text offers: its headings' slugs (repeats numbered) and explicit <a id/name>. */
function anchors(markdown: string): Set<string> {
  const text = withoutFences(markdown);
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm)) {
    const base = slug(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']/gi)) out.add(m[1] as string);
  return out;
}

/** The link targets of a markdown text: inline links and images, then reference-style links. */
function linkTargets(markdown: string): { target: string; line: number }[] {
  const text = withoutCodeSpans(withoutFences(markdown));
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const out: { target: string; line: number }[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g))
    out.push({ target: m[1] ?? '', line: lineOf(m.index) });
  const definitions = new Map<string, string>();
  for (const m of text.matchAll(/^ {0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s.*)?$/gm)) {
    definitions.set((m[1] as string).toLowerCase(), m[2] as string);
    out.push({ target: m[2] as string, line: lineOf(m.index) });
  }
  // [text][label] and [label][]: the label must be defined. (A bare [label] is only a link when it is.)
  for (const m of text.matchAll(/\[((?:[^\][]|\[[^\]]*\])*)\]\[([^\]]*)\]/g)) {
    const label = ((m[2] || m[1]) as string).toLowerCase();
    if (!definitions.has(label))
      out.push({ target: `undefined reference [${label}]`, line: lineOf(m.index) });
  }
  return out;
}

/** What is wrong with one file's links, as "file:line target: why" lines (none when all resolve). */
function brokenLinks(
  file: string,
  markdown: string,
  read = (p: string) => readFileSync(p, 'utf8'),
): string[] {
  const problems: string[] = [];
  const cache = new Map<string, Set<string>>();
  for (const { target, line } of linkTargets(markdown)) {
    const where = `${file}:${line} ${target}`;
    if (target.startsWith('undefined reference')) {
      problems.push(`${where}: no definition`);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(target)) continue; // https:, mailto:, //host
    const hash = target.indexOf('#');
    const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const absolute = path === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), path);
    if (path.startsWith('/') || relative(ROOT, absolute).startsWith('..')) {
      problems.push(`${where}: outside the repository`);
      continue;
    }
    if (!existsSync(absolute)) {
      problems.push(`${where}: ${relative(ROOT, absolute)} does not exist`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!absolute.endsWith('.md') || !statSync(absolute).isFile()) {
      problems.push(`${where}: an anchor into something that is not a markdown file`);
      continue;
    }
    const offered =
      cache.get(absolute) ??
      anchors(path === '' ? markdown : read(absolute)).add('') /* a bare # is the top */;
    cache.set(absolute, offered);
    if (!offered.has(anchor))
      problems.push(`${where}: no heading or <a id> "${anchor}" in ${relative(ROOT, absolute)}`);
  }
  return problems;
}

/** Table rows (as cells) of a markdown text, outside code blocks. */
const rows = (markdown: string): string[][] =>
  withoutFences(markdown)
    .split('\n')
    .flatMap((l) => {
      const row = cells(l);
      return row ? [row] : [];
    });

/** Does this row define the flag `--name` (or its short form `-x`)? Its first cell starts with it, in code. */
function definesFlag(row: string[], flag: string): boolean {
  return new RegExp(`^\`${flag.replace(/[-]/g, '\\-')}(?: [^\`]*)?\``).test(row[0] ?? '');
}

/** Does this row define the environment variable? Its first or second cell is exactly it, in code. */
function definesEnv(row: string[], name: string): boolean {
  return row[0] === `\`${name}\`` || row[1] === `\`${name}\``;
}

const files = markdownFiles();
const texts = new Map(files.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
const CONFIG_GUIDE = 'docs/configuration.md';

type Flag = { env?: string; short?: string };
const flagForms = Object.entries(FLAGS as Record<string, Flag>).map(([name, f]) => ({
  name,
  forms: [`--${name}`, ...(f.short ? [`-${f.short}`] : [])],
  env: f.env,
}));
const envNames = [...flagForms.flatMap((f) => (f.env ? [f.env] : [])), ...Object.keys(OTHER_ENV)];

describe('links in README.md, CONTRIBUTING.md and docs/', () => {
  it('covers the README, the configuration guide, a client guide, and CONTRIBUTING.md when it exists', () => {
    expect(files).toEqual(
      expect.arrayContaining(['README.md', CONFIG_GUIDE, 'docs/clients/claude-desktop.md']),
    );
    if (existsSync(join(ROOT, 'CONTRIBUTING.md'))) expect(files).toContain('CONTRIBUTING.md');
  });

  it.each(files)('every relative link and anchor in %s resolves', (file) => {
    expect(brokenLinks(file, texts.get(file) as string)).toEqual([]);
  });

  it('slugs headings as GitHub does, and the checker reports a missing file, anchor or reference', () => {
    expect(slug('Views (MCP Apps)')).toBe('views-mcp-apps');
    expect(slug('`wait_for_call` with `voisa:calls` alone')).toBe('wait_for_call-with-voisacalls-alone');
    expect(slug('What each tool returns, and why')).toBe('what-each-tool-returns-and-why');
    expect(slug('1. Run it on a public https address')).toBe('1-run-it-on-a-public-https-address');
    expect([...anchors('# A\n## Setup\n```\n# not a heading\n```\n## Setup\n<a id="here"></a>')]).toEqual([
      'a',
      'setup',
      'setup-1',
      'here',
    ]);
    const sample = [
      '# Title',
      '## Setup',
      '[fine](#setup) [fine too](docs/http.md#auth-model) [web](https://example.com) `[code](nowhere.md)`',
      '[gone](docs/nowhere.md) [no such heading](#install) [wrong slug](docs/http.md#Auth-Model)',
      '[ref][ok] [missing][nope] ![img](docs/screenshots/none.png)',
      '[ok]: docs/oauth.md#the-security-model',
    ].join('\n');
    expect(brokenLinks('README.md', sample)).toEqual([
      'README.md:4 docs/nowhere.md: docs/nowhere.md does not exist',
      'README.md:4 #install: no heading or <a id> "install" in README.md',
      'README.md:4 docs/http.md#Auth-Model: no heading or <a id> "Auth-Model" in docs/http.md',
      'README.md:5 docs/screenshots/none.png: docs/screenshots/none.png does not exist',
      'README.md:5 undefined reference [nope]: no definition',
    ]);
  });
});

describe('docs/configuration.md documents every flag and environment variable exactly once', () => {
  const guideRows = rows(texts.get(CONFIG_GUIDE) as string);
  const elsewhere = [...texts].filter(([f]) => f !== CONFIG_GUIDE).map(([f, t]) => [f, rows(t)] as const);

  it.each(flagForms.map((f) => [f.forms[0], f] as const))(
    '%s: one row of the guide defines it, no other file does',
    (_, { forms, env }) => {
      for (const form of forms) {
        const defining = guideRows.filter((r) => definesFlag(r, form));
        expect(defining, `${form} in ${CONFIG_GUIDE}`).toHaveLength(1);
        if (env) expect(definesEnv(defining[0] as string[], env), `${env} in the row of ${form}`).toBe(true);
        for (const [file, fileRows] of elsewhere)
          expect(
            fileRows.filter((r) => definesFlag(r, form)),
            `${form} defined in ${file}`,
          ).toEqual([]);
      }
    },
  );

  it('FLAGS and OTHER_ENV hold every VOISA_ variable the source reads (so the rows above cover them all)', () => {
    const read = new Set<string>();
    for (const file of readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }))
      if (file.endsWith('.ts') && !file.startsWith('sandbox'))
        for (const [name] of readFileSync(join(ROOT, 'src', file), 'utf8').matchAll(
          /\bVOISA_[A-Z0-9_]*[A-Z0-9]\b/g,
        ))
          read.add(name);
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !envNames.includes(name)).sort()).toEqual([]);
  });

  it.each(envNames)('%s: one row of the guide defines it, no other file does', (name) => {
    expect(
      guideRows.filter((r) => definesEnv(r, name)),
      `${name} in ${CONFIG_GUIDE}`,
    ).toHaveLength(1);
    for (const [file, fileRows] of elsewhere)
      expect(
        fileRows.filter((r) => definesEnv(r, name)),
        `${name} defined in ${file}`,
      ).toEqual([]);
  });

  it('a row defines what it names and nothing else: prose and other columns do not count', () => {
    expect(definesFlag(['`--port <value>`', '`VOISA_HTTP_PORT`', 'HTTP port'], '--port')).toBe(true);
    expect(definesFlag(['`--portal`', '', ''], '--port')).toBe(false);
    expect(definesFlag(['see `--port`', '', ''], '--port')).toBe(false);
    expect(definesFlag(['client', 'how', '`--port`'], '--port')).toBe(false);
    expect(definesEnv(['', '`VOISA_API_KEY`', 'key'], 'VOISA_API_KEY')).toBe(true);
    expect(definesEnv(['x', 'uses `VOISA_API_KEY`', ''], 'VOISA_API_KEY')).toBe(false);
  });
});

#!/usr/bin/env node
/**
 * Rewrites the generated tables of the README and the guides from the built code:
 *   README.md              <!-- tools:start --> … <!-- tools:end -->    the tool catalogue (src/tools/index.ts)
 *   docs/configuration.md  <!-- config:start --> … <!-- config:end -->  every flag and env var (FLAGS, OTHER_ENV in src/cli/config.ts)
 *   docs/oauth.md          <!-- reach:start --> … <!-- reach:end -->    what each OAuth scope reaches (REACH in src/tools/scopes.ts)
 *
 *   node scripts/gen-readme-tables.mjs [--check]   (needs `npm run build` first)
 */
import { readFileSync, writeFileSync } from 'node:fs';

const { CATALOGUE } = await import('../dist/tools/index.js');
const { FLAGS, OTHER_ENV } = await import('../dist/cli/config.js');
const { reachTable } = await import('../dist/tools/scopes.js');

const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
const row = (cells) => `| ${cells.map(cell).join(' | ')} |`;

function hints(a) {
  if (a.readOnlyHint) return 'read-only';
  const out = [];
  if (a.destructiveHint) out.push('destructive');
  if (a.idempotentHint) out.push('idempotent');
  if (a.openWorldHint) out.push('open-world');
  return out.join(', ');
}

/** Each block: the file that holds it, and its lines. */
const blocks = {
  tools: {
    file: 'README.md',
    lines: [
      row(['Tool', 'Toolset', 'What it does', 'Hints']),
      row(['---', '---', '---', '---']),
      ...CATALOGUE.map((t) => row([`\`${t.name}\``, t.toolset, t.description, hints(t.annotations)])),
    ],
  },
  config: {
    file: 'docs/configuration.md',
    lines: [
      row(['Flag', 'Environment variable', 'Meaning']),
      row(['---', '---', '---']),
      ...Object.entries(FLAGS).map(([name, f]) =>
        row([`\`--${name}${f.type === 'string' ? ' <value>' : ''}\``, f.env ? `\`${f.env}\`` : '', f.help]),
      ),
      ...Object.entries(OTHER_ENV).map(([name, help]) => row(['', `\`${name}\``, help])),
    ],
  },
  reach: { file: 'docs/oauth.md', lines: reachTable().split('\n') },
};

const stale = [];
for (const file of new Set(Object.values(blocks).map((b) => b.file))) {
  const before = readFileSync(file, 'utf8');
  let after = before;
  for (const [name, block] of Object.entries(blocks)) {
    if (block.file !== file) continue;
    const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!re.test(after))
      throw new Error(`${file} has no <!-- ${name}:start --> … <!-- ${name}:end --> block`);
    after = after.replace(re, (_, start, end) => `${start}${block.lines.join('\n')}\n${end}`);
  }
  if (after === before) continue;
  if (process.argv.includes('--check')) stale.push(file);
  else {
    writeFileSync(file, after);
    process.stderr.write(`${file}: tables updated\n`);
  }
}

if (stale.length > 0) {
  process.stderr.write(`tables out of date in ${stale.join(', ')}: run node scripts/gen-readme-tables.mjs\n`);
  process.exitCode = 1;
}

#!/usr/bin/env node
/**
 * Rewrites the README's generated tables from the built code:
 *   <!-- tools:start --> … <!-- tools:end -->    the tool catalogue (src/tools/index.ts)
 *   <!-- config:start --> … <!-- config:end -->  every flag and env var (FLAGS, OTHER_ENV in src/cli/config.ts)
 *
 *   node scripts/gen-readme-tables.mjs [--check]   (needs `npm run build` first)
 */
import { readFileSync, writeFileSync } from 'node:fs';

const { CATALOGUE } = await import('../dist/tools/index.js');
const { FLAGS, OTHER_ENV } = await import('../dist/cli/config.js');

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

const tables = {
  tools: [
    row(['Tool', 'Toolset', 'What it does', 'Hints']),
    row(['---', '---', '---', '---']),
    ...CATALOGUE.map((t) => row([`\`${t.name}\``, t.toolset, t.description, hints(t.annotations)])),
  ],
  config: [
    row(['Flag', 'Environment variable', 'Meaning']),
    row(['---', '---', '---']),
    ...Object.entries(FLAGS).map(([name, f]) =>
      row([`\`--${name}${f.type === 'string' ? ' <value>' : ''}\``, f.env ? `\`${f.env}\`` : '', f.help]),
    ),
    ...Object.entries(OTHER_ENV).map(([name, help]) => row(['', `\`${name}\``, help])),
  ],
};

const before = readFileSync('README.md', 'utf8');
let after = before;
for (const [name, lines] of Object.entries(tables)) {
  const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!re.test(after))
    throw new Error(`README.md has no <!-- ${name}:start --> … <!-- ${name}:end --> block`);
  after = after.replace(re, (_, start, end) => `${start}${lines.join('\n')}\n${end}`);
}

if (process.argv.includes('--check')) {
  if (after !== before) {
    process.stderr.write('README.md tables are out of date: run node scripts/gen-readme-tables.mjs\n');
    process.exitCode = 1;
  }
} else if (after !== before) {
  writeFileSync('README.md', after);
  process.stderr.write('README.md tables updated\n');
}

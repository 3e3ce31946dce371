#!/usr/bin/env node
/**
 * Builds the MCP Apps views (src/views/<name>.ts + <name>.template.html) into self-contained HTML files,
 * dist/views/<name>.html: the script and the styles inlined, nothing fetched from anywhere (hosts
 * sandbox views with a CSP that allows no origin by default). The server serves them as
 * ui://voisa/<name> (src/resources/views.ts).
 *
 * Size: each view carries its own copy of the App bridge (@modelcontextprotocol/ext-apps' App on the
 * SDK's Protocol, with zod: about 240 KB minified, most of a view); the build fails past BUDGET.
 * Three build-time rewrites keep that floor from growing (same meaning, fewer bytes):
 * - zod's ~45 message locales reduced to `en` (as scripts/bundle.mjs does; ~70 KB);
 * - the SDK packages marked side-effect free, so modules nothing uses are dropped (~70 KB);
 * - `import { z } from 'zod'` read as `import * as z`, so esbuild keeps only the zod functions
 *   used instead of the whole namespace object (~90 KB).
 *
 *   node scripts/build-views.mjs [view…] [--metafile]    (default: all three; --metafile also writes
 *   dist/views-<view>.meta.json, for esbuild's analyzer)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { zodLocales } from './esbuild-plugins.mjs';

const VIEWS = ['call', 'analytics', 'agent'];
const OUTDIR = 'dist/views';
/** Bytes per view; the App bridge alone is ~240 KB of it. */
const BUDGET = 300_000;

/** The SDK's dist files have no `sideEffects` field; they are plain modules with none. */
const sdkSideEffectFree = {
  name: 'sdk-side-effect-free',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind === 'entry-point' || args.pluginData?.inner) return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { inner: true },
      });
      if (r.errors.length) return undefined;
      return /[\\/]@modelcontextprotocol[\\/](client|core|ext-apps)[\\/]/.test(r.path)
        ? { ...r, sideEffects: false }
        : r;
    });
  },
};

/** `import { z as X } from 'zod…'` → `import * as X from 'zod…'` (zod exports every member by name too). */
const zodNamespace = {
  name: 'zod-namespace',
  setup(b) {
    const rewrite = (source) =>
      source.replace(
        /import\s*\{\s*z(?:\s+as\s+(\w+))?\s*\}\s*from\s*(["'])(zod(?:\/v4)?)\2/g,
        (_m, alias, q, spec) => `import * as ${alias ?? 'z'} from ${q}${spec}${q}`,
      );
    b.onLoad({ filter: /[\\/]ext-apps[\\/]dist[\\/]src[\\/]app\.js$/ }, (args) => ({
      contents: rewrite(readFileSync(args.path, 'utf8')),
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]src[\\/]voisa[\\/]schemas[\\/]\w+\.ts$/ }, (args) => ({
      contents: rewrite(readFileSync(args.path, 'utf8')),
      loader: 'ts',
    }));
  },
};

/** Refuses anything that would load from elsewhere: the file must work offline and under a strict CSP. */
function externalReferences(html) {
  const found = [];
  for (const re of [
    /<(?:script|img|audio|video|source|iframe|embed)\b[^>]*\ssrc\s*=\s*["']?(?:https?:)?\/\//gi,
    /<link\b[^>]*\shref\s*=\s*["']?(?:https?:)?\/\//gi,
    /@import\s+(?:url\()?\s*["']?(?:https?:)?\/\//gi,
    /url\(\s*["']?(?:https?:)?\/\//gi,
  ]) {
    for (const m of html.matchAll(re)) found.push(m[0]);
  }
  return found;
}

mkdirSync(OUTDIR, { recursive: true });
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknownViews = only.filter((v) => !VIEWS.includes(v));
if (unknownViews.length) throw new Error(`no view ${unknownViews.join(', ')}; views: ${VIEWS.join(', ')}`);
const built = only.length ? only : VIEWS;
const sizes = {};
for (const view of built) {
  const result = await build({
    entryPoints: [`src/views/${view}.ts`],
    outdir: OUTDIR, // names the outputs; nothing is written
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16.4'],
    minify: true,
    legalComments: 'none',
    charset: 'ascii',
    // Escapes `</script` and `</style` inside the code, so both can sit in the HTML as they are.
    supported: { 'inline-script': false, 'inline-style': false },
    plugins: [zodLocales, sdkSideEffectFree, zodNamespace],
    logLevel: 'warning',
    metafile: process.argv.includes('--metafile'),
  });
  if (result.metafile) writeFileSync(`dist/views-${view}.meta.json`, JSON.stringify(result.metafile));
  const js = result.outputFiles.filter((f) => f.path.endsWith('.js')).map((f) => f.text);
  const css = result.outputFiles.filter((f) => f.path.endsWith('.css')).map((f) => f.text);
  const template = readFileSync(`src/views/${view}.template.html`, 'utf8');
  if (!template.includes('<!--STYLE-->') || !template.includes('<!--SCRIPT-->')) {
    throw new Error(`src/views/${view}.template.html: needs <!--STYLE--> and <!--SCRIPT--> placeholders`);
  }
  const html = template
    .replace('<!--STYLE-->', () => `<style>${css.join('')}</style>`)
    .replace('<!--SCRIPT-->', () => `<script type="module">${js.join('')}</script>`);
  const external = externalReferences(html);
  if (external.length) throw new Error(`${view}.html would load from elsewhere: ${external.join(', ')}`);
  const bytes = Buffer.byteLength(html);
  if (bytes > BUDGET) {
    throw new Error(
      `${view}.html is ${bytes} bytes, over the ${BUDGET}-byte budget (scripts/build-views.mjs)`,
    );
  }
  writeFileSync(`${OUTDIR}/${view}.html`, html);
  sizes[view] = bytes;
}
process.stderr.write(
  `built ${OUTDIR}/: ${built.map((v) => `${v}.html ${(sizes[v] / 1024).toFixed(0)} KiB`).join(', ')} (budget ${BUDGET / 1000} kB each)\n`,
);

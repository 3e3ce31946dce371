#!/usr/bin/env node
/**
 * Bundles the CLI (src/cli/index.ts and everything it imports, dependencies included)
 * into minified ESM: dist/bin/voisa-mcp.mjs plus a few chunks in dist/bin/chunks/.
 * That is what `npx voisa-mcp` and the .mcpb bundle run: a handful of files
 * parse faster than a node_modules tree resolves, and the parts a stdio session
 * never reaches (the sandbox, login, the HTTP transport) sit in chunks of their
 * own, loaded by their dynamic import() only when used. The library exports
 * (dist/index.js, dist/sandbox/index.js) stay tsc's output.
 *
 *   node scripts/bundle.mjs [--metafile]   (--metafile also writes dist/voisa-mcp.meta.json)
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { zodLocales } from './esbuild-plugins.mjs';

const OUTDIR = 'dist/bin';
const BUNDLE = `${OUTDIR}/voisa-mcp.mjs`;

/**
 * undici's index loads every dispatcher, the mocks, the cache, cookies and
 * websockets; the client needs its Pool only. Importing just that saves ~9 MB
 * of RSS. The shim exports these names, and the build fails if src/ imports
 * any other value from 'undici'.
 */
const UNDICI_NAMES = ['Pool', 'Dispatcher'];
// ESM with named exports, so that the client's `await import('undici')` sees `Pool`.
const UNDICI_SHIM = `const Dispatcher = require('undici/lib/dispatcher/dispatcher');
Object.assign(Dispatcher.prototype, require('undici/lib/api'));
const Pool = require('undici/lib/dispatcher/pool');
export { Dispatcher, Pool };`;

function undiciValueImports(dir = 'src') {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [
        ...readFileSync(join(dir, f), 'utf8').matchAll(/import\s+(?!type\b)\{([^}]*)\}\s+from\s+'undici'/g),
      ].flatMap((m) =>
        m[1]
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s && !s.startsWith('type ')),
      ),
    );
}

const unknown = undiciValueImports().filter((name) => !UNDICI_NAMES.includes(name.split(/\s+as\s+/)[0]));
if (unknown.length) {
  throw new Error(`scripts/bundle.mjs: add ${unknown.join(', ')} to the undici shim (or drop the shim)`);
}

const undiciShim = {
  name: 'undici-shim',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.includes('node_modules') ? undefined : { path: 'undici', namespace: 'undici-shim' },
    );
    b.onLoad({ filter: /.*/, namespace: 'undici-shim' }, () => ({
      contents: UNDICI_SHIM,
      loader: 'js',
      resolveDir: process.cwd(),
    }));
  },
};

/**
 * The SDK picks its JSON Schema validator through `@modelcontextprotocol/server/_shims`, whose Node
 * variant loads ajv (~290 KB, parsed at every start). The server validates with it only what it asks
 * a client through push-style elicitation, which voisa-mcp does not use (its confirmations check
 * their one boolean themselves), so the bundle takes the SDK's own lighter validator
 * (`validators/cf-worker`, same interface) with Node's process.
 */
const SDK_SHIMS = `export { CfWorkerJsonSchemaValidator as DefaultJsonSchemaValidator } from '@modelcontextprotocol/server/validators/cf-worker';
export { default as process } from 'node:process';`;
const sdkShims = {
  name: 'sdk-shims',
  setup(b) {
    b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({
      path: '_shims',
      namespace: 'sdk-shims',
    }));
    b.onLoad({ filter: /.*/, namespace: 'sdk-shims' }, () => ({
      contents: SDK_SHIMS,
      loader: 'js',
      resolveDir: process.cwd(),
    }));
  },
};

rmSync(OUTDIR, { recursive: true, force: true }); // no stale chunks from an earlier build
const result = await build({
  entryPoints: ['src/cli/index.ts'],
  outdir: OUTDIR,
  entryNames: 'voisa-mcp',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true, // each dynamic import() gets its own chunk, parsed only when reached
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // oidc-provider keys its storage and token lifetimes by model class names (Session, AccessToken…).
  keepNames: true,
  legalComments: 'none',
  metafile: true,
  plugins: [undiciShim, sdkShims, zodLocales],
  // OpenTelemetry (src/telemetry/otel.ts, loaded by import() only when traces or metrics are on) stays a
  // dependency resolved from node_modules: bundled, it would weigh more than the server. The .mcpb ships
  // no node_modules, so there telemetry warns once and stays off (src/telemetry/load.ts).
  external: ['@opentelemetry/*'],
  logLevel: 'warning',
  logOverride: { 'empty-glob': 'silent' }, // sentiment's require('../languages/' + code): English is built in
  // src/cli/index.ts starts with a shebang, which esbuild keeps. CommonJS dependencies
  // (undici, sentiment) call require() for Node's built-ins: give them one.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
});

if (process.argv.includes('--metafile'))
  writeFileSync('dist/voisa-mcp.meta.json', JSON.stringify(result.metafile));
const outputs = Object.values(result.metafile.outputs);
const bytes = outputs.reduce((sum, o) => sum + o.bytes, 0);
process.stderr.write(
  `bundled ${BUNDLE} and ${outputs.length - 1} chunks (${(bytes / 1024).toFixed(0)} KiB)\n`,
);

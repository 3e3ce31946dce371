#!/usr/bin/env node
/**
 * Builds the Claude Desktop extension: stages manifest.json, the bundled
 * server (dist/bin/, from scripts/bundle.mjs) with its views (dist/views/, from
 * scripts/build-views.mjs) and LICENSE, then runs
 * `mcpb pack`. Run `npm run build` first (`npm run pack` does).
 *
 *   node scripts/pack.mjs [out.mcpb]    default voisa-mcp.mcpb
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const out = resolve(process.argv[2] ?? 'voisa-mcp.mcpb');
const stage = mkdtempSync(join(tmpdir(), 'voisa-mcpb-'));
const bin = (name) => resolve('node_modules/.bin', name);

// A manifest whose tools or version lag behind the code must not ship.
execFileSync(process.execPath, ['scripts/gen-manifest.mjs', '--check'], { stdio: 'inherit' });

copyFileSync('manifest.json', join(stage, 'manifest.json'));
cpSync('dist/bin', join(stage, 'server'), { recursive: true });
// OpenTelemetry is external to the bundle and the .mcpb ships no node_modules: its loader chunk could
// never load here, so it stays out, and telemetry says once that this build has none (src/telemetry/load.ts).
for (const f of readdirSync(join(stage, 'server', 'chunks')))
  if (/^otel-[\w-]+\.mjs$/.test(f)) rmSync(join(stage, 'server', 'chunks', f));
// The MCP Apps views: the server finds them in server/views/ (src/resources/views.ts).
cpSync('dist/views', join(stage, 'server', 'views'), { recursive: true });
// The phone time-zone map for quiet hours: the server finds it in server/data/ (src/policy/zones.ts).
cpSync('dist/data', join(stage, 'server', 'data'), { recursive: true });
// The workflow skills: the server finds them in server/skills/ (src/skills/catalog.ts).
cpSync('skills', join(stage, 'server', 'skills'), { recursive: true });
copyFileSync('LICENSE', join(stage, 'LICENSE'));

execFileSync(bin('mcpb'), ['validate', join(stage, 'manifest.json')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
execFileSync(bin('mcpb'), ['pack', stage, out], { stdio: ['ignore', 'ignore', 'inherit'] });
rmSync(stage, { recursive: true, force: true });
process.stderr.write(`packed ${out} (${(statSync(out).size / 1024).toFixed(0)} KiB)\n`);

/**
 * The MCP Inspector 2.x CLI against the built binary with `--sandbox`, on Node 22 (which it needs:
 * scripts/with-node.sh 22; the server it spawns runs on Node 22 too). Its launcher works from
 * node_modules as installed. HOME is the caller's temporary folder: the CLI creates its catalog
 * (~/.mcp-inspector) on first use.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

export const BUILT_CLI = path.resolve('dist', 'cli', 'index.js');

const INSPECTOR = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json')),
  'clients',
  'launcher',
  'build',
  'index.js',
);
const WITH_NODE = path.resolve('scripts', 'with-node.sh');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `inspector --cli <args> -- node dist/cli/index.js --sandbox` (`--` ends options such as `--tool-arg`). */
export function inspector2(home: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const argv = ['22', 'node', INSPECTOR, '--cli', ...args, '--', 'node', BUILT_CLI, '--sandbox'];
    const child = spawn(WITH_NODE, argv, { env: { PATH: process.env.PATH ?? '', HOME: home } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

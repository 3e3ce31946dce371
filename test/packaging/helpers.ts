/** Shared by the packaging tests: paths, a command runner, and an MCP client over a spawned server's stdio. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BUNDLE = join(ROOT, 'dist/bin/voisa-mcp.mjs');

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(resolve(ROOT, path), 'utf8')) as T;
}

/** A fresh folder under test/.tmp (gitignored). */
export function tempDir(prefix: string): string {
  const base = join(ROOT, 'test/.tmp');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}

/** Runs a command in the repository (or `cwd`) and returns its stdout; throws with stderr on failure. */
export function run(command: string, args: string[], cwd = ROOT): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function bin(name: string): string {
  return join(ROOT, 'node_modules/.bin', name);
}

export function requireBuild(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
}

export interface StdioSession {
  client: Client;
  stderr(): string;
  close(): Promise<void>;
}

/** Starts `command args` as an MCP server over stdio with exactly the env a host would add, and initializes. */
export async function connectStdio(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<StdioSession> {
  const transport = new StdioClientTransport({ command, args, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'packaging-test', version: '0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** The cells of a markdown table row, or undefined when the line is not one. */
export function tableCells(line: string): string[] | undefined {
  if (!/^\s*\|/.test(line)) return undefined;
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

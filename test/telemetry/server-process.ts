/**
 * `node dist/bin/voisa-mcp.mjs --http` as a child process, against a sandbox the test holds (so the test
 * reads the sandbox's request log directly). A child, not an in-process server: the OpenTelemetry Node
 * SDK registers global providers (tracer, meter, context manager, propagator) once per process, which
 * would leak between test files sharing a vitest worker, and the child runs exactly what an operator runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/services.js';

export const CLI = fileURLToPath(new URL('../../dist/bin/voisa-mcp.mjs', import.meta.url));

export interface ServerProcess {
  /** http://127.0.0.1:port */
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, and waits for the exit (telemetry is flushed on the way out). */
  stop(): Promise<number | null>;
}

export async function startServerProcess(
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, CLI, '--http', '--port', String(port), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 20_000);
    const check = () => {
      if (stderr.includes('serving MCP over streamable HTTP')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}):\n${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code] = await once(child, 'exit');
      clearTimeout(timer);
      return code as number | null;
    },
  };
}

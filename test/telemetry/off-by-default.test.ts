/**
 * Off by default, and not even loaded: the built CLI, over HTTP and over stdio, serves a
 * `tools/call list_agents` without resolving any `@opentelemetry/*` module when no OTLP endpoint is set
 * and `--metrics` is not given. Seen through a Node module resolve hook (`module.register`, loaded with
 * `--import`) that writes down every `@opentelemetry/` specifier the process resolves; the same hook
 * with `OTEL_EXPORTER_OTLP_ENDPOINT` set sees the Node SDK load, which shows that it sees them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { unbuilt } from '../helpers/built.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { connectWithMeta } from './clients.js';
import { type Receiver, startReceiver } from './otlp-receiver.js';
import { CLI, startServerProcess } from './server-process.js';

let dir: string;
let sandbox: Sandbox;
let receiver: Receiver;
let n = 0;

/** A fresh record file and the `--import` that fills it. */
function watcher(): { nodeArgs: string[]; resolved(): string[] } {
  const file = join(dir, `resolved-${++n}.txt`);
  const hooks = join(dir, `hooks-${n}.mjs`);
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) appendFileSync(${JSON.stringify(file)}, specifier + '\\n');
  return next(specifier, context);
}\n`,
  );
  const register = join(dir, `register-${n}.mjs`);
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
  );
  return {
    nodeArgs: ['--import', `file://${register}`],
    resolved: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []),
  };
}

describe.skipIf(unbuilt(CLI))('telemetry off by default: @opentelemetry is never loaded', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'voisa-otel-off-'));
    sandbox = await startSandbox({ rateLimitPerMin: 0 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('over HTTP: none without configuration; the SDK with an OTLP endpoint', async () => {
    const off = watcher();
    const server = await startServerProcess(
      ['--base-url', sandbox.baseUrl],
      { VOISA_API_KEY: sandbox.demoKey },
      off.nodeArgs,
    );
    const client = await connectWithMeta('2026-07-28', `${server.url}/mcp`, sandbox.demoKey);
    expect((await client.call('list_agents', {})).isError).toBeFalsy();
    await client.close();
    expect(await server.stop()).toBe(0);
    expect(off.resolved()).toEqual([]);

    const on = watcher();
    const traced = await startServerProcess(
      ['--base-url', sandbox.baseUrl],
      { VOISA_API_KEY: sandbox.demoKey, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      on.nodeArgs,
    );
    expect(await traced.stop()).toBe(0);
    expect(on.resolved()).toEqual(expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/sdk-node']));
  });

  it.each(GENERATIONS)('over stdio (%s client): none without configuration', async (generation) => {
    const off = watcher();
    const client = await connectGeneration(generation, {
      stdio: {
        command: process.execPath,
        args: [...off.nodeArgs, CLI, '--base-url', sandbox.baseUrl],
        env: { PATH: process.env.PATH ?? '', VOISA_API_KEY: sandbox.demoKey },
      },
    });
    expect((await client.callTool('list_agents', {})).isError).toBeFalsy();
    await client.close();
    expect(off.resolved()).toEqual([]);
  });
});

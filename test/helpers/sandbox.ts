/**
 * `useSandbox()` for vitest: one sandbox per test file, started in beforeAll on
 * an ephemeral loopback port and closed in afterAll.
 *
 *   const sandbox = useSandbox({ trainingMs: 100 });
 *   it('...', async () => { await fetch(`${sandbox().baseUrl}/api/verify`, ...) });
 */
import { afterAll, beforeAll } from 'vitest';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.js';

/** Parsed JSON of a response: tests assert on it rather than type it. */
export type Json = any;

export function useSandbox(opts: SandboxOptions = {}): () => Sandbox {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox({ trainingMs: 200, callMs: 300, ...opts });
  });
  afterAll(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });
  return () => {
    if (!sandbox)
      throw new Error('useSandbox(): the sandbox is only available inside tests (after beforeAll)');
    return sandbox;
  };
}

/** fetch against the sandbox with the demo key (or `key`), returning status, headers and parsed JSON. */
export async function api(
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
  key: string | null = sandbox.demoKey,
): Promise<{ status: number; headers: Headers; json: Json }> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  let payload: RequestInit['body'];
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${sandbox.baseUrl}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

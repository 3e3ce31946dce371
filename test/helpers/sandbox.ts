/**
 * `useSandbox()` for vitest: one sandbox per test file, started in beforeAll on
 * an ephemeral loopback port and closed in afterAll.
 *
 *   const sandbox = useSandbox({ trainingMs: 100 });
 *   it('...', async () => { await fetch(`${sandbox().baseUrl}/api/verify`, ...) });
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** A call to the sandbox's control API (`/__sandbox/*`, no key), returning status and parsed JSON. */
export async function control(
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${sandbox.url}/__sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

export interface WebhookDelivery {
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as sent (what the signature covers). */
  raw: string;
  body: { id: string; event: string; timestamp: string; data: Record<string, unknown> };
}

/** A loopback webhook receiver that records every delivery and answers 204. */
export async function startWebhookReceiver(): Promise<{
  url: string;
  received: WebhookDelivery[];
  close(): Promise<void>;
}> {
  const received: WebhookDelivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `wait_for_call` arguments of a wait that cannot end by itself within a test: no call was placed to this number. */
export const ENDLESS_WAIT = {
  call_id: 'call_restart0001',
  agent_id: 'agt_bella0001',
  phone_number: '+49111111111',
  wait_seconds: 60,
};

/**
 * Resolves once `n` ENDLESS_WAITs have polled the sandbox at `sandboxUrl` (a spawned server's embedded
 * one: its request log says the waits are in flight); throws after 20 s.
 */
export async function waitsPolling(sandboxUrl: string, n = 1): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${new URL(sandboxUrl).origin}/__sandbox/requests`);
    const { data } = (await res.json()) as {
      data: { requests: { path: string; query: Record<string, string> }[] };
    };
    const polls = data.requests.filter(
      (r) => r.path === '/api/conversations/list' && r.query.agent_id === ENDLESS_WAIT.agent_id,
    );
    if (polls.length >= n) return;
    if (Date.now() > until) throw new Error(`only ${polls.length} of ${n} waits polled`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `fn` until it returns a value (webhook deliveries, ended calls); throws after `ms`. */
export async function waitFor<T>(fn: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The OAuth sign-in as users run it: the built, minified bundle (`dist/bin/voisa-mcp.mjs --sandbox
 * --http --public-url …`), not the sources. oidc-provider keys its storage and token lifetimes by its
 * model classes' names, so a bundler that renames classes breaks the consent step ("session not
 * found") and the configured token lifetime while every in-process test stays green; this catches it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATIONS } from '../helpers/generations.js';
import { freePort } from '../helpers/services.js';
import { connectWithOAuth, TestOAuthClient } from './helpers.js';

const CLI = fileURLToPath(new URL('../../dist/bin/voisa-mcp.mjs', import.meta.url));
const TTL = 120;

let child: ChildProcess;
let issuer: string;
let stderr = '';

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  child = spawn(
    process.execPath,
    [CLI, '--sandbox', '--http', '--port', String(port), '--public-url', issuer],
    {
      env: { PATH: process.env.PATH ?? '', VOISA_OAUTH_TOKEN_TTL: String(TTL) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line within 20 s:\n${stderr}`)), 20_000);
    child.stderr?.on('data', (d) => {
      stderr += d;
      if (stderr.includes('OAuth sign-in at')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await ready;
}, 30_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

describe.each(GENERATIONS)('the built bundle as an authorization server, %s client', (generation) => {
  it('signs in, consents, issues a token of the configured lifetime and serves the granted tools', async () => {
    const provider = new TestOAuthClient(`Bundle ${generation}`);
    const stack = { mcpUrl: `${issuer}/mcp`, issuer };
    const client = await connectWithOAuth(generation, stack, provider, { untick: ['voisa:calls'] });
    try {
      expect(provider.saved?.expires_in).toBe(TTL);
      const names = (await client.listTools()).map((t) => t.name);
      expect(names).toContain('list_agents');
      expect(names).not.toContain('make_call');
      const agents = await client.callTool('list_agents', {});
      expect(agents.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    expect(stderr).not.toMatch(/session not found|server error/i);
  }, 30_000);
});

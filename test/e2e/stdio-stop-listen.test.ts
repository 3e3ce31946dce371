import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { STDIO_GRACE_MS } from '../../src/stdio/serve.js';
import { unbuilt } from '../helpers/built.js';

const CLI = path.resolve('dist/cli/index.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(unbuilt(CLI))('stdio stop with a listen stream open', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s ends the server before the grace period for answers',
    async (signal) => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, '--sandbox'],
        env: { PATH: process.env.PATH ?? '', HOME: tmpdir() },
        stderr: 'pipe',
      });
      const client = new Client(
        { name: 'stop-listen', version: '1' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      await client.connect(transport);
      try {
        expect(client.getNegotiatedProtocolVersion?.()).toBe('2026-07-28');
        await client.listen({
          resourceSubscriptions: ['voisa://agents/agt_bella0001'],
          resourcesListChanged: true,
        });
        const pid = transport.pid!;
        const sent = Date.now();
        process.kill(pid, signal);
        // Before the fix the process stayed for STDIO_GRACE_MS; half of it is a generous bound.
        while (alive(pid) && Date.now() - sent < STDIO_GRACE_MS / 2)
          await new Promise((r) => setTimeout(r, 25));
        console.log(`stdio ${signal} with a listen open: gone after ${Date.now() - sent} ms`);
        expect(alive(pid)).toBe(false);
      } finally {
        await client.close().catch(() => {});
      }
    },
  );
});

/**
 * 2026-07-28 `subscriptions/listen` streams over HTTP: each is served by an SDK handler of its own
 * (routes/mcp-modern.ts, which names the stream's owner to the listen bus without an
 * AsyncLocalStorage), let go when its client closes it, and ended with the SDK's closing response when
 * the server shuts down. (The 2025-era GET streams are sessions' own: sessions and resumable tests.)
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { expect, it } from 'vitest';
import { DEMO_KEY } from '../../src/sandbox/seed.js';
import { startStack, waitFor } from './helpers.js';

it('2026-07-28: listen streams come and go one after another, and the shutdown ends those still open gracefully', async () => {
  const stack = await startStack({ serverKey: DEMO_KEY });
  const client = new Client(
    { name: 'listen-test', version: '0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  let stopped = false;
  try {
    await client.connect(
      new StreamableHTTPClientTransport(new URL(stack.http.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${DEMO_KEY}` } },
      }),
    );
    const streams = stack.http.app.streams;
    const before = streams.open;
    for (let i = 0; i < 3; i++) {
      const sub = await client.listen({ resourcesListChanged: true });
      expect(sub.honoredFilter.resourcesListChanged).toBe(true);
      await waitFor(() => streams.open === before + 1, 3000, 'the listen stream to be served');
      await sub.close();
      expect(await sub.closed).toBe('local');
      await waitFor(() => streams.open === before, 3000, 'the closed listen stream to be let go');
    }
    const open = [
      await client.listen({ resourcesListChanged: true }),
      await client.listen({ resourcesListChanged: true }),
    ];
    await waitFor(() => streams.open === before + 2, 3000, 'both listen streams to be served');
    // A call still works beside them.
    const result = await client.callTool({ name: 'list_agents', arguments: { limit: 1 } });
    expect(result.isError).toBeFalsy();
    stopped = true;
    await stack.close();
    expect(await Promise.all(open.map((s) => s.closed))).toEqual(['graceful', 'graceful']);
  } finally {
    await client.close().catch(() => {});
    if (!stopped) await stack.close();
  }
});

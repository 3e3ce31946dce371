/**
 * A flood of junk cannot evict a signed-in user (issue 19.7). Every OAuth endpoint is limited per
 * address (429 with Retry-After), and the store keeps each kind in its own bound, so interactions
 * opened by a flood from many addresses push out only older interactions, never the user's grant or
 * tokens. The store's bound is made small here so a bounded flood reaches it; the process's memory
 * before and after goes to the log (VOISA_OAUTH_FLOOD=110000 VOISA_OAUTH_FLOOD_BOUND=20000 for the
 * figure in docs/oauth.md).
 */
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_LIMITS, MemoryKv } from '../../src/oauth/store.js';
import { DEMO_KEY, SECOND_KEY } from '../../src/sandbox/index.js';
import {
  authorizeUrl,
  form,
  type OAuthStack,
  pkce,
  register,
  startOAuthStack,
  tokens,
  toolNamesWith,
} from './helpers.js';

const FLOOD = Number(process.env.VOISA_OAUTH_FLOOD ?? 1_500);
const BOUND = Number(process.env.VOISA_OAUTH_FLOOD_BOUND ?? 200);
/** Authorization requests per address and minute before 429 (pages), and what each flooder sends. */
const PAGES_PER_MINUTE = 50;
const PER_ADDRESS = 55;

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

describe('an authorization flood', () => {
  let stack: OAuthStack;
  const kv = new MemoryKv({ interaction: BOUND });

  beforeAll(async () => {
    stack = await startOAuthStack({ kv, requestsPerMinute: { pages: PAGES_PER_MINUTE } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it(
    'from many addresses leaves a signed-in user signed in, within each kind’s bound',
    async () => {
      const user = await tokens(stack);
      const clientId = await register(stack, 'Flood');
      const { challenge } = pkce();
      const url = authorizeUrl(stack, clientId, challenge).href;
      const addresses = Math.ceil(FLOOD / PER_ADDRESS);
      const statuses = new Map<number, number>();
      let retryAfter: string | null = null;

      const before = process.memoryUsage();
      const started = Date.now();
      // A few addresses at a time, each sending its requests one after another.
      let nextAddress = 0;
      const worker = async () => {
        while (nextAddress < addresses) {
          const n = nextAddress++;
          const dispatcher = new Agent({
            localAddress: `127.1.${Math.floor(n / 250)}.${1 + (n % 250)}`,
            connections: 1,
          });
          try {
            for (let i = 0; i < PER_ADDRESS; i++) {
              const res = await fetch(url, { redirect: 'manual', dispatcher } as unknown as RequestInit);
              await res.body?.cancel();
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
            }
          } finally {
            await dispatcher.close();
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      const after = process.memoryUsage();
      const sizes = kv.sizes();
      console.log(
        `[bench] OAuth authorize flood: ${addresses * PER_ADDRESS} requests from ${addresses} addresses in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}; process RSS ${mb(before.rss)} -> ${mb(after.rss)}, heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}; store ${JSON.stringify(sizes)}`,
      );

      // Each address got its share, then 429 with Retry-After.
      expect(statuses.get(303)).toBe(addresses * PAGES_PER_MINUTE);
      expect(statuses.get(429)).toBe(addresses * (PER_ADDRESS - PAGES_PER_MINUTE));
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      // More interactions were opened than the bound holds: the bound held, and no other kind moved.
      expect(addresses * PAGES_PER_MINUTE).toBeGreaterThan(BOUND);
      expect(sizes.interaction).toBeLessThanOrEqual(BOUND);
      for (const kind of Object.keys(KIND_LIMITS) as (keyof typeof KIND_LIMITS)[])
        if (kind !== 'interaction') expect(sizes[kind], kind).toBeLessThanOrEqual(KIND_LIMITS[kind]);

      // The user's token and refresh token still work.
      expect((await toolNamesWith(stack.mcpUrl, user.access_token)).status).toBe(200);
      const refreshed = await fetch(
        `${stack.url}/oauth/token`,
        form({ grant_type: 'refresh_token', refresh_token: user.refresh_token, client_id: user.clientId }),
      );
      expect(refreshed.status).toBe(200);
    },
    Math.max(60_000, FLOOD * 20),
  );

  it('one account signing in again and again ends only its own oldest grants', async () => {
    const capped = await startOAuthStack({ sandbox: stack.sandbox, maxGrantsPerAccount: 3 });
    try {
      const other = await tokens(capped, { apiKey: SECOND_KEY });
      const mine = [];
      for (let i = 0; i < 5; i++) mine.push(await tokens(capped, { apiKey: DEMO_KEY }));
      const works = async (t: { access_token: string }) =>
        (await toolNamesWith(capped.mcpUrl, t.access_token)).status;
      expect(await Promise.all(mine.map(works))).toEqual([401, 401, 200, 200, 200]);
      expect(await works(other)).toBe(200);
      const refreshOldest = await fetch(
        `${capped.url}/oauth/token`,
        form({
          grant_type: 'refresh_token',
          refresh_token: mine[0]!.refresh_token,
          client_id: mine[0]!.clientId,
        }),
      );
      expect(refreshOldest.status).toBe(400);
    } finally {
      await capped.close();
    }
  });

  it('the other endpoints are limited per address too, with Retry-After', async () => {
    const limited = await startOAuthStack({ sandbox: stack.sandbox, requestsPerMinute: { api: 5 } });
    try {
      const seen: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await fetch(
          `${limited.url}/oauth/token`,
          form({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'y' }),
        );
        seen.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
        } else await res.body?.cancel();
      }
      expect(seen.slice(0, 5).every((s) => s !== 429)).toBe(true);
      expect(seen.slice(5)).toEqual([429, 429]);
      // The metadata documents count with them; the sign-in pages have their own allowance.
      expect((await fetch(`${limited.url}/.well-known/oauth-authorization-server`)).status).toBe(429);
      expect((await fetch(`${limited.url}/oauth/register`, { method: 'POST' })).status).toBe(429);
      expect((await fetch(`${limited.url}/oauth/revoke`, { method: 'POST' })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

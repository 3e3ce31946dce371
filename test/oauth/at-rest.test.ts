/**
 * Tokens are never stored in the clear (issue 19.8). After sign-ins, a dump of everything the OAuth
 * store holds in a real Redis (every key, every value, every set member) names no token, and no
 * piece of it works: not as a bearer at /mcp, not as a refresh token at /oauth/token.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modernRequest } from '../../src/http/app.js';
import { RedisKv } from '../../src/oauth/store.js';
import { DEMO_KEY, SECOND_KEY } from '../../src/sandbox/index.js';
import { createSharedState, type SharedState } from '../../src/scale/index.js';
import { missing, REDIS_BIN, type RunningRedis, startRedis } from '../helpers/services.js';
import { form, type OAuthStack, startOAuthStack, tokens, toolNamesWith } from './helpers.js';

describe.skipIf(missing(REDIS_BIN, 'redis-server'))('OAuth state at rest in Redis', () => {
  let redis: RunningRedis;
  let shared: SharedState;
  let stack: OAuthStack;
  const agents: Agent[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const secret = randomBytes(32);
    shared = await createSharedState({ redisUrl: redis.url, secret });
    stack = await startOAuthStack({ secret, redis: shared.redis });
  });
  afterAll(async () => {
    await stack?.close();
    await shared?.close();
    await redis?.stop();
    await Promise.all(agents.map((a) => a.close()));
  });

  /** Every key of the store and what it holds, as strings. */
  async function dump(): Promise<string[]> {
    const command = shared.redis!.command;
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await command.scan(cursor, 'MATCH', '*', 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        out.push(key);
        const type = await command.type(key);
        if (type === 'string') out.push((await command.get(key)) ?? '');
        else if (type === 'set') out.push(...(await command.smembers(key)));
        else if (type === 'zset') out.push(...(await command.zrange(key, '0', '-1')));
        else if (type === 'hash') out.push(...Object.entries(await command.hgetall(key)).flat());
        else if (type === 'list') out.push(...(await command.lrange(key, 0, -1)));
      }
    } while (cursor !== '0');
    return out;
  }

  /** Each whole string, and each piece between separators: what someone reading a dump would try. */
  const pieces = (all: string[]) =>
    [...new Set(all.flatMap((s) => [s, ...s.split(/[:.,"{}[\]\s]+/)]))].filter((p) => p.length >= 16);

  let next = 0;
  /** A bearer at /mcp from its own local address, so the per-address key limit never answers instead. */
  async function mcpStatus(token: string): Promise<number> {
    const dispatcher = new Agent({
      localAddress: `127.0.${2 + Math.floor(next / 250)}.${1 + (next++ % 250)}`,
    });
    agents.push(dispatcher);
    const res = await fetch(
      modernRequest(stack.mcpUrl, 'tools/list', {}, { authorization: `Bearer ${token}` }),
      {
        dispatcher,
      } as unknown as RequestInit,
    );
    await res.body?.cancel();
    return res.status;
  }

  it('a dump names no token and no key, and nothing in it works as a bearer or a refresh token', async () => {
    const signedIn = [await tokens(stack), await tokens(stack, { apiKey: SECOND_KEY })];
    // The store really holds their state, and it works (so a usable piece would be caught below).
    for (const t of signedIn) expect((await toolNamesWith(stack.mcpUrl, t.access_token)).status).toBe(200);

    const all = await dump();
    expect(all.length).toBeGreaterThan(10);
    const text = all.join('\n');
    for (const t of signedIn) {
      expect(text).not.toContain(t.access_token);
      expect(text).not.toContain(t.refresh_token);
    }
    expect(text).not.toContain(DEMO_KEY);
    expect(text).not.toContain(SECOND_KEY);

    const candidates = pieces(all);
    expect(candidates.length).toBeGreaterThan(10);
    const clientIds = [...new Set(signedIn.map((t) => t.clientId))];
    for (const candidate of candidates) {
      expect(await mcpStatus(candidate), `bearer ${candidate.slice(0, 12)}…`).toBe(401);
      for (const clientId of clientIds) {
        const res = await fetch(
          `${stack.url}/oauth/token`,
          form({ grant_type: 'refresh_token', refresh_token: candidate, client_id: clientId }),
        );
        expect(res.status, `refresh ${candidate.slice(0, 12)}…`).toBe(400);
        await res.body?.cancel();
      }
    }
    // The real ones still work: nothing above was refused for another reason.
    for (const t of signedIn) {
      const res = await fetch(
        `${stack.url}/oauth/token`,
        form({ grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: t.clientId }),
      );
      expect(res.status).toBe(200);
    }
  });

  it('each kind anyone can create keeps its own bound in Redis too', async () => {
    const kv = new RedisKv(shared.redis!, { interaction: 5 });
    await kv.set('AccessToken:user', 'sealed', 3600);
    for (let i = 0; i < 12; i++) {
      await kv.set(`Interaction:junk-${i}`, 'sealed', 900);
      await new Promise((r) => setTimeout(r, 2)); // each its own millisecond: oldest first is well defined
    }
    const live = await Promise.all(Array.from({ length: 12 }, (_, i) => kv.get(`Interaction:junk-${i}`)));
    expect(live.filter(Boolean).length).toBe(5);
    expect(live.slice(7).every(Boolean)).toBe(true);
    expect(await kv.get('AccessToken:user')).toBe('sealed');
  });
});

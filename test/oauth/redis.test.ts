/**
 * OAuth state in Redis (`--redis-url`): two instances behind one public URL share grants, tokens and
 * refresh-token families, so any instance serves any user; a restart loses nothing; and Redis holds
 * no VOISA key in clear.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, type Sandbox } from '../../src/sandbox/index.js';
import { createSharedState, type SharedState } from '../../src/scale/index.js';
import { missing, REDIS_BIN, type RunningRedis, startRedis } from '../helpers/services.js';
import {
  form,
  type OAuthPair,
  type OAuthStack,
  startOAuthPair,
  startOAuthStack,
  tokens,
  toolNamesWith,
} from './helpers.js';

describe.skipIf(missing(REDIS_BIN, 'redis-server'))('OAuth state in Redis', () => {
  const secret = randomBytes(32);
  let redis: RunningRedis;
  let pair: OAuthPair;
  let sharedA: SharedState;
  let sharedB: SharedState;
  let sandbox: Sandbox;
  let a: OAuthStack;
  let b: OAuthStack;

  beforeAll(async () => {
    redis = await startRedis();
    pair = await startOAuthPair(redis.url, secret);
    ({ a, b, sharedA, sharedB, sandbox } = pair);
  });
  afterAll(async () => {
    await pair?.close();
    await redis?.stop();
  });

  const refresh = (at: OAuthStack, clientId: string, token: string) =>
    fetch(
      `${at.url}/oauth/token`,
      form({ grant_type: 'refresh_token', refresh_token: token, client_id: clientId }),
    );

  it('a token issued by one instance works on the other, which also refreshes it', async () => {
    const t = await tokens(a);
    expect((await toolNamesWith(b.mcpUrl, t.access_token)).status).toBe(200);
    const res = await refresh(b, t.clientId, t.refresh_token);
    expect(res.status).toBe(200);
    const next = (await res.json()) as { access_token: string; refresh_token: string };
    expect((await toolNamesWith(a.mcpUrl, next.access_token)).status).toBe(200);
    // The old refresh token, replayed on the first instance: the whole family is revoked everywhere.
    expect((await refresh(a, t.clientId, t.refresh_token)).status).toBe(400);
    expect((await toolNamesWith(b.mcpUrl, next.access_token)).status).toBe(401);
  });

  it('Redis holds the VOISA key only sealed', async () => {
    await tokens(a);
    const keys = await sharedB.redis!.command.keys('*oauth:*');
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) {
      const type = await sharedB.redis!.command.type(key);
      const value =
        type === 'string'
          ? await sharedB.redis!.command.get(key)
          : type === 'zset'
            ? (await sharedB.redis!.command.zrange(key, '0', '-1')).join()
            : (await sharedB.redis!.command.smembers(key)).join();
      expect(value ?? '').not.toContain(DEMO_KEY);
      expect(value ?? '').not.toContain('voisa-sandbox-demo');
    }
  });

  it('a restarted instance still honours the tokens it issued', async () => {
    const t = await tokens(a);
    await a.close();
    await sharedA.close();
    // Same address, new server, new connection to Redis: only the store carries over.
    const sharedC = await createSharedState({ redisUrl: redis.url, secret });
    const again = await startOAuthStack({
      secret,
      redis: sharedC.redis,
      port: Number(new URL(a.url).port),
      sandbox,
    });
    try {
      expect(again.issuer).toBe(a.issuer);
      expect((await toolNamesWith(again.mcpUrl, t.access_token)).status).toBe(200);
      expect((await refresh(again, t.clientId, t.refresh_token)).status).toBe(200);
    } finally {
      await again.close();
      await sharedC.close();
    }
  });
});

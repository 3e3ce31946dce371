/**
 * A revoked grant's open streams end on every instance: two instances share a real Redis; an app
 * connected through the real OAuth flow holds, on instance B, a 2025-11-25 session with its GET stream,
 * a legacy HTTP+SSE session and a 2026-07-28 `subscriptions/listen` stream. Its revocation on instance
 * A (the /account page, or `revokeGrant` as when VOISA refuses the grant's key) ends all three on B at
 * once, and closes the sessions there; another app of the same account keeps its streams and works on.
 */
import { randomBytes } from 'node:crypto';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import {
  DEMO_ACCOUNT,
  formsOf,
  type OAuthPair,
  type OAuthStack,
  signInThroughPages,
  startOAuthPair,
  TestOAuthClient,
  UserAgent,
} from './helpers.js';

/** Long enough for a slow CI machine; the streams end well before (no timing is asserted). */
const ENDS_WITHIN = { timeout: 15_000, interval: 50 };

/** One connected app's streams on one instance, each observed from the client's side. */
interface OpenApp {
  name: string;
  provider: TestOAuthClient;
  /** The 2025-11-25 session and the legacy SSE session, as the instance names them. */
  sessionId: string;
  sseSessionId: string;
  /** Which streams have ended (the server closed them): GET stream, listen stream, legacy SSE stream. */
  ended(): { get: boolean; listen: boolean; sse: boolean };
  /** A tools/list on each generation's client: the app still works. */
  works(): Promise<number[]>;
  close(): Promise<void>;
}

/** The `fetch` of a 2025-11-25 client that notes when each GET event stream it opened ends. */
function watchingFetch(getStreams: { ended: boolean }[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method !== 'GET' || !res.body || !res.headers.get('content-type')?.startsWith('text/event-stream'))
      return res;
    const stream = { ended: false };
    getStreams.push(stream);
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        flush: () => {
          stream.ended = true;
        },
      }),
    );
    return new Response(body, res);
  };
}

/** Opens `GET /sse` with the app's bearer: the session id its endpoint event names, and its end. */
async function openLegacySse(url: string, token: string) {
  const res = await fetch(`${url}/sse`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('sessionId=')) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the /sse stream ended at once: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  const sessionId = decodeURIComponent(text.match(/sessionId=([^\s&]+)/)?.[1] ?? '');
  const state = { ended: false };
  void (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // the connection dropped: ended too
    }
    state.ended = true;
  })();
  return { sessionId, state, cancel: () => reader.cancel().catch(() => {}) };
}

/**
 * Connects the app named `name` through the real pages of `signInAt` (the demo account), then opens
 * its three streams on `on`.
 */
async function openApp(name: string, signInAt: OAuthStack, on: OAuthStack): Promise<OpenApp> {
  const provider = new TestOAuthClient(name);
  await signInThroughPages('2025-11-25', signInAt, provider);
  const token = provider.saved?.access_token;
  if (!token) throw new Error('no access token');

  // 2025-11-25: a session whose GET stream the SDK opens after initialize.
  const getStreams: { ended: boolean }[] = [];
  const legacy = new LegacyClient({ name: `${name} 2025`, version: '1.0.0' });
  const legacyTransport = new LegacyHttp(new URL(on.mcpUrl), {
    authProvider: provider as never,
    fetch: watchingFetch(getStreams),
    // Ended by the server: no reconnect, so what ended stays ended.
    reconnectionOptions: {
      maxRetries: 0,
      initialReconnectionDelay: 1000,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1,
    },
  });
  await legacy.connect(legacyTransport);
  await expect.poll(() => getStreams.length, ENDS_WITHIN).toBe(1);

  // 2026-07-28: a listen stream.
  const modern = new ModernClient(
    { name: `${name} 2026`, version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await modern.connect(new ModernHttp(new URL(on.mcpUrl), { authProvider: provider as never }));
  const subscription = await modern.listen({ resourcesListChanged: true });
  let listenEnded: string | undefined;
  void subscription.closed.then((how) => {
    listenEnded = how;
  });

  // The old HTTP+SSE transport.
  const sse = await openLegacySse(on.url, token);

  return {
    name,
    provider,
    sessionId: legacyTransport.sessionId as string,
    sseSessionId: sse.sessionId,
    ended: () => ({
      get: getStreams[0]?.ended === true,
      // 'remote': the server ended it (not a close of ours, nor a graceful shutdown).
      listen: listenEnded === 'remote',
      sse: sse.state.ended,
    }),
    works: async () => [(await legacy.listTools()).tools.length, (await modern.listTools()).tools.length],
    async close() {
      await subscription.close().catch(() => {});
      await sse.cancel();
      await legacy.close().catch(() => {});
      await modern.close().catch(() => {});
    },
  };
}

/** A person on the /account page of `s`, signed in with the demo account. */
async function accountPage(s: OAuthStack) {
  const ua = new UserAgent();
  const page = async () => (await ua.request(`${s.url}/account`)).text();
  const post = (path: string, fields: [string, string][]) =>
    ua.request(`${s.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: s.issuer,
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams(fields).toString(),
    });
  const [signIn] = formsOf(await page());
  if (signIn?.action !== '/account/sign-in') throw new Error('no sign-in form');
  const signedIn = await post('/account/sign-in', [
    ['csrf', signIn.csrf],
    ['email', DEMO_ACCOUNT.email],
    ['password', DEMO_ACCOUNT.password],
  ]);
  expect(signedIn.status).toBe(303);
  return {
    /** The grant id behind the revoke button of the app named `name`. */
    async grantOf(name: string): Promise<string> {
      const item = (await page()).split('<li>').find((part) => part.startsWith(`<h2>${name}</h2>`));
      const grant = item?.match(/name="grant" value="([^"]+)"/)?.[1];
      if (!grant) throw new Error(`${name} is not listed`);
      return grant;
    },
    async revoke(name: string): Promise<Response> {
      const grant = await this.grantOf(name);
      const csrf = formsOf(await page()).find((f) => f.action === '/account/sign-out')?.csrf ?? '';
      return post('/account/revoke', [
        ['csrf', csrf],
        ['grant', grant],
      ]);
    },
  };
}

describe.skipIf(!requireRedis())("a revoked grant's open streams end on every instance", () => {
  const secret = randomBytes(32);
  let redis: RunningRedis;
  let pair: OAuthPair;
  let a: OAuthStack;
  let b: OAuthStack;
  const apps: OpenApp[] = [];

  beforeAll(async () => {
    redis = await mustStartRedis();
    // Each instance also shares its HTTP state (the revocations) through Redis.
    pair = await startOAuthPair(redis.url, secret);
    ({ a, b } = pair);
  }, 60_000);
  afterAll(async () => {
    for (const app of apps) await app.close();
    await pair?.close();
    await redis?.stop();
  });

  it("a revocation on A's /account page ends the app's session, GET, SSE and listen streams on B; another app's stay open", async () => {
    const revoked = await openApp('Claude', a, b);
    const kept = await openApp('Cursor', a, b);
    apps.push(revoked, kept);
    const sessions = b.http.app.sessions;
    for (const app of [revoked, kept]) {
      expect(app.ended()).toEqual({ get: false, listen: false, sse: false });
      expect(sessions.get(app.sessionId)).toBeDefined();
      expect(sessions.get(app.sseSessionId)).toBeDefined();
      expect(await app.works()).toEqual([expect.any(Number), expect.any(Number)]);
    }

    const page = await accountPage(a);
    const answer = await page.revoke('Claude');
    expect(answer.status).toBe(303);

    await expect.poll(() => revoked.ended(), ENDS_WITHIN).toEqual({ get: true, listen: true, sse: true });
    expect(sessions.get(revoked.sessionId)).toBeUndefined();
    expect(sessions.get(revoked.sseSessionId)).toBeUndefined();
    expect(b.logs.join('\n')).toMatch(/closed \(revoked\)/);
    expect(b.logs.join('\n')).toContain('grant revoked: closed 2 session(s) and 1 listen stream(s) of it');

    // The other app of the same account: its streams and sessions are untouched, and it works on.
    expect(kept.ended()).toEqual({ get: false, listen: false, sse: false });
    expect(sessions.get(kept.sessionId)).toBeDefined();
    expect(sessions.get(kept.sseSessionId)).toBeDefined();
    const [legacyTools, modernTools] = await kept.works();
    expect(legacyTools).toBeGreaterThan(0);
    expect(modernTools).toBeGreaterThan(0);
    // Nothing names the grant in the logs.
    expect(b.logs.join('\n')).not.toContain(await page.grantOf('Cursor'));
  }, 60_000);

  it('revokeGrant on A (VOISA refused the grant key) ends the streams on B the same way', async () => {
    const app = await openApp('Zed', a, b);
    apps.push(app);
    const page = await accountPage(a);
    await a.gate.revokeGrant(await page.grantOf('Zed'));
    await expect.poll(() => app.ended(), ENDS_WITHIN).toEqual({ get: true, listen: true, sse: true });
    expect(b.http.app.sessions.get(app.sessionId)).toBeUndefined();
    expect(b.http.app.sessions.get(app.sseSessionId)).toBeUndefined();
  }, 60_000);
});

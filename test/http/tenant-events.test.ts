/**
 * No tenant sees another tenant's events (issue 19.3). Two sandbox accounts, A (DEMO_KEY) and B
 * (SECOND_KEY), each run `configure_webhook` through the server, which registers a URL and a signing
 * secret of their own (`/webhooks/voisa/t/<id>`). A's calls then reach A's `voisa://events`, A's
 * 2025-era session (log notifications, `resources/updated`, `list_changed`) and A's 2026-07-28 listen
 * stream, and nothing of them reaches B's, even when B subscribes to A's conversation, and the other way
 * round. Deliveries are attributed by the secret that verifies them: A's URL refuses B's secret, the
 * shared secret and made-up ids; replays are refused; the shared URL's events are the server key's.
 * In one process, and across two instances sharing a real redis-server (webhooks in on one, clients
 * on the other).
 *
 * Negative checks wait for a sentinel instead of a pause: after A's event reached A, an event of B's
 * own is posted to B's URL; once B has it, anything of A's would have arrived before it.
 */
import { randomBytes } from 'node:crypto';
import { InMemoryServerEventBus, type ServerEvent } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/cli/config.js';
import { EventHub } from '../../src/events/hub.js';
import { listenBusFor, publishOwned } from '../../src/events/listen-bus.js';
import { startHttpServer } from '../../src/http/listen.js';
import { createTenants } from '../../src/http/tenants.js';
import {
  DEMO_KEY as A_KEY,
  DEMO_ACCOUNT,
  READ_ONLY_KEY,
  type Sandbox,
  SECOND_ACCOUNT,
  SECOND_KEY,
  startSandbox,
} from '../../src/sandbox/index.js';
import { createSharedState, type SharedState } from '../../src/scale/index.js';
import { InputError } from '../../src/tools/input.js';
import { webhookRequest } from '../../src/tools/webhooks.js';
import { WEBHOOK_EVENTS } from '../../src/voisa/index.js';
import { hashKey } from '../../src/web/auth.js';
import { type AnyClient, connectGeneration, GENERATIONS, type Generation } from '../helpers/generations.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import { type OAuthStack, startOAuthStack, tokens } from '../oauth/helpers.js';
import {
  connectSse,
  type Instance,
  postWebhook,
  startInstance,
  waitFor,
  watchWebhookNotifications,
} from './helpers.js';

const B_KEY = SECOND_KEY;
const SERVER_SECRET = randomBytes(32);
const SHARED_SECRET = 'whsec_shared_tenants_0123';
const tenants = createTenants(SERVER_SECRET, () => undefined);
const idOf = (key: string) => tenants.idOf(hashKey(key));
const CALLS = {
  [A_KEY]: { agent_id: 'agt_bella0001', phone_number: '+49123456789' },
  [B_KEY]: { agent_id: 'agt_harbor201', phone_number: '+49123456780' },
} as Record<string, { agent_id: string; phone_number: string }>;

/** What the helpers below need of an instance: where it serves. */
type Served = Pick<Instance, 'http'>;

/** An instance with this file's secrets: the server secret (per-tenant receivers) and the shared webhook secret. */
const instance = (sandbox: Sandbox, shared?: SharedState, serverKey?: string) =>
  startInstance(sandbox, { shared, serverKey, secret: SERVER_SECRET, webhookSecret: SHARED_SECRET });

let counter = 0;
function event(conversationId: string, over: Record<string, unknown> = {}) {
  counter++;
  return {
    id: `evt_tenant_${counter}_${Date.now()}`,
    event: 'conversation.ended',
    timestamp: new Date().toISOString(),
    data: { conversation_id: conversationId, agent_id: 'agt_bella0001', phone_number: '+49111' },
    ...over,
  };
}

/** POSTs `body` to the receiver at `path` of `i`, signed with `secret` as VOISA signs; the HTTP status. */
const post = (i: Served, path: string, body: object, secret: string) =>
  postWebhook(i.http.url, body, secret, path);

const tenantPath = (key: string) => `/webhooks/voisa/t/${idOf(key)}`;
const tenantUrl = (i: Served, key: string) => `${i.http.url}${tenantPath(key)}`;
const postAs = (i: Served, key: string, body: object) =>
  post(i, tenantPath(key), body, tenants.secretOf(idOf(key)));

interface Received {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

async function events(c: AnyClient): Promise<Received[]> {
  const { contents } = await c.readResource('voisa://events');
  return JSON.parse(contents[0]!.text!).events as Received[];
}

/** Polls `events(c)` until one matches. */
async function untilEvent(c: AnyClient, match: (e: Received) => boolean, what: string): Promise<void> {
  const until = Date.now() + 15_000;
  while (!(await events(c)).some(match)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `configure_webhook` with no url through `c`: this account's own URL on `on`, never its secret shown. */
async function configure(c: AnyClient, on: Served, key: string): Promise<void> {
  const result = await c.callTool('configure_webhook', { events: [...WEBHOOK_EVENTS] });
  expect(result.isError, result.content.map((x) => x.text).join('\n')).toBeFalsy();
  expect((result.structuredContent as { url: string }).url).toBe(tenantUrl(on, key));
  expect(JSON.stringify(result)).not.toContain('whsec_');
}

/**
 * A and B configure their webhooks through `hooks` and watch `voisa://events` from `watch`; each in
 * turn places a call, gets its events, and the other gets none of them (nor of the call's conversation,
 * which it subscribes to as well).
 */
async function isolation(generation: Generation, hooks: Served, watch: Served): Promise<void> {
  const connect = (i: Served, key: string) => connectGeneration(generation, { url: i.http.mcpUrl }, { key });
  const watchers: Record<string, AnyClient> = {
    [A_KEY]: await connect(watch, A_KEY),
    [B_KEY]: await connect(watch, B_KEY),
  };
  try {
    for (const key of [A_KEY, B_KEY]) {
      const c = hooks === watch ? watchers[key]! : await connect(hooks, key);
      await configure(c, hooks, key);
      if (c !== watchers[key]) await c.close();
    }
    for (const w of Object.values(watchers)) await w.watch(['voisa://events']);

    for (const [me, other] of [
      [A_KEY, B_KEY],
      [B_KEY, A_KEY],
    ] as const) {
      const mine = watchers[me]!;
      const theirs = watchers[other]!;
      const seen = { updates: theirs.updates.length, logs: theirs.logs.length, lists: theirs.listChanges() };
      const mineLists = mine.listChanges();

      const made = await mine.callTool('make_call', CALLS[me]!);
      expect(made.isError, made.content.map((x) => x.text).join('\n')).toBeFalsy();
      const conversation = (made.structuredContent as { conversation_id: string }).conversation_id;
      // The other tenant asks for this conversation's updates too: it must hear nothing of it.
      await theirs.watch([`voisa://conversations/${conversation}`]);

      const ended = (e: Received) =>
        e.event === 'conversation.ended' && e.data.conversation_id === conversation;
      await untilEvent(mine, ended, `${me === A_KEY ? 'A' : 'B'}'s conversation.ended`);
      await waitFor(() => mine.updates.includes('voisa://events'), 10_000, 'the update of voisa://events');
      await waitFor(() => mine.listChanges() > mineLists, 10_000, 'list_changed for the new conversation');
      if (generation === '2025-11-25') expect(JSON.stringify(mine.logs)).toContain(conversation); // the events as log notifications

      // The sentinel: once the other tenant has its own event, anything of ours would have come first.
      const sentinel = event(`conv_sentinel_${counter}`);
      expect(await postAs(hooks, other, sentinel)).toBe(200);
      await waitFor(() => theirs.updates.length > seen.updates, 10_000, 'the sentinel update');
      expect(theirs.updates.slice(seen.updates)).toEqual(['voisa://events']);
      expect(theirs.listChanges()).toBe(seen.lists);
      expect(JSON.stringify(theirs.logs.slice(seen.logs))).not.toContain(conversation);
      const theirEvents = await events(theirs);
      expect(theirEvents.map((e) => e.id)).toContain(sentinel.id);
      expect(JSON.stringify(theirEvents)).not.toContain(conversation);
      expect(JSON.stringify(await events(mine))).not.toContain(sentinel.id);
    }
  } finally {
    for (const w of Object.values(watchers)) await w.close();
  }
}

describe('tenant events in one process', () => {
  let sandbox: Sandbox;
  let server: Instance;

  beforeAll(async () => {
    sandbox = await startSandbox({ trainingMs: 200, callMs: 1500, rateLimitPerMin: 0 });
    // The server's own key is the read-only key: a principal of its own, apart from A and B.
    server = await instance(sandbox, undefined, READ_ONLY_KEY);
  });
  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
  });

  for (const generation of GENERATIONS) {
    it(`${generation}: A's call events reach only A, B's only B (voisa://events, notifications, listen)`, async () => {
      await isolation(generation, server, server);
    });

    it(`${generation}: configure_webhook given this server's URL registers the caller's own; another URL goes as given`, async () => {
      const c = await connectGeneration(generation, { url: server.http.mcpUrl }, { key: B_KEY });
      try {
        for (const url of [`${server.http.url}/webhooks/voisa`, tenantUrl(server, A_KEY)]) {
          const ours = await c.callTool('configure_webhook', {
            url,
            events: ['agent.updated'],
            secret: 'a-secret-of-my-own',
          });
          expect((ours.structuredContent as { url: string }).url).toBe(tenantUrl(server, B_KEY));
        }
        const elsewhere = 'http://127.0.0.1:9/hooks/mine';
        const theirs = await c.callTool('configure_webhook', { url: elsewhere, events: ['agent.updated'] });
        expect((theirs.structuredContent as { url: string }).url).toBe(elsewhere);
      } finally {
        await c.close();
      }
    });

    it(`${generation}: events on the shared URL belong to the server's own key only`, async () => {
      const e = event('conv_shared_1');
      expect(await post(server, '/webhooks/voisa', e, SHARED_SECRET)).toBe(200);
      const own = await connectGeneration(generation, { url: server.http.mcpUrl }); // keyless: the server's key
      const a = await connectGeneration(generation, { url: server.http.mcpUrl }, { key: A_KEY });
      try {
        expect((await events(own)).map((x) => x.id)).toContain(e.id);
        expect((await events(a)).map((x) => x.id)).not.toContain(e.id);
      } finally {
        await own.close();
        await a.close();
      }
    });
  }

  it("a legacy HTTP+SSE session hears and reads only its own key's events", async () => {
    const a = await connectSse(`${server.http.url}/sse`, A_KEY);
    const b = await connectSse(`${server.http.url}/sse`, B_KEY);
    const heardA = watchWebhookNotifications(a.client);
    const heardB = watchWebhookNotifications(b.client);
    try {
      const mine = event('conv_sse_a');
      const theirs = event('conv_sse_b');
      expect(await postAs(server, A_KEY, mine)).toBe(200);
      await waitFor(() => JSON.stringify(heardA.logs).includes(mine.id), 10_000, "A's log notification");
      expect(await postAs(server, B_KEY, theirs)).toBe(200); // the sentinel
      await waitFor(() => JSON.stringify(heardB.logs).includes(theirs.id), 10_000, "B's log notification");
      expect(JSON.stringify(heardB.logs)).not.toContain(mine.id);
      const read = async (c: typeof a) =>
        (await c.client.readResource({ uri: 'voisa://events' })).contents[0] as { text: string };
      expect((await read(b)).text).not.toContain(mine.id);
      expect((await read(a)).text).toContain(mine.id);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a stateless 2025-era request reads only its own key's events", async () => {
    const stateless = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      api: server.api,
      stateless: true,
      secret: SERVER_SECRET,
      webhookSecret: SHARED_SECRET,
    });
    const on: Served = { http: stateless };
    const c = (key: string) => connectGeneration('2025-11-25', { url: stateless.mcpUrl }, { key });
    const [a, b] = [await c(A_KEY), await c(B_KEY)];
    try {
      const mine = event('conv_stateless_a');
      expect(await postAs(on, A_KEY, mine)).toBe(200);
      expect((await events(a)).map((x) => x.id)).toContain(mine.id);
      expect((await events(b)).map((x) => x.id)).not.toContain(mine.id);
    } finally {
      await a.close();
      await b.close();
      await stateless.close(200);
    }
  });

  it("refuses a delivery to A's URL signed with B's secret or the shared one, and made-up tenant ids", async () => {
    const e = event('conv_forged_1');
    expect(await post(server, tenantPath(A_KEY), e, tenants.secretOf(idOf(B_KEY)))).toBe(401);
    expect(await post(server, tenantPath(A_KEY), e, SHARED_SECRET)).toBe(401);
    const madeUp = randomBytes(24).toString('base64url');
    const forged = `/webhooks/voisa/t/${madeUp}`;
    expect(await post(server, forged, e, SHARED_SECRET)).toBe(401);
    expect(await post(server, forged, e, tenants.secretOf(idOf(A_KEY)))).toBe(401);
    expect(await post(server, '/webhooks/voisa/t/not-an-id', e, SHARED_SECRET)).toBe(404);
    // Only A's own secret opens A's URL, once.
    expect(await postAs(server, A_KEY, e)).toBe(200);
    expect(await postAs(server, A_KEY, e)).toBe(409);
  });

  it("lets no tenant spend another's event id: the same id is accepted once from each", async () => {
    const e = event('conv_same_id');
    expect(await postAs(server, B_KEY, e)).toBe(200);
    expect(await postAs(server, A_KEY, e)).toBe(200);
    expect(await postAs(server, A_KEY, e)).toBe(409);
  });
});

describe.skipIf(!requireRedis())('tenant events across two instances sharing Redis', () => {
  let redis: RunningRedis;
  let sandbox: Sandbox;
  let hooks: Instance;
  let watch: Instance;

  beforeAll(async () => {
    redis = await mustStartRedis();
    sandbox = await startSandbox({ trainingMs: 200, callMs: 1500, rateLimitPerMin: 0 });
    const keyPrefix = `t${randomBytes(4).toString('hex')}:`;
    const shared = () => createSharedState({ redisUrl: redis.url, secret: SERVER_SECRET, keyPrefix });
    hooks = await instance(sandbox, await shared());
    watch = await instance(sandbox, await shared());
  });
  afterAll(async () => {
    await hooks?.close();
    await watch?.close();
    await sandbox?.close();
    await redis?.stop();
  });

  for (const generation of GENERATIONS) {
    it(`${generation}: webhooks in on one instance reach only their own tenant's clients on the other`, async () => {
      await isolation(generation, hooks, watch);
    });
  }

  it("refuses B's secret on A's URL on either instance, and a replay to the other instance", async () => {
    const e = event('conv_redis_replay');
    expect(await post(watch, tenantPath(A_KEY), e, tenants.secretOf(idOf(B_KEY)))).toBe(401);
    expect(await postAs(hooks, A_KEY, e)).toBe(200);
    expect(await postAs(watch, A_KEY, e)).toBe(409);
    // Without a server key, the shared URL's events would be nobody's: refused.
    expect(await post(hooks, '/webhooks/voisa', event('conv_nobody'), SHARED_SECRET)).toBe(404);
  });
});

describe('tenant events through OAuth grants', () => {
  let s: OAuthStack;
  const at = (): Served => ({ http: s.http });

  beforeAll(async () => {
    s = await startOAuthStack({ http: { secret: SERVER_SECRET, webhookSecret: SHARED_SECRET } });
  });
  afterAll(() => s?.close());

  for (const generation of GENERATIONS) {
    it(`${generation}: a grant is the principal of the key behind it: its events reach it, not another account's grant`, async () => {
      const grantA = await tokens(s, DEMO_ACCOUNT);
      const grantB = await tokens(s, SECOND_ACCOUNT);
      const connect = (token: string) => connectGeneration(generation, { url: s.mcpUrl }, { key: token });
      const a = await connect(grantA.access_token);
      const b = await connect(grantB.access_token);
      try {
        // The sandbox's sign-in hands out the account's key: the grant gets that key's own URL.
        await configure(a, at(), A_KEY);
        await configure(b, at(), B_KEY);
        const mine = event('conv_grant_a');
        const theirs = event('conv_grant_b');
        expect(await postAs(at(), A_KEY, mine)).toBe(200);
        expect(await postAs(at(), B_KEY, theirs)).toBe(200);
        const ofA = (await events(a)).map((e) => e.id);
        const ofB = (await events(b)).map((e) => e.id);
        expect(ofA).toContain(mine.id);
        expect(ofA).not.toContain(theirs.id);
        expect(ofB).toContain(theirs.id);
        expect(ofB).not.toContain(mine.id);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }
});

describe('where configure_webhook points', () => {
  const target = createTenants(SERVER_SECRET, () => 'https://mcp.example.com').target(idOf(A_KEY))!;

  it("uses the caller's own URL and secret for no url or any of this server's; sends another url as given", () => {
    const events = ['conversation.ended' as const];
    const own = { url: target.url, events, secret: target.secret };
    expect(target.url).toBe(`https://mcp.example.com/webhooks/voisa/t/${idOf(A_KEY)}`);
    expect(webhookRequest({ events }, target)).toEqual(own);
    expect(
      webhookRequest({ url: 'https://mcp.example.com/webhooks/voisa', events, secret: 'mine-123' }, target),
    ).toEqual(own);
    expect(
      webhookRequest({ url: `https://mcp.example.com/webhooks/voisa/t/${idOf(B_KEY)}`, events }, target),
    ).toEqual(own);
    const elsewhere = { url: 'https://hooks.example.org/voisa', events, secret: 'mine-123' };
    expect(webhookRequest(elsewhere, target)).toEqual(elsewhere);
    expect(webhookRequest({ url: 'https://mcp.example.com/other', events }, target).url).toBe(
      'https://mcp.example.com/other',
    );
  });

  it('needs a url where the server receives no webhooks (stdio, or no known base)', () => {
    expect(() => webhookRequest({ events: ['agent.updated'] }, undefined)).toThrow(InputError);
    expect(createTenants(SERVER_SECRET, () => undefined).target(hashKey(A_KEY))).toBeUndefined();
  });

  it('takes --webhook-base-url / VOISA_WEBHOOK_BASE_URL as an http(s) URL without query or credentials', () => {
    expect(
      loadConfig(['--http', '--webhook-base-url', 'https://mcp.example.com/voisa/'], {}).http.webhookBaseUrl,
    ).toBe('https://mcp.example.com/voisa');
    expect(loadConfig(['--http'], { VOISA_WEBHOOK_BASE_URL: 'https://a.example' }).http.webhookBaseUrl).toBe(
      'https://a.example',
    );
    for (const bad of [
      'mcp.example.com',
      'ftp://a.example',
      'https://u:p@a.example',
      'https://a.example/?x=1',
    ])
      expect(() => loadConfig(['--http', '--webhook-base-url', bad], {})).toThrow(ConfigError);
  });
});

describe('the hub and the listen bus keep owners apart', () => {
  const at = new Date().toISOString();
  const e = (id: string) => ({ id, event: 'agent.updated', timestamp: at, received_at: at, data: {} });

  it('keeps each owner its own latest events, and drops the least recently active owner past the total', () => {
    const hub = new EventHub(2, 4);
    for (const id of ['a1', 'a2', 'a3']) hub.publish(e(id), 'A');
    hub.publish(e('b1'), 'B');
    expect(hub.recent('A').map((x) => x.id)).toEqual(['a3', 'a2']);
    expect(hub.recent('B').map((x) => x.id)).toEqual(['b1']);
    hub.publish(e('c1'), 'C');
    hub.publish(e('c2'), 'C'); // 5 held: A, the least recently active, goes
    expect(hub.recent('A')).toEqual([]);
    expect(hub.recent('B').map((x) => x.id)).toEqual(['b1']);
    const heard: string[] = [];
    const stop = hub.view('B').subscribe((x) => heard.push(x.id));
    hub.publish(e('c3'), 'C');
    hub.publish(e('b2'), 'B');
    stop();
    hub.publish(e('b3'), 'B');
    expect(heard).toEqual(['b2']);
  });

  it("gives a listen stream its own owner's events only, and none when it cannot tell whose stream it is", () => {
    const bus = new InMemoryServerEventBus();
    let owner: string | undefined = 'A';
    const face = listenBusFor(bus, () => owner);
    const heard: ServerEvent[] = [];
    face.subscribe((x) => heard.push(x));
    owner = undefined;
    face.subscribe((x) => heard.push({ ...x, kind: 'tools_list_changed' }));
    publishOwned(bus, 'B', { kind: 'resource_updated', uri: 'voisa://events' });
    publishOwned(bus, 'A', { kind: 'resource_updated', uri: 'voisa://agents/x' });
    bus.publish({ kind: 'resources_list_changed' }); // no owner: nobody's
    expect(heard).toEqual([{ kind: 'resource_updated', uri: 'voisa://agents/x' }]);
  });
});

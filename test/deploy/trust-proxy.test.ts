/**
 * Per-address limits behind the shipped nginx (deploy/nginx/voisa-mcp.conf, run by Debian's nginx) with
 * the shipped `VOISA_TRUST_PROXY` (deploy/env.example): two clients reach nginx from two loopback
 * addresses (127.0.0.2 and 127.0.0.3). Client A uses up its 10 bad keys, 20 failed sign-ins and 30
 * registrations; client B's key check, sign-in and registration are untouched, and A cannot escape
 * its limits by writing an X-Forwarded-For of its own. Without --trust-proxy the same run shows why
 * the option exists: every client is nginx's address, so A's abuse blocks B.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/services.mjs';
import { loadConfig } from '../../src/cli/config.js';
import { modernRequest } from '../../src/http/app.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import type { TrustProxy } from '../../src/web/client-address.js';
import { mustStartNginx, requireNginx } from '../helpers/nginx.js';
import {
  authorize,
  authorizeUrl,
  formsOf,
  type OAuthStack,
  pkce,
  REDIRECT_URI,
  register,
  startOAuthStack,
  UserAgent,
} from '../oauth/helpers.js';

const A = '127.0.0.2';
const B = '127.0.0.3';

/** The value the deployment ships (deploy/env.example; test/deploy/deploy.test.ts checks the unit and compose agree). */
const SHIPPED = /^VOISA_TRUST_PROXY=(.*)$/m.exec(
  readFileSync(new URL('../../deploy/env.example', import.meta.url), 'utf8'),
)?.[1];

/** What the run saw: HTTP statuses, in order. */
interface Run {
  /** A's bad keys at /mcp (11), then one more with a spoofed X-Forwarded-For. */
  keysA: number[];
  keyASpoofed: number;
  /** B: a key VOISA refuses (401 means VOISA was asked, 429 means B was blocked), and a good key. */
  keyB: { bad: number; good: number };
  /** A's wrong sign-ins (21), then one more from a fresh sign-in page with a spoofed X-Forwarded-For. */
  signInsA: number[];
  signInASpoofed: number;
  /** B's whole sign-in and consent: 'code', or where it stopped. */
  signInB: string;
  /** A's registrations until refused (at most 35, its first one included), then one spoofed. */
  registrationsA: number[];
  registrationASpoofed: number;
  registrationB: number;
}

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ trainingMs: 200, callMs: 300, rateLimitPerMin: 0 });
});
afterAll(() => sandbox?.close());

/** One server behind the shipped nginx, OAuth on at nginx's address; A and B abuse and use it. */
async function run(trustProxy: TrustProxy | undefined): Promise<Run> {
  const port = await freePort();
  const nginx = await mustStartNginx({ upstreams: [port] });
  const stack = await startOAuthStack({ sandbox, port, publicUrl: nginx.url, http: { trustProxy } });
  // Everything goes through nginx: the issuer, /mcp and the OAuth endpoints at nginx's address.
  const front: OAuthStack = { ...stack, url: nginx.url, mcpUrl: `${nginx.url}/mcp` };
  const a = from(A);
  const b = from(B);
  const spoof = { 'x-forwarded-for': `${B}, 198.51.100.7` };

  const keyCheck = async (key: string, dispatcher: Dispatcher, headers: Record<string, string> = {}) => {
    const request = modernRequest(
      front.mcpUrl,
      'tools/list',
      {},
      { authorization: `Bearer ${key}`, ...headers },
    );
    const res = await fetch(request, { dispatcher });
    await res.body?.cancel();
    return res.status;
  };
  const registration = (dispatcher: Dispatcher, headers: Record<string, string> = {}) =>
    register(front, 'Limit test', REDIRECT_URI, { dispatcher, headers }).then(
      () => 201,
      (err: Error) => Number(/refused: (\d+)/.exec(err.message)?.[1] ?? 0),
    );
  /** The sign-in form of a fresh authorization by `clientId`, as `ua` sees it. */
  const signInForm = async (ua: UserAgent, clientId: string) => {
    const step = await ua.follow(authorizeUrl(front, clientId, pkce().challenge), front.issuer);
    const [form] = formsOf((await step.res?.text()) ?? '');
    if (!form?.action.endsWith('/login')) throw new Error(`no sign-in form (${step.res?.status})`);
    return form;
  };
  const wrongSignIn = async (ua: UserAgent, form: { action: string; csrf: string }) => {
    const step = await ua.postForm(new URL(form.action, front.issuer), front.issuer, [
      ['csrf', form.csrf],
      ['api_key', 'vsa_test_not_the_right_key_at_all'],
    ]);
    await step.res?.body?.cancel();
    return step.res?.status ?? 303;
  };

  try {
    // B's connector is registered before anything happens (B needs it to sign in later).
    const clientB = await register(front, 'B', REDIRECT_URI, { dispatcher: b });

    const keysA: number[] = [];
    for (let i = 0; i < 11; i++) keysA.push(await keyCheck(`vsa_test_wrong_key_of_a_${i}`, a));
    const keyASpoofed = await keyCheck('vsa_test_wrong_key_of_a_spoof', a, spoof);
    const keyB = {
      bad: await keyCheck('vsa_test_wrong_key_of_b', b),
      good: await keyCheck(sandbox.demoKey, b),
    };

    const clientA = await register(front, 'A', REDIRECT_URI, { dispatcher: a });
    const uaA = new UserAgent({ dispatcher: a });
    const form = await signInForm(uaA, clientA);
    const signInsA: number[] = [];
    for (let i = 0; i < 21; i++) signInsA.push(await wrongSignIn(uaA, form));
    const uaSpoof = new UserAgent({ dispatcher: a, headers: spoof });
    const signInASpoofed = await wrongSignIn(uaSpoof, await signInForm(uaSpoof, clientA));
    const signInB = await authorize(
      new UserAgent({ dispatcher: b }),
      authorizeUrl(front, clientB, pkce().challenge),
      front.issuer,
    ).then(
      (landed) => (landed.searchParams.get('code') ? 'code' : `no code: ${landed}`),
      (err: Error) => err.message.slice(0, 20),
    );

    const registrationsA = [201]; // clientA
    while (registrationsA.at(-1) === 201 && registrationsA.length < 35)
      registrationsA.push(await registration(a));
    const registrationASpoofed = await registration(a, spoof);
    const registrationB = await registration(b);

    return {
      keysA,
      keyASpoofed,
      keyB,
      signInsA,
      signInASpoofed,
      signInB,
      registrationsA,
      registrationASpoofed,
      registrationB,
    };
  } finally {
    await stack.close();
    await nginx.stop();
    await Promise.all([a.close(), b.close()]);
  }
}

type Dispatcher = NonNullable<RequestInit['dispatcher']>;

/** An undici Agent that connects from `localAddress`, as fetch's dispatcher (typed by Node's own undici). */
function from(localAddress: string): Dispatcher {
  return new Agent({ localAddress }) as unknown as Dispatcher;
}

const times = (n: number, status: number) => Array<number>(n).fill(status);

describe.skipIf(!requireNginx())('per-address limits through the shipped nginx', () => {
  it('deploy/ ships a --trust-proxy the server reads', () => {
    expect(SHIPPED).toBe('1');
  });

  it("with the shipped --trust-proxy, one client's abuse leaves another's key check, sign-in and registration untouched", async () => {
    const trust = loadConfig([], { VOISA_TRUST_PROXY: SHIPPED }).http.trustProxy;
    expect(trust).toBeDefined();
    const seen = await run(trust);
    // A: 10 refused keys, then 429 without asking VOISA; 20 wrong sign-ins, then 429; 30 registrations, then 429.
    expect(seen.keysA).toEqual([...times(10, 401), 429]);
    expect(seen.signInsA).toEqual([...times(20, 401), 429]);
    expect(seen.registrationsA).toEqual([...times(30, 201), 429]);
    // A naming another address in X-Forwarded-For is still A (nginx appends the address it saw).
    expect([seen.keyASpoofed, seen.signInASpoofed, seen.registrationASpoofed]).toEqual([429, 429, 429]);
    // B: its bad key is checked with VOISA (401, not 429), its good key works, it signs in and registers.
    expect(seen.keyB).toEqual({ bad: 401, good: 200 });
    expect(seen.signInB).toBe('code');
    expect(seen.registrationB).toBe(201);
  }, 90_000);

  it('without --trust-proxy, every client is nginx: the same abuse blocks the other client (why the option exists)', async () => {
    const seen = await run(undefined);
    expect(seen.keysA).toEqual([...times(10, 401), 429]);
    expect(seen.signInsA).toEqual([...times(20, 401), 429]);
    // B's registration before the run counted for the same address.
    expect(seen.registrationsA).toEqual([...times(29, 201), 429]);
    expect(seen.keyB).toEqual({ bad: 429, good: 429 });
    expect(seen.signInB).toMatch(/^stopped at 429/);
    expect(seen.registrationB).toBe(429);
  }, 90_000);
});

/**
 * Password guessing cannot outrun the limit (issue 19.6): every attempt is counted before VOISA is
 * asked, so parallel guesses get through only as many as the limit allows. The per-account limit
 * counts per account and address, so guesses from elsewhere do not lock the owner out, and the
 * total per account never locks out a pasted API key.
 */
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, SECOND_ACCOUNT } from '../../src/sandbox/index.js';
import {
  authorizeUrl,
  DEMO_ACCOUNT,
  formsOf,
  type OAuthStack,
  pkce,
  register,
  startOAuthStack,
  UserAgent,
} from './helpers.js';

let stack: OAuthStack;
const agents: Agent[] = [];
beforeAll(async () => {
  stack = await startOAuthStack();
});
afterAll(async () => {
  await stack?.close();
  await Promise.all(agents.map((a) => a.close()));
});

/** A browser on its own local address (127.0.0.x): per-address limits see it as another client. */
function browserAt(localAddress: string) {
  const dispatcher = new Agent({ localAddress });
  agents.push(dispatcher);
  return new UserAgent({ dispatcher: dispatcher as unknown as RequestInit['dispatcher'] });
}

/** The sign-in form of a fresh authorization in `ua`, and a function that posts it. */
async function signInForm(ua: UserAgent) {
  const clientId = await register(stack);
  const { res } = await ua.follow(authorizeUrl(stack, clientId, pkce().challenge), stack.issuer);
  const [login] = formsOf((await res?.text()) ?? '');
  if (!login) throw new Error('no sign-in form');
  return (fields: [string, string][]) =>
    ua.postForm(new URL(login.action, stack.issuer), stack.issuer, [['csrf', login.csrf], ...fields]);
}

const askedVoisa = () =>
  stack.sandbox.requests().filter((r) => r.method === 'POST' && r.path === '/api/get-api-key').length;

describe('password guessing', () => {
  it('30 parallel wrong passwords for one email: at most 5 reach VOISA, the rest get 429', async () => {
    const post = await signInForm(browserAt('127.0.0.21'));
    // VOISA slow to answer: every guess is in flight at once, as in an attack.
    stack.sandbox.injectFault({ method: 'POST', path: '/api/get-api-key', delayMs: 300, times: 30 });
    const before = askedVoisa();
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post([
          ['email', DEMO_ACCOUNT.email],
          ['password', `wrong-${i}`],
        ]),
      ),
    );
    stack.sandbox.clearFaults();
    const statuses = outcomes.map((o) => o.res?.status);
    expect(askedVoisa() - before).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(25);
    const locked = outcomes.find((o) => o.res?.status === 429)?.res;
    expect(Number(locked?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(locked?.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);

    // The owner, from another address, still signs in with the password.
    const owner = await signInForm(browserAt('127.0.0.22'));
    const ok = await owner([
      ['email', DEMO_ACCOUNT.email],
      ['password', DEMO_ACCOUNT.password],
    ]);
    expect(ok.res?.status).toBe(200);
    expect(await ok.res?.text()).toContain('name="decision" value="allow"');
  });

  it('a success is not counted: the owner may sign in again and again', async () => {
    const before = askedVoisa();
    for (let i = 0; i < 7; i++) {
      const post = await signInForm(browserAt('127.0.0.23'));
      const ok = await post([
        ['email', SECOND_ACCOUNT.email],
        ['password', SECOND_ACCOUNT.password],
      ]);
      expect(ok.res?.status).toBe(200);
    }
    expect(askedVoisa() - before).toBe(7);
  });

  it('guesses spread over addresses close the password form for that account only, never the pasted key', async () => {
    const email = 'spread@voisa.example';
    // Four addresses, five wrong guesses each: 20 in all, the account's total.
    for (const address of ['127.0.0.31', '127.0.0.32', '127.0.0.33', '127.0.0.34']) {
      const post = await signInForm(browserAt(address));
      const guesses = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          post([
            ['email', email],
            ['password', `guess-${i}`],
          ]),
        ),
      );
      expect(guesses.map((g) => g.res?.status)).toEqual([401, 401, 401, 401, 401]);
    }
    const fresh = await signInForm(browserAt('127.0.0.35'));
    const before = askedVoisa();
    const locked = await fresh([
      ['email', email],
      ['password', 'one-more'],
    ]);
    expect(locked.res?.status).toBe(429);
    expect(askedVoisa()).toBe(before);
    const pasted = await fresh([['api_key', DEMO_KEY]]);
    expect(pasted.res?.status).toBe(200);
    expect(await pasted.res?.text()).toContain('name="decision" value="allow"');
  });
});

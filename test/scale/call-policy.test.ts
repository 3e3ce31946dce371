/**
 * The call policy's budgets across two HTTP instances sharing Debian's redis-server, through the real
 * MCP path (each instance its own shared state on the same Redis and server secret, each its own
 * CallPolicy over the Redis budgets, one clock the test moves) in front of one sandbox:
 * - the last slot of the hour, raced by one API key from both instances at once (a 2026-07-28 client
 *   on one, a 2025-11-25 client on the other): exactly one call reaches VOISA, the others are refused
 *   with the time they are allowed from, and once the clock passes the hour a call is allowed again;
 * - another account's key has a budget of its own, and `voisa://policy` on either instance shows each
 *   key its own counts;
 * - `max_calls_in_progress 1`: a call in progress placed on A blocks B until the sandbox call ends,
 *   which the guard learns by asking VOISA;
 * - with Redis stopped, make_call is refused (the budgets cannot be checked) and nothing reaches VOISA.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/policy/budgets.js';
import type { PolicyRules } from '../../src/policy/file.js';
import { readingsOf } from '../../src/policy/file.js';
import { CallPolicy } from '../../src/policy/policy.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { createSharedState } from '../../src/scale/index.js';
import {
  type AnyClient,
  type CallResult,
  connectGeneration,
  type Generation,
} from '../helpers/generations.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import { api } from '../helpers/sandbox.js';
import { type Instance, startInstance, waitFor } from '../http/helpers.js';

const SECRET = randomBytes(32);
const DEMO_ACCOUNT = 'acc_demo001';
const SECOND_ACCOUNT = 'acc_second02';
const CALL = { agent_id: 'agt_bella0001', phone_number: '+49123456789' };
const SECOND_CALL = { agent_id: 'agt_harbor201', phone_number: '+49123456780' };
/** How long a sandbox call rings before it ends. */
const CALL_MS = 1500;
/** One instance on each side, in both orders. */
const PAIRINGS: [Generation, Generation][] = [
  ['2026-07-28', '2025-11-25'],
  ['2025-11-25', '2026-07-28'],
];

type Data = Record<string, any>;

/** The policy file's rules as loadPolicyFile gives them, with only the budgets set. */
function rules(budgets: Pick<PolicyRules, 'maxPerHour' | 'maxPerDay' | 'maxInProgress'>): PolicyRules {
  return {
    source: 'call-policy.test.ts',
    blockPrefixes: [],
    doNotCall: new Set(),
    readings: readingsOf,
    ...budgets,
  };
}

const textOf = (r: CallResult) => r.content.at(-1)?.text ?? '';

describe.skipIf(!requireRedis())('call budgets across two instances sharing Redis', () => {
  let redis: RunningRedis;
  let sandbox: Sandbox;
  /** The policy's time, shared by both instances; each test sets it. */
  let clock = Date.now();
  const opened: { close(): Promise<void> }[] = [];

  /** One `voisa-mcp --http` instance on the shared Redis (under `prefix`), with its own CallPolicy. */
  async function instance(policyRules: PolicyRules, prefix: string): Promise<Instance> {
    const shared = await createSharedState({ redisUrl: redis.url, secret: SECRET, keyPrefix: prefix });
    const i = await startInstance(sandbox, {
      shared,
      secret: SECRET,
      policy: new CallPolicy(policyRules, { budgets: shared.callBudgets, now: () => clock }),
    });
    opened.push(i);
    return i;
  }

  /** Two instances with budgets of their own in Redis (a fresh key prefix), so no test sees another's calls. */
  async function pair(policyRules: PolicyRules): Promise<[Instance, Instance]> {
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    return [await instance(policyRules, prefix), await instance(policyRules, prefix)];
  }

  /**
   * While set, confirmations are held until this many questions have been asked (by every client), so
   * all the racing calls pass the check made before the confirmation before any of them takes a slot.
   */
  let barrier: { count: number; open: Promise<void>; arrived: () => void } | undefined;
  function holdConfirmations(count: number): void {
    let arrived = () => {};
    const open = new Promise<void>((resolve) => {
      arrived = () => {
        if (barrier && --barrier.count === 0) resolve();
      };
    });
    barrier = { count, open, arrived };
  }

  /** A client of `i` with `key`, that accepts every confirmation it is asked for. */
  async function connect(i: Instance, generation: Generation, key = sandbox.demoKey): Promise<AnyClient> {
    const accept = { action: 'accept', content: { confirm: true } } as const;
    const client = await connectGeneration(
      generation,
      { url: i.http.mcpUrl },
      {
        key,
        elicit: async () => {
          if (!barrier) return accept;
          barrier.arrived();
          await barrier.open;
          return accept;
        },
      },
    );
    opened.push(client);
    return client;
  }

  /** The make-call requests that reached the sandbox since the log was last cleared, of one account. */
  const makeCalls = (account = DEMO_ACCOUNT) =>
    sandbox.requests().filter((r) => r.path === '/api/make-call' && r.account_id === account).length;

  async function placed(c: AnyClient, args: Data = CALL): Promise<Data> {
    const made = await c.callTool('make_call', args);
    expect(made.isError, textOf(made)).toBeFalsy();
    expect((made.structuredContent as Data).call_id).toMatch(/^call_/);
    return made.structuredContent as Data;
  }

  async function refused(c: AnyClient, args: Data = CALL): Promise<string> {
    const made = await c.callTool('make_call', args);
    expect(made.isError, JSON.stringify(made.structuredContent)).toBe(true);
    return textOf(made);
  }

  async function budgets(c: AnyClient): Promise<Data> {
    const { contents } = await c.readResource('voisa://policy');
    return JSON.parse(contents[0]!.text!).budgets as Data;
  }

  /** The refusal of a call when the hour's budget of 3 is used, allowed again at `allowedAt`. */
  const hourRefusal = (allowedAt: number, now: number) =>
    new RegExp(
      `^POLICY_BUDGET \\(max_calls_per_hour 3\\): 3 calls were placed in the last hour with this API key or sign-in, the most the policy allows\\. Nothing was sent to VOISA; allowed from ${new Date(allowedAt).toISOString().replace(/\./g, '\\.')} \\(in [^)]*retry_after_seconds ${Math.ceil((allowedAt - now) / 1000)}\\)`,
    );

  beforeAll(async () => {
    redis = await mustStartRedis();
    sandbox = await startSandbox({ callMs: CALL_MS, rateLimitPerMin: 0, trainingMs: 200 });
  });
  afterEach(async () => {
    barrier = undefined;
    for (const o of opened.splice(0).reverse()) await o.close().catch(() => {});
  });
  afterAll(async () => {
    await sandbox?.close();
    await redis?.stop();
  });

  describe.each(PAIRINGS)('a %s client on A, a %s client on B, one API key', (genA, genB) => {
    it('race for the last slot of the hour: exactly one call reaches VOISA; past the hour a call is allowed again', async () => {
      const t0 = Date.now();
      clock = t0;
      const [a, b] = await pair(rules({ maxPerHour: 3 }));
      const onA = await connect(a, genA);
      const onB = await connect(b, genB);
      sandbox.clearRequests();
      await placed(onA);
      clock = t0 + 1000;
      await placed(onB);
      expect((await budgets(onA)).last_hour).toEqual({ used: 2, max: 3, left: 1 });

      // Ten calls at once for the last slot, five through each instance.
      clock = t0 + 2000;
      const asked = onA.asked.length + onB.asked.length;
      holdConfirmations(10);
      const results = await Promise.all([
        ...Array.from({ length: 5 }, () => onA.callTool('make_call', CALL)),
        ...Array.from({ length: 5 }, () => onB.callTool('make_call', CALL)),
      ]);
      const won = results.filter((r) => !r.isError);
      const lost = results.filter((r) => r.isError);
      expect(won, results.map(textOf).join('\n')).toHaveLength(1);
      expect((won[0]!.structuredContent as Data).call_id).toMatch(/^call_/);
      expect(lost).toHaveLength(9);
      // The oldest of the three calls, placed at t0, leaves the hour at t0 + 1 h.
      for (const r of lost) expect(textOf(r)).toMatch(hourRefusal(t0 + HOUR_MS, t0 + 2000));
      expect(makeCalls()).toBe(3);
      // Every one of the ten passed the check made before the confirmation (one slot was left then);
      // the slot itself is taken after it, once, by Redis.
      expect(onA.asked.length + onB.asked.length - asked).toBe(10);
      barrier = undefined;

      // The budget is used up on both instances, whichever took the last slot.
      for (const c of [onA, onB]) expect((await budgets(c)).last_hour).toEqual({ used: 3, max: 3, left: 0 });
      const before = onA.asked.length + onB.asked.length;
      clock = t0 + HOUR_MS - 1;
      expect(await refused(onB)).toMatch(hourRefusal(t0 + HOUR_MS, t0 + HOUR_MS - 1));
      expect(await refused(onA)).toMatch(hourRefusal(t0 + HOUR_MS, t0 + HOUR_MS - 1));
      // Refused before anyone was asked to confirm.
      expect(onA.asked.length + onB.asked.length).toBe(before);
      expect(makeCalls()).toBe(3);

      // Past the hour the first call no longer counts: one more is allowed, then the next waits for the second.
      clock = t0 + HOUR_MS;
      await placed(onB);
      expect(makeCalls()).toBe(4);
      expect(await refused(onA)).toMatch(hourRefusal(t0 + 1000 + HOUR_MS, t0 + HOUR_MS));
      expect(makeCalls()).toBe(4);
    });

    it('max_calls_in_progress 1: a call in progress placed on A blocks B until the sandbox call ends', async () => {
      clock = Date.now();
      const [a, b] = await pair(rules({ maxInProgress: 1 }));
      const onA = await connect(a, genA);
      const onB = await connect(b, genB);
      sandbox.clearRequests();
      const first = await placed(onA);
      expect(first.conversation_id).toMatch(/^conv_/);

      // B asks VOISA whether the held call ended; it has not (it rings for CALL_MS).
      const blocked = await refused(onB);
      expect(blocked).toMatch(
        /^POLICY_IN_PROGRESS \(max_calls_in_progress 1\): 1 call is still in progress for this API key or sign-in, the most the policy allows at once; follow them with wait_for_call until they end\. Nothing was sent to VOISA; follow the calls in progress with wait_for_call, then call make_call again\./,
      );
      expect(await refused(onA)).toMatch(/^POLICY_IN_PROGRESS /);
      expect(makeCalls()).toBe(1);
      expect(sandbox.requests().some((r) => r.path === `/api/conversations/${first.conversation_id}`)).toBe(
        true,
      );
      expect((await budgets(onB)).in_progress).toEqual({ used: 1, max: 1, left: 0 });

      // The call ends in the sandbox; nobody follows it with wait_for_call.
      let status = 'ongoing';
      const until = Date.now() + CALL_MS + 5000;
      while (status === 'ongoing') {
        if (Date.now() > until) throw new Error('the sandbox call did not end');
        await new Promise((r) => setTimeout(r, 100));
        status = (await api(sandbox, 'GET', `/api/conversations/${first.conversation_id}`)).json.data.status;
      }
      expect(status).toBe('success');

      // B asks VOISA again, learns the call ended, frees its slot and places the next call.
      sandbox.clearRequests();
      const second = await placed(onB);
      const paths = sandbox.requests().map((r) => r.path);
      expect(paths).toContain(`/api/conversations/${first.conversation_id}`);
      expect(paths.indexOf(`/api/conversations/${first.conversation_id}`)).toBeLessThan(
        paths.indexOf('/api/make-call'),
      );
      expect(makeCalls()).toBe(1);
      // The new call holds the one slot now, on both instances.
      expect(await refused(onA)).toMatch(/^POLICY_IN_PROGRESS /);
      expect(makeCalls()).toBe(1);
      expect((await budgets(onA)).in_progress).toEqual({ used: 1, max: 1, left: 0 });
      expect(second.call_id).not.toBe(first.call_id);
    });
  });

  it("another account's key has its own budget; each key's voisa://policy shows its own counts, on either instance", async () => {
    const t0 = Date.now();
    clock = t0;
    const [a, b] = await pair(rules({ maxPerHour: 3 }));
    const firstOnA = await connect(a, '2026-07-28');
    const firstOnB = await connect(b, '2025-11-25');
    const secondOnA = await connect(a, '2025-11-25', sandbox.secondKey);
    const secondOnB = await connect(b, '2026-07-28', sandbox.secondKey);
    sandbox.clearRequests();
    for (let i = 0; i < 3; i++) await placed(firstOnA);
    expect(await refused(firstOnA)).toMatch(hourRefusal(t0 + HOUR_MS, t0));

    // The other instance sees the first key's budget used up (shared through Redis), and refuses it too.
    expect(await budgets(firstOnB)).toEqual({
      last_hour: { used: 3, max: 3, left: 0 },
      last_24_hours: { used: 3 },
      in_progress: { used: 3 },
    });
    expect(await refused(firstOnB)).toMatch(hourRefusal(t0 + HOUR_MS, t0));
    expect(makeCalls(DEMO_ACCOUNT)).toBe(3);

    // The second account's key still calls, through either instance, and counts only its own calls.
    expect((await budgets(secondOnB)).last_hour).toEqual({ used: 0, max: 3, left: 3 });
    await placed(secondOnB, SECOND_CALL);
    expect(await budgets(secondOnA)).toEqual({
      last_hour: { used: 1, max: 3, left: 2 },
      last_24_hours: { used: 1 },
      in_progress: { used: 1 },
    });
    await placed(secondOnA, SECOND_CALL);
    expect((await budgets(secondOnB)).last_hour).toEqual({ used: 2, max: 3, left: 1 });
    expect(makeCalls(SECOND_ACCOUNT)).toBe(2);
    // The first key's budget is untouched by them.
    expect((await budgets(firstOnA)).last_hour).toEqual({ used: 3, max: 3, left: 0 });
    expect(makeCalls(DEMO_ACCOUNT)).toBe(3);
  });

  // Last: it stops Redis (and starts it again, empty).
  it('with Redis stopped, make_call is refused on both instances and nothing reaches VOISA', async () => {
    clock = Date.now();
    const [a, b] = await pair(rules({ maxPerHour: 3 }));
    const onA = await connect(a, '2026-07-28');
    const onB = await connect(b, '2025-11-25');
    // Each key is verified, and each session opened, while Redis is there.
    expect((await budgets(onA)).last_hour).toEqual({ used: 0, max: 3, left: 3 });
    expect((await budgets(onB)).last_hour).toEqual({ used: 0, max: 3, left: 3 });
    redis.kill();
    await waitFor(
      () => a.shared?.health().redis === 'degraded' && b.shared?.health().redis === 'degraded',
      5000,
      'both instances to see Redis gone',
    );
    sandbox.clearRequests();
    for (const c of [onA, onB]) {
      const text = await refused(c);
      expect(text).toMatch(
        /^POLICY_BUDGET \(max_calls_\*\): the call budgets shared between instances cannot be checked now \(the store is unreachable\)\. Nothing was sent to VOISA; allowed from \S+ \(in 5 s, retry_after_seconds 5\)/,
      );
      expect(c.asked).toEqual([]);
      expect(await budgets(c)).toEqual({
        unavailable: 'the shared budget store is unreachable; make_call is refused until it is back',
      });
    }
    expect(sandbox.requests().filter((r) => r.path === '/api/make-call')).toEqual([]);

    // Redis back (empty): calls are counted again.
    await redis.restart();
    await waitFor(
      () => a.shared?.health().redis === 'ok' && b.shared?.health().redis === 'ok',
      10_000,
      'both instances to see Redis back',
    );
    await placed(onB);
    expect((await budgets(onA)).last_hour).toEqual({ used: 1, max: 3, left: 2 });
    expect(makeCalls()).toBe(1);
  });
});

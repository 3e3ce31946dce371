/**
 * The call policy through make_call, on both protocol generations (vitest.config.ts runs this file
 * with a 2025-11-25 and a 2026-07-28 client), against the sandbox over loopback. Each rule allows and
 * refuses at its edges; a refused call reaches nobody (the sandbox's request log holds no make-call)
 * and asks nobody (the policy comes before the confirmation); the clock is injected for quiet hours
 * and budgets. Two principals keep separate budgets, and `voisa://policy` shows each its own.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyRules } from '../../src/policy/file.js';
import { readingsOf } from '../../src/policy/file.js';
import { CallPolicy } from '../../src/policy/policy.js';
import { SECOND_KEY } from '../../src/sandbox/index.js';
import { type Connected, type ConnectOptions, call, connect, resultText } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const AGENT = 'agt_bella0001';
const SECOND_AGENT = 'agt_harbor201';
const sandbox = useSandbox({ callMs: 3000, rateLimitPerMin: 0 });

/** The policy's clock: tests set it. */
let now = Date.parse('2026-12-07T12:00:00Z');
const clock = () => now;
const HOUR = 3_600_000;

function rules(r: Partial<PolicyRules>): PolicyRules {
  return { source: 'test', blockPrefixes: [], doNotCall: new Set(), readings: readingsOf, ...r };
}

const open: Connected[] = [];
async function client(policy: CallPolicy, opts: ConnectOptions = {}): Promise<Connected> {
  const mcp = await connect(sandbox(), { policy, principal: { id: 'principal-a' }, ...opts });
  open.push(mcp);
  return mcp;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
beforeEach(() => {
  now = Date.parse('2026-12-07T12:00:00Z');
  sandbox().clearRequests();
});

const makeCalls = () =>
  sandbox()
    .requests()
    .filter((r) => r.path === '/api/make-call').length;
const dial = (mcp: Connected, phone_number: string, agent_id = AGENT) =>
  call(mcp.client, 'make_call', { agent_id, phone_number });

function refused(result: CallToolResult, code: string): string {
  const text = resultText(result);
  expect(result.isError, text).toBe(true);
  expect(text.startsWith(`${code} (`), text).toBe(true);
  expect(text).toContain('Nothing was sent to VOISA');
  return text;
}
function placed(result: CallToolResult): Record<string, any> {
  expect(result.isError, resultText(result)).toBeFalsy();
  return result.structuredContent as Record<string, any>;
}

async function policyRead(mcp: Connected): Promise<Record<string, any>> {
  const read = await mcp.client.readResource({ uri: 'voisa://policy' });
  return JSON.parse((read.contents[0] as { text: string }).text);
}

describe('destinations', () => {
  it('allow_prefixes: a number under an allowed prefix is rung; one a digit outside is refused', async () => {
    const mcp = await client(new CallPolicy(rules({ allowPrefixes: ['+4930', '+4312'] }), { now: clock }));
    placed(await dial(mcp, '+4930123456'));
    placed(await dial(mcp, '+4312345678'));
    const text = refused(await dial(mcp, '+4940123456'), 'POLICY_DESTINATION');
    expect(text).toContain('allow_prefixes +4930, +4312');
    refused(await dial(mcp, '+4313456789'), 'POLICY_DESTINATION');
    expect(makeCalls()).toBe(2);
  });

  it('block_prefixes refuses inside the prefix and allows beside it', async () => {
    const mcp = await client(new CallPolicy(rules({ blockPrefixes: ['+49900', '+49137'] }), { now: clock }));
    expect(refused(await dial(mcp, '+499001234567'), 'POLICY_DESTINATION')).toContain(
      'block_prefixes +49900',
    );
    refused(await dial(mcp, '+491371234567'), 'POLICY_DESTINATION');
    placed(await dial(mcp, '+49901234567'));
    expect(makeCalls()).toBe(1);
  });

  it('the do-not-call list matches numbers written in other formats', async () => {
    // As loadPolicyFile reads `030 1234567` and `+1 (650) 253-0000` with default_country DE.
    const mcp = await client(
      new CallPolicy(rules({ doNotCall: new Set(['+49301234567', '+16502530000']) }), { now: clock }),
    );
    refused(await dial(mcp, '+49301234567'), 'POLICY_DO_NOT_CALL');
    refused(await dial(mcp, '+16502530000'), 'POLICY_DO_NOT_CALL');
    placed(await dial(mcp, '+49301234568'));
    expect(makeCalls()).toBe(1);
  });

  it('a trunk 0 kept after the country code slips past neither the do-not-call list nor a blocked prefix', async () => {
    // Networks commonly drop the 0 of `+49 (0)30…`: `+490301234567` rings `+49301234567`.
    const mcp = await client(
      new CallPolicy(
        rules({
          doNotCall: new Set(['+49301234567']),
          blockPrefixes: ['+49900'],
          quietHours: { start: '21:00', end: '08:00' },
        }),
        { now: clock },
      ),
    );
    // At night the refusals that waiting never lifts come first, not quiet hours.
    now = Date.parse('2026-12-07T23:30:00Z');
    const text = refused(await dial(mcp, '+490301234567'), 'POLICY_DO_NOT_CALL');
    expect(text).toContain('+490301234567 is dialled as +49301234567');
    expect(refused(await dial(mcp, '+4909001234567'), 'POLICY_DESTINATION')).toContain(
      'block_prefixes +49900',
    );
    // Two zeros: each is dropped in turn, and every reading is checked.
    expect(refused(await dial(mcp, '+4900301234567'), 'POLICY_DO_NOT_CALL')).toContain(
      'is dialled as +49301234567',
    );
    refused(await dial(mcp, '+49009001234567'), 'POLICY_DESTINATION');
    refused(await dial(mcp, '+490301234568'), 'POLICY_QUIET_HOURS');
    now = Date.parse('2026-12-07T12:00:00Z');
    // Italy keeps its 0 after the country code: +39 06… is Rome, read as written, and rung.
    placed(await dial(mcp, '+390612345678'));
    placed(await dial(mcp, '+490301234568'));
    expect(makeCalls()).toBe(2);
  });

  it('a number that is no possible number is refused while a destination rule is set, not with budgets only', async () => {
    // One digit too many for +1: libphonenumber reads no number, so what it would ring cannot be checked.
    const strict = await client(new CallPolicy(rules({ blockPrefixes: ['+1900'] }), { now: clock }));
    const text = refused(await dial(strict, '+121255501239'), 'POLICY_DESTINATION');
    expect(text).toContain('POLICY_DESTINATION (a possible number)');
    const budgetsOnly = await client(new CallPolicy(rules({ maxPerHour: 5 }), { now: clock }));
    placed(await dial(budgetsOnly, '+121255501239'));
    expect(makeCalls()).toBe(1);
  });

  it('a refused call asks nobody to confirm it; an allowed one is asked about', async () => {
    const asked: string[] = [];
    const mcp = await client(new CallPolicy(rules({ allowPrefixes: ['+49'] }), { now: clock }), {
      elicit: (message) => {
        asked.push(message);
        return { action: 'accept', content: { confirm: true } };
      },
    });
    refused(await dial(mcp, '+33123456789'), 'POLICY_DESTINATION');
    expect(asked).toEqual([]);
    placed(await dial(mcp, '+49301234567'));
    expect(asked).toHaveLength(1);
    expect(makeCalls()).toBe(1);
  });
});

describe('quiet hours in the callee’s local time (injected clock)', () => {
  const night = () => new CallPolicy(rules({ quietHours: { start: '21:00', end: '08:00' } }), { now: clock });

  it('across midnight in Berlin: refused from 21:00, with the time it is allowed again', async () => {
    const mcp = await client(night());
    now = Date.parse('2026-12-07T19:59:59Z'); // 20:59:59 in Berlin
    placed(await dial(mcp, '+49301234567'));
    now = Date.parse('2026-12-07T20:00:00Z'); // 21:00
    const text = refused(await dial(mcp, '+49301234567'), 'POLICY_QUIET_HOURS');
    expect(text).toContain('it is 21:00 in Europe/Berlin');
    expect(text).toContain(
      'allowed from 2026-12-08T07:00:00.000Z (in 11 h 0 min, retry_after_seconds 39600)',
    );
    now = Date.parse('2026-12-08T06:59:59Z'); // 07:59:59
    refused(await dial(mcp, '+49301234567'), 'POLICY_QUIET_HOURS');
    now = Date.parse('2026-12-08T07:00:00Z'); // 08:00
    placed(await dial(mcp, '+49301234567'));
    expect(makeCalls()).toBe(2);
  });

  it('a number of many zones (US toll-free) waits until it is day in all of them', async () => {
    const mcp = await client(night());
    now = Date.parse('2026-12-07T18:00:00Z'); // 13:00 in New York, 04:00 in Guam
    const text = refused(await dial(mcp, '+18005550199'), 'POLICY_QUIET_HOURS');
    expect(text).toMatch(/may ring in \d+ time zones; all must be outside quiet hours/);
    expect(text).toContain('allowed from 2026-12-07T22:00:00.000Z');
    // The same hour is fine for a New York number.
    placed(await dial(mcp, '+12125550100'));
    now = Date.parse('2026-12-07T22:00:00Z');
    placed(await dial(mcp, '+18005550199'));
    expect(makeCalls()).toBe(2);
  });
});

describe('budgets per principal (injected clock)', () => {
  it('per hour and per day, each refused at its edge and free again when the oldest call leaves the window', async () => {
    const policy = new CallPolicy(rules({ maxPerHour: 2, maxPerDay: 3 }), { now: clock });
    const mcp = await client(policy);
    const t0 = now;
    placed(await dial(mcp, '+49301111111'));
    now = t0 + 10 * 60_000;
    placed(await dial(mcp, '+49301111112'));
    const hour = refused(await dial(mcp, '+49301111113'), 'POLICY_BUDGET');
    expect(hour).toContain('max_calls_per_hour 2');
    expect(hour).toContain(`allowed from ${new Date(t0 + HOUR).toISOString()}`);
    now = t0 + HOUR - 1;
    refused(await dial(mcp, '+49301111113'), 'POLICY_BUDGET');
    now = t0 + HOUR;
    placed(await dial(mcp, '+49301111113'));
    now = t0 + 3 * HOUR;
    const day = refused(await dial(mcp, '+49301111114'), 'POLICY_BUDGET');
    expect(day).toContain('max_calls_per_day 3');
    expect(day).toContain(`allowed from ${new Date(t0 + 24 * HOUR).toISOString()}`);
    now = t0 + 24 * HOUR;
    placed(await dial(mcp, '+49301111114'));
    expect(makeCalls()).toBe(4);
  });

  it('a call VOISA refuses counts in no budget', async () => {
    const mcp = await client(new CallPolicy(rules({ maxPerHour: 1 }), { now: clock }));
    const missing = await dial(mcp, '+49301111111', 'agt_missing999');
    expect(resultText(missing)).toMatch(/^AGENT_NOT_FOUND/);
    placed(await dial(mcp, '+49301111111'));
  });

  it('two principals keep their own budgets, and voisa://policy shows each its own', async () => {
    const policy = new CallPolicy(rules({ maxPerHour: 1, maxInProgress: 5 }), { now: clock });
    const a = await client(policy);
    const b = await client(policy, { key: SECOND_KEY, principal: { id: 'principal-b' } });
    placed(await dial(a, '+49301111111'));
    refused(await dial(a, '+49301111112'), 'POLICY_BUDGET');
    placed(await dial(b, '+49301111113', SECOND_AGENT));
    const seenByA = await policyRead(a);
    expect(seenByA.policy).toMatchObject({ max_calls_per_hour: 1, max_calls_in_progress: 5 });
    expect(seenByA.budgets.last_hour).toEqual({ used: 1, max: 1, left: 0 });
    const fresh = await client(policy, { key: SECOND_KEY, principal: { id: 'principal-c' } });
    expect((await policyRead(fresh)).budgets.last_hour).toEqual({ used: 0, max: 1, left: 1 });
  });

  it('calls in progress: refused while one is ongoing; free once it ended (asked of VOISA, or seen by wait_for_call)', async () => {
    const mcp = await client(new CallPolicy(rules({ maxInProgress: 1 }), { now: clock }));
    const first = placed(await dial(mcp, '+49301111111'));
    const text = refused(await dial(mcp, '+49301111112'), 'POLICY_IN_PROGRESS');
    expect(text).toContain('max_calls_in_progress 1');
    expect(text).toContain('wait_for_call');
    expect((await policyRead(mcp)).budgets.in_progress).toEqual({ used: 1, max: 1, left: 0 });
    // Nobody follows the first call; once it is over, the policy asks VOISA and frees its slot.
    await new Promise((r) => setTimeout(r, 4000));
    const second = placed(await dial(mcp, '+49301111112'));
    expect(second.call_id).not.toBe(first.call_id);
    refused(await dial(mcp, '+49301111113'), 'POLICY_IN_PROGRESS');
    const waited = await call(mcp.client, 'wait_for_call', { call_id: second.call_id, wait_seconds: 20 });
    expect((waited.structuredContent as Record<string, unknown>).ended).toBe(true);
    // wait_for_call saw it end: the slot is free without asking VOISA again.
    expect((await policyRead(mcp)).budgets.in_progress.used).toBe(0);
    placed(await dial(mcp, '+49301111113'));
    expect(makeCalls()).toBe(3);
  });
});

describe('what frees a budget, and what does not', () => {
  it('wait_for_call frees a call in progress only when the conversation that ended is that call', async () => {
    const mcp = await client(new CallPolicy(rules({ maxInProgress: 1 }), { now: clock }));
    const ringing = placed(await dial(mcp, '+49301111111'));
    // Another conversation, long over, named with the ringing call's id: it ended, the call did not.
    const other = await call(mcp.client, 'wait_for_call', {
      call_id: ringing.call_id,
      conversation_id: 'conv_seed0001',
      wait_seconds: 1,
    });
    expect((other.structuredContent as Record<string, unknown>).ended).toBe(true);
    // So do wrong hints.
    await call(mcp.client, 'wait_for_call', {
      call_id: ringing.call_id,
      phone_number: '+49309999999',
      wait_seconds: 1,
    });
    expect((await policyRead(mcp)).budgets.in_progress.used).toBe(1);
    refused(await dial(mcp, '+49301111112'), 'POLICY_IN_PROGRESS');
    expect(makeCalls()).toBe(1);
  });

  it('a 5xx from make-call may have placed the call: it keeps counting, in progress for 10 minutes at most', async () => {
    const mcp = await client(new CallPolicy(rules({ maxPerHour: 2, maxInProgress: 1 }), { now: clock }));
    sandbox().injectFault({ path: '/api/make-call', status: 504, code: 'INTERNAL_ERROR', times: 1 });
    const failed = await dial(mcp, '+49301111111');
    expect(failed.isError).toBe(true);
    expect((await policyRead(mcp)).budgets).toMatchObject({
      last_hour: { used: 1, left: 1 },
      in_progress: { used: 1, left: 0 },
    });
    const text = refused(await dial(mcp, '+49301111112'), 'POLICY_IN_PROGRESS');
    expect(text).toContain('1 of them is being placed or got no answer from VOISA');
    expect(text).toContain('at most 10 minutes');
    now += 10 * 60_000;
    placed(await dial(mcp, '+49301111112'));
    refused(await dial(mcp, '+49301111113'), 'POLICY_IN_PROGRESS');
    expect((await policyRead(mcp)).budgets.last_hour).toMatchObject({ used: 2, left: 0 });
  });
});

describe('dry run', () => {
  it('checks the agent and the policy, rings no one, and wait_for_call says it was a dry run', async () => {
    const asked: string[] = [];
    const policy = new CallPolicy(rules({ allowPrefixes: ['+49'], maxPerHour: 1 }), {
      now: clock,
      dryRun: true,
    });
    const mcp = await client(policy, {
      elicit: (message) => {
        asked.push(message);
        return { action: 'decline' };
      },
    });
    const dry = placed(await dial(mcp, '+49301234567'));
    expect(dry).toMatchObject({ status: 'dry_run', dry_run: true });
    expect(dry.call_id).toMatch(/^dryrun_/);
    expect(dry.would).toContain('+49301234567');
    // A dry run uses no budget: a second one is fine at max_calls_per_hour 1.
    placed(await dial(mcp, '+49301234568'));
    refused(await dial(mcp, '+33123456789'), 'POLICY_DESTINATION');
    expect(resultText(await dial(mcp, '+49301234567', 'agt_missing999'))).toMatch(/^AGENT_NOT_FOUND/);
    const waited = await call(mcp.client, 'wait_for_call', { call_id: dry.call_id });
    expect(waited.structuredContent).toMatchObject({ ended: true, status: 'dry_run' });
    expect(resultText(waited)).toContain('dry run');
    expect((await policyRead(mcp)).dry_run).toBe(true);
    expect(asked).toEqual([]);
    expect(makeCalls()).toBe(0);
  });
});

describe('voisa://policy', () => {
  it('is listed, names the rules (never the do-not-call numbers) and the budgets left', async () => {
    const policy = new CallPolicy(
      rules({
        allowPrefixes: ['+49'],
        blockPrefixes: ['+49900'],
        doNotCall: new Set(['+49301234567']),
        quietHours: { start: '21:00', end: '08:00' },
        maxPerHour: 5,
        maxPerDay: 20,
        maxInProgress: 2,
      }),
      { now: clock },
    );
    const mcp = await client(policy);
    const listed = await mcp.client.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain('voisa://policy');
    placed(await dial(mcp, '+49301111111'));
    const view = await policyRead(mcp);
    expect(view).toEqual({
      policy: {
        allow_prefixes: ['+49'],
        block_prefixes: ['+49900'],
        do_not_call_numbers: 1,
        quiet_hours: { start: '21:00', end: '08:00', in: "the callee's local time" },
        max_calls_per_hour: 5,
        max_calls_per_day: 20,
        max_calls_in_progress: 2,
      },
      dry_run: false,
      now: '2026-12-07T12:00:00.000Z',
      budgets: {
        last_hour: { used: 1, max: 5, left: 4 },
        last_24_hours: { used: 1, max: 20, left: 19 },
        in_progress: { used: 1, max: 2, left: 1 },
      },
    });
    expect(JSON.stringify(view)).not.toContain('1234567');
  });

  it('without a policy says so', async () => {
    const mcp = await connect(sandbox());
    open.push(mcp);
    expect(await policyRead(mcp)).toMatchObject({ policy: null, dry_run: false });
  });
});

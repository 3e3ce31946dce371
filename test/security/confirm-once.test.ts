/**
 * One confirmation, one action (issue 19, point 1). The confirmed retry of `make_call` or a delete
 * (the sealed requestState plus the user's yes) is single-use: sent twice, four times at once, or to
 * two instances sharing Debian's redis-server, it reaches VOISA once, as the sandbox's request log
 * shows; the other copies get CONFIRMATION_USED. Replays are raw 2026-07-28 requests (a client can
 * send the same retry again), and the same retry fields sent by hand in a 2025-era session; the
 * 2026-07-28 and 2025-11-25 SDK clients still confirm once and go ahead.
 * While Redis refuses the claim, nothing goes ahead.
 */
import { randomBytes } from 'node:crypto';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { createSharedState, type SharedState } from '../../src/scale/index.js';
import { connectRedis, type RedisLink } from '../../src/scale/redis.js';
import { createStateSealer } from '../../src/security/request-state.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { ACCEPTED, ELICIT, type ModernAnswer, postModern } from '../helpers/modern-request.js';
import { mustStartRedis, type RunningRedis, requireRedis } from '../helpers/redis.js';
import { connectHttp, type Instance, startInstance } from '../http/helpers.js';

const SECRET = randomBytes(32);
const CALL = { agent_id: 'agt_bella0001', phone_number: '+49123456789' };

let sandbox: Sandbox;
/** One instance, no Redis: confirmations claimed in its memory. */
let single: Instance;

/** The same secret everywhere: a state asked on one instance opens on the other. */
const instance = (shared?: SharedState) =>
  startInstance(sandbox, { shared, sealer: createStateSealer(SECRET) });

beforeAll(async () => {
  sandbox = await startSandbox({ trainingMs: 200, callMs: 300, rateLimitPerMin: 0 });
  single = await instance();
});
afterAll(async () => {
  await single?.close();
  await sandbox?.close();
});

const sent = (method: string, path: string) =>
  sandbox.requests().filter((r) => r.method === method && r.path === path).length;
const makeCalls = () => sent('POST', '/api/make-call');

function call(
  i: Instance,
  tool: string,
  args: object,
  extra?: Record<string, unknown>,
): Promise<ModernAnswer> {
  return postModern(
    i.http.mcpUrl,
    'tools/call',
    { name: tool, arguments: args },
    { key: sandbox.demoKey, capabilities: ELICIT, extra },
  );
}

/** Asks on `i`; the sealed state of the question. */
async function ask(i: Instance, tool: string, args: object): Promise<string> {
  const asked = await call(i, tool, args);
  expect(asked.result?.resultType).toBe('input_required');
  return asked.result?.requestState as string;
}

/** The retry carrying `state` and the user's answer, to `i`. */
const confirm = (i: Instance, tool: string, args: object, state: string, inputResponses: object = ACCEPTED) =>
  call(i, tool, args, { requestState: state, inputResponses });

/** How many answers went ahead, and how many were refused as already used (nothing else allowed). */
function tally(answers: ModernAnswer[]): { ok: number; used: number } {
  let ok = 0;
  let used = 0;
  for (const a of answers) {
    const text: string = a.result?.content?.[0]?.text ?? '';
    if (a.result && !a.result.isError) ok++;
    else if (text.startsWith('CONFIRMATION_USED:')) used++;
    else throw new Error(`unexpected answer: ${JSON.stringify(a.result ?? a.error)}`);
  }
  return { ok, used };
}

async function newAgent(): Promise<string> {
  const owner = single.api.withApiKey(sandbox.demoKey);
  return (await owner.agents.create({ name: `Delete me ${randomBytes(3).toString('hex')}` })).id;
}

describe('one instance (confirmations claimed in memory)', () => {
  it('a confirmed make_call retry sent twice places one call; the second is told the confirmation was used', async () => {
    const state = await ask(single, 'make_call', CALL);
    const before = makeCalls();
    const first = await confirm(single, 'make_call', CALL, state);
    expect(first.result?.isError).toBeFalsy();
    expect(first.result?.structuredContent.call_id).toMatch(/^call_/);
    const second = await confirm(single, 'make_call', CALL, state);
    expect(second.result?.isError).toBe(true);
    expect(second.result?.content[0].text).toBe(
      'CONFIRMATION_USED: this confirmation was already used (one confirmation approves one make_call call). ' +
        'Call make_call again without requestState to be asked anew; nothing was sent to VOISA.',
    );
    expect(makeCalls()).toBe(before + 1);
  });

  it('four copies of the confirmed retry at once place one call', async () => {
    const state = await ask(single, 'make_call', CALL);
    const before = makeCalls();
    const answers = await Promise.all([1, 2, 3, 4].map(() => confirm(single, 'make_call', CALL, state)));
    expect(tally(answers)).toEqual({ ok: 1, used: 3 });
    expect(makeCalls()).toBe(before + 1);
  });

  it('a decline uses the confirmation up: the same state with a yes afterwards places nothing', async () => {
    const state = await ask(single, 'make_call', CALL);
    const before = makeCalls();
    const declined = await confirm(single, 'make_call', CALL, state, { confirm: { action: 'decline' } });
    expect(declined.result?.content[0].text).toMatch(/^DECLINED/);
    const replay = await confirm(single, 'make_call', CALL, state);
    expect(replay.result?.content[0].text).toMatch(/^CONFIRMATION_USED:/);
    expect(makeCalls()).toBe(before);
  });

  it('a retry without an answer is asked again with a new confirmation, used once too', async () => {
    const state = await ask(single, 'make_call', CALL);
    const again = await call(single, 'make_call', CALL, { requestState: state });
    expect(again.result?.resultType).toBe('input_required');
    const fresh = again.result?.requestState as string;
    expect(fresh).not.toBe(state);
    const before = makeCalls();
    const answers = await Promise.all([
      confirm(single, 'make_call', CALL, fresh),
      confirm(single, 'make_call', CALL, fresh),
    ]);
    expect(tally(answers)).toEqual({ ok: 1, used: 1 });
    expect(makeCalls()).toBe(before + 1);
  });

  it('a confirmed delete_agent sent twice, then four times at once, deletes once', async () => {
    const id = await newAgent();
    const args = { agent_id: id };
    const state = await ask(single, 'delete_agent', args);
    const answers = [await confirm(single, 'delete_agent', args, state)];
    answers.push(
      ...(await Promise.all([1, 2, 3, 4].map(() => confirm(single, 'delete_agent', args, state)))),
    );
    expect(tally(answers)).toEqual({ ok: 1, used: 4 });
    expect(sent('DELETE', `/api/agents/${id}`)).toBe(1);
  });

  it('a 2025-era session sending the retry fields by hand is held to one use as well', async () => {
    // The SDK lifts requestState and inputResponses out of a 2025-era request's params too.
    const state = await ask(single, 'make_call', CALL);
    const session = await connectHttp(single.http.mcpUrl, sandbox.demoKey);
    try {
      const before = makeCalls();
      const replay = () =>
        session.client.request(
          {
            method: 'tools/call',
            params: {
              name: 'make_call',
              arguments: CALL,
              requestState: state,
              inputResponses: ACCEPTED,
            } as never,
          },
          CallToolResultSchema,
        );
      const answers = [await replay(), ...(await Promise.all([replay(), replay()]))];
      expect(answers.filter((a) => !a.isError)).toHaveLength(1);
      for (const a of answers.filter((x) => x.isError))
        expect((a.content[0] as { text: string }).text).toMatch(/^CONFIRMATION_USED:/);
      expect(makeCalls()).toBe(before + 1);
    } finally {
      await session.close();
    }
  });

  it.each(GENERATIONS)('a %s client still confirms once and goes ahead, once per yes', async (generation) => {
    const asked: string[] = [];
    const client = await connectGeneration(
      generation,
      { url: single.http.mcpUrl },
      {
        key: sandbox.demoKey,
        elicit: (message) => {
          asked.push(message);
          return { action: 'accept', content: { confirm: true } };
        },
      },
    );
    try {
      const before = makeCalls();
      const made = await client.callTool('make_call', CALL);
      expect(made.isError, made.content.map((c) => c.text).join('\n')).toBeFalsy();
      expect(asked).toHaveLength(1);
      expect(makeCalls()).toBe(before + 1);
      // Another call is another question, and another yes.
      expect((await client.callTool('make_call', CALL)).isError).toBeFalsy();
      expect(asked).toHaveLength(2);
      expect(makeCalls()).toBe(before + 2);
    } finally {
      await client.close();
    }
  });
});

describe.skipIf(!requireRedis())('two instances sharing Redis', () => {
  let redis: RunningRedis;
  let admin: RedisLink;
  let a: Instance;
  let b: Instance;
  const prefix = `t${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    redis = await mustStartRedis();
    admin = await connectRedis(redis.url, {});
    const shared = () => createSharedState({ redisUrl: redis.url, secret: SECRET, keyPrefix: prefix });
    a = await instance(await shared());
    b = await instance(await shared());
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await admin?.close();
    await redis?.stop();
  });

  it('a confirmation asked on A, its retry sent to A and B twice each at once, then again to B: one call', async () => {
    const state = await ask(a, 'make_call', CALL);
    const before = makeCalls();
    const answers = await Promise.all([a, b, a, b].map((i) => confirm(i, 'make_call', CALL, state)));
    answers.push(await confirm(b, 'make_call', CALL, state));
    expect(tally(answers)).toEqual({ ok: 1, used: 4 });
    expect(makeCalls()).toBe(before + 1);
    // The claim: a value-less key named by the random nonce, kept no longer than the state lives.
    const claims = await admin.command.keys(`${prefix}confirm:*`);
    expect(claims.length).toBeGreaterThanOrEqual(1);
    for (const key of claims) {
      expect(await admin.command.get(key)).toBe('');
      const ttl = await admin.command.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10 * 60_000);
      expect(key).not.toContain(sandbox.demoKey);
    }
  });

  it('a confirmed delete_kb_item sent to both instances at once deletes once', async () => {
    const owner = a.api.withApiKey(sandbox.demoKey);
    const item = await owner.knowledgeBase.addText({
      agent_id: CALL.agent_id,
      title: 'Delete me',
      content: 'Nothing to keep.',
    });
    const args = { item_id: item.id };
    const state = await ask(b, 'delete_kb_item', args);
    const answers = await Promise.all([a, b, a, b].map((i) => confirm(i, 'delete_kb_item', args, state)));
    expect(tally(answers)).toEqual({ ok: 1, used: 3 });
    expect(sandbox.requests().filter((r) => r.method === 'DELETE' && r.path.includes(item.id))).toHaveLength(
      1,
    );
  });

  it('while Redis refuses the claim, nothing goes ahead and the answer says to retry; afterwards the retry goes through once', async () => {
    const state = await ask(a, 'make_call', CALL);
    const before = makeCalls();
    // A real refusal: Redis takes no write while it has fewer replicas than it is told to need.
    await admin.command.config('SET', 'min-replicas-to-write', '1');
    try {
      const refused = await confirm(b, 'make_call', CALL, state);
      expect(refused.result?.isError).toBe(true);
      expect(refused.result?.content[0].text).toMatch(
        /^CONFIRMATION_UNAVAILABLE: .*nothing was sent to VOISA\. Retry in a few seconds/,
      );
    } finally {
      await admin.command.config('SET', 'min-replicas-to-write', '0');
    }
    expect(makeCalls()).toBe(before);
    const answers = [await confirm(b, 'make_call', CALL, state), await confirm(a, 'make_call', CALL, state)];
    expect(tally(answers)).toEqual({ ok: 1, used: 1 });
    expect(makeCalls()).toBe(before + 1);
  });
});

/**
 * `wait_for_call` through a real MCP Client (both protocol generations, see vitest.config.ts) against
 * the sandbox over loopback: a call that ends within the wait, one that outlasts it, a failed call, a
 * cancelled wait, wrong ids, upstream faults mid-wait, progress notifications, and the API reference's
 * shape of make-call (only `call_id` and `status`), where the conversation is found among the agent's
 * newest conversations for the number.
 */
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { UNTRUSTED_NOTE } from '../../src/tools/result.js';
import { type Connected, call, connect, resultText } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const AGENT = 'agt_bella0001';
const NUMBER = '+49123456789';

const quick = useSandbox({ callMs: 300, rateLimitPerMin: 0 });
const slow = useSandbox({ callMs: 2500, rateLimitPerMin: 0 });
const reference = useSandbox({ callMs: 300, rateLimitPerMin: 0, referenceShape: true });

let fast: Connected;
let long: Connected;
let ref: Connected;
beforeAll(async () => {
  [fast, long, ref] = await Promise.all([connect(quick()), connect(slow()), connect(reference())]);
});
afterAll(async () => {
  await Promise.all([fast?.close(), long?.close(), ref?.close()]);
});
beforeEach(() => {
  for (const s of [quick(), slow(), reference()]) {
    s.clearFaults();
    s.clearRequests();
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Data = Record<string, any>;
const data = (r: CallToolResult) => r.structuredContent as Data;

async function place(mcp: Connected, phone_number = NUMBER): Promise<Data> {
  const made = await call(mcp.client, 'make_call', { agent_id: AGENT, phone_number });
  expect(made.isError, resultText(made)).toBeFalsy();
  return data(made);
}

async function wait(
  mcp: Connected,
  args: Record<string, unknown>,
  options: { onprogress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<CallToolResult> {
  return (await mcp.client.callTool(
    { name: 'wait_for_call', arguments: args },
    undefined,
    options,
  )) as CallToolResult;
}

function conversationRequests(s: Sandbox) {
  return s.requests().filter((r) => r.path.startsWith('/api/conversations'));
}

function expectEnded(result: CallToolResult, status: 'success' | 'failed', conversationId?: string): Data {
  expect(result.isError, resultText(result)).toBeFalsy();
  const d = data(result);
  expect(JSON.parse(resultText(result))).toEqual(d);
  expect(d).toMatchObject({ ended: true, status, success: status === 'success' });
  expect(d.duration).toEqual(expect.any(Number));
  expect(d.summary).toEqual(expect.any(String));
  expect(d.sentiment).toEqual(expect.any(String));
  if (conversationId) expect(d.conversation_id).toBe(conversationId);
  expect(d.next).toContain('transcript');
  // Summaries are what callers said: the result says so before the JSON.
  expect(result.content[0]).toEqual({ type: 'text', text: UNTRUSTED_NOTE });
  // The transcript and recording by URI, in the data; no link blocks (frameworks cannot pass them on).
  expect(d).toMatchObject({
    transcript_uri: `voisa://conversations/${d.conversation_id}/transcript`,
    recording_uri: `voisa://conversations/${d.conversation_id}/audio`,
  });
  expect(result.content.map((c) => c.type)).toEqual(['text', 'text']);
  return d;
}

describe('wait_for_call', () => {
  it('follows a call that ends within the wait, with progress as its state changes', async () => {
    const made = await place(fast);
    expect(made.conversation_id).toEqual(expect.any(String)); // the sandbox's extra field
    const progress: Progress[] = [];
    const started = Date.now();
    const result = await wait(fast, { call_id: made.call_id }, { onprogress: (p) => progress.push(p) });
    const d = expectEnded(result, 'success', made.conversation_id);
    expect(Date.now() - started).toBeLessThan(5000);

    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    for (const p of progress) expect(p.total).toBe(45);
    expect(progress[0]!.message).toBe(`conversation ${d.conversation_id} ongoing`);
    expect(progress.at(-1)!.message).toBe(`conversation ${d.conversation_id} ended: success`);

    // make-call told the conversation id: no lookup, only the conversation itself.
    const sent = conversationRequests(quick());
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const r of sent) expect(r.path).toBe(`/api/conversations/${d.conversation_id}`);

    // The transcript link can be read.
    const read = await fast.client.readResource({ uri: d.transcript_uri });
    expect((read.contents[0] as { text: string }).text.length).toBeGreaterThan(0);
  });

  it('answers ended=false when the call outlasts the wait; a second wait sees it end', async () => {
    const made = await place(long);
    const started = Date.now();
    const first = await wait(long, { call_id: made.call_id, wait_seconds: 1 });
    const waited = Date.now() - started;
    expect(first.isError, resultText(first)).toBeFalsy();
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(2400);
    expect(data(first)).toMatchObject({
      ended: false,
      status: 'ongoing',
      conversation_id: made.conversation_id,
      retry_after_seconds: 1,
    });
    expect(data(first).next).toMatch(/^Not over: still ongoing after 1 s; call wait_for_call again/);
    expect(data(first).transcript_uri).toBeUndefined();

    const second = await wait(long, { call_id: made.call_id, wait_seconds: 10 });
    expectEnded(second, 'success', made.conversation_id);
  });

  it('reports a failed call (numbers ending in 0000 fail) as ended, status failed', async () => {
    const made = await place(fast, '+49123450000');
    const result = await wait(fast, { call_id: made.call_id });
    expectEnded(result, 'failed', made.conversation_id);
  });

  it('follows a conversation id alone', async () => {
    const made = await place(fast);
    const result = await wait(fast, { conversation_id: made.conversation_id });
    expectEnded(result, 'success', made.conversation_id);
  });

  it('stops polling when the client cancels, and the next wait works', async () => {
    const made = await place(long);
    const controller = new AbortController();
    let polled = 0;
    const pending = wait(
      long,
      { call_id: made.call_id },
      {
        signal: controller.signal,
        onprogress: () => {
          polled++;
        },
      },
    ).then(
      () => 'resolved',
      (err: unknown) => err,
    );
    const until = Date.now() + 5000;
    while (polled === 0 && Date.now() < until) await sleep(20);
    expect(polled).toBe(1);
    const aborted = Date.now();
    controller.abort('user cancelled');
    expect(await pending).not.toBe('resolved');
    expect(Date.now() - aborted).toBeLessThan(500);
    await sleep(100);
    const before = conversationRequests(slow()).length;
    // Without the cancellation it would poll again after 1 s and 3 s.
    await sleep(3200);
    expect(conversationRequests(slow())).toHaveLength(before);

    const after = await wait(long, { call_id: made.call_id });
    expectEnded(after, 'success', made.conversation_id);
  });

  it('keeps waiting through upstream faults and reports them with what is known', async () => {
    const made = await place(long);
    slow().injectFault({
      path: `/api/conversations/${made.conversation_id}`,
      status: 500,
      code: 'INTERNAL_ERROR',
      times: 1000,
    });
    const result = await wait(long, { call_id: made.call_id, wait_seconds: 2 });
    expect(result.isError, resultText(result)).toBeFalsy();
    expect(data(result)).toMatchObject({
      ended: false,
      conversation_id: made.conversation_id,
      retry_after_seconds: 5,
    });
    expect(data(result).next).toMatch(/^Not over: VOISA answered INTERNAL_ERROR while waiting/);
    slow().clearFaults();
    expectEnded(await wait(long, { call_id: made.call_id }), 'success', made.conversation_id);
  });
});

describe('wrong input', () => {
  it('an unknown conversation id: RESOURCE_NOT_FOUND naming the field and the next step', async () => {
    const result = await wait(fast, { conversation_id: 'conv_doesnotexist' });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(
      /^RESOURCE_NOT_FOUND \(404\): .*\[field: conversation_id\] — list_conversations shows valid conversation ids/,
    );
  });

  it('a call id this server did not place, without hints: INVALID_REQUEST naming call_id; nothing sent', async () => {
    const result = await wait(fast, { call_id: 'call_unknown123' });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(
      /^INVALID_REQUEST \(input\): call_id: call call_unknown123 was not placed through this server .*agent_id and phone_number.* — fix call_id and call again; nothing was sent to VOISA$/,
    );
    expect(quick().requests()).toEqual([]);
  });

  it('an agent hint without the number names phone_number', async () => {
    const result = await wait(fast, { call_id: 'call_unknown123', agent_id: AGENT });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/^INVALID_REQUEST \(input\): phone_number: /);
  });

  it.each([
    [{}, 'call_id'],
    [{ call_id: 'call_1', wait_seconds: 121 }, 'wait_seconds'],
    [{ call_id: 'call_1', wait_seconds: 0 }, 'wait_seconds'],
    [{ call_id: 'call_1', wait_seconds: 2.5 }, 'wait_seconds'],
    [{ call_id: 'call_1', agent_id: AGENT, phone_number: '0176 1234' }, 'phone_number'],
  ])('%j names %s', async (args, field) => {
    const result = await wait(fast, args);
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(new RegExp(`^INVALID_REQUEST \\(input\\): .*${field}`));
    expect(quick().requests()).toEqual([]);
  });
});

describe("the API reference's make-call shape (only call_id and status)", () => {
  it('finds the conversation among the agent newest for the number, after the call started', async () => {
    const made = await place(ref);
    expect(Object.keys(made).sort()).toEqual(['call_id', 'status']);
    const result = await wait(ref, { call_id: made.call_id });
    const d = expectEnded(result, 'success');
    expect(d.conversation_id).toMatch(/^conv_/);
    const lists = reference()
      .requests()
      .filter((r) => r.path === '/api/conversations/list');
    expect(lists[0]?.query).toEqual({ agent_id: AGENT, limit: '20' });
    // Found once; later polls read the conversation itself.
    expect(lists).toHaveLength(1);
    const details = await ref.api.conversations.get(d.conversation_id);
    expect(details).toMatchObject({ agent_id: AGENT, phone_number: NUMBER });
  });

  it('tells two calls of one agent to one number apart', async () => {
    const first = await place(ref);
    const second = await place(ref);
    const [a, b] = await Promise.all([
      wait(ref, { call_id: first.call_id }),
      wait(ref, { call_id: second.call_id }),
    ]);
    const [da, db] = [expectEnded(a, 'success'), expectEnded(b, 'success')];
    expect(da.conversation_id).not.toBe(db.conversation_id);
    const [ca, cb] = await Promise.all([
      ref.api.conversations.get(da.conversation_id),
      ref.api.conversations.get(db.conversation_id),
    ]);
    expect(Date.parse(ca.started_at!)).toBeLessThanOrEqual(Date.parse(cb.started_at!));
  });

  it('with agent_id and phone_number, follows a call another instance placed', async () => {
    const made = await place(ref);
    // A second server with its own VOISA client: it never saw this call.
    const other = await connect(reference());
    try {
      const without = await wait(other, { call_id: made.call_id });
      expect(without.isError).toBe(true);
      expect(resultText(without)).toMatch(/^INVALID_REQUEST \(input\): call_id: /);
      const result = await wait(other, { call_id: made.call_id, agent_id: AGENT, phone_number: NUMBER });
      const d = expectEnded(result, 'success');
      // The same conversation the placing server finds.
      const mine = expectEnded(await wait(ref, { call_id: made.call_id }), 'success');
      expect(d.conversation_id).toBe(mine.conversation_id);
    } finally {
      await other.close();
    }
  });
});

/**
 * Following a placed call until it ends (`wait_for_call`).
 *
 * The API has no call resource: `POST /api/make-call` answers `{call_id, status}` and the call then
 * lives on as a conversation. So the conversation is found, in this order, by
 * - the conversation id given, or the one make-call returned (the sandbox adds it);
 * - a webhook event this server received naming the call id, or the agent and number after the call started;
 * - the agent's newest conversations with that number, started after the call (`GET /api/conversations/list`).
 * For the last two, `make_call` remembers what it sent (agent, number, when) per API client in a small
 * bounded map; across instances or restarts the caller passes `agent_id` and `phone_number` instead.
 *
 * Then the conversation is polled (1 s, 2 s, then every 3 s, or at once when a webhook names it)
 * until it ends or the wait is over. Cancellation stops it at once; an upstream fault mid-wait is
 * reported with what is known, never thrown; a wrong id is an error naming the field.
 */
import {
  ApiAbortError,
  ApiError,
  AuthenticationError,
  type ConversationSummary,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  type RequestOptions,
  VoisaError,
} from '../voisa/index.js';
import type { ExtraContent, ReceivedEvent, ToolContext } from './define.js';
import { InputError } from './input.js';

export const DEFAULT_WAIT_SECONDS = 45;
export const MAX_WAIT_SECONDS = 120;
/** Pauses between polls: 1 s, 2 s, then 3 s. */
const BACKOFF_MS = [1000, 2000, 3000];
/** VOISA's clock and ours differ: a conversation this much older than our request may still be the call. */
const CLOCK_SKEW_MS = 30_000;
/** Without a remembered start (the call was placed elsewhere): how recent its conversation must be. */
const UNKNOWN_START_MS = 30 * 60_000;
/** Newest conversations of the agent searched for the call. */
const LIST_LIMIT = 20;
/** A poll may outlast the wait by at most this much. */
const POLL_GRACE_MS = 5000;

/** What `make_call` sent, kept so the call can be followed from its id alone. */
export interface PlacedCall {
  call_id: string;
  agent_id: string;
  phone_number: string;
  /** Epoch ms just before make-call was sent. */
  started_at: number;
  conversation_id?: string;
}

const MAX_REMEMBERED = 500;
const REMEMBER_MS = 6 * 3600_000;

/**
 * Placed calls per API client (so per VOISA key: one key's call ids tell nothing to another), oldest
 * first, at most MAX_REMEMBERED each and for REMEMBER_MS. They go with the client (over HTTP, a key's
 * client unused for a few minutes), and are not shared between instances: then the caller's hints do.
 */
const placedCalls = new WeakMap<object, Map<string, PlacedCall>>();

function callsOf(owner: object): Map<string, PlacedCall> {
  let calls = placedCalls.get(owner);
  if (!calls) {
    calls = new Map();
    placedCalls.set(owner, calls);
  }
  const expired = Date.now() - REMEMBER_MS;
  for (const [id, call] of calls) {
    if (call.started_at >= expired && calls.size <= MAX_REMEMBERED) break;
    calls.delete(id);
  }
  return calls;
}

export function rememberCall(owner: object, call: PlacedCall): void {
  const calls = callsOf(owner);
  calls.delete(call.call_id);
  calls.set(call.call_id, call);
  if (calls.size > MAX_REMEMBERED) calls.delete(calls.keys().next().value as string);
}

export function recallCall(owner: object, callId: string): PlacedCall | undefined {
  return callsOf(owner).get(callId);
}

export interface WaitArgs {
  call_id?: string;
  conversation_id?: string;
  agent_id?: string;
  phone_number?: string;
  wait_seconds?: number;
}

export interface WaitResult {
  conversation_id?: string;
  ended: boolean;
  status: string;
  success?: boolean;
  duration?: number;
  sentiment?: string;
  summary?: string;
  retry_after_seconds?: number;
  next: string;
}

/** What both a listed conversation and a conversation's details tell. */
interface Conversation {
  id: string;
  status?: string;
  duration?: number;
  sentiment?: string | null;
  summary?: string | null;
  ended_at?: string | null;
}

/** Where the conversation id came from: the caller or make-call (trusted), or a lookup (may be wrong). */
type Source = 'given' | 'lookup';

export async function followCall(
  args: WaitArgs,
  ctx: ToolContext,
): Promise<{ result: WaitResult; links: ExtraContent[] }> {
  const { api, req, events } = ctx;
  const signal = req.signal;
  if (!args.call_id && !args.conversation_id) {
    throw new InputError('call_id', 'give the call_id make_call returned, or conversation_id');
  }
  const placed = args.call_id ? recallCall(api, args.call_id) : undefined;
  const agentId = args.agent_id ?? placed?.agent_id;
  const phone = args.phone_number ?? placed?.phone_number;
  let conversationId = args.conversation_id ?? placed?.conversation_id;
  let source: Source = 'given';
  if (!conversationId && (!agentId || !phone)) {
    throw new InputError(
      agentId ? 'phone_number' : 'call_id',
      `call ${args.call_id} was not placed through this server (or it restarted): also give agent_id and phone_number as sent to make_call, or the conversation_id`,
    );
  }
  const waitSeconds = args.wait_seconds ?? DEFAULT_WAIT_SECONDS;
  const startedWaiting = Date.now();
  const deadline = startedWaiting + waitSeconds * 1000;
  const sought: Sought = {
    owner: api,
    callId: args.call_id,
    agentId: agentId ?? '',
    phone: phone ?? '',
    startedAt: placed?.started_at,
    since: placed ? placed.started_at - CLOCK_SKEW_MS : Date.now() - UNKNOWN_START_MS,
    rejected: new Set(),
  };

  let conversation: Conversation | undefined;
  let fault: unknown;
  // A webhook about the call ends the current pause, or (when it came during a poll) the next one.
  let wake: (() => void) | undefined;
  let woken = false;
  const stopListening = events?.subscribe((e) => {
    if (!concerns(e, { callId: args.call_id, conversationId, agentId })) return;
    woken = true;
    wake?.();
  });
  try {
    for (let poll = 0; ; poll++) {
      if (signal?.aborted) throw new ApiAbortError();
      const left = deadline - Date.now();
      const opts: RequestOptions = {
        ...req,
        signal: anySignal(signal, AbortSignal.timeout(Math.max(left, 0) + POLL_GRACE_MS)),
      };
      try {
        // A summary from the list is as good as the conversation itself for this poll.
        let listed = false;
        if (!conversationId) {
          const found =
            (events && fromEvents(events.recent(), sought)) ?? (await fromList(ctx, sought, opts));
          if (typeof found === 'object') {
            conversation = found;
            listed = true;
          }
          conversationId = typeof found === 'object' ? found.id : found;
          source = 'lookup';
          if (conversationId && placed) placed.conversation_id = conversationId;
        }
        if (conversationId && !listed) conversation = await api.conversations.get(conversationId, opts);
        fault = undefined;
      } catch (err) {
        if (signal?.aborted) throw new ApiAbortError();
        if (!(err instanceof VoisaError)) throw err;
        if (!isWrongInput(err)) fault = err;
        // A lookup's candidate another key owns is not this call: look again. Anything the caller gave: say so.
        else if (source === 'lookup' && conversationId && err instanceof NotFoundError) {
          sought.rejected.add(conversationId);
          if (placed?.conversation_id === conversationId) placed.conversation_id = undefined;
          conversationId = undefined;
          conversation = undefined;
        } else throw err;
      }
      const ended = conversation !== undefined && hasEnded(conversation);
      ctx.progress(
        Math.round((Date.now() - startedWaiting) / 100) / 10,
        waitSeconds,
        stateText(args.call_id, conversation, fault),
      );
      if (ended) return outcome(conversation!);
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        return { result: stillRunning(args, conversation, conversationId, fault, waitSeconds), links: [] };
      }
      if (!woken) {
        await pause(Math.min(BACKOFF_MS[poll] ?? BACKOFF_MS.at(-1)!, remaining), signal, (w) => {
          wake = w;
        });
      }
      woken = false;
    }
  } finally {
    stopListening?.();
  }
}

function str(data: Record<string, unknown>, name: string): string | undefined {
  const v = data[name];
  return typeof v === 'string' && v ? v : undefined;
}

/** A conversation.* event about this call, its conversation, or (before that is known) its agent. */
function concerns(
  e: ReceivedEvent,
  call: { callId?: string; conversationId?: string; agentId?: string },
): boolean {
  if (!e.event.startsWith('conversation.')) return false;
  const conv = str(e.data, 'conversation_id');
  if (call.conversationId) return conv === call.conversationId;
  return (
    (call.callId !== undefined && str(e.data, 'call_id') === call.callId) ||
    (call.agentId !== undefined && str(e.data, 'agent_id') === call.agentId)
  );
}

/** What a lookup knows of the call it looks for. */
interface Sought {
  owner: object;
  callId?: string;
  agentId: string;
  phone: string;
  /** When make_call sent it, if this process placed it. */
  startedAt?: number;
  /** Conversations that started before this are not the call's. */
  since: number;
  /** Conversation ids found by a lookup that turned out to be another key's. */
  rejected: Set<string>;
}

/**
 * The call's conversation among candidates (this agent and number, started since): the newest calls
 * have the newest conversations, so with N calls this process placed to the same agent and number
 * still unmatched (this one at rank k, by start), the N newest candidates are theirs in order. Clocks
 * may differ (VOISA's and ours), but the order of the calls does not. Conversations already matched
 * to another call are not candidates.
 */
function choose(candidates: { id: string; at: number }[], call: Sought): string | undefined {
  const others = [...callsOf(call.owner).values()].filter((c) => c.call_id !== call.callId);
  const taken = new Set([
    ...call.rejected,
    ...others.flatMap((c) => (c.conversation_id ? [c.conversation_id] : [])),
  ]);
  const open = candidates
    .filter((c) => c.at >= call.since && !taken.has(c.id))
    .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  const start = call.startedAt ?? Number.POSITIVE_INFINITY;
  const unmatched = others.filter(
    (c) =>
      !c.conversation_id &&
      c.agent_id === call.agentId &&
      c.phone_number === call.phone &&
      c.started_at >= call.since,
  );
  const rank = unmatched.filter((c) => c.started_at < start).length;
  const calls = unmatched.length + 1;
  return open.length >= calls ? open[open.length - calls + rank]?.id : open[rank]?.id;
}

/** The call's conversation from webhook events: one naming the call id, else by agent, number and time. */
function fromEvents(recent: readonly ReceivedEvent[], call: Sought): string | undefined {
  const firstSeen = new Map<string, number>();
  for (const e of recent) {
    if (!e.event.startsWith('conversation.')) continue;
    const id = str(e.data, 'conversation_id');
    if (!id) continue;
    const eventCall = str(e.data, 'call_id');
    if (call.callId && eventCall === call.callId && !call.rejected.has(id)) return id;
    if (eventCall || str(e.data, 'agent_id') !== call.agentId || str(e.data, 'phone_number') !== call.phone)
      continue;
    const at = Date.parse(e.timestamp);
    if (!Number.isNaN(at)) firstSeen.set(id, Math.min(at, firstSeen.get(id) ?? at));
  }
  return choose(
    [...firstSeen].map(([id, at]) => ({ id, at })),
    call,
  );
}

/** The call's conversation among the agent's newest conversations (GET /api/conversations/list). */
async function fromList(
  { api }: ToolContext,
  call: Sought,
  opts: RequestOptions,
): Promise<ConversationSummary | undefined> {
  const { conversations } = await api.conversations.list({ agent_id: call.agentId, limit: LIST_LIMIT }, opts);
  const candidates = conversations.flatMap((c) => {
    const at = Date.parse(c.started_at ?? '');
    return c.phone_number === call.phone && !Number.isNaN(at) ? [{ id: c.id, at }] : [];
  });
  const id = choose(candidates, call);
  return conversations.find((c) => c.id === id);
}

/** The reference's only in-progress status is `ongoing`; a conversation without a status has ended once it has `ended_at`. */
function hasEnded(c: Conversation): boolean {
  return c.status === undefined ? Boolean(c.ended_at) : c.status !== 'ongoing';
}

/** Errors about the arguments (or the key), which waiting longer cannot cure. */
function isWrongInput(err: unknown): err is ApiError {
  return (
    err instanceof NotFoundError ||
    err instanceof InvalidRequestError ||
    err instanceof AuthenticationError ||
    err instanceof PermissionDeniedError
  );
}

function faultText(err: unknown): string {
  if (err instanceof ApiError) return err.code;
  // An abort the caller did not ask for is this wait's own limit on one poll.
  if (err instanceof ApiAbortError) return 'TIMEOUT';
  return err instanceof VoisaError ? err.kind.toUpperCase() : 'an error';
}

function stateText(callId: string | undefined, c: Conversation | undefined, fault: unknown): string {
  const state = !c
    ? `call ${callId} placed; its conversation is not listed yet`
    : hasEnded(c)
      ? `conversation ${c.id} ended: ${c.status ?? 'ended'}`
      : `conversation ${c.id} ${c.status ?? 'in progress'}`;
  return fault ? `${state} (VOISA answered ${faultText(fault)}; still waiting)` : state;
}

const enc = encodeURIComponent;

function outcome(c: Conversation): { result: WaitResult; links: ExtraContent[] } {
  const base = `voisa://conversations/${enc(c.id)}`;
  const result: WaitResult = {
    conversation_id: c.id,
    ended: true,
    status: c.status ?? 'ended',
    success: c.status === 'success',
    ...(c.duration !== undefined ? { duration: c.duration } : {}),
    ...(c.sentiment ? { sentiment: c.sentiment } : {}),
    ...(c.summary ? { summary: c.summary } : {}),
    next: `The call is over: read its transcript (${base}/transcript, or get_conversation).`,
  };
  const links: ExtraContent[] = [
    { type: 'resource_link', uri: `${base}/transcript`, name: `${c.id} transcript`, mimeType: 'text/plain' },
    { type: 'resource_link', uri: `${base}/audio`, name: `${c.id}.mp3`, mimeType: 'audio/mpeg' },
  ];
  return { result, links };
}

function stillRunning(
  args: WaitArgs,
  c: Conversation | undefined,
  conversationId: string | undefined,
  fault: unknown,
  waited: number,
): WaitResult {
  const retry =
    fault instanceof RateLimitError && fault.retryAfterMs !== undefined
      ? Math.max(1, Math.ceil(fault.retryAfterMs / 1000))
      : fault
        ? 5
        : 1;
  const again =
    conversationId && !args.conversation_id
      ? `call wait_for_call again with conversation_id ${conversationId}`
      : 'call wait_for_call again with the same arguments';
  const what = fault
    ? `VOISA answered ${faultText(fault)} while waiting`
    : c
      ? `still ${c.status ?? 'in progress'} after ${waited} s`
      : `no conversation for this call listed yet after ${waited} s`;
  return {
    ...(conversationId ? { conversation_id: conversationId } : {}),
    ended: false,
    status: c?.status ?? 'initiated',
    ...(c?.duration !== undefined ? { duration: c.duration } : {}),
    retry_after_seconds: retry,
    next: `Not over: ${what}; ${again} in ${retry} s.`,
  };
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a ? AbortSignal.any([a, b]) : b;
}

/** Sleeps `ms`; ends early when woken (a webhook about the call); rejects at once when `signal` aborts. */
function pause(
  ms: number,
  signal: AbortSignal | undefined,
  setWake: (wake: (() => void) | undefined) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      setWake(undefined);
      if (err) reject(err);
      else resolve();
    };
    const aborted = () => done(new ApiAbortError());
    const timer = setTimeout(() => done(), ms);
    if (signal?.aborted) return aborted();
    signal?.addEventListener('abort', aborted, { once: true });
    setWake(() => done());
  });
}

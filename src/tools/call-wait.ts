/**
 * Following a placed call until it ends (`wait_for_call`).
 *
 * The API has no call resource: `POST /api/make-call` answers `{call_id, status}` and the call then
 * lives on as a conversation. So the conversation is found, in this order, by
 * - the conversation id given, or the one make-call returned (the sandbox adds it);
 * - a webhook event this server received naming the call id, or the agent and number after the call started;
 * - the agent's newest conversations with that number, started after the call (`GET /api/conversations/list`).
 * For the last two, `make_call` remembers what it sent (agent, number, when) per API key, for 6 h:
 * shared by every instance through Redis (`--redis-url`; `ctx.calls`, keyed by hashes of the key), else
 * in this process, per API client, in a small bounded map. A lookup's match is remembered too, so a
 * wait on another instance goes straight to the conversation. A server restarted without Redis (or
 * with Redis unreachable) has no memory of the call: then the caller passes `agent_id` and
 * `phone_number` as hints, or the conversation id.
 *
 * Then the conversation is polled (1 s, 2 s, then every 3 s, or at once when a webhook names it)
 * until it ends or the wait is over. Cancellation stops it at once; an upstream fault mid-wait is
 * reported with what is known, never thrown; a wrong id is an error naming the field. When the server
 * stops (SIGTERM, a restart: `ctx.stopping`), the wait answers at once: `ended: false`, with a hint to
 * call again in a few seconds.
 */

import { audioUri, transcriptUri } from '../resources/uris.js';
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
import { sleep } from '../voisa/retry.js';
import type { PlacedCall, PlacedCalls, ReceivedEvent, ToolContext } from './define.js';
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
/** When the server stops mid-wait: how soon to call again (a restart, or another instance). */
export const RESTART_RETRY_SECONDS = 3;

export type { PlacedCall, PlacedCalls } from './define.js';

/** Calls remembered per key in memory. */
export const MAX_REMEMBERED = 500;
/** How long a placed call is remembered (in memory and in Redis). */
export const REMEMBER_MS = 6 * 3600_000;

/**
 * One key's placed calls in this process, oldest first, at most MAX_REMEMBERED and for REMEMBER_MS.
 * Callers get copies: a change is kept only through `remember`.
 */
export class MemoryPlacedCalls implements PlacedCalls {
  readonly #calls = new Map<string, PlacedCall>();

  async remember(call: PlacedCall): Promise<void> {
    this.keep(call);
  }

  async recall(callId: string): Promise<PlacedCall | undefined> {
    return this.get(callId);
  }

  async sameLine(agentId: string, phoneNumber: string): Promise<PlacedCall[]> {
    return this.#live().flatMap((c) =>
      c.agent_id === agentId && c.phone_number === phoneNumber ? [{ ...c }] : [],
    );
  }

  /** `remember`, at once. An update keeps the call's place (its start did not change). */
  keep(call: PlacedCall): void {
    const known = this.#calls.has(call.call_id);
    this.#calls.set(call.call_id, { ...call });
    if (!known) this.#sweep();
  }

  /** `recall`, at once. */
  get(callId: string): PlacedCall | undefined {
    this.#sweep();
    const call = this.#calls.get(callId);
    return call && { ...call };
  }

  #live(): PlacedCall[] {
    this.#sweep();
    return [...this.#calls.values()];
  }

  #sweep(): void {
    const expired = Date.now() - REMEMBER_MS;
    for (const [id, call] of this.#calls) {
      if (call.started_at >= expired && this.#calls.size <= MAX_REMEMBERED) break;
      this.#calls.delete(id);
    }
  }
}

/**
 * Without a shared store (stdio, one instance): placed calls per API client, so per VOISA key. They go
 * with the client (over HTTP, a key's client unused for a few minutes).
 */
const perClient = new WeakMap<object, MemoryPlacedCalls>();

/** The placed calls of this context's key: the shared store when there is one, else this process's. */
export function placedCallsOf(ctx: Pick<ToolContext, 'api' | 'calls'>): PlacedCalls {
  if (ctx.calls) return ctx.calls;
  let calls = perClient.get(ctx.api);
  if (!calls) {
    calls = new MemoryPlacedCalls();
    perClient.set(ctx.api, calls);
  }
  return calls;
}

/** Remembers a call; a store's fault is its own to report (the call is followed without it). */
async function keep(calls: PlacedCalls, call: PlacedCall): Promise<PlacedCall> {
  await calls.remember(call).catch(() => {});
  return call;
}

function withConversation(call: PlacedCall, conversationId: string | undefined): PlacedCall {
  const { conversation_id: _, ...rest } = call;
  return conversationId ? { ...rest, conversation_id: conversationId } : rest;
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
  /** Where the ended call's transcript and recording are read (resources; URIs rather than link blocks). */
  transcript_uri?: string;
  recording_uri?: string;
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

export async function followCall(args: WaitArgs, ctx: ToolContext): Promise<WaitResult> {
  const { api, req, events, stopping } = ctx;
  const signal = req.signal;
  if (!args.call_id && !args.conversation_id) {
    throw new InputError('call_id', 'give the call_id make_call returned, or conversation_id');
  }
  const calls = placedCallsOf(ctx);
  let placed: PlacedCall | undefined;
  /** Why the shared store could not say (it reported it): then the hints or the conversation id will do. */
  let unknowable: string | undefined;
  if (args.call_id) {
    try {
      placed = await calls.recall(args.call_id);
    } catch (err) {
      unknowable =
        (err instanceof Error && err.message) || 'the placed calls shared between instances are unreachable';
    }
  }
  const agentId = args.agent_id ?? placed?.agent_id;
  const phone = args.phone_number ?? placed?.phone_number;
  let conversationId = args.conversation_id ?? placed?.conversation_id;
  let source: Source = 'given';
  if (!conversationId && (!agentId || !phone)) {
    throw new InputError(
      agentId ? 'phone_number' : 'call_id',
      unknowable
        ? `call ${args.call_id} cannot be looked up now: ${unknowable}; also give agent_id and phone_number as sent to make_call, or the conversation_id`
        : `call ${args.call_id} was not placed through this server with this API key (or the server restarted without Redis): also give agent_id and phone_number as sent to make_call, or the conversation_id`,
    );
  }
  const waitSeconds = args.wait_seconds ?? DEFAULT_WAIT_SECONDS;
  const startedWaiting = Date.now();
  const deadline = startedWaiting + waitSeconds * 1000;
  const sought: Sought = {
    others: [],
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
    // The server stopping (a restart) ends the wait at once: what is known, and when to ask again.
    const interrupted = () =>
      stillRunning(args, conversation, conversationId, fault, (Date.now() - startedWaiting) / 1000, true);
    for (let poll = 0; ; poll++) {
      if (signal?.aborted) throw new ApiAbortError();
      if (stopping?.aborted) return interrupted();
      const left = deadline - Date.now();
      const opts: RequestOptions = {
        ...req,
        signal: anySignal(signal, AbortSignal.timeout(Math.max(left, 0) + POLL_GRACE_MS), stopping),
      };
      try {
        // A summary from the list is as good as the conversation itself for this poll.
        let listed = false;
        if (!conversationId) {
          sought.others = await otherCallsTo(calls, sought);
          const found =
            (events && fromEvents(events.recent(), sought)) ?? (await fromList(ctx, sought, opts));
          if (typeof found === 'object') {
            conversation = found;
            listed = true;
          }
          conversationId = typeof found === 'object' ? found.id : found;
          source = 'lookup';
          if (conversationId && placed) placed = await keep(calls, withConversation(placed, conversationId));
        }
        if (conversationId && !listed) conversation = await api.conversations.get(conversationId, opts);
        fault = undefined;
      } catch (err) {
        if (signal?.aborted) throw new ApiAbortError();
        if (stopping?.aborted) return interrupted();
        if (!(err instanceof VoisaError)) throw err;
        if (!isWrongInput(err)) fault = err;
        // A lookup's candidate another key owns is not this call: look again. Anything the caller gave: say so.
        else if (source === 'lookup' && conversationId && err instanceof NotFoundError) {
          sought.rejected.add(conversationId);
          if (placed?.conversation_id === conversationId)
            placed = await keep(calls, withConversation(placed, undefined));
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
        return stillRunning(args, conversation, conversationId, fault, waitSeconds);
      }
      if (!woken) {
        await pause(
          Math.min(BACKOFF_MS[poll] ?? BACKOFF_MS.at(-1)!, remaining),
          signal,
          (w) => {
            wake = w;
          },
          stopping,
        );
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
  /** The key's other remembered calls to the same agent and number. */
  others: PlacedCall[];
  callId?: string;
  agentId: string;
  phone: string;
  /** When make_call sent it, if it is remembered. */
  startedAt?: number;
  /** Conversations that started before this are not the call's. */
  since: number;
  /** Conversation ids found by a lookup that turned out to be another key's. */
  rejected: Set<string>;
}

/**
 * The call's conversation among candidates (this agent and number, started since): the newest calls
 * have the newest conversations, so with N remembered calls of this key to the same agent and number
 * still unmatched (this one at rank k, by start), the N newest candidates are theirs in order. Clocks
 * may differ (VOISA's and ours), but the order of the calls does not. Conversations already matched
 * to another call are not candidates.
 */
function choose(candidates: { id: string; at: number }[], call: Sought): string | undefined {
  const others = call.others;
  const taken = new Set([
    ...call.rejected,
    ...others.flatMap((c) => (c.conversation_id ? [c.conversation_id] : [])),
  ]);
  const open = candidates
    .filter((c) => c.at >= call.since && !taken.has(c.id))
    .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  const start = call.startedAt ?? Number.POSITIVE_INFINITY;
  const unmatched = others.filter((c) => !c.conversation_id && c.started_at >= call.since);
  const rank = unmatched.filter((c) => c.started_at < start).length;
  const calls = unmatched.length + 1;
  return open.length >= calls ? open[open.length - calls + rank]?.id : open[rank]?.id;
}

/** The key's other remembered calls to this agent and number (none when the store cannot say). */
async function otherCallsTo(calls: PlacedCalls, call: Sought): Promise<PlacedCall[]> {
  const line = await calls.sameLine(call.agentId, call.phone).catch(() => []);
  return line.filter((c) => c.call_id !== call.callId);
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

/**
 * An ended call. Its transcript and recording are named by URI in the result (text and structured
 * content), not as `resource_link` blocks: several frameworks turn those into URL file parts that
 * their model APIs refuse (see docs/clients/other-clients.md, "What each tool returns").
 */
function outcome(c: Conversation): WaitResult {
  const transcript = transcriptUri(c.id);
  return {
    conversation_id: c.id,
    ended: true,
    status: c.status ?? 'ended',
    success: c.status === 'success',
    ...(c.duration !== undefined ? { duration: c.duration } : {}),
    ...(c.sentiment ? { sentiment: c.sentiment } : {}),
    ...(c.summary ? { summary: c.summary } : {}),
    transcript_uri: transcript,
    recording_uri: audioUri(c.id),
    next: `The call is over: read its transcript (${transcript}, or get_conversation).`,
  };
}

function stillRunning(
  args: WaitArgs,
  c: Conversation | undefined,
  conversationId: string | undefined,
  fault: unknown,
  waited: number,
  restarting = false,
): WaitResult {
  const retry = restarting
    ? RESTART_RETRY_SECONDS
    : fault instanceof RateLimitError && fault.retryAfterMs !== undefined
      ? Math.max(1, Math.ceil(fault.retryAfterMs / 1000))
      : fault
        ? 5
        : 1;
  const again =
    conversationId && !args.conversation_id
      ? `call wait_for_call again with conversation_id ${conversationId}`
      : restarting && !args.conversation_id && !(args.agent_id && args.phone_number)
        ? 'call wait_for_call again with the same arguments (if the call id is no longer known, add agent_id and phone_number as sent to make_call)'
        : 'call wait_for_call again with the same arguments';
  const what = restarting
    ? `the server is restarting, so this wait stopped after ${Math.round(waited)} s (the call itself goes on)`
    : fault
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

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  const given = signals.filter((s): s is AbortSignal => s !== undefined);
  return given.length === 1 ? given[0]! : AbortSignal.any(given);
}

/**
 * Sleeps `ms`; ends early when woken (a webhook about the call) or when the server stops; rejects at
 * once when `signal` aborts.
 */
async function pause(
  ms: number,
  signal: AbortSignal | undefined,
  setWake: (wake: (() => void) | undefined) => void,
  stopping?: AbortSignal,
): Promise<void> {
  const woken = new AbortController();
  setWake(() => woken.abort());
  try {
    await sleep(ms, anySignal(signal, woken.signal, stopping));
  } catch (err) {
    // Woken, or the server stopping, is not an error; the caller's abort is.
    if (signal?.aborted || !(woken.signal.aborted || stopping?.aborted)) throw err;
  } finally {
    setWake(undefined);
  }
}

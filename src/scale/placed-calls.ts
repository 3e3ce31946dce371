/**
 * `wait_for_call`'s memory of placed calls, shared by every instance: `make_call` on instance A, then
 * `wait_for_call` with only the call id on instance B (round-robin) finds the agent, the number and
 * the start, and the conversation once any instance has matched it.
 *
 * Per VOISA key, all named by keyed hashes (the server secret) of the key, never the key, the call id
 * or the number:
 * - `call:<hash(key, call id)>`: the call as JSON sealed with a key derived from the server secret
 *   (the number is personal data), `SET … EX` until 6 h after it was placed;
 * - `call-line:<hash(key, agent, number)>`: a sorted set of that key's calls to one agent and number
 *   (member: the call's hash, score: its start), so calls to one line can be told apart.
 *
 * Each instance also keeps what it placed in its own memory: while Redis is away, `make_call` still
 * works and a wait on the same instance still finds its call; a wait elsewhere is told to pass the
 * hints (the store's `recall` rejects, and the link reports the outage once). The same when Redis is
 * up but refuses writes (a read-only replica, `min-replicas-to-write`, a failed save): a call not
 * found is then checked against a probe write, and the wait is told the record could not be shared
 * rather than that the call was never placed here.
 */
import { createHmac } from 'node:crypto';
import { type Box, createBox } from '../security/box.js';
import { deriveKey } from '../security/secret.js';
import { MAX_REMEMBERED, MemoryPlacedCalls, REMEMBER_MS } from '../tools/call-wait.js';
import type { PlacedCall, PlacedCalls } from '../tools/define.js';
import type { RedisLink } from './redis.js';

/** Keys whose placed calls this instance also keeps locally (least recently used dropped past it). */
const LOCAL_KEYS = 1000;

/**
 * KEYS: the call's record, its line. ARGV: sealed call, its TTL (s), start (ms), the call's hash, the
 * oldest start kept (ms), calls kept per line, the line's TTL (s).
 */
const REMEMBER = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[6]) + 1))
redis.call('EXPIRE', KEYS[2], ARGV[7])
return 1`;

const UNREACHABLE = 'the placed calls shared between instances (Redis) are unreachable';

/** `recall` could not say: its message tells the caller why (nothing secret). */
export class PlacedCallsUnavailableError extends Error {
  override readonly name = 'PlacedCallsUnavailableError';
}

/** The store factory for the HTTP layer: one key's placed calls in Redis. */
export function redisPlacedCalls(link: RedisLink, secret: Buffer): (apiKey: string) => PlacedCalls {
  const hash = (text: string) => createHmac('sha256', secret).update(text).digest('base64url').slice(0, 32);
  const box = createBox(deriveKey(secret, 'placed-calls'), 'voisa-mcp placed-calls v1', 2048);
  const locals = new Map<string, MemoryPlacedCalls>();
  const localFor = (owner: string): MemoryPlacedCalls => {
    let calls = locals.get(owner);
    if (calls)
      locals.delete(owner); // re-inserted below: most recently used last
    else {
      calls = new MemoryPlacedCalls();
      if (locals.size >= LOCAL_KEYS) locals.delete(locals.keys().next().value as string);
    }
    locals.set(owner, calls);
    return calls;
  };
  return (apiKey) => {
    const owner = hash(`placed-calls\n${apiKey}`);
    return new RedisPlacedCalls(link, box, {
      id: (callId) => hash(`${owner}\n${callId}`),
      line: (agentId, phone) => `${link.prefix}call-line:${hash(`${owner}\n${agentId}\n${phone}`)}`,
      local: () => localFor(owner),
    });
  };
}

interface Names {
  /** The hash naming one call of this key. */
  id(callId: string): string;
  /** The Redis key of this key's calls to one agent and number. */
  line(agentId: string, phoneNumber: string): string;
  /** This instance's own copy of the key's calls. */
  local(): MemoryPlacedCalls;
}

class RedisPlacedCalls implements PlacedCalls {
  constructor(
    private readonly link: RedisLink,
    private readonly box: Box,
    private readonly names: Names,
  ) {}

  #record(id: string): string {
    return `${this.link.prefix}call:${id}`;
  }

  /** What a stored value says, or null when it is absent or was not sealed with this secret. */
  #open(raw: string | null): string | null {
    const opened = this.box.open(raw);
    return opened.ok ? opened.plain : null;
  }

  async remember(call: PlacedCall): Promise<void> {
    const kept = only(call);
    this.names.local().keep(kept);
    const now = Date.now();
    const ttl = Math.ceil((kept.started_at + REMEMBER_MS - now) / 1000);
    if (ttl <= 0) return;
    const id = this.names.id(kept.call_id);
    const line = this.names.line(kept.agent_id, kept.phone_number);
    try {
      // One script, so one promise: an ioredis MULTI cut by a lost connection can leave a rejection unhandled.
      await this.link.command.eval(
        REMEMBER,
        2,
        this.#record(id),
        line,
        this.box.seal(JSON.stringify(kept)),
        ttl,
        kept.started_at,
        id,
        now - REMEMBER_MS,
        MAX_REMEMBERED,
        Math.ceil(REMEMBER_MS / 1000),
      );
    } catch (err) {
      this.link.failed('placed calls', err);
    }
  }

  async recall(callId: string): Promise<PlacedCall | undefined> {
    const local = this.names.local().get(callId);
    let raw: string | null;
    try {
      raw = await this.link.command.get(this.#record(this.names.id(callId)));
    } catch (err) {
      this.link.failed('placed calls', err);
      if (local) return local;
      throw new PlacedCallsUnavailableError(UNREACHABLE);
    }
    // Redis knows best (another instance may have matched the conversation); this instance's copy
    // covers a call placed while Redis was away.
    const call = parseCall(this.#open(raw), callId) ?? local;
    if (call) return call;
    // Unknown here: if Redis refuses writes, the instance that placed it could not share it either.
    const refusal = await this.#refusesWrites();
    if (refusal === undefined) return undefined;
    throw new PlacedCallsUnavailableError(
      refusal === 'unreachable'
        ? UNREACHABLE
        : `its record could not be shared between instances (Redis refuses writes: ${refusal})`,
    );
  }

  /** Undefined when Redis takes a write; else its refusal's code (NOREPLICAS, READONLY, MISCONF…). */
  async #refusesWrites(): Promise<string | undefined> {
    try {
      await this.link.command.set(`${this.link.prefix}probe:write`, '', 'PX', 1000);
      return undefined;
    } catch (err) {
      this.link.failed('placed calls', err);
      return /^[A-Z]{3,}\b/.exec((err as Error)?.message ?? '')?.[0] ?? 'unreachable';
    }
  }

  async sameLine(agentId: string, phoneNumber: string): Promise<PlacedCall[]> {
    const local = await this.names.local().sameLine(agentId, phoneNumber);
    try {
      const ids = await this.link.command.zrangebyscore(
        this.names.line(agentId, phoneNumber),
        Date.now() - REMEMBER_MS,
        '+inf',
      );
      const raws = ids.length ? await this.link.command.mget(...ids.map((id) => this.#record(id))) : [];
      const shared = raws.flatMap((raw) => {
        const call = parseCall(this.#open(raw));
        return call && call.agent_id === agentId && call.phone_number === phoneNumber ? [call] : [];
      });
      const known = new Set(shared.map((c) => c.call_id));
      return [...shared, ...local.filter((c) => !known.has(c.call_id))];
    } catch (err) {
      this.link.failed('placed calls', err);
      return local;
    }
  }
}

/** The call's own fields, nothing else (what is stored is what `wait_for_call` needs). */
function only(c: PlacedCall): PlacedCall {
  return {
    call_id: c.call_id,
    agent_id: c.agent_id,
    phone_number: c.phone_number,
    started_at: c.started_at,
    ...(c.conversation_id ? { conversation_id: c.conversation_id } : {}),
  };
}

/** A stored call, or undefined for anything else (absent, not JSON, not a call, another call's id). */
function parseCall(raw: string | null, callId?: string): PlacedCall | undefined {
  if (!raw) return undefined;
  let v: Partial<Record<keyof PlacedCall, unknown>> | null;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (
    !v ||
    typeof v !== 'object' ||
    typeof v.call_id !== 'string' ||
    (callId !== undefined && v.call_id !== callId) ||
    typeof v.agent_id !== 'string' ||
    typeof v.phone_number !== 'string' ||
    typeof v.started_at !== 'number' ||
    (v.conversation_id !== undefined && typeof v.conversation_id !== 'string')
  )
    return undefined;
  return only(v as PlacedCall);
}

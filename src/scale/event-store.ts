/**
 * Resumable streams for 2025-era sessions: every SSE message of a session is stored with an event id,
 * and a client that reconnects with `Last-Event-ID` gets what it missed. In memory by default; in
 * Redis (one Redis Stream per session stream) when instances share state, so a session can resume on
 * whichever instance holds it after a restart of the balancer's choice.
 *
 * Each session gets its own view (`forSession`): stream ids are per transport (the standalone GET
 * stream has the same id in every session), so the view prefixes them with the session id, and an
 * event id from another session never replays anything.
 *
 * What is kept is bounded whether or not the client reads: per stream by count (EVENTS_PER_STREAM) and
 * bytes (STREAM_BYTES), and in memory in total (MAX_MEMORY_EVENTS, MAX_MEMORY_BYTES). A resume from an
 * id whose stream is no longer kept replays nothing (`''`): the SDK's transport then ends that GET at
 * once, and SDK clients reconnect without `Last-Event-ID`, starting afresh. A resume into a stream
 * that dropped some messages replays what it still holds after the id.
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';
import type { RedisLink } from './redis.js';

export interface SessionEventStores {
  forSession(sessionId: string): EventStore;
  /** Drops what a finished session kept. */
  forget(sessionId: string): void;
}

/** Events kept per stream; a client away for longer than this many messages starts afresh. */
export const EVENTS_PER_STREAM = 200;

/**
 * Bytes (JSON length) of the messages kept per stream; past it the oldest go first. A single message
 * larger than this (a tool result carrying an audio blob or a long transcript) is sent but not kept:
 * a client that reconnects after missing it gets what is kept around it, without it.
 */
export const STREAM_BYTES = 4 * 1024 * 1024;

const encode = (streamId: StreamId, seq: string) => `${Buffer.from(streamId).toString('base64url')}.${seq}`;
function decode(eventId: EventId): { streamId: StreamId; seq: string } | undefined {
  const dot = eventId.lastIndexOf('.');
  if (dot <= 0 || eventId.length > 512) return undefined;
  return {
    streamId: Buffer.from(eventId.slice(0, dot), 'base64url').toString(),
    seq: eventId.slice(dot + 1),
  };
}

/** Events kept in memory across all sessions; past it, the stream written least recently goes first. */
export const MAX_MEMORY_EVENTS = 50_000;
/** Bytes kept in memory across all sessions, dropped the same way. */
export const MAX_MEMORY_BYTES = 128 * 1024 * 1024;

export interface EventStoreLimits {
  /** Events kept per stream (EVENTS_PER_STREAM). */
  perStream?: number;
  /** Bytes kept per stream (STREAM_BYTES). */
  streamBytes?: number;
}

interface MemoryStream {
  next: number;
  /** `message` is absent for one too large to keep: it holds its place (and its id) in the stream. */
  events: { seq: number; message?: JSONRPCMessage; bytes: number }[];
  bytes: number;
}

export class MemoryEventStores implements SessionEventStores {
  /** By `<session id>\n<stream id>`, least recently written first. */
  readonly #streams = new Map<string, MemoryStream>();
  readonly #bySession = new Map<string, Set<string>>();
  readonly #perStream: number;
  readonly #streamBytes: number;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  #total = 0;
  #bytes = 0;

  constructor(limits: EventStoreLimits & { maxEvents?: number; maxBytes?: number } = {}) {
    this.#perStream = limits.perStream ?? EVENTS_PER_STREAM;
    this.#streamBytes = limits.streamBytes ?? STREAM_BYTES;
    this.#maxEvents = limits.maxEvents ?? MAX_MEMORY_EVENTS;
    this.#maxBytes = limits.maxBytes ?? MAX_MEMORY_BYTES;
  }

  /** Events held now, all sessions together. */
  get size(): number {
    return this.#total;
  }

  /** Bytes (JSON length) of the events held now, all sessions together. */
  get bytes(): number {
    return this.#bytes;
  }

  forSession(sessionId: string): EventStore {
    const keyOf = (streamId: StreamId) => `${sessionId}\n${streamId}`;
    return {
      storeEvent: async (streamId, message) => {
        const key = keyOf(streamId);
        const stream = this.#streams.get(key) ?? { next: 1, events: [], bytes: 0 };
        this.#streams.delete(key); // re-inserted last: most recently written
        this.#streams.set(key, stream);
        const keys = this.#bySession.get(sessionId) ?? new Set<string>();
        this.#bySession.set(sessionId, keys.add(key));
        const seq = stream.next++;
        const size = JSON.stringify(message).length;
        const kept = size <= this.#streamBytes;
        const bytes = kept ? size : 0;
        stream.events.push(kept ? { seq, message, bytes } : { seq, bytes });
        stream.bytes += bytes;
        this.#total++;
        this.#bytes += bytes;
        while (stream.events.length > this.#perStream || stream.bytes > this.#streamBytes) {
          const dropped = stream.events.shift()!;
          stream.bytes -= dropped.bytes;
          this.#total--;
          this.#bytes -= dropped.bytes;
        }
        this.#evict(key);
        return encode(streamId, String(seq));
      },
      getStreamIdForEventId: async (eventId) => decode(eventId)?.streamId,
      replayEventsAfter: async (lastEventId, { send }) => {
        const at = decode(lastEventId);
        const stream = at && this.#streams.get(keyOf(at.streamId));
        if (!at || !stream) return '';
        const after = Number(at.seq);
        for (const e of stream.events)
          if (e.seq > after && e.message) await send(encode(at.streamId, String(e.seq)), e.message);
        return at.streamId;
      },
    };
  }

  forget(sessionId: string): void {
    for (const key of this.#bySession.get(sessionId) ?? []) this.#drop(key);
    this.#bySession.delete(sessionId);
  }

  /** Drops the least recently written streams until the totals fit (never the one just written). */
  #evict(keep: string): void {
    for (const key of this.#streams.keys()) {
      if ((this.#total <= this.#maxEvents && this.#bytes <= this.#maxBytes) || key === keep) break;
      this.#drop(key);
      const session = key.slice(0, key.indexOf('\n'));
      const keys = this.#bySession.get(session);
      keys?.delete(key);
      if (keys?.size === 0) this.#bySession.delete(session);
    }
  }

  #drop(key: string): void {
    const stream = this.#streams.get(key);
    if (!stream) return;
    this.#total -= stream.events.length;
    this.#bytes -= stream.bytes;
    this.#streams.delete(key);
  }
}

/** How long a session's streams are kept in Redis after their last message. */
const STREAM_TTL_MS = 60 * 60_000;

/**
 * Adds one message to a session stream and trims the stream to its bounds, on Redis's own time. Every
 * entry carries its size (`n`) and the stream has a byte counter beside it (`<stream>:bytes`), so the
 * byte bound costs no scan: while the stream holds more than ARGV[3] entries or ARGV[4] bytes, its
 * oldest entry goes (XRANGE COUNT 1, XDEL) and its size comes off the counter. An entry without `m`
 * stands for a message too large to keep: it has an id in the stream's order, and replay skips it.
 * KEYS: stream, byte counter. ARGV: message ('' for none), its size, max entries, max bytes, TTL ms.
 */
const STORE = `
local id
if ARGV[1] == '' then
  id = redis.call('XADD', KEYS[1], '*', 'n', '0')
else
  id = redis.call('XADD', KEYS[1], '*', 'm', ARGV[1], 'n', ARGV[2])
end
local bytes = redis.call('INCRBY', KEYS[2], ARGV[2])
local len = redis.call('XLEN', KEYS[1])
local maxLen, maxBytes = tonumber(ARGV[3]), tonumber(ARGV[4])
while len > 1 and (len > maxLen or bytes > maxBytes) do
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  local fields, n = oldest[2], 0
  for i = 1, #fields, 2 do
    if fields[i] == 'n' then n = tonumber(fields[i + 1]) or 0 end
  end
  redis.call('XDEL', KEYS[1], oldest[1])
  bytes = redis.call('DECRBY', KEYS[2], n)
  len = len - 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return id
`;

export class RedisEventStores implements SessionEventStores {
  readonly #perStream: number;
  readonly #streamBytes: number;

  constructor(
    private readonly link: RedisLink,
    limits: EventStoreLimits = {},
  ) {
    this.#perStream = limits.perStream ?? EVENTS_PER_STREAM;
    this.#streamBytes = limits.streamBytes ?? STREAM_BYTES;
  }

  #key(sessionId: string, streamId: StreamId): string {
    return `${this.link.prefix}events:${sessionId}:${Buffer.from(streamId).toString('base64url')}`;
  }

  forSession(sessionId: string): EventStore {
    const { link } = this;
    return {
      storeEvent: async (streamId, message) => {
        const key = this.#key(sessionId, streamId);
        const raw = JSON.stringify(message);
        const kept = raw.length <= this.#streamBytes;
        try {
          const id = (await link.command.eval(
            STORE,
            2,
            key,
            `${key}:bytes`,
            kept ? raw : '',
            kept ? raw.length : 0,
            this.#perStream,
            this.#streamBytes,
            STREAM_TTL_MS,
          )) as string | null;
          return encode(streamId, id ?? '0-0');
        } catch (err) {
          // Not resumable for this one message; the stream itself goes on. The id is "now" on the
          // Redis Stream id scale, so a resume from it replays what came after, not the whole stream.
          link.failed('event store', err);
          return encode(streamId, `${Date.now()}-0`);
        }
      },
      getStreamIdForEventId: async (eventId) => decode(eventId)?.streamId,
      replayEventsAfter: async (lastEventId, { send }) => {
        const at = decode(lastEventId);
        if (!at || !/^\d+-\d+$/.test(at.seq)) return '';
        let entries: [string, string[]][];
        try {
          entries = await link.command.xrange(this.#key(sessionId, at.streamId), `(${at.seq}`, '+');
        } catch (err) {
          link.failed('event store', err);
          return at.streamId;
        }
        for (const [id, fields] of entries) {
          const m = fields.findIndex((f, i) => i % 2 === 0 && f === 'm');
          if (m >= 0) await send(encode(at.streamId, id), JSON.parse(fields[m + 1]!) as JSONRPCMessage);
        }
        return at.streamId;
      },
    };
  }

  /** Redis forgets on its own: each stream expires an hour after its last message. */
  forget(): void {}
}

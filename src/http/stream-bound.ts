/**
 * Bounded server-to-client streams. Every `text/event-stream` answer (the old transport's `/sse`
 * stream, a 2025-era session's GET stream and SSE answers to its POSTs, 2026-07-28
 * `subscriptions/listen` streams and SSE answers) goes out through `StreamBuffers.bound`.
 *
 * Why: the producers (our legacy transport, the SDK's transports, its listen router) enqueue on a
 * Web ReadableStream without looking at its backpressure, and the Node adapter stops reading that
 * stream while the socket is full, so for a client that stops reading every message piles up in the
 * stream's queue, for ever. `bound` reads the producer's stream at once into its own queue, counted
 * in bytes, and hands chunks to the adapter only as it asks (a pull stream with no queue of its own).
 * The bytes in that queue are the bytes waiting behind what Node is writing to the socket; past the
 * bound the stream is cancelled (the producer lets go: the legacy session ends, a listen
 * subscription stops), the socket is dropped and `onOverflow` runs (which ends a 2025-era session).
 * A single message larger than the bound still goes to a client that reads (a lone queued message
 * never overflows).
 */
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';

/** Default bound on the bytes queued for one stream whose client is not reading: 2 MiB. */
export const DEFAULT_STREAM_BUFFER_BYTES = 2 * 1024 * 1024;

interface Meter {
  bytes: number;
}

export class StreamBuffers {
  readonly #live = new Set<Meter>();
  #peak = 0;
  #overflows = 0;
  #lastOverflow = 0;

  constructor(readonly limit = DEFAULT_STREAM_BUFFER_BYTES) {
    if (!(limit > 0)) throw new Error('the stream buffer bound must be positive');
  }

  /** Streams being served now. */
  get open(): number {
    return this.#live.size;
  }

  /** Bytes queued now, all streams together (not counting what Node's socket buffers hold). */
  queuedBytes(): number {
    let n = 0;
    for (const m of this.#live) n += m.bytes;
    return n;
  }

  /** The most bytes one stream ever held queued (at most the bound plus one message). */
  get peakBytes(): number {
    return this.#peak;
  }

  /** Bytes the last stream closed for its unread client held when it was closed. */
  get lastOverflowBytes(): number {
    return this.#lastOverflow;
  }

  /** Streams closed because their client stopped reading. */
  get overflows(): number {
    return this.#overflows;
  }

  /**
   * A stream that serves `source`'s chunks and holds at most `limit` bytes for a client that does
   * not read them. Past it: `source` is cancelled, `outgoing` destroyed, `onOverflow` called once.
   */
  bound(
    source: ReadableStream<Uint8Array>,
    outgoing: ServerResponse | Http2ServerResponse | undefined,
    onOverflow: (queuedBytes: number) => void,
  ): ReadableStream<Uint8Array> {
    const reader = source.getReader();
    const meter: Meter = { bytes: 0 };
    const queue: Uint8Array[] = [];
    let finished: { error?: unknown } | undefined;
    let waiting: (() => void) | undefined;
    let overflowed = false;
    this.#live.add(meter);
    const wake = () => {
      const w = waiting;
      waiting = undefined;
      w?.();
    };
    const stop = (outcome: { error?: unknown }) => {
      if (finished) return;
      finished = outcome;
      wake();
    };
    /** Nothing more will be served: the queue is dropped and the stream leaves the gauge. */
    const drop = () => {
      queue.length = 0;
      meter.bytes = 0;
      this.#live.delete(meter);
    };
    const overflow = () => {
      overflowed = true;
      this.#overflows++;
      const queued = meter.bytes;
      this.#lastOverflow = queued;
      drop();
      const reason = new Error('the client stopped reading this stream');
      stop({ error: reason });
      // First, so a session ends with this reason rather than as a plain "stream closed".
      onOverflow(queued);
      reader.cancel(reason).catch(() => {});
      outgoing?.destroy();
    };
    const pump = async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (finished) return;
          if (done) return stop({});
          if (!value || value.byteLength === 0) continue;
          queue.push(value);
          meter.bytes += value.byteLength;
          this.#peak = Math.max(this.#peak, meter.bytes);
          if (meter.bytes > this.limit && queue.length > 1) return overflow();
          wake();
        }
      } catch (error) {
        stop({ error });
      }
    };
    void pump();

    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (queue.length === 0 && !finished) await new Promise<void>((r) => (waiting = r));
          const chunk = queue.shift();
          if (chunk) {
            meter.bytes -= chunk.byteLength;
            controller.enqueue(chunk);
          } else {
            drop();
            if (finished?.error !== undefined) controller.error(finished.error);
            else controller.close();
          }
        },
        cancel: (reason) => {
          drop();
          stop({});
          if (!overflowed) return reader.cancel(reason).catch(() => {});
        },
      },
      { highWaterMark: 0 },
    );
  }
}

/** Whether an answer is an event stream (the only answers that stay open and grow). */
export function isEventStream(response: Response): boolean {
  const type = response.headers.get('content-type') ?? '';
  // The header first: reading `body` of a plain JSON answer makes @hono/node-server build a web stream
  // for it instead of writing the string at once (a few per cent of a list_agents call, bench:http).
  return type.split(';')[0]!.trim().toLowerCase() === 'text/event-stream' && response.body !== null;
}

/** "2 MiB", "2.1 MiB", "512 KiB" for log lines and messages. */
export function formatBytes(bytes: number): string {
  const [unit, size]: [string, number] =
    bytes >= 1024 * 1024 ? ['MiB', 1024 * 1024] : bytes >= 1024 ? ['KiB', 1024] : ['bytes', 1];
  const n = bytes / size;
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}`;
}

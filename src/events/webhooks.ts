/**
 * The VOISA webhook receiver behind `POST /webhooks/voisa` and `POST /webhooks/voisa/t/<tenant>`:
 * checks the signature (`x-voisa-signature: sha256=<hex HMAC-SHA256(raw body, secret)>`,
 * constant-time) with the secret of the URL it came to, the event's shape and age, rejects an event id
 * it has already accepted from that sender, then publishes the event on the hub as the sender's
 * (its owner: the principal whose URL and secret these are, see tenants.ts). Pure of HTTP: takes the
 * raw body and headers.
 *
 * With several instances (Redis), an id is also claimed in a shared ledger (`SET NX` with the same
 * expiry), so a delivery accepted by one instance is refused by all the others. Ids are remembered per
 * owner: one tenant cannot spend another's event id before it arrives.
 *
 * Replays are refused by time, not by count: an event is accepted only while its
 * `timestamp` is inside the window (up to 10 min old, at most 60 s ahead), and its
 * id is remembered for exactly as long, so every replay the timestamp check would
 * let through is caught by id. Memory is the window's worth of events, with a
 * hard cap that refuses (503) rather than forgets.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EventHub, VoisaEvent } from './hub.js';

/** Remembers accepted event ids across instances (Redis `SET NX`), so a replay to another instance is refused too. */
export interface DeliveryLedger {
  /** `seen` when any instance accepted this id within `ttlMs`; `unavailable` when the ledger cannot be asked. */
  firstSeen(id: string, ttlMs: number): Promise<'new' | 'seen' | 'unavailable'>;
}

/** Who a delivery comes from: the owner of the URL it was posted to, and the secret that URL expects. */
export interface WebhookSender {
  /** The principal's opaque id (never a key): the owner of what it sends. */
  owner: string;
  secret: string;
}

export interface WebhookReceiverOptions {
  /** Where an accepted event goes, with its owner (the hub, or the fan-out to every instance's hub). */
  hub: Pick<EventHub, 'publish'>;
  /** Shared replay check; this instance's own memory is always checked first. */
  ledger?: DeliveryLedger;
  /** Events dated longer ago than this are refused; an accepted id is remembered until its event is that old. Default 10 min. */
  replayWindowMs?: number;
  /** Events dated further ahead than this (clock skew) are refused. Default 60 s. */
  futureSkewMs?: number;
  /**
   * Hard cap on remembered ids, default 100,000 (a sustained 160 events/s over the
   * window). Reaching it refuses new events with 503 + Retry-After rather than
   * forgetting ids still inside the window, which would let their replays in.
   */
  maxRemembered?: number;
  now?: () => number;
}

export interface WebhookOutcome {
  status: number;
  body: { ok: boolean; error?: string; id?: string };
  headers?: Record<string, string>;
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
/** Event ids are short (`evt_…`); a bound keeps each remembered one small. */
const MAX_ID_LENGTH = 256;

export class WebhookReceiver {
  /** `<owner>\n<event id>` of accepted events -> when its event leaves the window (from then on its timestamp alone refuses it). */
  readonly #seen = new Map<string, number>();
  readonly #windowMs: number;
  readonly #skewMs: number;
  readonly #max: number;
  readonly #now: () => number;
  #nextPrune = 0;

  constructor(private readonly opts: WebhookReceiverOptions) {
    this.#windowMs = opts.replayWindowMs ?? 10 * 60_000;
    this.#skewMs = opts.futureSkewMs ?? 60_000;
    this.#max = opts.maxRemembered ?? 100_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Ids remembered now (all of them still inside the window). */
  get remembered(): number {
    return this.#seen.size;
  }

  async receive(
    raw: Uint8Array,
    header: (name: string) => string | undefined,
    from: WebhookSender,
  ): Promise<WebhookOutcome> {
    if (!signatureOk(raw, header('x-voisa-signature'), from.secret)) {
      return { status: 401, body: { ok: false, error: 'missing or invalid x-voisa-signature' } };
    }
    const event = parseEvent(raw);
    if (!event)
      return {
        status: 400,
        body: { ok: false, error: 'body is not a VOISA event {id, event, timestamp, data}' },
      };
    const headerId = header('x-voisa-event-id');
    if (headerId !== undefined && headerId !== event.id) {
      return { status: 400, body: { ok: false, error: 'x-voisa-event-id does not match the body' } };
    }
    const now = this.#now();
    const at = Date.parse(event.timestamp);
    if (!Number.isFinite(at) || now - at > this.#windowMs || at - now > this.#skewMs) {
      return {
        status: 400,
        body: { ok: false, error: 'event timestamp outside the accepted window', id: event.id },
      };
    }
    this.#prune(now);
    const delivery = `${from.owner}\n${event.id}`;
    if (this.#seen.has(delivery))
      return { status: 409, body: { ok: false, error: 'replayed event', id: event.id } };
    if (this.#seen.size >= this.#max) {
      return {
        status: 503,
        body: { ok: false, error: 'too many recent events to check for replays; retry later', id: event.id },
        headers: { 'retry-after': String(this.#secondsUntilRoom(now)) },
      };
    }
    this.#seen.set(delivery, at + this.#windowMs);
    // Another instance may have taken it already; if the ledger cannot say, this instance's memory decides.
    if (
      (await this.opts.ledger?.firstSeen(`${from.owner}:${event.id}`, at + this.#windowMs - now)) === 'seen'
    )
      return { status: 409, body: { ok: false, error: 'replayed event', id: event.id } };
    this.opts.hub.publish({ ...event, received_at: new Date(now).toISOString() }, from.owner);
    return { status: 200, body: { ok: true, id: event.id } };
  }

  /**
   * Forgets ids whose events have left the window: from then on their timestamp
   * alone refuses a replay. Ids expire out of insertion order (timestamps vary),
   * so this is a full pass: at most once a second, or when the cap is reached.
   */
  #prune(now: number): void {
    if (now < this.#nextPrune && this.#seen.size < this.#max) return;
    this.#nextPrune = now + 1000;
    for (const [id, until] of this.#seen) if (until < now) this.#seen.delete(id);
  }

  /** Seconds until the first remembered id leaves the window. */
  #secondsUntilRoom(now: number): number {
    let first = Number.POSITIVE_INFINITY;
    for (const until of this.#seen.values()) first = Math.min(first, until);
    return Math.max(1, Math.ceil((first - now) / 1000));
  }
}

function signatureOk(raw: Uint8Array, given: string | undefined, secret: string): boolean {
  const hex = given ? SIGNATURE.exec(given.trim())?.[1] : undefined;
  if (!hex) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}

function parseEvent(raw: Uint8Array): Omit<VoisaEvent, 'received_at'> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const { id, event, timestamp, data } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !id || id.length > MAX_ID_LENGTH) return undefined;
  if (typeof event !== 'string' || typeof timestamp !== 'string') return undefined;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return { id, event, timestamp, data: data as Record<string, unknown> };
}

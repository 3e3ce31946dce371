/**
 * The VOISA webhook receiver behind `POST /webhooks/voisa`: checks the signature
 * (`x-voisa-signature: sha256=<hex HMAC-SHA256(raw body, secret)>`, constant-time),
 * the event's shape and age, rejects an event id it has already accepted, then
 * publishes the event on the hub. Pure of HTTP: takes the raw body and headers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EventHub, VoisaEvent } from '../events/hub.js';

export interface WebhookReceiverOptions {
  secret: string;
  hub: EventHub;
  /** Events older (or further in the future) than this are refused; ids are remembered this long. Default 10 min. */
  replayWindowMs?: number;
  /** Bound on remembered ids, default 10000. */
  maxRemembered?: number;
  now?: () => number;
}

export interface WebhookOutcome {
  status: number;
  body: { ok: boolean; error?: string; id?: string };
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

export class WebhookReceiver {
  readonly #secret: Buffer;
  readonly #seen = new Map<string, number>();
  readonly #windowMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(private readonly opts: WebhookReceiverOptions) {
    this.#secret = Buffer.from(opts.secret, 'utf8');
    this.#windowMs = opts.replayWindowMs ?? 10 * 60_000;
    this.#max = opts.maxRemembered ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  receive(raw: Uint8Array, header: (name: string) => string | undefined): WebhookOutcome {
    if (!this.#signatureOk(raw, header('x-voisa-signature'))) {
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
    if (!Number.isFinite(at) || Math.abs(now - at) > this.#windowMs) {
      return {
        status: 400,
        body: { ok: false, error: 'event timestamp outside the accepted window', id: event.id },
      };
    }
    this.#forgetOld(now);
    if (this.#seen.has(event.id))
      return { status: 409, body: { ok: false, error: 'replayed event', id: event.id } };
    this.#seen.set(event.id, now + this.#windowMs);
    this.opts.hub.publish({ ...event, received_at: new Date(now).toISOString() });
    return { status: 200, body: { ok: true, id: event.id } };
  }

  #signatureOk(raw: Uint8Array, given: string | undefined): boolean {
    const hex = given ? SIGNATURE.exec(given.trim())?.[1] : undefined;
    if (!hex) return false;
    const expected = createHmac('sha256', this.#secret).update(raw).digest();
    return timingSafeEqual(expected, Buffer.from(hex, 'hex'));
  }

  #forgetOld(now: number): void {
    for (const [id, until] of this.#seen) {
      if (until > now && this.#seen.size < this.#max) break; // insertion order: oldest first
      this.#seen.delete(id);
    }
  }
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
  if (typeof id !== 'string' || !id || typeof event !== 'string' || typeof timestamp !== 'string')
    return undefined;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return { id, event, timestamp, data: data as Record<string, unknown> };
}

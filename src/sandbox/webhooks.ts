/**
 * Webhook delivery: `POST url` with JSON `{id, event, timestamp, data}`, headers
 * `x-voisa-signature: sha256=<hex HMAC-SHA256(raw body, secret)>` (when a secret is set),
 * `x-voisa-event-id`, `x-voisa-event`. Asynchronous, three attempts (0, 200 ms, 1 s),
 * 5 s timeout each. Failures are swallowed: they never reach the API caller.
 *
 * Each account configures its own webhooks (URL, secret, events): an account's event goes only
 * to that account's webhooks, signed with that account's secret.
 *
 * The sandbox delivers only to loopback URLs (localhost, 127.0.0.0/8, [::1])
 * unless started with `externalWebhooks: true`: an emulator running in a test
 * suite must never send traffic off the machine.
 */
import { createHmac } from 'node:crypto';
import { nowIso } from './http.js';
import { newId } from './ids.js';
import type { Store } from './store.js';
import type { WebhookRecord } from './types.js';

const RETRY_DELAYS_MS = [200, 1000];
const ATTEMPT_TIMEOUT_MS = 5000;

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookDispatcher {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controller = new AbortController();
  private closed = false;

  constructor(private readonly external = false) {}

  /** Sends `event`, which happened in `account`, to that account's webhooks subscribed to it. Never throws. */
  emit(account: Store, event: string, data: Record<string, unknown>): void {
    if (this.closed) return;
    for (const hook of account.webhooks.values()) {
      if (!hook.events.includes(event)) continue;
      if (!this.external && !isLoopbackUrl(hook.url)) continue;
      const payload = { id: newId('evt', 16), event, timestamp: nowIso(), data };
      this.deliver(hook, payload, 0);
    }
  }

  private deliver(hook: WebhookRecord, payload: { id: string; event: string }, attempt: number): void {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'voisa-sandbox-webhooks/1',
      'x-voisa-event-id': payload.id,
      'x-voisa-event': payload.event,
    };
    if (hook.secret) headers['x-voisa-signature'] = sign(body, hook.secret);
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]);
    fetch(hook.url, { method: 'POST', headers, body, signal })
      .then(async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) throw new Error(`status ${res.status}`);
      })
      .catch(() => {
        const delay = RETRY_DELAYS_MS[attempt];
        if (this.closed || delay === undefined) return;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.deliver(hook, payload, attempt + 1);
        }, delay);
        timer.unref();
        this.timers.add(timer);
      });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.controller.abort();
  }
}

/** True for http(s) URLs whose host is localhost, 127.0.0.0/8 or [::1]. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

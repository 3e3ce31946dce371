/**
 * Webhook replay protection by time, not by count: an event id is remembered for
 * as long as its timestamp is inside the window, however many events arrive in
 * between; events outside the window (past or future) are refused by timestamp;
 * a hard cap refuses (503) rather than forgets. Drives the receiver directly with
 * a clock of its own, so no test waits for time to pass.
 */
import { describe, expect, it } from 'vitest';
import { EventHub } from '../../src/events/hub.js';
import { WebhookReceiver } from '../../src/events/webhooks.js';
import { signWebhookBody } from '../../src/sandbox/index.js';

const SECRET = 'whsec_replay_0123456789';
const MINUTE = 60_000;

function setup(o: { maxRemembered?: number } = {}) {
  let now = Date.parse('2026-01-15T10:30:00Z');
  const hub = new EventHub();
  const receiver = new WebhookReceiver({ hub, now: () => now, ...o });
  let n = 0;
  const event = (at = now) => ({
    id: `evt_${++n}`,
    event: 'conversation.ended',
    timestamp: new Date(at).toISOString(),
    data: { conversation_id: `conv_${n}` },
  });
  const deliver = (body: unknown) => {
    const raw = Buffer.from(JSON.stringify(body));
    const signature = signWebhookBody(raw.toString('utf8'), SECRET);
    return receiver.receive(raw, (name) => (name === 'x-voisa-signature' ? signature : undefined), {
      owner: 'tenant_a',
      secret: SECRET,
    });
  };
  return {
    receiver,
    event,
    deliver,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

describe('webhook replay protection', () => {
  it('refuses a replay of the first event after 10,001 newer ones inside the window', async () => {
    const t = setup();
    const first = t.event();
    expect((await t.deliver(first)).status).toBe(200);
    for (let i = 0; i < 10_001; i++) {
      if (i % 1000 === 0) t.advance(100); // still well inside the 10-minute window
      expect((await t.deliver(t.event())).status).toBe(200);
    }
    const replay = await t.deliver(first);
    expect(replay.status).toBe(409);
    expect(replay.body.error).toMatch(/replayed/);
  });

  it('refuses an event older than the window, and one dated beyond the clock skew', async () => {
    const t = setup();
    expect((await t.deliver(t.event(t.now() - 11 * MINUTE))).status).toBe(400);
    expect((await t.deliver(t.event(t.now() + 5 * MINUTE))).status).toBe(400);
    expect((await t.deliver(t.event(t.now() + 30_000))).status).toBe(200); // small skew is fine
    expect((await t.deliver(t.event(t.now() - 9 * MINUTE))).status).toBe(200);
  });

  it('remembers an id only while its event is inside the window; after that its timestamp refuses it', async () => {
    const t = setup();
    const e = t.event();
    expect((await t.deliver(e)).status).toBe(200);
    t.advance(9 * MINUTE);
    expect((await t.deliver(e)).status).toBe(409);
    t.advance(2 * MINUTE + 1000);
    expect((await t.deliver(t.event())).status).toBe(200); // prunes
    expect(t.receiver.remembered).toBe(1); // e is forgotten...
    expect((await t.deliver(e)).status).toBe(400); // ...and its replay is still refused, as stale
  });

  it('at the hard cap refuses new events with 503 and Retry-After rather than forgetting ids', async () => {
    const t = setup({ maxRemembered: 3 });
    const first = t.event();
    expect((await t.deliver(first)).status).toBe(200);
    t.advance(MINUTE);
    expect((await t.deliver(t.event())).status).toBe(200);
    expect((await t.deliver(t.event())).status).toBe(200);
    const full = await t.deliver(t.event());
    expect(full.status).toBe(503);
    expect(Number(full.headers?.['retry-after'])).toBe(9 * 60); // when the first leaves the window
    expect((await t.deliver(first)).status).toBe(409);
    t.advance(9 * MINUTE + 1000); // the first event has left the window: room again
    expect((await t.deliver(t.event())).status).toBe(200);
  });
});

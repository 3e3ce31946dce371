/**
 * FairShare (src/voisa/fair-share.ts): each key's lane holds at most its share of the pool's slots,
 * freed slots go to waiting lanes in turn, a lane's queue is bounded, and an aborted wait leaves it.
 */
import { describe, expect, it } from 'vitest';
import { ApiAbortError, RateLimitError } from '../../src/voisa/errors.js';
import { FairShare } from '../../src/voisa/fair-share.js';

describe('FairShare', () => {
  it('caps a lane at its share and hands freed slots to the lanes in turn', async () => {
    const share = new FairShare(4, 2);
    const a = share.lane();
    const b = share.lane();
    const c = share.lane();
    const order: string[] = [];
    const take = (name: string, lane: typeof a) =>
      lane.acquire().then((release) => {
        order.push(name);
        return release;
      });
    const a1 = await take('a1', a);
    await take('a2', a);
    const a3 = take('a3', a); // over A's share: waits though slots are free
    const b1 = await take('b1', b);
    await take('b2', b);
    expect(share.running).toBe(4);
    const c1 = take('c1', c); // the pool is full
    const b3 = take('b3', b);
    await Promise.resolve();
    expect(order).toEqual(['a1', 'a2', 'b1', 'b2']);
    a1(); // A's slot: A waited longest, and it is A's turn
    await a3;
    b1(); // B's slot: C's turn before B's next one
    await c1;
    expect(order).toEqual(['a1', 'a2', 'b1', 'b2', 'a3', 'c1']);
    expect(share.running).toBe(4);
    (await a3)();
    (await b3)();
    expect(order.at(-1)).toBe('b3');
  });

  it('bounds what one lane keeps waiting, and an aborted wait leaves the queue', async () => {
    const share = new FairShare(1, 1, 2);
    const lane = share.lane();
    const held = await lane.acquire();
    const controller = new AbortController();
    const first = lane.acquire(controller.signal);
    const second = lane.acquire();
    await expect(lane.acquire()).rejects.toBeInstanceOf(RateLimitError);
    controller.abort();
    await expect(first).rejects.toBeInstanceOf(ApiAbortError);
    expect(lane.waiting).toBe(1);
    held();
    (await second)();
    expect(share.running).toBe(0);
  });
});

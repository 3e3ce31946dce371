/**
 * test_agent's expectations on their own (src/tools/scenarios.ts): a pattern that backtracks without
 * end on a long reply fails its expectation once its 50 ms are up, instead of holding the event loop,
 * and the shared match context still works afterwards.
 */
import { describe, expect, it } from 'vitest';
import { addReply, startChecks, verdict } from '../../src/tools/scenarios.js';

describe('expectations', () => {
  it('fails a catastrophic pattern on its time limit, then matches the next pattern as usual', () => {
    const slow = [{ matches: '(a+)+$' }];
    const checks = startChecks(slow);
    addReply(slow, checks, 1, `${'a'.repeat(40)}!`);
    expect(verdict(slow, checks, 1)).toEqual({
      expectation: 'matches /(a+)+$/',
      reply: 1,
      text: 'the pattern took longer than 50 ms on this reply: simplify it',
    });
    const fast = [{ matches: 'open\\s+tuesday', reply: 1 }];
    const after = startChecks(fast);
    addReply(fast, after, 1, 'We are OPEN Tuesday to Sunday.');
    expect(verdict(fast, after, 1)).toBeUndefined();
  });

  it('keeps not_contains open until the last reply, and names the reply that broke it', () => {
    const list = [{ not_contains: 'sorry' }, { contains: 'noon' }];
    const checks = startChecks(list);
    addReply(list, checks, 1, 'We open at noon.');
    expect(verdict(list, checks, 1)).toBeUndefined();
    addReply(list, checks, 2, "Sorry, I don't know.");
    expect(verdict(list, checks, 2)).toEqual({
      expectation: 'not_contains "sorry"',
      reply: 2,
      text: "Sorry, I don't know.",
    });
  });
});

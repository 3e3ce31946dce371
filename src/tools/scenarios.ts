/**
 * test_agent's expectations: what an agent's replies must (or must not) say, checked the same way for a
 * scripted scenario and for one a client's model plays. Plain data in, plain data out: no VOISA call,
 * nothing of MCP.
 *
 * Text checks are case-insensitive. A regular expression is bounded twice: its source is at most
 * `PATTERN_MAX` characters (a syntax error is an input error, named by field, before anything runs), and
 * each match runs in a `vm` context with a time limit, so a pattern that backtracks catastrophically on a
 * long reply fails its expectation instead of holding the event loop.
 */
import { createContext, Script } from 'node:vm';
import { InputError } from './input.js';

export const PATTERN_MAX = 200;
/** Time one match may take; the agent's replies are short, a sane pattern needs microseconds. */
export const MATCH_TIMEOUT_MS = 50;

export interface Expectation {
  contains?: string;
  not_contains?: string;
  matches?: string;
  /** 1-based: the reply to the caller's message N; absent: any reply. */
  reply?: number;
}

export interface Failure {
  /** The expectation as written: `contains "9 AM"`, `reply 2 matches /\d+ euros/`. */
  expectation: string;
  /** The reply that broke it (1-based), when one did. */
  reply?: number;
  /** That reply, or why no reply satisfied it. */
  text: string;
}

/** Checks the expectations' shape and compiles their patterns; throws an InputError naming the field. */
export function checkExpectations(list: readonly Expectation[], field: string): void {
  list.forEach((e, i) => {
    const kinds = (['contains', 'not_contains', 'matches'] as const).filter((k) => e[k] !== undefined);
    if (kinds.length !== 1)
      throw new InputError(
        `${field}.${i}`,
        kinds.length === 0
          ? 'give one of contains, not_contains or matches'
          : `give one of contains, not_contains or matches, not ${kinds.join(' and ')}`,
      );
    if (e.matches !== undefined) compile(e.matches, `${field}.${i}.matches`);
  });
}

function compile(pattern: string, field: string): RegExp {
  if (pattern.length > PATTERN_MAX)
    throw new InputError(field, `is longer than ${PATTERN_MAX} characters: shorten the pattern`);
  try {
    return new RegExp(pattern, 'i');
  } catch (err) {
    throw new InputError(field, `is not a valid regular expression (${(err as Error).message})`);
  }
}

/**
 * One script and one context for every match (a context costs about 1 ms to make, a match in it about
 * 0.1 ms); matches run one at a time, so setting its two globals before each run is safe.
 */
const MATCH = new Script('pattern.test(text)');
const MATCH_CONTEXT = createContext({});

type Outcome = boolean | 'timeout';

function test(e: Expectation, text: string): Outcome {
  if (e.contains !== undefined) return text.toLowerCase().includes(e.contains.toLowerCase());
  if (e.not_contains !== undefined) return !text.toLowerCase().includes(e.not_contains.toLowerCase());
  const pattern = new RegExp(e.matches ?? '', 'i');
  try {
    Object.assign(MATCH_CONTEXT, { pattern, text });
    return MATCH.runInContext(MATCH_CONTEXT, { timeout: MATCH_TIMEOUT_MS }) === true;
  } catch {
    return 'timeout';
  }
}

function describe(e: Expectation): string {
  const what =
    e.contains !== undefined
      ? `contains ${JSON.stringify(e.contains)}`
      : e.not_contains !== undefined
        ? `not_contains ${JSON.stringify(e.not_contains)}`
        : `matches /${e.matches}/`;
  return e.reply === undefined ? what : `reply ${e.reply} ${what}`;
}

const SLOW = `the pattern took longer than ${MATCH_TIMEOUT_MS} ms on this reply: simplify it`;

/**
 * Where one expectation stands after the replies seen so far: `ok` once settled for good, a failure once
 * broken for good; `slow` remembers a reply a pattern timed out on. Small, so a conversation run over
 * several requests (the persona mode) carries it in its state instead of every reply in full.
 */
export type Check = { ok: true } | { ok: false; reply: number; text: string } | { slow: number } | null;

export function startChecks(list: readonly Expectation[]): Check[] {
  return list.map(() => null);
}

/** Updates `checks` with reply number `n` (1-based); `clip` shortens a reply kept as a failure's text. */
export function addReply(
  list: readonly Expectation[],
  checks: Check[],
  n: number,
  text: string,
  clip: (s: string) => string = (s) => s,
): void {
  list.forEach((e, i) => {
    const now = checks[i] ?? null;
    if (now !== null && 'ok' in now) return;
    if (e.reply !== undefined && e.reply !== n) return;
    const ok = test(e, text);
    if (ok === true) {
      // `not_contains` on any reply stays open until the last one.
      if (e.reply !== undefined || e.not_contains === undefined) checks[i] = { ok: true };
      return;
    }
    if (ok === 'timeout')
      checks[i] = e.reply !== undefined ? { ok: false, reply: n, text: SLOW } : { slow: n };
    else if (e.reply !== undefined || e.not_contains !== undefined)
      checks[i] = { ok: false, reply: n, text: clip(text) };
  });
}

/** The first expectation broken once `count` replies are in, or undefined when all hold. */
export function verdict(
  list: readonly Expectation[],
  checks: readonly Check[],
  count: number,
): Failure | undefined {
  for (const [i, e] of list.entries()) {
    const c = checks[i] ?? null;
    const expectation = describe(e);
    if (c !== null && 'ok' in c) {
      if (c.ok) continue;
      return { expectation, reply: c.reply, text: c.text };
    }
    if (e.reply !== undefined)
      return { expectation, text: `there is no reply ${e.reply}: the agent gave ${count}` };
    if (e.not_contains !== undefined) continue;
    if (c !== null && 'slow' in c) return { expectation, reply: c.slow, text: SLOW };
    return { expectation, text: `no reply of ${count} does` };
  }
  return undefined;
}

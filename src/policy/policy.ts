/**
 * The call policy: which numbers `make_call` may ring, when (quiet hours in the callee's time zones),
 * and how many calls each principal may place (per hour, per day, at once). Checked before anything
 * is sent to VOISA, and before any confirmation is asked, so nobody is asked to approve a call the
 * policy forbids. A refusal names its code, the rule, and when the call would be allowed.
 */
import { randomBytes } from 'node:crypto';
import {
  type BudgetUsage,
  type BudgetVerdict,
  type CallBudgets,
  type CallLimits,
  MemoryCallBudgets,
} from './budgets.js';
import type { PolicyRules } from './file.js';
import { localClock, quietHours } from './quiet-hours.js';
import { PolicyRefusal } from './refusal.js';
import { timeZonesOf } from './zones.js';

export { POLICY_CODES, type PolicyCode, PolicyRefusal } from './refusal.js';

/** The in-progress mark of a call before VOISA gave it an id. */
const SLOT_PREFIX = 'slot_';

/** How long a placed call counts as in progress when nobody learns that it ended. */
export const CALL_LEASE_MS = 60 * 60_000;

/** What `voisa://policy` shows: the rules (never the do-not-call numbers) and this principal's budgets. */
export interface PolicyView {
  policy: Record<string, unknown> | null;
  dry_run: boolean;
  budgets?: Record<string, unknown>;
  now: string;
}

export interface CallPolicyOptions {
  /** Where the budgets live: this process (default) or Redis (scale/call-budgets.ts). */
  budgets?: CallBudgets;
  /** The clock; tests move it. */
  now?: () => number;
  /** `--dry-run-calls`: make_call checks and answers, rings no one. */
  dryRun?: boolean;
}

/** Given the ids of calls held in progress, answers those that have ended (asks VOISA). */
export type EndedCalls = (callIds: string[]) => Promise<string[]>;

/**
 * How long a call counts as in progress before VOISA gives it an id (the lease of its slot, made whole
 * when it is placed). A call whose answer never came may have been placed, but it has no id to follow,
 * so it is not held for a whole lease: one interrupted make_call (or an instance that stopped while
 * sending it) would otherwise block a principal at `max_calls_in_progress 1` for an hour. It counts in
 * the windows all the same.
 */
export const UNANSWERED_LEASE_MS = 10 * 60_000;

/** A slot taken for one call, to settle once VOISA has answered. */
export interface Ticket {
  /** VOISA placed the call: it stays in progress under its id. */
  placed(callId: string): Promise<void>;
  /** VOISA refused the call: it counts nowhere. */
  refund(): Promise<void>;
}

export class CallPolicy {
  readonly now: () => number;
  readonly dryRun: boolean;
  readonly #budgets: CallBudgets;
  readonly #limits: CallLimits;

  constructor(
    /** The operator's rules; undefined when only dry run is on. */
    readonly rules: PolicyRules | undefined,
    opts: CallPolicyOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.dryRun = opts.dryRun === true;
    this.#budgets = opts.budgets ?? new MemoryCallBudgets();
    this.#limits = {
      perHour: rules?.maxPerHour,
      perDay: rules?.maxPerDay,
      inProgress: rules?.maxInProgress,
    };
  }

  /** Whether any budget applies (else nothing is counted). */
  get counts(): boolean {
    return Object.values(this.#limits).some((v) => v !== undefined);
  }

  /**
   * The destination rules: prefixes, do-not-call, quiet hours. Undefined when the number may be rung now.
   * A number is judged as written and as the network may dial it (`rules.readings`), and must pass
   * every reading: `+490301234569` (a trunk 0 kept after the country code, which networks commonly
   * drop) is `+49301234569`, so it is on the do-not-call list when that is, and `+4909001234567` is
   * under the blocked `+49900`. A number with no reading (no possible number of that country) is
   * refused while any destination rule is set, since the rules cannot be checked on what it rings. The
   * rules that waiting never changes come first, so a call refused for quiet hours is not refused
   * again, for good, once they are over.
   */
  destination(number: string): PolicyRefusal | undefined {
    const r = this.rules;
    if (!r) return undefined;
    const readings = r.readings(number);
    const forms = [number, ...readings.filter((f) => f !== number)];
    let refused: PolicyRefusal | undefined;
    for (const form of forms) refused ??= this.#where(r, form);
    if (!refused && readings.length === 0 && hasDestinationRules(r)) {
      refused = new PolicyRefusal(
        'POLICY_DESTINATION',
        'a possible number',
        'this is no possible phone number (wrong length for its country code), so the destination rules cannot be checked on what it would ring; check the number',
      );
    }
    if (r.quietHours) for (const form of forms) refused ??= this.#quiet(form, r.quietHours);
    if (refused && forms.length > 1) refused.message += ` (${number} is dialled as ${forms.at(-1)})`;
    return refused;
  }

  /** Prefixes and the do-not-call list. */
  #where(r: PolicyRules, number: string): PolicyRefusal | undefined {
    if (r.allowPrefixes && !r.allowPrefixes.some((p) => number.startsWith(p))) {
      return new PolicyRefusal(
        'POLICY_DESTINATION',
        `allow_prefixes ${r.allowPrefixes.join(', ')}`,
        `the policy allows calls only to numbers starting with ${r.allowPrefixes.join(', ')}`,
      );
    }
    const blocked = r.blockPrefixes.find((p) => number.startsWith(p));
    if (blocked) {
      return new PolicyRefusal(
        'POLICY_DESTINATION',
        `block_prefixes ${blocked}`,
        `the policy blocks calls to numbers starting with ${blocked}`,
      );
    }
    if (r.doNotCall.has(number)) {
      return new PolicyRefusal(
        'POLICY_DO_NOT_CALL',
        'do_not_call_file',
        'this number is on the do-not-call list; it must not be called',
      );
    }
    return undefined;
  }

  #quiet(number: string, window: NonNullable<PolicyRules['quietHours']>): PolicyRefusal | undefined {
    const rule = `quiet_hours ${window.start}-${window.end}`;
    const zones = timeZonesOf(number);
    if (zones.length === 0) {
      return new PolicyRefusal(
        'POLICY_QUIET_HOURS',
        rule,
        "the callee's time zone cannot be told from this number, so quiet hours cannot be checked",
      );
    }
    const now = this.now();
    const verdict = quietHours(window, zones, now);
    if (!verdict.quiet) return undefined;
    const where = verdict.zones
      .slice(0, 3)
      .map((z) => `${localClock(z, now)} in ${z}`)
      .join(', ');
    const more = verdict.zones.length > 3 ? ` and ${verdict.zones.length - 3} more zones` : '';
    const several =
      zones.length > 1
        ? ` (the number may ring in ${zones.length} time zones; all must be outside quiet hours)`
        : '';
    return new PolicyRefusal(
      'POLICY_QUIET_HOURS',
      rule,
      `it is ${where}${more}, inside quiet hours ${window.start}-${window.end} in the callee's local time${several}`,
      verdict.allowedAt === undefined ? undefined : { allowedAt: verdict.allowedAt, now },
    );
  }

  /** The rules and this principal's budgets, bound to it: what the server acts with. */
  forPrincipal(principal: string, ended?: EndedCalls): CallGuard {
    return new CallGuard(this, principal, this.#budgets, this.#limits, ended);
  }
}

/** The policy for one principal (an API key or an OAuth grant, by its keyed fingerprint). */
export class CallGuard {
  constructor(
    readonly policy: CallPolicy,
    readonly principal: string,
    readonly budgets: CallBudgets,
    readonly limits: CallLimits,
    readonly endedCalls?: EndedCalls,
  ) {}

  /** Whether the call is allowed now, without taking anything (before a confirmation is asked). */
  async check(number: string): Promise<void> {
    const refused = this.policy.destination(number);
    if (refused) throw refused;
    if (this.policy.counts) await this.#budget();
  }

  /** Checks again and takes a budget slot, atomically (just before make-call is sent). */
  async take(number: string): Promise<Ticket> {
    const refused = this.policy.destination(number);
    if (refused) throw refused;
    if (!this.policy.counts) return { placed: async () => {}, refund: async () => {} };
    const id = `${SLOT_PREFIX}${randomBytes(12).toString('base64url')}`;
    await this.#budget({ id, leaseMs: UNANSWERED_LEASE_MS });
    const { budgets, principal } = this;
    return {
      placed: (callId) => budgets.placed(principal, id, callId, this.policy.now() + CALL_LEASE_MS),
      refund: () => budgets.refund(principal, id),
    };
  }

  /** The call ended (wait_for_call saw it): its in-progress slot is free. */
  async ended(callId: string): Promise<void> {
    if (this.limits.inProgress !== undefined)
      await this.budgets.ended(this.principal, callId).catch(() => {});
  }

  /**
   * Takes (or, without `slot`, checks) a budget slot. At the in-progress limit, asks VOISA whether the
   * calls held have ended (a wait nobody followed to the end), frees those, and tries once more.
   */
  async #budget(slot?: { id: string; leaseMs: number }): Promise<void> {
    let verdict = await this.#take(slot);
    if (!verdict.ok && verdict.limit === 'in_progress' && this.endedCalls) {
      const calls = verdict.held.filter((id) => !id.startsWith(SLOT_PREFIX));
      const ended = calls.length ? await this.endedCalls(calls).catch(() => []) : [];
      for (const id of ended) await this.budgets.ended(this.principal, id);
      if (ended.length) verdict = await this.#take(slot);
    }
    if (!verdict.ok) throw this.#refusal(verdict);
  }

  async #take(slot?: { id: string; leaseMs: number }): Promise<BudgetVerdict> {
    try {
      return await this.budgets.take(this.principal, this.limits, this.policy.now(), slot);
    } catch {
      // The shared store is unreachable: a budget that cannot be checked allows nothing.
      throw new PolicyRefusal(
        'POLICY_BUDGET',
        'max_calls_*',
        'the call budgets shared between instances cannot be checked now (the store is unreachable)',
        { allowedAt: this.policy.now() + 5000, now: this.policy.now() },
      );
    }
  }

  #refusal(v: Exclude<BudgetVerdict, { ok: true }>): PolicyRefusal {
    const l = this.limits;
    if (v.limit === 'in_progress') {
      const n = v.held.length;
      const slots = v.held.filter((id) => id.startsWith(SLOT_PREFIX)).length;
      const unfollowable = slots
        ? `; ${slots} of them ${slots === 1 ? 'is' : 'are'} being placed or got no answer from VOISA (${slots === 1 ? 'it' : 'they'} may have been placed and cannot be followed; each counts for at most ${UNANSWERED_LEASE_MS / 60_000} minutes)`
        : '';
      return new PolicyRefusal(
        'POLICY_IN_PROGRESS',
        `max_calls_in_progress ${l.inProgress}`,
        `${n} call${n === 1 ? ' is' : 's are'} still in progress for this API key or sign-in, the most the policy allows at once; follow them with wait_for_call until they end${unfollowable}`,
      );
    }
    const [rule, what] =
      v.limit === 'hour'
        ? [`max_calls_per_hour ${l.perHour}`, `${l.perHour} calls were placed in the last hour`]
        : [`max_calls_per_day ${l.perDay}`, `${l.perDay} calls were placed in the last 24 hours`];
    return new PolicyRefusal(
      'POLICY_BUDGET',
      rule,
      `${what} with this API key or sign-in, the most the policy allows`,
      { allowedAt: v.freeAt, now: this.policy.now() },
    );
  }

  /** `voisa://policy`: the rules, and what is left of each budget now. */
  async view(): Promise<PolicyView> {
    const { policy, limits } = this;
    const r = policy.rules;
    const now = policy.now();
    const view: PolicyView = {
      policy: r
        ? {
            allow_prefixes: r.allowPrefixes ?? 'any',
            block_prefixes: r.blockPrefixes,
            do_not_call_numbers: r.doNotCall.size,
            ...(r.quietHours ? { quiet_hours: { ...r.quietHours, in: "the callee's local time" } } : {}),
            ...(limits.perHour !== undefined ? { max_calls_per_hour: limits.perHour } : {}),
            ...(limits.perDay !== undefined ? { max_calls_per_day: limits.perDay } : {}),
            ...(limits.inProgress !== undefined ? { max_calls_in_progress: limits.inProgress } : {}),
          }
        : null,
      dry_run: policy.dryRun,
      now: new Date(now).toISOString(),
    };
    if (policy.counts) {
      let usage: BudgetUsage | undefined;
      try {
        usage = await this.budgets.usage(this.principal, now);
      } catch {
        view.budgets = {
          unavailable: 'the shared budget store is unreachable; make_call is refused until it is back',
        };
      }
      if (usage) view.budgets = budgetsLeft(usage, limits);
    }
    return view;
  }
}

function budgetsLeft(u: BudgetUsage, l: CallLimits): Record<string, unknown> {
  const entry = (used: number, max: number | undefined) =>
    max === undefined ? { used } : { used, max, left: Math.max(0, max - used) };
  return {
    last_hour: entry(u.lastHour, l.perHour),
    last_24_hours: entry(u.lastDay, l.perDay),
    in_progress: entry(u.inProgress, l.inProgress),
  };
}

/** Whether any rule depends on where a number rings (else only the budgets apply). */
function hasDestinationRules(r: PolicyRules): boolean {
  return (
    r.allowPrefixes !== undefined ||
    r.blockPrefixes.length > 0 ||
    r.doNotCall.size > 0 ||
    r.quietHours !== undefined
  );
}

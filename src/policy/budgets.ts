/**
 * The call budgets of each principal (an API key or an OAuth grant): calls placed in the last hour and
 * the last 24 hours (sliding windows), and calls still in progress. One interface, two stores: this
 * process's memory (one instance, stdio), and Redis (scale/call-budgets.ts), where one Lua script
 * checks and takes a slot so two instances can never both take the last one.
 *
 * A slot is taken just before make-call is sent (after any confirmation), under a fresh slot id; it is
 * handed back when VOISA refuses the call (nothing was placed), and its in-progress mark then moves to
 * the call id, held until the call is known to have ended or its lease runs out.
 */

export interface CallLimits {
  perHour?: number;
  perDay?: number;
  inProgress?: number;
}

/** Which limit is reached, and (for the windows) when the oldest counted call leaves it. */
export type BudgetVerdict =
  | { ok: true }
  | { ok: false; limit: 'hour' | 'day'; freeAt: number }
  | { ok: false; limit: 'in_progress'; held: string[] };

export interface BudgetUsage {
  lastHour: number;
  lastDay: number;
  inProgress: number;
}

export interface CallBudgets {
  /**
   * Whether a call fits every limit at `now`; with `slot`, takes it in the same step (the call counts in
   * both windows and is in progress until `now + leaseMs`).
   */
  take(
    principal: string,
    limits: CallLimits,
    now: number,
    slot?: { id: string; leaseMs: number },
  ): Promise<BudgetVerdict>;
  /** VOISA refused the call: it counts nowhere. */
  refund(principal: string, slotId: string): Promise<void>;
  /** The call was placed: its in-progress mark is now its call id (until `leaseUntil`). */
  placed(principal: string, slotId: string, callId: string, leaseUntil: number): Promise<void>;
  /** The call ended (or never started): it is no longer in progress. */
  ended(principal: string, callId: string): Promise<void>;
  usage(principal: string, now: number): Promise<BudgetUsage>;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

interface Ledger {
  /** Slot id → when it was taken, oldest first. */
  taken: Map<string, number>;
  /** Slot or call id → lease end. */
  live: Map<string, number>;
}

/** One instance's budgets, in this process. */
export class MemoryCallBudgets implements CallBudgets {
  readonly #ledgers = new Map<string, Ledger>();

  async take(principal: string, limits: CallLimits, now: number, slot?: { id: string; leaseMs: number }) {
    const ledger = this.#ledger(principal, now, false);
    const verdict = judge(limits, now, [...(ledger?.taken.values() ?? [])], [...(ledger?.live.keys() ?? [])]);
    if (verdict.ok && slot) {
      const kept = this.#ledger(principal, now);
      kept.taken.set(slot.id, now);
      kept.live.set(slot.id, now + slot.leaseMs);
    }
    return verdict;
  }

  async refund(principal: string, slotId: string) {
    const ledger = this.#ledgers.get(principal);
    ledger?.taken.delete(slotId);
    ledger?.live.delete(slotId);
  }

  async placed(principal: string, slotId: string, callId: string, leaseUntil: number) {
    const ledger = this.#ledgers.get(principal);
    if (!ledger?.live.delete(slotId)) return;
    ledger.live.set(callId, leaseUntil);
  }

  async ended(principal: string, callId: string) {
    this.#ledgers.get(principal)?.live.delete(callId);
  }

  async usage(principal: string, now: number): Promise<BudgetUsage> {
    const ledger = this.#ledger(principal, now, false);
    const times = [...(ledger?.taken.values() ?? [])];
    return {
      lastHour: times.filter((t) => t > now - HOUR_MS).length,
      lastDay: times.length,
      inProgress: ledger?.live.size ?? 0,
    };
  }

  /**
   * The principal's ledger with what is older than a day, and leases that ran out, dropped. A ledger
   * left empty is forgotten, so principals that only look (or whose calls are a day old) cost nothing.
   */
  #ledger(principal: string, now: number, create: false): Ledger | undefined;
  #ledger(principal: string, now: number, create?: true): Ledger;
  #ledger(principal: string, now: number, create = true): Ledger | undefined {
    let ledger = this.#ledgers.get(principal);
    if (ledger) {
      for (const [id, at] of ledger.taken) if (at <= now - DAY_MS) ledger.taken.delete(id);
      for (const [id, until] of ledger.live) if (until <= now) ledger.live.delete(id);
      if (ledger.taken.size === 0 && ledger.live.size === 0) this.#ledgers.delete(principal);
    }
    if (!create) return ledger?.taken.size || ledger?.live.size ? ledger : undefined;
    ledger = this.#ledgers.get(principal) ?? { taken: new Map(), live: new Map() };
    this.#ledgers.set(principal, ledger);
    return ledger;
  }

  /** How many principals have calls counted now (for tests of the bound). */
  get principals(): number {
    return this.#ledgers.size;
  }
}

/**
 * The verdict on the calls counted (`times`, when each was taken, within the last day) and the ones in
 * progress: the in-progress limit first (it frees soonest), then the hour, then the day. The memory
 * store's rule; the Redis script applies the same one.
 */
export function judge(limits: CallLimits, now: number, times: number[], live: string[]): BudgetVerdict {
  if (limits.inProgress !== undefined && live.length >= limits.inProgress) {
    return { ok: false, limit: 'in_progress', held: live };
  }
  const sorted = [...times].sort((a, b) => a - b);
  const hour = sorted.filter((t) => t > now - HOUR_MS);
  if (limits.perHour !== undefined && hour.length >= limits.perHour) {
    return { ok: false, limit: 'hour', freeAt: hour[hour.length - limits.perHour]! + HOUR_MS };
  }
  if (limits.perDay !== undefined && sorted.length >= limits.perDay) {
    return { ok: false, limit: 'day', freeAt: sorted[sorted.length - limits.perDay]! + DAY_MS };
  }
  return { ok: true };
}

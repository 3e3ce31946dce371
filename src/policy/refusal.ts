/**
 * A call the policy refuses, and its codes: apart from the policy itself so that the tools' error
 * path (tools/result.ts), loaded at every start, does not load the policy, its time-zone map reader
 * and libphonenumber's metadata with it. They load only when a policy is set.
 */

export const POLICY_CODES = [
  'POLICY_DESTINATION',
  'POLICY_DO_NOT_CALL',
  'POLICY_QUIET_HOURS',
  'POLICY_BUDGET',
  'POLICY_IN_PROGRESS',
] as const;
export type PolicyCode = (typeof POLICY_CODES)[number];

/** A call the policy refuses; nothing was sent to VOISA. */
export class PolicyRefusal extends Error {
  override readonly name = 'PolicyRefusal';
  constructor(
    readonly code: PolicyCode,
    /** The rule that refused it, as the policy file names it (`quiet_hours 21:00-08:00`). */
    readonly rule: string,
    message: string,
    /**
     * When the call would be allowed (quiet hours, budgets), and the policy's time of the decision;
     * undefined when waiting will not make it allowed.
     */
    readonly when?: { allowedAt: number; now: number },
  ) {
    super(message);
  }
}

/**
 * What stands between an agent and the phone network, read at start-up: the call policy file (a bad
 * file stops the server with an error naming the key or line), dry run, and the audit trail. Loaded
 * only when one of them is set (cli/main.ts), so a plain start parses none of it.
 */
import { type AuditTrail, openAuditTrail, type Redact } from '../audit/trail.js';
import type { LogFn } from '../mcp/log.js';
import type { CallBudgets } from '../policy/budgets.js';
import { loadPolicyFile, type PolicyRules } from '../policy/file.js';
import { CallPolicy } from '../policy/policy.js';
import type { Config } from './config.js';

export interface Guardrails {
  rules?: PolicyRules;
  dryRun: boolean;
  audit?: AuditTrail;
  /** The policy every server of this process checks make_call against; none when nothing is set. */
  policy(budgets?: CallBudgets): CallPolicy | undefined;
}

/**
 * Reads the policy and opens the audit trail (its lines go through `redact`, the caller's
 * `redactSecrets`); throws an Error whose message is the start-up error.
 */
export async function loadGuardrails(
  calls: Config['calls'],
  log: LogFn,
  redact: Redact,
): Promise<Guardrails> {
  const rules = calls.policyFile ? await loadPolicyFile(calls.policyFile) : undefined;
  let audit: AuditTrail | undefined;
  if (calls.auditLog) {
    try {
      audit = await openAuditTrail(calls.auditLog, { redact, onError: (message) => log('error', message) });
    } catch (err) {
      throw new Error(
        `--audit-log ${calls.auditLog}: cannot open it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  if (rules) log('info', `call policy ${rules.source}: ${describeRules(rules)}`);
  if (calls.dryRun)
    log('warning', 'dry run (--dry-run-calls): make_call checks the agent and the policy, and rings no one');
  if (audit) log('info', `audit trail: ${calls.auditLog === '-' ? 'stderr' : calls.auditLog}`);
  return {
    rules,
    dryRun: calls.dryRun,
    audit,
    policy: (budgets) =>
      rules || calls.dryRun ? new CallPolicy(rules, { budgets, dryRun: calls.dryRun }) : undefined,
  };
}

function describeRules(r: PolicyRules): string {
  const parts = [
    r.allowPrefixes ? `only ${r.allowPrefixes.join(', ')}` : 'any prefix',
    r.blockPrefixes.length ? `not ${r.blockPrefixes.join(', ')}` : '',
    r.doNotCall.size ? `${r.doNotCall.size} do-not-call numbers` : '',
    r.quietHours ? `quiet ${r.quietHours.start}-${r.quietHours.end} callee time` : '',
    r.maxPerHour !== undefined ? `${r.maxPerHour}/hour` : '',
    r.maxPerDay !== undefined ? `${r.maxPerDay}/day` : '',
    r.maxInProgress !== undefined ? `${r.maxInProgress} at once` : '',
  ];
  return `${parts.filter(Boolean).join('; ')} (per API key or OAuth grant)`;
}

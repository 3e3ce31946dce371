/**
 * The call policy and the audit trail behind the OAuth connector, on both protocol generations: each
 * OAuth grant is a principal of its own (two grants of one account each have the whole budget, and
 * neither is the account's API key), `voisa://policy` shows each grant its own budget, and each audit
 * line names the grant by a keyed fingerprint and the OAuth client by its id and name, never the
 * access token or the key behind it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditTrail, openAuditTrail } from '../../src/audit/trail.js';
import { readingsOf } from '../../src/policy/file.js';
import { CallPolicy } from '../../src/policy/policy.js';
import { redactSecrets } from '../../src/voisa/redact.js';
import { connectGeneration, GENERATIONS } from '../helpers/generations.js';
import { type OAuthStack, startOAuthStack, tokens } from './helpers.js';

const CALL = { agent_id: 'agt_bella0001', phone_number: '+49301234567' };
const dir = mkdtempSync(join(tmpdir(), 'voisa-oauth-audit-'));
const file = join(dir, 'audit.jsonl');
let audit: AuditTrail;
let stack: OAuthStack;

beforeAll(async () => {
  audit = await openAuditTrail(file, { redact: redactSecrets });
  const policy = new CallPolicy(
    { source: 'test', blockPrefixes: [], doNotCall: new Set(), readings: readingsOf, maxPerHour: 1 },
    { now: () => Date.parse('2026-12-07T12:00:00Z') },
  );
  stack = await startOAuthStack({ http: { policy, audit, instanceId: 'oauth-a' } });
});
afterAll(async () => {
  await stack?.close();
  await audit?.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = () =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

describe.each(GENERATIONS)('a %s client through the connector', (generation) => {
  it('each grant has its own budget and its own fingerprint; audit lines name the OAuth client, never a token', async () => {
    const before = lines().length;
    const first = await tokens(stack);
    const second = await tokens(stack);
    const clients = await Promise.all(
      [first, second].map((t) =>
        connectGeneration(generation, { url: stack.mcpUrl }, { key: t.access_token }),
      ),
    );
    try {
      const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
      expect((await a.callTool('make_call', CALL)).isError).toBeFalsy();
      const refused = await a.callTool('make_call', CALL);
      expect(refused.content.at(-1)?.text).toMatch(/^POLICY_BUDGET \(max_calls_per_hour 1\)/);
      // The same account through another grant: a budget of its own.
      expect((await b.callTool('make_call', CALL)).isError).toBeFalsy();
      const policyOf = async (c: typeof a) =>
        JSON.parse((await c.readResource('voisa://policy')).contents[0]!.text!).budgets.last_hour;
      expect(await policyOf(a)).toEqual({ used: 1, max: 1, left: 0 });
      expect(await policyOf(b)).toEqual({ used: 1, max: 1, left: 0 });

      const written = lines().slice(before);
      expect(written.map((l) => l.outcome)).toEqual(['ok', 'POLICY_BUDGET', 'ok']);
      const [one, two, three] = written as [Record<string, any>, Record<string, any>, Record<string, any>];
      expect(one.client).toEqual({ id: first.clientId, name: 'Attack test' });
      expect(three.client).toEqual({ id: second.clientId, name: 'Attack test' });
      expect(one.principal).toBe(two.principal);
      expect(three.principal).not.toBe(one.principal);
      expect(one).toMatchObject({ tool: 'make_call', instance: 'oauth-a' });
      expect(one.arguments).toEqual({ agent_id: CALL.agent_id, phone_number: '+49…67' });
      const raw = readFileSync(file, 'utf8');
      for (const secret of [
        first.access_token,
        first.refresh_token,
        second.access_token,
        stack.sandbox.demoKey,
      ])
        expect(raw).not.toContain(secret);
      expect(raw).not.toContain(CALL.phone_number);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

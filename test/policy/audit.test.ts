/**
 * The audit trail (issue 22, point 4), on both protocol generations: every tool that changes
 * something writes exactly one JSON line per call (ok, or the VOISA code), as does a policy refusal
 * and a declined confirmation; reads and questions not yet answered write none. The line is on disk
 * when the tool's answer arrives, nothing secret is in it, phone numbers only masked, and the file is
 * created 0600 and appended. A real SDK client, the real server and the sandbox over loopback.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditTrail, openAuditTrail } from '../../src/audit/trail.js';
import type { PolicyRules } from '../../src/policy/file.js';
import { readingsOf } from '../../src/policy/file.js';
import { CallPolicy } from '../../src/policy/policy.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { redactSecrets } from '../../src/voisa/redact.js';
import {
  type Connected,
  type ConnectOptions,
  call,
  connect,
  GENERATION,
  resultText,
} from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });
/** The name each generation's test client gives itself (test/helpers/mcp.ts). */
const CLIENT_NAME = GENERATION === '2026-07-28' ? 'voisa-test-2026' : 'voisa-test';
const INSTANCE = 'audit-test-1';
const WEBHOOK_SECRET = 'whsec_audit_9f8e7d6c5b4a';
const PASSWORD = 'hunter2-correct-horse';
/** A Berlin number in two forms: E.164 for make_call, spaced in free text. Its last digits: 67. */
const NUMBER = '+49301234567';
const NUMBER_SPACED = '+49 30 1234567';

let dir: string;
const open: AuditTrail[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'voisa-audit-'));
});
afterAll(async () => {
  for (const t of open) await t.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

let files = 0;
async function trail(): Promise<{ file: string; audit: AuditTrail }> {
  const file = join(dir, `audit-${++files}.jsonl`);
  const audit = await openAuditTrail(file, { redact: redactSecrets });
  open.push(audit);
  return { file, audit };
}

/** Every line on disk now, parsed. */
async function lines(file: string): Promise<Record<string, any>[]> {
  const text = await readFile(file, 'utf8');
  expect(text === '' || text.endsWith('\n'), 'the last line is complete').toBe(true);
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function connected(audit: AuditTrail, opts: ConnectOptions = {}): Promise<Connected> {
  return connect(sandbox(), { audit, principal: { id: 'fp_test' }, instance: INSTANCE, ...opts });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** One valid call of each tool that changes something; the sandbox accepts each. */
const WRITES: Record<string, Record<string, unknown>> = {
  create_agent: { name: 'Audit Dental', industry: 'healthcare' },
  update_agent: { agent_id: 'agt_shop00004', name: 'Shop Helper' },
  delete_agent: { agent_id: 'agt_hotel0005' },
  // Not read-only: a chat turn starts or extends a session on the agent.
  chat_with_agent: { agent_id: 'agt_bella0001', message: 'Are you open on Sunday?' },
  assign_tools: { agent_id: 'agt_bella0001', tools: ['checkAvailability'] },
  add_kb_text: {
    agent_id: 'agt_bella0001',
    title: 'Reservations',
    content: `Call us on ${NUMBER_SPACED} to book a table.`,
  },
  add_kb_url: { agent_id: 'agt_bella0001', url: 'https://bella.example/menu' },
  upload_kb_file: {
    agent_id: 'agt_bella0001',
    file_name: 'policy.txt',
    content_base64: b64('Refunds within 30 days.'),
  },
  delete_kb_item: { item_id: 'kb_shop00010' },
  make_call: { agent_id: 'agt_bella0001', phone_number: NUMBER },
  create_voice: {
    name: 'Clinic voice',
    audio_samples: [{ file_name: 'a.mp3', content_base64: b64('sample-one') }],
  },
  configure_webhook: {
    url: 'http://127.0.0.1:9/hooks',
    events: ['conversation.ended'],
    secret: WEBHOOK_SECRET,
  },
};

/** The tools that change something, from the catalogue itself: a new one without a case fails here. */
const SIDE_EFFECTS = CATALOGUE.filter((t) => t.annotations.readOnlyHint !== true).map((t) => t.name);

/** What every line of this suite's connections carries. */
function expectLine(l: Record<string, any>, tool: string, outcome: string): void {
  expect(l).toMatchObject({
    tool,
    outcome,
    principal: 'fp_test',
    client: { name: CLIENT_NAME },
    instance: INSTANCE,
    arguments: expect.any(Object),
  });
  expect(['number', 'string']).toContain(typeof l.request_id);
  expect(new Date(l.time).toISOString()).toBe(l.time);
}

describe(`the audit trail (${GENERATION})`, () => {
  it('knows a valid call of every tool that changes something, and no read-only one', () => {
    expect(Object.keys(WRITES).sort()).toEqual([...SIDE_EFFECTS].sort());
  });

  it('one line per side-effect call, on disk when the answer arrives; reads write none', async () => {
    const { file, audit } = await trail();
    const mcp = await connected(audit);
    try {
      for (const tool of SIDE_EFFECTS) {
        const before = (await lines(file)).length;
        const result = await call(mcp.client, tool, WRITES[tool]);
        expect(result.isError, `${tool}: ${resultText(result)}`).toBeFalsy();
        const now = await lines(file);
        expect(now, tool).toHaveLength(before + 1);
        expectLine(now.at(-1)!, tool, 'ok');
      }
      const count = (await lines(file)).length;
      for (const [tool, args] of [
        ['get_agent', { agent_id: 'agt_bella0001' }],
        ['list_agents', {}],
        ['list_voices', {}],
        ['verify_api_key', {}],
      ] as const) {
        const result = await call(mcp.client, tool, args);
        expect(result.isError, `${tool}: ${resultText(result)}`).toBeFalsy();
        expect(await lines(file), tool).toHaveLength(count);
      }
      // The arguments, as kept: numbers masked, the secret left out, file bytes counted.
      const byTool = new Map((await lines(file)).map((l) => [l.tool, l]));
      expect(byTool.get('make_call')!.arguments).toEqual({
        agent_id: 'agt_bella0001',
        phone_number: '+49…67',
      });
      expect(byTool.get('add_kb_text')!.arguments.content).toBe('Call us on +49…67 to book a table.');
      expect(byTool.get('configure_webhook')!.arguments.secret).toBe('[redacted]');
      expect(byTool.get('upload_kb_file')!.arguments.content_base64).toBe('[23 bytes]');
    } finally {
      await mcp.close();
    }
  });

  it('a call VOISA refuses is one line with its code', async () => {
    const { file, audit } = await trail();
    const mcp = await connected(audit);
    try {
      const result = await call(mcp.client, 'update_agent', { agent_id: 'agt_missing00', name: 'Nobody' });
      expect(result.isError).toBe(true);
      const code = /^[A-Z][A-Z_]+/.exec(resultText(result))?.[0];
      expect(code).toBe('AGENT_NOT_FOUND');
      const written = await lines(file);
      expect(written).toHaveLength(1);
      expectLine(written[0]!, 'update_agent', 'AGENT_NOT_FOUND');
    } finally {
      await mcp.close();
    }
  });

  it('a policy refusal is one line with its POLICY_ code, and nobody is asked', async () => {
    const { file, audit } = await trail();
    const rules: PolicyRules = {
      source: 'test policy',
      allowPrefixes: ['+49'],
      blockPrefixes: [],
      doNotCall: new Set(),
      readings: readingsOf,
      quietHours: { start: '21:00', end: '08:00' },
    };
    // 01:30 UTC: 02:30 or 03:30 in Berlin, inside quiet hours.
    const fixedTime = Date.parse('2026-03-10T01:30:00Z');
    const asked: string[] = [];
    sandbox().clearRequests();
    const mcp = await connected(audit, {
      policy: new CallPolicy(rules, { now: () => fixedTime }),
      elicit: (message) => {
        asked.push(message);
        return { action: 'accept', content: { confirm: true } };
      },
    });
    try {
      const abroad = await call(mcp.client, 'make_call', {
        agent_id: 'agt_bella0001',
        phone_number: '+4312345678',
      });
      expect(resultText(abroad)).toMatch(/^POLICY_DESTINATION \(allow_prefixes \+49\)/);
      let written = await lines(file);
      expect(written).toHaveLength(1);
      expectLine(written[0]!, 'make_call', 'POLICY_DESTINATION');
      expect(written[0]!.arguments.phone_number).toBe('+43…78');

      const night = await call(mcp.client, 'make_call', { agent_id: 'agt_bella0001', phone_number: NUMBER });
      expect(resultText(night)).toMatch(/^POLICY_QUIET_HOURS /);
      written = await lines(file);
      expect(written).toHaveLength(2);
      expectLine(written[1]!, 'make_call', 'POLICY_QUIET_HOURS');
      expect(asked).toEqual([]);
      // Nothing reached VOISA.
      expect(
        sandbox()
          .requests()
          .filter((r) => r.path === '/api/make-call'),
      ).toEqual([]);
    } finally {
      await mcp.close();
    }
  });

  it('a declined confirmation is one line DECLINED; the question itself writes none', async () => {
    const { file, audit } = await trail();
    const seenWhenAsked: number[] = [];
    const mcp = await connected(audit, {
      // On 2026-07-28 this runs once the first pass has answered input_required; on 2025-11-25 while
      // the server waits on elicitation/create. Either way: nothing is written yet.
      elicit: () => {
        seenWhenAsked.push(readLinesNow(file));
        return { action: 'decline' };
      },
    });
    try {
      const declined = await call(mcp.client, 'make_call', {
        agent_id: 'agt_bella0001',
        phone_number: NUMBER,
      });
      expect(resultText(declined)).toMatch(/^DECLINED: /);
      const agent = (await mcp.api.agents.create({ name: 'Keep me' })).id;
      const kept = await call(mcp.client, 'delete_agent', { agent_id: agent });
      expect(resultText(kept)).toMatch(/^DECLINED: /);
      expect(seenWhenAsked).toEqual([0, 1]);
      const written = await lines(file);
      expect(written).toHaveLength(2);
      expectLine(written[0]!, 'make_call', 'DECLINED');
      expectLine(written[1]!, 'delete_agent', 'DECLINED');
      expect(written[1]!.arguments).toEqual({ agent_id: agent });
    } finally {
      await mcp.close();
    }
  });

  it('a confirmed call is one line ok, none while it is being asked', async () => {
    const { file, audit } = await trail();
    const seenWhenAsked: number[] = [];
    const mcp = await connected(audit, {
      elicit: () => {
        seenWhenAsked.push(readLinesNow(file));
        return { action: 'accept', content: { confirm: true } };
      },
    });
    try {
      const made = await call(mcp.client, 'make_call', { agent_id: 'agt_bella0001', phone_number: NUMBER });
      expect(made.isError, resultText(made)).toBeFalsy();
      expect(seenWhenAsked).toEqual([0]);
      const written = await lines(file);
      expect(written).toHaveLength(1);
      expectLine(written[0]!, 'make_call', 'ok');
    } finally {
      await mcp.close();
    }
  });

  it('holds nothing secret: no API key, webhook secret or password; numbers only masked', async () => {
    const { file, audit } = await trail();
    const mcp = await connected(audit);
    try {
      for (const tool of ['make_call', 'add_kb_text', 'configure_webhook'])
        await call(mcp.client, tool, WRITES[tool]);
      // Arguments no tool takes, named like secrets, as a careless client might send them: refused as
      // input, written to the trail, and still left out of it.
      const extra = await call(mcp.client, 'update_agent', {
        agent_id: 'agt_bella0001',
        name: 'Bella',
        password: PASSWORD,
        api_key: sandbox().demoKey,
        config: { privacy: { token: PASSWORD } },
      });
      const text = await readFile(file, 'utf8');
      expect((await lines(file)).map((l) => l.tool)).toEqual([
        'make_call',
        'add_kb_text',
        'configure_webhook',
        'update_agent',
      ]);
      expect((await lines(file)).at(-1)!.arguments, resultText(extra)).toMatchObject({
        password: '[redacted]',
        api_key: '[redacted]',
        config: { privacy: { token: '[redacted]' } },
      });
      for (const secret of [sandbox().demoKey, WEBHOOK_SECRET, PASSWORD]) expect(text).not.toContain(secret);
      // The whole number in no form: neither E.164, nor spaced, nor its national digits.
      for (const whole of [NUMBER, NUMBER_SPACED, '301234567', '1234567']) expect(text).not.toContain(whole);
      expect(text).toContain('+49…67');
    } finally {
      await mcp.close();
    }
  });

  it('a key pasted into free text is written redacted, as every other text of ours is', async () => {
    const { file, audit } = await trail();
    const mcp = await connected(audit);
    try {
      await call(mcp.client, 'add_kb_text', {
        ...WRITES.add_kb_text,
        content: `Staff note: the key is ${sandbox().demoKey}, sent as Authorization: Bearer abc.def-123`,
      });
      const text = await readFile(file, 'utf8');
      expect(text).not.toContain(sandbox().demoKey);
      expect(text).not.toContain('abc.def-123');
      expect((await lines(file)).at(-1)!.arguments.content).toBe(
        'Staff note: the key is [REDACTED], sent as Authorization: Bearer [REDACTED]',
      );
    } finally {
      await mcp.close();
    }
  });

  it('the red-team leaks, through the server: a numeric number, number forms in text, URL credentials, deep arguments', async () => {
    const { file, audit } = await trail();
    const mcp = await connected(audit);
    try {
      // A phone number as a JSON number: refused as input, and written masked.
      const numeric = await call(mcp.client, 'make_call', {
        agent_id: 'agt_bella0001',
        phone_number: 4930123456789,
      });
      expect(resultText(numeric)).toMatch(/^INVALID_REQUEST/);
      await call(mcp.client, 'add_kb_text', {
        agent_id: 'agt_bella0001',
        title: 'Branches',
        content: 'Mitte +49301234567 0049301234568, fax+49309999999; Tel. 030\u00a07654321, (212) 555-0123',
      });
      await call(mcp.client, 'configure_webhook', {
        url: 'https://hooks:hunter2@hooks.example/in?token=abc123&page=2',
        events: ['conversation.ended'],
      });
      // 1,000 levels: the 2026-07-28 client cannot send 20,000 (its transport overflows first); that
      // depth through the trail is in masking.test.ts.
      let deep: unknown = 'bottom';
      for (let i = 0; i < 1000; i++) deep = { a: deep };
      const chat = await call(mcp.client, 'chat_with_agent', {
        agent_id: 'agt_bella0001',
        message: 'Hi',
        context: deep,
      });
      expect(resultText(chat)).toMatch(/^INVALID_REQUEST/);
      const written = await lines(file);
      expect(written.map((l) => [l.tool, l.outcome])).toEqual([
        ['make_call', 'INVALID_REQUEST'],
        ['add_kb_text', 'ok'],
        ['configure_webhook', 'ok'],
        ['chat_with_agent', 'INVALID_REQUEST'],
      ]);
      for (const l of written) expectLine(l, l.tool, l.outcome);
      expect(written[0]!.arguments).toEqual({ agent_id: 'agt_bella0001', phone_number: '…89' });
      expect(written[1]!.arguments.content).toBe('Mitte +49…67 +49…68, fax+49…99; Tel. …21, …23');
      expect(written[2]!.arguments.url).toBe('https://[REDACTED]@hooks.example/in?token=[REDACTED]&page=2');
      expect(JSON.stringify(written[3]!.arguments.context)).toBe(
        '{"a":{"a":{"a":{"a":{"a":{"a":{"a":"[nested]"}}}}}}}',
      );
      const text = await readFile(file, 'utf8');
      for (const whole of [
        '4930123456789',
        '301234567',
        '301234568',
        '309999999',
        '7654321',
        '5550123',
        'hunter2',
        'abc123',
      ])
        expect(text).not.toContain(whole);
    } finally {
      await mcp.close();
    }
  });

  it('the file is created 0600 and appended: a second trail on it keeps the earlier lines', async () => {
    const { file, audit } = await trail();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    let mcp = await connected(audit);
    try {
      await call(mcp.client, 'assign_tools', WRITES.assign_tools!);
    } finally {
      await mcp.close();
    }
    await audit.close();
    const again = await openAuditTrail(file, { redact: redactSecrets });
    open.push(again);
    mcp = await connected(again);
    try {
      await call(mcp.client, 'add_kb_url', WRITES.add_kb_url!);
    } finally {
      await mcp.close();
    }
    expect((await lines(file)).map((l) => l.tool)).toEqual(['assign_tools', 'add_kb_url']);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('an existing file readable by others is narrowed to 0600 and kept', async () => {
    const file = join(dir, 'wide.jsonl');
    await writeFile(file, '{"earlier":true}\n', { mode: 0o644 });
    const audit = await openAuditTrail(file, { redact: redactSecrets });
    open.push(audit);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe('{"earlier":true}\n');
  });
});

/** Lines on disk, read synchronously (inside the client's elicitation handler). */
function readLinesNow(file: string): number {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
}

/**
 * What the audit trail keeps of the arguments (issue 22, point 4: "phone numbers masked (country code
 * and last two digits). Never a key, token or password"), unit by unit: each leak the red-team review
 * found (a number in a format the masking missed, a credential in a URL or header, a nesting that
 * overflowed the stack, a line without bound), and what must stay readable (ids, dates, opening
 * hours, prices). The same through the server: test/policy/audit.test.ts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  auditArguments,
  auditLine,
  MAX_LINE,
  openAuditTrail,
} from '../../src/audit/trail.js';
import { maskNumber, maskNumbers } from '../../src/policy/numbers.js';
import { redactSecrets } from '../../src/voisa/redact.js';

const redact = (text: string) => redactSecrets(text);
const kept = (args: Record<string, unknown>) => auditArguments(args, redact) as Record<string, unknown>;

/** No whole subscriber number in `text`: its digits, whatever the separators, are not all there. */
function expectNoWhole(text: string, ...subscribers: string[]): void {
  const digits = text.normalize('NFKC').replace(/\D/g, '');
  for (const s of subscribers) expect(digits, text).not.toContain(s);
}

describe('phone numbers in free text', () => {
  it.each([
    // Two numbers side by side: one run of more than 15 digits was left whole.
    ['Numbers: +49301234567 0049301234568', 'Numbers: +49…67 +49…68'],
    ['Branches: 0049 30 1111111 0049 30 2222222.', 'Branches: +49…11 +49…22.'],
    // A number followed by more digits.
    ['Reach us at +49 30 1234567 20260', 'Reach us at +49…60'],
    // Glued to a word.
    ['fax+49309999999', 'fax+49…99'],
    ['Tel+49301234567, Tel.+49 30 1234567', 'Tel+49…67, Tel.+49…67'],
    ['+49 30 1234567x', '+49…67x'],
    ['+49 30 123 4567_', '+49…67_'],
    // National formats: no country code to keep, and no area code either.
    ['Phone: 030 1234567', 'Phone: …67'],
    ['Call (212) 555-0123 now', 'Call …23 now'],
    ['212.555.0123', '…23'],
    ['49301234567', '…67'],
    ['https://wa.me/49301234567', 'https://wa.me/…67'],
    ['French style: 01.23.45.67.89 or 01 23 45 67 89', 'French style: …89 or …89'],
    // Unicode spaces and dashes, full-width digits and plus.
    ['+49\u00a030\u00a01234567', '+49…67'],
    ['+49\u202f30\u202f1234567', '+49…67'],
    ['+49\u300030\u30001234567', '+49…67'],
    ['+49\u201130\u20111234567', '+49…67'],
    ['+49\u221230\u22121234567', '+49…67'],
    ['+１２１２５５５０１２３', '+1…23'],
    ['＋49301234567', '+49…67'],
    ['＋４９ ３０ １２３４５６７', '+49…67'],
  ])('%j is written %j', (text, masked) => {
    expect(maskNumbers(text)).toBe(masked);
    expectNoWhole(masked, '1234567', '5550123', '9999999', '1111111', '2222222', '301234568', '23456789');
  });

  it('every non-ASCII hyphen (U+2010 to U+2015) is a separator', () => {
    for (let c = 0x2010; c <= 0x2015; c++) {
      const dash = String.fromCharCode(c);
      expect(maskNumbers(`Tel. +49${dash}30${dash}1234567.`)).toBe('Tel. +49…67.');
    }
  });

  it('a number in a phone-number argument keeps only a calling code and the last two digits', () => {
    expect(maskNumber('+49301234567')).toBe('+49…67');
    expect(maskNumber('0049 (30) 1234567')).toBe('+49…67');
    expect(maskNumber('tel:+1-650-253-0000')).toBe('+1…00');
    expect(maskNumber('＋４９３０１２３４５６７')).toBe('+49…67');
    expect(maskNumber('+800 1234 5678')).toBe('+800…78');
    // An area code says where someone lives: a national number keeps only its last two digits.
    expect(maskNumber('030 1234567')).toBe('…67');
  });

  it('leaves ids, dates, times, opening hours, prices and short numbers readable', () => {
    const text =
      'agt_bella0001 agt_1234567 conv_seed0001 call_79mq00gac8 kb_shop00010 voice_abc sess_k3j9x0q2ab; ' +
      'on 2026-12-07, 2026-12-07T12:00:00Z, 2026-12-07T12:00:00.123+01:00, 07.12.2026, 12/07/2026; ' +
      'open 12:00-23:00, Sat 12.00 - 23.00, 9.30-18.00; menu €12.50, $1,299.99, 19,90 €, 1.299,00 €; ' +
      'tables for 8, room 1204, since 1998, 10115 Berlin, order #48213, 30 days';
    expect(maskNumbers(text)).toBe(text);
  });

  it('a date or an id next to a number splits the run: the number is masked, the rest kept', () => {
    expect(maskNumbers('on 2026-12-07 call 030 1234567 about agt_1234567')).toBe(
      'on 2026-12-07 call …67 about agt_1234567',
    );
  });
});

describe('arguments as the trail keeps them', () => {
  it('a phone number sent as a JSON number is masked, as is any number of 7 or more digits', () => {
    expect(kept({ agent_id: 'agt_bella0001', phone_number: 4930123456789 })).toEqual({
      agent_id: 'agt_bella0001',
      phone_number: '…89',
    });
    expect(kept({ context: [{ name: 'callback', value: 4930123456789 }], turns: 3, price: 12.5 })).toEqual({
      context: [{ name: 'callback', value: '…89' }],
      turns: 3,
      price: 12.5,
    });
    expect(kept({ phone_numbers: ['+49 30 1234567', 4930123456789] })).toEqual({
      phone_numbers: ['+49…67', '…89'],
    });
  });

  it('ids stay whole in id arguments; a number there is masked all the same', () => {
    const ids = {
      agent_id: 'agt_bella0001',
      item_id: 'kb_shop00010',
      conversation_id: 'conv_seed0001',
      session_id: '550e8400-e29b-41d4-a716-446655440000',
      voice_id: 'voice_abc',
    };
    expect(kept(ids)).toEqual(ids);
    expect(kept({ agent_id: '+49301234567' })).toEqual({ agent_id: '+49…67' });
  });

  it('credentials in URLs are redacted: userinfo, and secret query values (their names stay)', () => {
    const { url } = kept({
      url: 'https://user:hunter2@hooks.example/in?token=abc123&sig=zz9&key=k1&password=p4&auth=a1&page=2',
    });
    expect(url).toBe(
      'https://[REDACTED]@hooks.example/in?token=[REDACTED]&sig=[REDACTED]&key=[REDACTED]&password=[REDACTED]&auth=[REDACTED]&p…[92 chars]',
    );
    const long = kept({ u: 'https://h.example/?access_token=tok9&X-Amz-Signature=s1g&x=1#id_token=idt7' }).u;
    for (const secret of ['tok9', 's1g', 'idt7']) expect(long).not.toContain(secret);
    expect(kept({ url: 'https://bella.example/menu?page=2' })).toEqual({
      url: 'https://bella.example/menu?page=2',
    });
  });

  it('Authorization schemes, Basic credentials and well-known key shapes in text are redacted', () => {
    const secrets = {
      basic: 'Basic dXNlcjpwYXNz',
      token: 'Authorization: Token abc',
      json: '{"Authorization": "Digest username=\\"u\\", response=\\"r3sp\\""}',
      apiKey: 'X-Api-Key: k-123',
      cookie: 'Cookie: session=xyz; theme=dark',
      stripeDash: 'sk-live-abcdef1234567890',
      stripe: 'sk_live_abcdef1234567890',
      webhook: 'whsec_audit_9f8e7d6c5b4a',
      jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
    };
    const out = kept({ notes: Object.values(secrets) }).notes as string[];
    expect(out).toEqual([
      'Basic [REDACTED]',
      'Authorization: Token [REDACTED]',
      // Digest's parameters hold quotes: everything to the end of the line goes.
      '{"Authorization": "Digest [REDACTED]',
      'X-Api-Key: [REDACTED]',
      'Cookie: [REDACTED]',
      '[REDACTED]',
      '[REDACTED]',
      '[REDACTED]',
      '[REDACTED]',
    ]);
    // Words that only look like a scheme stay.
    expect(kept({ note: 'Basic plan, Basic Information' })).toEqual({
      note: 'Basic plan, Basic Information',
    });
  });

  it('values of secret-named keys are never written, whatever the spelling', () => {
    const names = ['X-Api-Key', 'api-key', 'apiKey2', 'private-key', 'private_key', 'auth', 'Authorization'];
    names.push('cookie', 'Set-Cookie', 'credentials', 'password', 'webhook_secret', 'access_token', 'key');
    const args = Object.fromEntries(names.map((n) => [n, 'v4lue']));
    expect(kept({ headers: args, author: 'Anna', name: 'Bella' })).toEqual({
      headers: Object.fromEntries(names.map((n) => [n, '[redacted]'])),
      author: 'Anna',
      name: 'Bella',
    });
  });

  it('a number or a credential in a key is masked too, and a long key cut', () => {
    const out = kept({ '+49301234567': 1, ['k'.repeat(300)]: 2 });
    expect(Object.keys(out)).toEqual(['+49…67', `${'k'.repeat(64)}…[300 chars]`]);
  });

  it('20,000 levels of nesting end at depth 8 as [nested], without overflowing the stack', () => {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 20_000; i++) {
      const next = {};
      at.a = next;
      at = next;
    }
    const out = kept({ agent_id: 'agt_bella0001', context: deep });
    expect(JSON.stringify(out)).toBe(
      '{"agent_id":"agt_bella0001","context":{"a":{"a":{"a":{"a":{"a":{"a":{"a":"[nested]"}}}}}}}}',
    );
  });

  it('arrays keep 20 items and objects 50 keys, with a count of the rest', () => {
    const out = kept({
      list: Array.from({ length: 25 }, (_, i) => i),
      map: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i])),
    });
    expect(out.list).toEqual([...Array.from({ length: 20 }, (_, i) => i), '[+5 more]']);
    expect(Object.keys(out.map as object)).toHaveLength(51);
    expect((out.map as Record<string, unknown>)['…']).toBe('[+10 more]');
  });

  it('a long text is cut after masking; the part past what is read is never shown', () => {
    const text = `${'word '.repeat(900)}call +49 30 1234567 ${'x'.repeat(10_000)}`;
    const out = kept({ content: text }).content as string;
    expect(out).toBe(`${'word '.repeat(24)}…[${text.length} chars]`);
  });
});

describe('the line', () => {
  const record = (args: Record<string, unknown>): AuditRecord => ({
    tool: 'create_agent',
    outcome: 'ok',
    principal: 'fp_test',
    client: { id: 'cl_1', name: 'agent' },
    instance: 'vm:1',
    request_id: 7,
    arguments: args,
  });
  const parse = (line: string) => {
    expect(line.endsWith('\n')).toBe(true);
    expect(Buffer.byteLength(line) - 1).toBeLessThanOrEqual(MAX_LINE);
    return JSON.parse(line) as Record<string, unknown>;
  };
  const HEAD = {
    tool: 'create_agent',
    outcome: 'ok',
    principal: 'fp_test',
    client: { id: 'cl_1', name: 'agent' },
  };

  it('a usual line is written whole, without a truncated field', () => {
    const line = parse(auditLine(record({ name: 'Bella', prompt: 'Book tables.' }), redact));
    expect(line).toEqual({
      time: expect.any(String),
      ...HEAD,
      instance: 'vm:1',
      request_id: 7,
      arguments: {
        name: 'Bella',
        prompt: 'Book tables.',
      },
    });
  });

  it('a line too long keeps its header and fewer arguments, and says truncated', () => {
    const args = {
      name: 'Bella',
      tools: Array.from({ length: 20 }, () => ({
        config: { a: 'a'.repeat(500), b: 'b'.repeat(500), c: 'c'.repeat(500) },
      })),
    };
    const line = parse(auditLine(record(args), redact));
    expect(line).toMatchObject({ ...HEAD, instance: 'vm:1', request_id: 7, truncated: true });
    expect((line.arguments as { tools: unknown[] }).tools).toHaveLength(6);
  });

  it('one still too long with fewer arguments keeps the start of them as text', () => {
    const wide = (depth: number): unknown =>
      depth === 0
        ? 'z'.repeat(40)
        : Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, wide(depth - 1)]));
    const line = parse(auditLine(record({ agent_id: 'agt_bella0001', tree: wide(4) }), redact));
    expect(line).toMatchObject({ ...HEAD, truncated: true });
    expect(line.arguments).toMatch(/^\{"agent_id":"agt_bella0001","tree":\{"k0":/);
  });

  it('a header field from the client is bounded and masked like the arguments', () => {
    const line = parse(
      auditLine(
        { ...record({}), request_id: `+49301234567 ${'r'.repeat(1000)}`, client: { name: 'Bearer abc.def' } },
        redact,
      ),
    );
    expect(line.request_id).toBe(`+49…67 ${'r'.repeat(249)}…[1013 chars]`);
    expect(line.client).toEqual({ name: 'Bearer [REDACTED]' });
  });

  it('a 20,000-deep argument still writes its line to the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'voisa-mask-'));
    try {
      const file = join(dir, 'audit.jsonl');
      const errors: string[] = [];
      const trail = await openAuditTrail(file, { redact, onError: (m) => errors.push(m) });
      let deep: unknown = 'bottom';
      for (let i = 0; i < 20_000; i++) deep = [deep];
      await trail.write({
        ...record({ context: deep }),
        tool: 'chat_with_agent',
        outcome: 'INVALID_REQUEST',
      });
      await trail.close();
      const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
      expect(errors).toEqual([]);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ tool: 'chat_with_agent', outcome: 'INVALID_REQUEST' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

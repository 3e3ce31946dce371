/**
 * The call policy's rules on their own (src/policy): numbers in any common format, the time zones of a
 * number, quiet hours at their edges (a window across midnight, a country of many zones), and a policy
 * file that names what is wrong with it. The same rules through make_call, on both protocol
 * generations: make-call.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../src/policy/file.js';
import { maskNumber, maskNumbers, toE164 } from '../../src/policy/numbers.js';
import { localClock, quietHours } from '../../src/policy/quiet-hours.js';
import { timeZonesOf } from '../../src/policy/zones.js';

const at = (iso: string) => Date.parse(iso);
const NIGHT = { start: '21:00', end: '08:00' };

describe('numbers', () => {
  it.each([
    ['+49 30 1234567', undefined],
    ['0049 30 1234567', undefined],
    ['0049-30-1234567', 'DE'],
    ['(030) 123 4567', 'DE'],
    ['030/1234567', 'DE'],
    ['tel:+49-30-1234567', undefined],
  ] as const)('%s (default country %s) is +49301234567', (raw, country) => {
    expect(toE164(raw, country)).toBe('+49301234567');
  });

  it('a line that is no number, or a national number without a country, is not a number', () => {
    expect(toE164('call me maybe')).toBeUndefined();
    expect(toE164('030 1234567')).toBeUndefined();
    expect(toE164('+49 1')).toBeUndefined();
  });

  it('masks all but the country code and the last two digits', () => {
    expect(maskNumber('+49301234567')).toBe('+49…67');
    expect(maskNumber('+16502530000')).toBe('+1…00');
    expect(maskNumbers('ring +49 30 1234567 or 0044 20 7946 0958 about agt_1234567 on 2026-12-07')).toBe(
      'ring +49…67 or +44…58 about agt_1234567 on 2026-12-07',
    );
  });
});

describe('time zones of a number (Google libphonenumber map)', () => {
  it('a Berlin, a Moscow and a Californian number each ring in one zone', () => {
    expect(timeZonesOf('+49301234567')).toEqual(['Europe/Berlin']);
    expect(timeZonesOf('+74951234567')).toEqual(['Europe/Moscow']);
    expect(timeZonesOf('+16502530000')).toEqual(['America/Los_Angeles']);
  });

  it('a US toll-free number may ring anywhere in the NANP: every zone of +1', () => {
    const zones = timeZonesOf('+18005550199');
    expect(zones.length).toBeGreaterThan(20);
    expect(zones).toEqual(expect.arrayContaining(['America/New_York', 'Pacific/Honolulu', 'Pacific/Guam']));
  });

  it('a number the map does not know rings in no known zone', () => {
    expect(timeZonesOf('+99912345')).toEqual([]);
  });
});

describe('quiet hours 21:00-08:00 in the callee’s local time', () => {
  const berlin = ['Europe/Berlin'];

  it('across midnight: allowed at 20:59:59, quiet from 21:00 until 08:00 the next morning', () => {
    // December: Berlin is UTC+1.
    expect(quietHours(NIGHT, berlin, at('2026-12-07T19:59:59Z'))).toEqual({ quiet: false });
    const evening = quietHours(NIGHT, berlin, at('2026-12-07T20:00:00Z'));
    expect(evening).toEqual({ quiet: true, zones: berlin, allowedAt: at('2026-12-08T07:00:00Z') });
    const small = quietHours(NIGHT, berlin, at('2026-12-08T06:59:59Z'));
    expect(small).toEqual({ quiet: true, zones: berlin, allowedAt: at('2026-12-08T07:00:00Z') });
    expect(quietHours(NIGHT, berlin, at('2026-12-08T07:00:00Z'))).toEqual({ quiet: false });
    // A clock between seconds still names the window's end exactly.
    expect(quietHours(NIGHT, berlin, at('2026-12-07T22:13:07.250Z'))).toMatchObject({
      allowedAt: at('2026-12-08T07:00:00Z'),
    });
  });

  it('a window within one day (12:00-14:00) is quiet only inside it', () => {
    const lunch = { start: '12:00', end: '14:00' };
    expect(quietHours(lunch, berlin, at('2026-12-07T10:59:00Z')).quiet).toBe(false);
    expect(quietHours(lunch, berlin, at('2026-12-07T11:00:00Z'))).toMatchObject({
      quiet: true,
      allowedAt: at('2026-12-07T13:00:00Z'),
    });
    expect(quietHours(lunch, berlin, at('2026-12-07T13:00:00Z')).quiet).toBe(false);
  });

  it('follows daylight saving time: 08:00 in Berlin is 06:00 UTC in summer', () => {
    expect(quietHours(NIGHT, berlin, at('2026-07-01T05:59:00Z'))).toMatchObject({
      quiet: true,
      allowedAt: at('2026-07-01T06:00:00Z'),
    });
  });

  it('a number of many zones is allowed only when every zone is outside quiet hours', () => {
    const zones = timeZonesOf('+18005550199');
    // 13:00 in New York, but 04:00 in Guam: refused.
    const t = at('2026-12-07T18:00:00Z');
    expect(localClock('America/New_York', t)).toBe('13:00');
    const verdict = quietHours(NIGHT, zones, t);
    expect(verdict.quiet).toBe(true);
    if (!verdict.quiet) throw new Error('unreachable');
    expect(verdict.zones).toContain('Pacific/Guam');
    expect(verdict.zones).not.toContain('America/New_York');
    // The first moment every zone is outside: 08:00 in Guam (22:00 UTC); a second earlier, Guam is quiet.
    expect(verdict.allowedAt).toBe(at('2026-12-07T22:00:00Z'));
    expect(quietHours(NIGHT, zones, verdict.allowedAt!).quiet).toBe(false);
    expect(quietHours(NIGHT, zones, verdict.allowedAt! - 1000).quiet).toBe(true);
  });

  it('a window no moment escapes in every zone says so (no allowed time)', () => {
    // 02:00-23:00 leaves three hours a day; Guam and Honolulu are 20 hours apart.
    const verdict = quietHours(
      { start: '02:00', end: '23:00' },
      ['Pacific/Guam', 'Pacific/Honolulu'],
      at('2026-12-07T12:00:00Z'),
    );
    expect(verdict).toMatchObject({ quiet: true });
    expect(verdict.quiet && verdict.allowedAt).toBeUndefined();
  });
});

describe('the policy file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voisa-policy-'));
  const write = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  it('reads the rules and the do-not-call numbers in any common format', async () => {
    write(
      'dnc.txt',
      '# numbers that asked not to be called\n030 1234567\n\n+49 (0)40 7654321\n0049-89-1112223 # office\n+1 650 253 0000\n',
    );
    const rules = await loadPolicyFile(
      write('ok.json', {
        allow_prefixes: ['+49', '+1650'],
        block_prefixes: ['+49900'],
        do_not_call_file: 'dnc.txt',
        default_country: 'DE',
        quiet_hours: NIGHT,
        max_calls_per_hour: 10,
        max_calls_per_day: 50,
        max_calls_in_progress: 2,
      }),
    );
    expect([...rules.doNotCall].sort()).toEqual([
      '+16502530000',
      '+49301234567',
      '+49407654321',
      '+49891112223',
    ]);
    expect(rules).toMatchObject({ allowPrefixes: ['+49', '+1650'], maxPerHour: 10, maxInProgress: 2 });
    // How make_call's number may be dialled: a German trunk 0 after +49 dropped (each one, read again
    // until it stops changing), Italy's 0 kept, no reading for a number of a length +1 has not.
    expect(rules.readings('+490301234567')).toEqual(['+49301234567']);
    expect(rules.readings('+4900301234569')).toEqual(['+490301234569', '+49301234569']);
    expect(rules.readings('+4909001234567')).toEqual(['+499001234567']);
    expect(rules.readings('+390612345678')).toEqual(['+390612345678']);
    expect(rules.readings('+10012125550123')).toEqual([]);
  });

  it.each([
    [{ allow_prefix: ['+49'] }, /unknown key allow_prefix/],
    [{ allow_prefixes: ['49'] }, /allow_prefixes\.0: must be an E\.164 prefix/],
    [{ quiet_hours: { start: '9pm', end: '08:00' } }, /quiet_hours\.start: must be a 24-hour time/],
    [{ quiet_hours: { start: '08:00', end: '08:00' } }, /quiet_hours: start and end must differ/],
    [{ max_calls_per_hour: 0 }, /max_calls_per_hour: must be 1 or more/],
    [{ default_country: 'Germany' }, /default_country: must be a two-letter country code/],
    ['{ "allow_prefixes": ', /not JSON/],
  ])('%j is refused, naming the key', async (content, message) => {
    await expect(loadPolicyFile(write('bad.json', content))).rejects.toThrow(message);
  });

  it('a do-not-call line that is no number is an error naming the file and line', async () => {
    write('dnc-bad.txt', '+49 30 1234567\n# fine\nnot a number\n');
    await expect(loadPolicyFile(write('p.json', { do_not_call_file: 'dnc-bad.txt' }))).rejects.toThrow(
      /dnc-bad\.txt, line 3: "not a number" is not a phone number/,
    );
    write('dnc-national.txt', '030 1234567\n');
    await expect(loadPolicyFile(write('p2.json', { do_not_call_file: 'dnc-national.txt' }))).rejects.toThrow(
      /line 1: .* needs "default_country"/,
    );
  });

  it('a missing file names itself', async () => {
    await expect(loadPolicyFile(join(dir, 'nope.json'))).rejects.toThrow(
      /nope\.json: cannot read it \(ENOENT\)/,
    );
  });
});

/**
 * Which time zones a number may ring in, as Google's PhoneNumberToTimeZonesMapper tells them: the
 * longest prefix of the time-zone map for a geographical number (a landline; a NANP number; a mobile of
 * Mexico, Argentina, Brazil, Indonesia or China), every zone of its country calling code for any other
 * (a mobile elsewhere, a toll-free number) and, where libphonenumber cannot classify a number, the
 * country's zones too rather than a refusal. Then quiet hours over those zones, at fixed moments.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { localClock, quietHours } from '../../src/policy/quiet-hours.js';
import { timeZonesOf } from '../../src/policy/zones.js';

const at = (iso: string) => Date.parse(iso);
const typeOf = (e164: string) => parsePhoneNumberFromString(e164)?.getType();
/** 21:00-09:00, as in the finding: a Vladivostok mobile must not ring at 03:00 there. */
const NIGHT = { start: '21:00', end: '09:00' };

const RUSSIA = [
  'Europe/Moscow',
  'Europe/Samara',
  'Asia/Yekaterinburg',
  'Asia/Omsk',
  'Asia/Novosibirsk',
  'Asia/Krasnoyarsk',
  'Asia/Irkutsk',
  'Asia/Yakutsk',
  'Asia/Vladivostok',
  'Asia/Sakhalin',
  'Asia/Magadan',
  'Asia/Kamchatka',
  'Asia/Anadyr',
];
const AUSTRALIA = [
  'Australia/Perth',
  'Australia/Eucla',
  'Australia/Adelaide',
  'Australia/Brisbane',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  // +61 also rings on Christmas Island and the Cocos Islands.
  'Indian/Christmas',
  'Indian/Cocos',
];

describe('a mobile number outside the geo-mobile countries rings in every zone of its country', () => {
  const farEast = '+79141234567';

  it('a Russian Far East mobile: every Russian zone (+7 also holds Kazakhstan), not Moscow alone', () => {
    expect(typeOf(farEast)).toBe('MOBILE');
    const zones = timeZonesOf(farEast);
    expect(zones).toEqual(expect.arrayContaining(RUSSIA));
    // The same as any other number of +7 that is not geographical: the country level.
    expect(timeZonesOf('+79161234567')).toEqual(zones);
    // A Moscow landline is geographical: Moscow alone.
    expect(typeOf('+74951234567')).toBe('FIXED_LINE');
    expect(timeZonesOf('+74951234567')).toEqual(['Europe/Moscow']);
  });

  it('refused at 03:00 in Vladivostok (20:00 in Moscow); allowed only while it is day in every Russian zone', () => {
    const zones = timeZonesOf(farEast);
    const night = at('2026-12-07T17:00:00Z');
    expect(localClock('Asia/Vladivostok', night)).toBe('03:00');
    expect(localClock('Europe/Moscow', night)).toBe('20:00');
    // What the prefix alone said (Moscow) would have let it ring.
    expect(quietHours(NIGHT, ['Europe/Moscow'], night)).toEqual({ quiet: false });
    const verdict = quietHours(NIGHT, zones, night);
    expect(verdict.quiet).toBe(true);
    if (!verdict.quiet) throw new Error('unreachable');
    expect(verdict.zones).toContain('Asia/Vladivostok');
    expect(verdict.zones).not.toContain('Europe/Moscow');
    // Day everywhere from 09:00 in the westernmost zone (UTC+2, 07:00 UTC) until 21:00 in the
    // easternmost (Kamchatka and Anadyr, UTC+12: 09:00 UTC): two hours a day.
    const first = verdict.allowedAt!;
    expect(first).toBe(at('2026-12-08T07:00:00Z'));
    expect(quietHours(NIGHT, zones, first - 1000).quiet).toBe(true);
    expect(quietHours(NIGHT, zones, first)).toEqual({ quiet: false });
    expect(localClock('Asia/Vladivostok', first)).toBe('17:00');
    expect(quietHours(NIGHT, zones, at('2026-12-08T08:59:59Z'))).toEqual({ quiet: false });
    const late = quietHours(NIGHT, zones, at('2026-12-08T09:00:00Z'));
    expect(late).toMatchObject({ quiet: true, allowedAt: at('2026-12-09T07:00:00Z') });
    expect(late.quiet && late.zones).toEqual(expect.arrayContaining(['Asia/Kamchatka', 'Asia/Anadyr']));
  });

  it('an Australian mobile: every Australian zone, Perth to Lord Howe; a Sydney landline: Sydney alone', () => {
    expect(typeOf('+61412345678')).toBe('MOBILE');
    expect(timeZonesOf('+61412345678')).toEqual(expect.arrayContaining(AUSTRALIA));
    expect(typeOf('+61291234567')).toBe('FIXED_LINE');
    expect(timeZonesOf('+61291234567')).toEqual(['Australia/Sydney']);
    // 10:00 in Sydney is 07:00 in Perth and 05:30 on the Cocos Islands (December): a mobile waits for
    // 09:00 there.
    const morning = at('2026-12-07T23:00:00Z');
    expect(localClock('Australia/Sydney', morning)).toBe('10:00');
    expect(quietHours(NIGHT, timeZonesOf('+61291234567'), morning)).toEqual({ quiet: false });
    expect(quietHours(NIGHT, timeZonesOf('+61412345678'), morning)).toMatchObject({
      quiet: true,
      zones: ['Australia/Eucla', 'Australia/Perth', 'Indian/Christmas', 'Indian/Cocos'],
      allowedAt: at('2026-12-08T02:30:00Z'),
    });
  });

  it('a Berlin landline and a German mobile: Berlin, the only zone of +49', () => {
    expect(typeOf('+49301234567')).toBe('FIXED_LINE');
    expect(timeZonesOf('+49301234567')).toEqual(['Europe/Berlin']);
    expect(typeOf('+4915123456789')).toBe('MOBILE');
    expect(timeZonesOf('+4915123456789')).toEqual(['Europe/Berlin']);
  });
});

describe('a geographical number rings where its prefix says', () => {
  it('a Brazilian mobile (a geo-mobile country) rings in its area: Manaus, São Paulo', () => {
    expect(typeOf('+5592991234567')).toBe('MOBILE');
    expect(timeZonesOf('+5592991234567')).toEqual(['America/Manaus']);
    expect(typeOf('+5511987654321')).toBe('MOBILE');
    expect(timeZonesOf('+5511987654321')).toEqual(['America/Sao_Paulo']);
  });

  it('a Mexican number of Tijuana (fixed line or mobile: geographical) rings in Tijuana', () => {
    expect(typeOf('+526641234567')).toBe('FIXED_LINE_OR_MOBILE');
    expect(timeZonesOf('+526641234567')).toEqual(['America/Tijuana']);
  });

  it('a New York +1 212 number rings in New York alone; a +1 800 toll-free number in every zone of +1', () => {
    expect(typeOf('+12125550123')).toBe('FIXED_LINE_OR_MOBILE');
    expect(timeZonesOf('+12125550123')).toEqual(['America/New_York']);
    expect(typeOf('+18005550199')).toBe('TOLL_FREE');
    const tollFree = timeZonesOf('+18005550199');
    expect(tollFree).toHaveLength(42);
    expect(tollFree).toEqual(
      expect.arrayContaining(['America/New_York', 'America/St_Johns', 'Pacific/Honolulu', 'Pacific/Guam']),
    );
    // A Jamaican mobile is no more geographical than a Russian one: every zone of +1 too.
    expect(typeOf('+18762101234')).toBe('MOBILE');
    expect(timeZonesOf('+18762101234')).toEqual(tollFree);
  });
});

describe('a number libphonenumber cannot classify', () => {
  it('rings in its country’s zones, so it is checked, not refused', () => {
    // Made-up numbers in ranges no operator has: the tests use +49123456789 throughout.
    expect(typeOf('+49123456789')).toBeUndefined();
    expect(timeZonesOf('+49123456789')).toEqual(['Europe/Berlin']);
    expect(typeOf('+61512345678')).toBeUndefined();
    expect(timeZonesOf('+61512345678')).toEqual(timeZonesOf('+61412345678'));
    expect(typeOf('+70001234567')).toBeUndefined();
    expect(timeZonesOf('+70001234567')).toEqual(timeZonesOf('+79141234567'));
    // Allowed while it is day in Germany, quiet at night.
    expect(quietHours(NIGHT, timeZonesOf('+49123456789'), at('2026-12-07T12:00:00Z'))).toEqual({
      quiet: false,
    });
    expect(quietHours(NIGHT, timeZonesOf('+49123456789'), at('2026-12-07T22:00:00Z')).quiet).toBe(true);
  });

  it('a number of no country the map knows rings in no zone (the policy refuses it)', () => {
    expect(timeZonesOf('+99912345')).toEqual([]);
  });
});

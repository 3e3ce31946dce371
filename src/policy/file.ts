/**
 * The operator's call policy file (`--call-policy FILE`, JSON), read and checked once at start-up: a
 * wrong key, value or do-not-call line stops the server with an error that names it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { isCountry, toE164 } from './numbers.js';
import { isClockTime, type QuietHours } from './quiet-hours.js';
import { loadTimeZones } from './zones.js';

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
}

const Prefix = z
  .string()
  .regex(/^\+[1-9]\d{0,14}$/, 'must be an E.164 prefix: + and digits, e.g. "+49" or "+4312"');
const Count = z
  .number()
  .int()
  .min(1, 'must be 1 or more (to allow no calls at all, leave make_call out: --read-only or --tools)');
const Clock = z.string().refine(isClockTime, 'must be a 24-hour time HH:MM, e.g. "21:00"');

const PolicyJson = z.strictObject({
  allow_prefixes: z.array(Prefix).optional(),
  block_prefixes: z.array(Prefix).optional(),
  do_not_call_file: z.string().min(1).optional(),
  default_country: z
    .string()
    .refine(isCountry, 'must be a two-letter country code such as "DE" or "US"')
    .optional(),
  quiet_hours: z
    .strictObject({ start: Clock, end: Clock })
    .refine((q) => q.start !== q.end, 'start and end must differ')
    .optional(),
  max_calls_per_hour: Count.optional(),
  max_calls_per_day: Count.optional(),
  max_calls_in_progress: Count.optional(),
});
export type PolicyJson = z.infer<typeof PolicyJson>;

/** The policy as checked: the file's rules, with the do-not-call numbers read and normalised. */
export interface PolicyRules {
  /** Where it was read from, for messages. */
  source: string;
  allowPrefixes?: readonly string[];
  blockPrefixes: readonly string[];
  doNotCall: ReadonlySet<string>;
  /**
   * How the network may read the number, in E.164 (`readingsOf`): empty when it is no possible number.
   * The rules are checked against each reading as well as the number as written. A function here, not
   * an import in policy.ts, so the phone-number library loads only with a policy.
   */
  readings: (number: string) => string[];
  quietHours?: QuietHours;
  maxPerHour?: number;
  maxPerDay?: number;
  maxInProgress?: number;
}

/**
 * The E.164 numbers `number` may ring: libphonenumber's reading of it, read again until it stops
 * changing (`+4900301234569` → `+490301234569` → `+49301234569`: each pass drops one trunk 0), each
 * reading once. Empty when it is no possible number.
 */
export function readingsOf(number: string): string[] {
  const readings: string[] = [];
  let current = number;
  for (let pass = 0; pass < 4; pass++) {
    const read = toE164(current);
    if (!read) break;
    if (!readings.includes(read)) readings.push(read);
    if (read === current) break;
    current = read;
  }
  return readings;
}

/** Reads and checks the policy file and its do-not-call file (a path relative to the policy file). */
export async function loadPolicyFile(path: string): Promise<PolicyRules> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new PolicyFileError(`call policy ${path}: cannot read it (${err.code ?? err.message})`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PolicyFileError(`call policy ${path}: not JSON (${(err as Error).message})`);
  }
  const parsed = PolicyJson.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = i.path.length ? i.path.join('.') : '(top level)';
      const unknown = i.code === 'unrecognized_keys' ? `unknown key ${i.keys.join(', ')}: ` : '';
      return `${key}: ${unknown}${i.code === 'unrecognized_keys' ? `allowed keys are ${Object.keys(PolicyJson.shape).join(', ')}` : i.message}`;
    });
    throw new PolicyFileError(`call policy ${path}: ${problems.join('; ')}`);
  }
  const p = parsed.data;
  const dncPath = p.do_not_call_file && resolve(dirname(path), p.do_not_call_file);
  const doNotCall = dncPath ? await readDoNotCall(dncPath, p.default_country) : new Set<string>();
  // A policy with quiet hours needs the time-zone map: missing, it is a start-up error, not a refusal later.
  if (p.quiet_hours) {
    try {
      loadTimeZones();
    } catch (err) {
      throw new PolicyFileError(`call policy ${path}: quiet_hours: ${(err as Error).message}`);
    }
  }
  return {
    source: path,
    allowPrefixes: p.allow_prefixes,
    blockPrefixes: p.block_prefixes ?? [],
    doNotCall,
    readings: readingsOf,
    quietHours: p.quiet_hours,
    maxPerHour: p.max_calls_per_hour,
    maxPerDay: p.max_calls_per_day,
    maxInProgress: p.max_calls_in_progress,
  };
}

/**
 * One number a line, in any common format (`+49 30 1234567`, `0049-30-1234567`, `(030) 1234567` with
 * `default_country` DE). Blank lines and `#` comments are skipped; a line that is no phone number is an
 * error naming the line.
 */
async function readDoNotCall(path: string, country: string | undefined): Promise<Set<string>> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new PolicyFileError(`do_not_call_file ${path}: cannot read it (${err.code ?? err.message})`);
  });
  const numbers = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const number = toE164(line, country && isCountry(country) ? country : undefined);
    if (!number) {
      const hint = country
        ? ''
        : ' (a number without its country code needs "default_country" in the policy)';
      throw new PolicyFileError(
        `do_not_call_file ${path}, line ${i + 1}: "${line.slice(0, 40)}" is not a phone number${hint}`,
      );
    }
    numbers.add(number);
  });
  return numbers;
}

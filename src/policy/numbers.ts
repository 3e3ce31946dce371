/**
 * Phone numbers as the policy sees them: normalised to E.164 with libphonenumber-js (so a do-not-call
 * list in any common format matches what `make_call` sends), and masked for the audit trail. The 'max'
 * metadata, which zones.ts needs to tell a mobile apart: one metadata set loads, not two.
 */
import {
  type CountryCode,
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';

/** The number in E.164 (`+4930123456`), or undefined when it is not a possible phone number. */
export function toE164(raw: string, defaultCountry?: CountryCode): string | undefined {
  // `00` is the international prefix almost everywhere; without a default country it is still a `+`.
  const text = defaultCountry ? raw : raw.trim().replace(/^00(?=[1-9])/, '+');
  const parsed = parsePhoneNumberFromString(text, defaultCountry);
  return parsed?.isPossible() ? parsed.number : undefined;
}

export function isCountry(code: string): code is CountryCode {
  return isSupportedCountry(code);
}

/**
 * `+49…67`: the country calling code and the last two digits, never the rest (audit lines). The code is
 * kept only when the number is written internationally (`+` or `00`) and starts with a calling code;
 * otherwise only the last two digits stay (`…67`: an area code says where a person lives).
 */
export function maskNumber(number: string): string {
  return maskRun(readDigits(number));
}

/**
 * The text with every phone number masked (`maskNumber`), in any common format: international
 * (`+49 30 1234567`, `0049-30-1234567`, `tel:+49…`, glued to a word as in `fax+49…`), national
 * (`030 1234567`, `(212) 555-0123`, `212.555.0123`), bare digits (`wa.me/49301234567`), with Unicode
 * spaces and dashes or full-width digits. What counts: a run of 7 or more digits joined only by
 * spaces, dashes, dots, slashes and parentheses. Two international numbers side by side are masked
 * one by one when each has 7 digits; otherwise the run is masked as one (never a part left whole).
 * Kept as they are: our ids (`agt_1234567`, `conv_…`, `kb_…`), ISO dates and times
 * (`2026-12-07T12:00:00Z`), `07.12.2026`, and opening hours (`12:00-23:00`, `12.00-23.00`).
 */
export function maskNumbers(text: string): string {
  const plain = readDigits(text);
  // The same text with what is kept blanked out, so no run reaches into it (same length, same places).
  const work = plain.replace(KEPT, (m) => 'x'.repeat(m.length));
  let out = '';
  let last = 0;
  for (const m of work.matchAll(RUN)) {
    const run = m[0];
    if (countDigits(run) < MIN_DIGITS) continue;
    out += text.slice(last, m.index);
    out += splitRun(run)
      .map((part) => (part.trim() ? maskRun(part) : part))
      .join('');
    last = m.index + run.length;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** A phone number has at least this many digits (a German extension 7, most numbers 9 to 12). */
const MIN_DIGITS = 7;

/** A run of digits joined only by separators; a leading `+` or `(` is part of it. */
const RUN = /\+?\(?\d[\d \t()./-]*\d/g;

/** Shapes that hold digits and are not phone numbers: kept whole, and they split a run. */
const KEPT = new RegExp(
  [
    // Our ids and VOISA's (agt_…, conv_…, call_…, kb_…, voice_…, wh_…, sess_…, evt_…, req_…, acc_…).
    String.raw`\b(?:agt|conv|call|kb|voice|wh|sess|evt|req|acc|tool|item)_[A-Za-z0-9]+`,
    // ISO 8601 dates, with a time and offset.
    String.raw`\b(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?(?!\d)`,
    // 07.12.2026, 7/12/2026, 12/07/2026.
    String.raw`\b(?:0?[1-9]|[12]\d|3[01])([./])(?:0?[1-9]|1[0-2])\1(?:19|20)\d\d(?!\d)`,
    String.raw`\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)\d\d(?!\d)`,
    // Opening hours with dots: 12.00-23.00, 9.30 - 18.00 (with colons they are no run anyway).
    String.raw`\b(?:[01]?\d|2[0-3])\.[0-5]\d ?- ?(?:[01]?\d|2[0-3])\.[0-5]\d(?!\d)`,
  ].join('|'),
  'g',
);

/** Where a new international number may start inside a run: after a space, at `+` or `00`. */
const NEXT_NUMBER = /[ \t]+(?=\+|00[1-9])/g;

/**
 * The run cut before each `+` or `00` that starts another number, where both sides hold a whole
 * number's digits (`+49301234567 0049301234568`); the separators stay between the parts.
 */
function splitRun(run: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const m of run.matchAll(NEXT_NUMBER)) {
    const cut = m.index;
    if (countDigits(run.slice(start, cut)) >= MIN_DIGITS && countDigits(run.slice(cut)) >= MIN_DIGITS) {
      parts.push(run.slice(start, cut), m[0]);
      start = cut + m[0].length;
    }
  }
  parts.push(run.slice(start));
  return parts;
}

/** `+CC…NN` for a number written internationally with a known calling code, else `…NN`. */
function maskRun(run: string): string {
  const digits = run.replace(/\D/g, '');
  const from = run.search(/[+\d]/);
  const international = run[from] === '+' ? digits : /^00[1-9]/.test(digits) ? digits.slice(2) : undefined;
  const code = international === undefined ? undefined : callingCodeOf(international);
  return `${code ? `+${code}` : ''}…${digits.slice(-2)}`;
}

function countDigits(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

let callingCodes: Set<string> | undefined;
/** Calling codes without a country of their own (freephone, satellite, shared cost …). */
const NON_GEOGRAPHIC = ['800', '808', '870', '878', '881', '882', '883', '888', '979'];

/** The calling code `digits` starts with (codes are prefix-free: at most one of 1, 2 or 3 digits fits). */
export function callingCodeOf(digits: string): string | undefined {
  callingCodes ??= new Set([...getCountries().map((c) => getCountryCallingCode(c)), ...NON_GEOGRAPHIC]);
  for (let n = 1; n <= 3; n++) if (callingCodes.has(digits.slice(0, n))) return digits.slice(0, n);
  return undefined;
}

/**
 * The text with Unicode spaces and dashes read as ASCII ones, full-width `+ ( ) . /` as ASCII, and every
 * decimal digit of another script as its ASCII digit. Each character stays one UTF-16 unit, so places
 * in the result are places in the text.
 */
function readDigits(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, for the common case
  return /^[\x00-\x7f]*$/.test(text) ? text : text.replace(/[^\x00-\x7f]/g, asciiOf);
}

const FULL_WIDTH: Record<string, string> = { '＋': '+', '（': '(', '）': ')', '．': '.', '／': '/' };

function asciiOf(ch: string): string {
  if (/[\p{Zs}\u200b\ufeff]/u.test(ch)) return ' ';
  if (/[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/.test(ch)) return '-';
  if (FULL_WIDTH[ch]) return FULL_WIDTH[ch];
  if (/\p{Nd}/u.test(ch)) return String(digitValue(ch.charCodeAt(0)));
  return ch;
}

/** Decimal digits come in blocks of ten from 0 to 9: the value is the place in its block. */
function digitValue(code: number): number {
  let before = 0;
  while (/\p{Nd}/u.test(String.fromCharCode(code - before - 1))) before++;
  return before % 10;
}

/**
 * Phone numbers as the policy sees them: normalised to E.164 with libphonenumber-js (so a do-not-call
 * list in any common format matches what `make_call` sends), and masked for the audit trail.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

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
 * `+49…67`: the country calling code and the last two digits, never the rest (audit lines). A number
 * that does not parse keeps its first three characters.
 */
export function maskNumber(number: string): string {
  const parsed = parsePhoneNumberFromString(number);
  const digits = number.replace(/\D/g, '');
  const head = parsed ? `+${parsed.countryCallingCode}` : number.slice(0, 3);
  return `${head}…${digits.slice(-2)}`;
}

/**
 * International numbers in free text (`+49 30 1234567`, `0049-30-1234567`): 7 to 15 digits after `+` or
 * `00`, separators allowed, not inside a word (an id such as `agt_1234567` or a date stays as it is).
 */
const NUMBER_LIKE = /(?<![\w+])(?:\+|00)\d[\d ()./-]{5,}\d(?!\w)/g;

/** The text with every number-like run masked (`maskNumber`). */
export function maskNumbers(text: string): string {
  return text.replace(NUMBER_LIKE, (run) => {
    const digits = run.replace(/\D/g, '');
    const e164 = `+${run.startsWith('+') ? digits : digits.slice(2)}`;
    return e164.length >= 8 && e164.length <= 16 ? maskNumber(e164) : run;
  });
}

/**
 * Secrets in the arguments the audit trail keeps, beyond the VOISA keys and bearer tokens that
 * `redactSecrets` takes out of every text: argument names that say "secret", and credentials inside
 * free text (a webhook or knowledge-base URL with a password or a signed query, an Authorization
 * header pasted into a prompt, a payment or cloud provider's key). Better a harmless value too many
 * redacted than one credential kept.
 */

const REDACTED = '[REDACTED]';

/**
 * Argument names whose values are never written, whatever they hold: `password`, `webhook_secret`,
 * `api_key`, `X-Api-Key`, `apiKey2`, `private-key`, `auth`, `Authorization`, `cookie`, `credentials`,
 * `access_token`, `signature`, `key`, `pin` …
 */
export const SECRET_NAME =
  /secret|passw|pwd|passphrase|token|api[-_ ]?key|private[-_ ]?key|authori[sz]ation|credential|cookie|signature|^(?:auth|key|pin|otp)$|^auth[-_]|[-_]auth$|[-_]key$/i;

/** Query parameters that carry a credential, besides those named like a secret (signed URLs, OAuth codes). */
const SECRET_PARAM = /^(?:sig|code|jwt|sid|session(?:id)?|x-(?:amz|goog)-(?:credential|signature))$/i;

/** Credentials inside free text, each with what replaces it. */
const PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
  // https://user:password@host/… : the userinfo, up to the last `@` of the authority.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi, `$1${REDACTED}@`],
  // ?token=…&sig=…&password=… (and #access_token=…): the value, the name stays.
  [
    /([?&;#]([\w.\-[\]]{1,64})=)([^&#\s"'<>]*)/g,
    (all, lead, name, value) =>
      value && (SECRET_NAME.test(name) || SECRET_PARAM.test(name)) ? `${lead}${REDACTED}` : all,
  ],
  // Authorization: <scheme> <credentials>, X-Api-Key: …, in a header or a JSON-ish text (Digest's
  // quoted parameters: to the end of the line).
  [
    /\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token)(["']?\s*[:=]\s*["']?)(digest\s+[^\r\n]+|(?:(?:basic|bearer|token|negotiate|ntlm|apikey|key|dpop|hoba|mutual|aws4-hmac-sha256)\s+)?[^\s"',;]+)/gi,
    (_all, name, sep, value) => {
      const scheme = /^([a-z][\w-]*)\s+\S/i.exec(value)?.[1] ?? '';
      return `${name}${sep}${scheme ? `${scheme} ` : ''}${REDACTED}`;
    },
  ],
  // Cookie: a=…; b=… (every cookie, to the end of the line).
  [/\b((?:set-)?cookie["']?\s*:\s*["']?)[^\r\n"']+/gi, `$1${REDACTED}`],
  // Basic dXNlcjpwYXNz: base64 of `user:password` (so "Basic plan" stays).
  [
    /\b(Basic\s+)([A-Za-z0-9+/]{6,}={0,2})/gi,
    (all, lead, token) =>
      isUserPassword(Buffer.from(token, 'base64').toString('latin1')) ? `${lead}${REDACTED}` : all,
  ],
  // Key shapes of well-known services: sk-live-…/sk_live_… (payments), sk-proj-…, whsec_…, GitHub,
  // Slack, AWS, Google, JWTs, PEM private keys.
  [
    /\b(?:[spr]k[-_](?:live|test|proj)[-_][\w-]{6,}|sk-[A-Za-z0-9_-]{20,}|whsec_[\w+/=-]{6,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[\w-]{30,}|eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*)/g,
    REDACTED,
  ],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
];

/** `text` with the credentials above replaced by `[REDACTED]`. */
export function redactCredentials(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) {
    pattern.lastIndex = 0;
    if (!pattern.test(out)) continue;
    pattern.lastIndex = 0;
    out = out.replace(pattern, replacement as (...m: string[]) => string);
  }
  return out;
}

/** Printable `user:password`, as a Basic credential decodes. */
function isUserPassword(decoded: string): boolean {
  return decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded);
}

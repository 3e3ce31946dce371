/**
 * Redaction of API keys from any text the client passes on (error fields, log
 * events, client events). Applied to every string that came from upstream or
 * from a URL, so that a key VOISA echoes back, in whatever place, goes no further.
 */

export const REDACTED = '[REDACTED]';

/**
 * Anything shaped like a VOISA key (`vsa_live_…`, `vsa_test_…`), and the token of a
 * `Bearer …` credential. The key alphabet is generous on purpose: better to cut a
 * little too much of a neighbouring word than to leave the tail of a key. A token never
 * holds `<` or `>` (RFC 6750's b64token), so a placeholder such as `Bearer <VOISA API key>`
 * in our own help text is left whole; a real key inside one is still key-shaped.
 */
const KEY_SHAPED = /vsa_(?:live|test)_[A-Za-z0-9_\-.~+/=]*/gi;
const BEARER = /\b(Bearer\s+)(?!<)[^\s"',;<>]+/gi;

/**
 * `text` without the `keys` given (exact occurrences, also URL-encoded) and without
 * anything that looks like a VOISA key or a bearer token.
 */
export function redactSecrets(text: string, keys: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const key of keys) {
    if (!key) continue;
    out = out.split(key).join(REDACTED);
    const encoded = encodeURIComponent(key);
    if (encoded !== key) out = out.split(encoded).join(REDACTED);
  }
  return out.replace(KEY_SHAPED, REDACTED).replace(BEARER, `$1${REDACTED}`);
}

/** A redactor bound to one configured key (or none). */
export function redactorFor(apiKey: string | undefined): (text: string) => string {
  const keys = apiKey ? [apiKey] : [];
  return (text) => redactSecrets(text, keys);
}

/**
 * The audit trail (`--audit-log FILE`, or `-` for stderr): one JSON line per call of a tool that
 * changes something, and per policy refusal and declined confirmation, written before the tool
 * answers. Each line says when, which tool, the outcome, who (a keyed fingerprint of the principal,
 * never its key), through which client, on which instance and request, and the arguments with phone
 * numbers masked and secrets left out, at most 8 KB. The file is created 0600 and only appended to.
 */
import { chmod, type FileHandle, open, stat } from 'node:fs/promises';
import { maskNumber, maskNumbers } from '../policy/numbers.js';
import { redactCredentials, SECRET_NAME } from './secrets.js';

export interface AuditRecord {
  tool: string;
  /** `ok`, `dry_run`, a VOISA error code, a policy code, `DECLINED`, … */
  outcome: string;
  /** The principal's keyed fingerprint (an API key or an OAuth grant). */
  principal: string;
  /** The OAuth client (id and name), or the MCP client's name. */
  client?: { id?: string; name?: string };
  instance: string;
  request_id?: string | number;
  arguments: Record<string, unknown>;
}

/** Where lines go; `write` resolves once the line is handed to the file (or stderr). */
export interface AuditTrail {
  write(record: AuditRecord): Promise<void>;
  close(): Promise<void>;
}

const PHONE_NAME = /phone|number/i;
/** `agent_id`, `item_ids`, `agentId`, `id`: a value shaped like an id is kept whole. */
const ID_NAME = /(?:^|_)ids?$|[a-z]Ids?$/;
/** `agt_bella0001`, `sess_k3j9x0q2ab` (a letter after the `_`, so `x_49301234567` is not one), a UUID. */
const ID_SHAPE =
  /^(?:[A-Za-z]{1,16}_(?=[\w-]*[A-Za-z])[\w-]{1,64}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})$/i;
/** A number with this many digits may be a phone number, whatever its argument's name. */
const PHONE_DIGITS = 7;

/**
 * How much of the arguments a line keeps: nesting depth (deeper is `[nested]`), items of an array and
 * keys of an object (the rest counted), characters of a string (knowledge-base text, prompts: the
 * trail says what changed, not all of it) and of a key. `TIGHT` is for a line that is still too long.
 */
interface Limits {
  depth: number;
  items: number;
  keys: number;
  string: number;
  key: number;
}
const LIMITS: Limits = { depth: 8, items: 20, keys: 50, string: 120, key: 64 };
const TIGHT: Limits = { depth: 4, items: 5, keys: 10, string: 40, key: 32 };
/** A line's most bytes: past it the arguments are cut and the line says `"truncated":true`. */
export const MAX_LINE = 8192;
/** A header field's most characters (the request id and client name come from the client). */
const MAX_HEADER = 256;
/** Text beyond this is not looked at: it is cut before masking, at a word and number boundary. */
const MAX_READ = 4096;

/** Takes key-shaped text out of a string: `redactSecrets` (voisa/redact.ts), which every text we pass on goes through. */
export type Redact = (text: string) => string;

/**
 * The arguments as the trail keeps them: phone numbers masked (in a phone-number argument whatever
 * its format or JSON type, in free text, and any number of 7 or more digits), secrets left out (by
 * name, key-shaped text by `redact`, credentials in URLs and headers), file bytes counted, long text
 * cut, depth and size bounded.
 */
export function auditArguments(value: unknown, redact: Redact, name = '', limits = LIMITS): unknown {
  return walk(value, redact, name, limits, 0);
}

function walk(value: unknown, redact: Redact, name: string, limits: Limits, depth: number): unknown {
  if (value === undefined) return value;
  if (SECRET_NAME.test(name)) return '[redacted]';
  if (typeof value === 'string') {
    // The decoded size, `=` padding not counted, without decoding.
    if (name === 'content_base64') return `[${Buffer.byteLength(value, 'base64')} bytes]`;
    // A field that holds a phone number is masked whatever its format.
    if (PHONE_NAME.test(name)) return maskNumber(value.slice(0, MAX_READ));
    if (ID_NAME.test(name) && ID_SHAPE.test(value)) return value;
    return freeText(value, redact, limits.string);
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    // {"phone_number": 4930123456789} is refused as input, and written: masked like any other.
    const text = String(value);
    return PHONE_NAME.test(name) || (text.match(/\d/g)?.length ?? 0) >= PHONE_DIGITS
      ? maskNumber(text)
      : typeof value === 'bigint'
        ? text
        : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= limits.depth) return '[nested]';
  if (Array.isArray(value)) {
    const kept = value.slice(0, limits.items).map((v) => walk(v, redact, name, limits, depth + 1));
    return value.length > limits.items ? [...kept, `[+${value.length - limits.items} more]`] : kept;
  }
  const keys = Object.keys(value);
  const entries = keys
    .slice(0, limits.keys)
    .map((k) => [
      freeText(k, redact, limits.key),
      walk((value as Record<string, unknown>)[k], redact, k, limits, depth + 1),
    ]);
  if (keys.length > limits.keys) entries.push(['…', `[+${keys.length - limits.keys} more]`]);
  // fromEntries, not assignment: a key `__proto__` stays a key.
  return Object.fromEntries(entries);
}

/** Free text as the trail keeps it: keys, tokens and credentials out, phone numbers masked, cut. */
function freeText(value: string, redact: Redact, limit: number): string {
  const read = value.length > MAX_READ ? cutAtBoundary(value, MAX_READ) : value;
  const masked = maskNumbers(redactCredentials(redact(read)));
  return value.length > limit || masked.length > limit
    ? `${masked.slice(0, limit)}…[${value.length} chars]`
    : masked;
}

/** Characters a phone number is written with: a cut must not leave part of one unmasked. */
const NUMBER_CHAR = /[\p{Nd}\p{Zs}\t+＋()（）.．/／\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/u;

/** The first `n` characters, less a word and a number (or what looks like one) the cut went through. */
function cutAtBoundary(text: string, n: number): string {
  let end = n;
  while (end > n - 256 && !/\s/.test(text[end - 1]!)) end--;
  if (end === n - 256) end = n;
  while (end > 0 && NUMBER_CHAR.test(text[end - 1]!)) end--;
  return text.slice(0, end);
}

/** The line of `record`: always one, whatever the arguments hold; at most MAX_LINE bytes. */
export function auditLine(record: AuditRecord, redact: Redact): string {
  const head = {
    time: new Date().toISOString(),
    tool: record.tool.slice(0, MAX_HEADER),
    outcome: record.outcome.slice(0, MAX_HEADER),
    principal: record.principal.slice(0, MAX_HEADER),
    client: record.client && {
      id: record.client.id === undefined ? undefined : freeText(record.client.id, redact, MAX_HEADER),
      name: record.client.name === undefined ? undefined : freeText(record.client.name, redact, MAX_HEADER),
    },
    instance: record.instance.slice(0, MAX_HEADER),
    request_id:
      typeof record.request_id === 'string'
        ? freeText(record.request_id, redact, MAX_HEADER)
        : record.request_id,
  };
  const kept = (limits: Limits) => {
    try {
      return auditArguments(record.arguments, redact, '', limits);
    } catch {
      return '[unreadable]';
    }
  };
  let args = kept(LIMITS);
  let line = JSON.stringify({ ...head, arguments: args });
  if (Buffer.byteLength(line) <= MAX_LINE && args !== '[unreadable]') return `${line}\n`;
  args = kept(TIGHT);
  line = JSON.stringify({ ...head, arguments: args, truncated: true });
  if (Buffer.byteLength(line) <= MAX_LINE) return `${line}\n`;
  // Still too long: the start of the kept arguments' JSON, as a string.
  const room = MAX_LINE - Buffer.byteLength(JSON.stringify({ ...head, arguments: '…', truncated: true }));
  let cut = JSON.stringify(args).slice(0, room);
  while (cut && Buffer.byteLength(JSON.stringify(cut)) - 2 > room)
    cut = cut.slice(0, Math.floor(cut.length * 0.9));
  return `${JSON.stringify({ ...head, arguments: `${cut}…`, truncated: true })}\n`;
}

export interface AuditTrailOptions {
  /**
   * The key and token redaction (`redactSecrets`). Handed over by the caller rather than imported:
   * the CLI loads this module only with --audit-log, and gives it the redaction from the part it has
   * loaded already, so the bundle does not split that module into a chunk of its own.
   */
  redact: Redact;
  /** Told when a line cannot be written. */
  onError?: (message: string) => void;
}

/**
 * Opens the trail: `-` is stderr; a path is opened for appending, created 0600 (an existing file with
 * wider permissions is narrowed to 0600).
 */
export async function openAuditTrail(
  target: string,
  { redact, onError }: AuditTrailOptions,
): Promise<AuditTrail> {
  const line = (record: AuditRecord) => auditLine(record, redact);
  if (target === '-') {
    return {
      write: async (record) => {
        try {
          process.stderr.write(line(record));
        } catch (err) {
          onError?.(`audit log: could not write a line (${(err as Error).message})`);
        }
      },
      close: async () => {},
    };
  }
  const handle: FileHandle = await open(target, 'a', 0o600);
  if (((await stat(target)).mode & 0o077) !== 0) await chmod(target, 0o600);
  return {
    async write(record) {
      try {
        await handle.appendFile(line(record));
      } catch (err) {
        // The tool has acted (or refused) already; losing the line must not change its answer.
        onError?.(`audit log ${target}: could not write a line (${(err as Error).message})`);
      }
    },
    close: () => handle.close(),
  };
}

/**
 * The audit trail (`--audit-log FILE`, or `-` for stderr): one JSON line per call of a tool that
 * changes something, and per policy refusal and declined confirmation, written before the tool
 * answers. Each line says when, which tool, the outcome, who (a keyed fingerprint of the principal,
 * never its key), through which client, on which instance and request, and the arguments with phone
 * numbers masked and secrets left out. The file is created 0600 and only appended to.
 */
import { chmod, type FileHandle, open, stat } from 'node:fs/promises';
import { maskNumber, maskNumbers, toE164 } from '../policy/numbers.js';

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

/** Argument names whose values are never written, whatever they hold. */
const SECRET_NAME = /secret|password|passwd|token|api_?key|authorization|credential/i;
const PHONE_NAME = /phone|number/i;
/** Strings longer than this are cut (knowledge-base text, prompts): the trail says what changed, not all of it. */
const MAX_STRING = 120;

/** Takes key-shaped text out of a string: `redactSecrets` (voisa/redact.ts), which every text we pass on goes through. */
export type Redact = (text: string) => string;

/**
 * The arguments as the trail keeps them: numbers masked, secrets (by name, and key-shaped text by
 * `redact`) and file bytes left out, long text cut.
 */
export function auditArguments(value: unknown, redact: Redact, name = ''): unknown {
  if (SECRET_NAME.test(name) && value !== undefined) return '[redacted]';
  if (typeof value === 'string') {
    // The decoded size, `=` padding not counted, without decoding.
    if (name === 'content_base64') return `[${Buffer.byteLength(value, 'base64')} bytes]`;
    // A field that holds a phone number is masked whatever its format.
    if (PHONE_NAME.test(name)) return maskNumber(toE164(value) ?? value);
    // Anything shaped like a VOISA key or a bearer token, as in every other text we pass on.
    const masked = maskNumbers(redact(value));
    return masked.length > MAX_STRING ? `${masked.slice(0, MAX_STRING)}…[${masked.length} chars]` : masked;
  }
  if (Array.isArray(value)) return value.map((v) => auditArguments(v, redact, name));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, auditArguments(v, redact, k)]));
  }
  return value;
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
  const line = (record: AuditRecord) =>
    `${JSON.stringify({
      time: new Date().toISOString(),
      ...record,
      arguments: auditArguments(record.arguments, redact),
    })}\n`;
  if (target === '-') {
    return {
      write: async (record) => {
        process.stderr.write(line(record));
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

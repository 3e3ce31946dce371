/** Operator diagnostics on stderr (stdout belongs to the stdio transport). Never pass it an API key. */
import type { LoggingLevel } from '@modelcontextprotocol/server';
import { spanIds } from '../telemetry/ids.js';
import { redactSecrets } from '../voisa/redact.js';

const ORDER: LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

export type LogFn = (level: LoggingLevel, message: string, data?: Record<string, unknown>) => void;

/** `text` (the default): `[voisa-mcp] level: message {data}`; `json`: one JSON object a line. */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogLevel(value: string): value is LoggingLevel {
  return (ORDER as string[]).includes(value);
}

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

export interface LoggerOptions {
  /** Default `text`. */
  format?: LogFormat;
  /** This process's name in every JSON line (`--instance-id`, else host and pid). */
  instance?: string;
  /** Default: process.stderr. Never stdout: it carries the stdio transport. */
  write?: (line: string) => void;
  /** Default: the ISO time now (tests pin it). */
  now?: () => string;
}

/**
 * A logger writing one line per message to stderr, dropping messages below `min`. As a last
 * line of defence every line is cut of anything shaped like a VOISA key or bearer token
 * (the VOISA client already redacts at the source, including keys of other shapes). The
 * second argument is the writer alone (text format) or the options.
 */
export function stderrLogger(
  min: LoggingLevel = 'info',
  options: LoggerOptions | ((line: string) => void) = {},
): LogFn {
  const o = typeof options === 'function' ? { write: options } : options;
  const write = o.write ?? ((line: string) => process.stderr.write(line));
  const floor = ORDER.indexOf(min);
  if (o.format === 'json') {
    const now = o.now ?? (() => new Date().toISOString());
    return (level, message, data) => {
      if (ORDER.indexOf(level) < floor) return;
      write(jsonLine({ time: now(), level, message, instance: o.instance, data, ids: spanIds() }));
    };
  }
  return (level, message, data) => {
    if (ORDER.indexOf(level) < floor) return;
    const extra = data && Object.keys(data).length ? ` ${JSON.stringify(data)}` : '';
    write(redactSecrets(`[voisa-mcp] ${level}: ${message}${extra}\n`));
  };
}

/** The line's own fields: a data field of the same name is kept as `data_<name>`, never overriding them. */
const OWN = new Set(['time', 'level', 'message', 'instance', 'trace_id', 'span_id']);

/**
 * One JSON line: `{time, level, message, instance, ...data, trace_id, span_id}`. Redaction runs on
 * every string (keys of `data` included) before serialising, never on the serialised line: cutting a
 * token out of JSON text could take an escaping backslash with it and leave a line that does not parse.
 */
export function jsonLine(e: {
  time: string;
  level: LoggingLevel;
  message: string;
  instance?: string;
  data?: Record<string, unknown>;
  ids?: { trace_id: string; span_id: string };
}): string {
  const line: Record<string, unknown> = {
    time: e.time,
    level: e.level,
    message: redactSecrets(e.message),
    ...(e.instance ? { instance: e.instance } : {}),
  };
  const data = e.data ? redactValue(plain(e.data), 0) : undefined;
  if (data && typeof data === 'object' && !Array.isArray(data))
    for (const [k, v] of Object.entries(data)) line[OWN.has(k) ? `data_${k}` : k] = v;
  if (e.ids) {
    line.trace_id = e.ids.trace_id;
    line.span_id = e.ids.span_id;
  }
  return `${JSON.stringify(line)}\n`;
}

/** `data` as JSON would carry it (Dates as strings, Errors by their message), or a note when it cannot. */
function plain(data: Record<string, unknown>): unknown {
  try {
    return JSON.parse(
      JSON.stringify(data, (_k, v: unknown) =>
        v instanceof Error ? { name: v.name, message: v.message } : typeof v === 'bigint' ? v.toString() : v,
      ),
    );
  } catch {
    return { data: '[unserialisable]' };
  }
}

/** Every string inside `v` redacted, object keys too; depth-bounded (JSON.parse output has no cycles). */
function redactValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return redactSecrets(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth > 32) return '[too deep]';
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactSecrets(k), redactValue(x, depth + 1)]));
}

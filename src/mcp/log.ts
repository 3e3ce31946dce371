/** Operator diagnostics on stderr (stdout belongs to the stdio transport). Never pass it an API key. */
import type { LoggingLevel } from '@modelcontextprotocol/server';
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

export function isLogLevel(value: string): value is LoggingLevel {
  return (ORDER as string[]).includes(value);
}

/**
 * A logger writing one line per message to stderr, dropping messages below `min`. As a last
 * line of defence every line is cut of anything shaped like a VOISA key or bearer token
 * (the VOISA client already redacts at the source, including keys of other shapes).
 */
export function stderrLogger(
  min: LoggingLevel = 'info',
  write = (line: string) => process.stderr.write(line),
): LogFn {
  const floor = ORDER.indexOf(min);
  return (level, message, data) => {
    if (ORDER.indexOf(level) < floor) return;
    const extra = data && Object.keys(data).length ? ` ${JSON.stringify(data)}` : '';
    write(redactSecrets(`[voisa-mcp] ${level}: ${message}${extra}\n`));
  };
}

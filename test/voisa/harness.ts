/** Test harness for the VOISA client: a real sandbox over loopback, a client, a capturing logger. */
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.js';
import { VoisaClient, type VoisaClientConfig, type VoisaLogger } from '../../src/voisa/index.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  data?: Record<string, unknown>;
}

/** A logger that keeps every line, so a test can search them (e.g. for the API key). */
export function capturingLogger(): VoisaLogger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (msg: string, data?: Record<string, unknown>): void => {
      lines.push(data === undefined ? { level, msg } : { level, msg, data });
    };
  return {
    lines,
    text: () => JSON.stringify(lines),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

/** Starts an unlimited sandbox (no server-side rate limit) unless told otherwise. */
export function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ rateLimitPerMin: 0, trainingMs: 0, callMs: 50, ...options });
}

/** A client of `sb` with the demo key, no client-side rate limit and short retry delays. */
export function clientFor(sb: Sandbox, config: VoisaClientConfig = {}): VoisaClient {
  return new VoisaClient({
    baseUrl: sb.baseUrl,
    apiKey: sb.demoKey,
    rateLimitPerMin: 0,
    maxRetryDelayMs: 20,
    timeoutMs: 5_000,
    ...config,
  });
}

/** The last request the sandbox logged (fails the test when there is none). */
export function lastRequest(sb: Sandbox) {
  const log = sb.requests();
  const last = log[log.length - 1];
  if (!last) throw new Error('the sandbox logged no request');
  return last;
}

/** Runs `fn` and returns what it threw (fails when it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

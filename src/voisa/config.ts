/** Client configuration: defaults, validation, and reading it from the environment. */
import type { CallObserver, ClientEvent, ObservedCall, VoisaClientConfig, VoisaLogger } from './types.js';
import { VERSION } from './version.js';

export const DEFAULT_BASE_URL = 'https://api.voisa.ai/v1';
export const DEFAULTS = {
  timeoutMs: 30_000,
  maxRetries: 2,
  rateLimitPerMin: 100,
  maxRetryDelayMs: 30_000,
  /**
   * Longest a call may spend waiting, all waits together: the client-side rate limiter and
   * the pauses between retries. Below the 60 s request timeout common MCP clients use, so a
   * 429 storm answers with a clear error instead of the client giving up on us first.
   */
  maxTotalWaitMs: 20_000,
  /**
   * Most requests one key has on the shared connection pool at once: half of its 16 connections,
   * so one key's slow calls always leave connections to the others (fair-share.ts).
   */
  maxConcurrentPerKey: 8,
} as const;

/**
 * A download (conversation audio) may take this many times `timeoutMs` from sending the
 * request to its last byte; besides, no gap between two chunks may exceed `timeoutMs`.
 * A JSON answer, body included, must arrive within `timeoutMs`.
 */
export const DOWNLOAD_DEADLINE_FACTOR = 2;

/** Environment variable names, one per config field. */
export const ENV = {
  apiKey: 'VOISA_API_KEY',
  baseUrl: 'VOISA_BASE_URL',
  timeoutMs: 'VOISA_TIMEOUT_MS',
  maxRetries: 'VOISA_MAX_RETRIES',
  rateLimitPerMin: 'VOISA_RATE_LIMIT_PER_MIN',
  maxConcurrentPerKey: 'VOISA_MAX_CONCURRENT_PER_KEY',
} as const;

/** A logger that drops everything (the default: stdout may belong to an MCP stdio transport). */
export const silentLogger: VoisaLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Reads the client configuration from `env` (default `process.env`). Unset or empty
 * variables are left out, so the client's defaults apply. Throws on a malformed number.
 */
export function clientConfigFromEnv(env: NodeJS.ProcessEnv = process.env): VoisaClientConfig {
  const config: VoisaClientConfig = {};
  const apiKey = env[ENV.apiKey]?.trim();
  if (apiKey) config.apiKey = apiKey;
  const baseUrl = env[ENV.baseUrl]?.trim();
  if (baseUrl) config.baseUrl = baseUrl;
  const timeoutMs = readInt(env, ENV.timeoutMs, 1);
  if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
  const maxRetries = readInt(env, ENV.maxRetries, 0);
  if (maxRetries !== undefined) config.maxRetries = maxRetries;
  const rateLimitPerMin = readInt(env, ENV.rateLimitPerMin, 0);
  if (rateLimitPerMin !== undefined) config.rateLimitPerMin = rateLimitPerMin;
  const maxConcurrentPerKey = readInt(env, ENV.maxConcurrentPerKey, 1);
  if (maxConcurrentPerKey !== undefined) config.maxConcurrentPerKey = maxConcurrentPerKey;
  return config;
}

function readInt(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

/** The configuration with every default filled in and the base URL split for undici. */
export interface ResolvedConfig {
  apiKey: string | undefined;
  /** e.g. https://api.voisa.ai */
  origin: string;
  /** e.g. /v1 (no trailing slash; '' for a bare origin) */
  basePath: string;
  timeoutMs: number;
  maxRetries: number;
  rateLimitPerMin: number;
  maxRetryDelayMs: number;
  maxTotalWaitMs: number;
  maxConcurrentPerKey: number;
  /** `timeoutMs * DOWNLOAD_DEADLINE_FACTOR`: the whole of one download attempt. */
  downloadDeadlineMs: number;
  logger: VoisaLogger;
  userAgent: string;
  onEvent?: (e: ClientEvent) => void;
  observe?: (call: ObservedCall) => CallObserver | undefined;
}

export function resolveConfig(config: VoisaClientConfig): ResolvedConfig {
  const baseUrl = config.baseUrl ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`VOISA base URL is not a URL: "${baseUrl}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`VOISA base URL must be http(s): "${baseUrl}"`);
  }
  const timeoutMs = nonNegative('timeoutMs', config.timeoutMs ?? DEFAULTS.timeoutMs, 1);
  return {
    apiKey: config.apiKey || undefined,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    timeoutMs,
    maxRetries: nonNegative('maxRetries', config.maxRetries ?? DEFAULTS.maxRetries, 0),
    rateLimitPerMin: nonNegative('rateLimitPerMin', config.rateLimitPerMin ?? DEFAULTS.rateLimitPerMin, 0),
    maxRetryDelayMs: nonNegative('maxRetryDelayMs', config.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs, 0),
    maxTotalWaitMs: nonNegative('maxTotalWaitMs', config.maxTotalWaitMs ?? DEFAULTS.maxTotalWaitMs, 0),
    maxConcurrentPerKey: nonNegative(
      'maxConcurrentPerKey',
      config.maxConcurrentPerKey ?? DEFAULTS.maxConcurrentPerKey,
      1,
    ),
    downloadDeadlineMs: timeoutMs * DOWNLOAD_DEADLINE_FACTOR,
    logger: config.logger ?? silentLogger,
    userAgent: config.userAgent ?? `voisa-mcp/${VERSION}`,
    ...(config.onEvent ? { onEvent: config.onEvent } : {}),
    ...(config.observe ? { observe: config.observe } : {}),
  };
}

function nonNegative(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min)
    throw new Error(`VOISA client: ${name} must be >= ${min}, got ${value}`);
  return value;
}

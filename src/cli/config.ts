/**
 * Configuration: environment first, then command-line flags (flags win).
 * Pure: takes argv and env, returns a Config or throws ConfigError.
 */
import { parseArgs } from 'node:util';
import type { LoggingLevel } from '@modelcontextprotocol/server';
import type { HttpOptions } from '../http/start.js';
import { CONFIRM_MODES, type ConfirmMode } from '../mcp/confirm.js';
import { isLogFormat, isLogLevel, LOG_FORMATS, type LogFormat } from '../mcp/log.js';
import { publicOrigin } from '../oauth/gate.js';
import { TOOLSETS } from '../tools/define.js';
import { TOOL_NAMES } from '../tools/index.js';
import { clientConfigFromEnv, type VoisaClientConfig } from '../voisa/index.js';
import { isLoopbackHost } from '../web/auth.js';
import { parseTrustProxy, type TrustProxy } from '../web/client-address.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type { HttpOptions };

export type Command = 'serve' | 'sandbox' | 'login' | 'logout' | 'help' | 'version';

export interface Config {
  command: Command;
  /** Set from VOISA_API_KEY here; the CLI falls back to the login file, or the sandbox's key. */
  apiKey?: string;
  client: Omit<VoisaClientConfig, 'apiKey' | 'logger'>;
  sandbox: boolean;
  filter: { toolsets?: string[]; tools?: string[]; readOnly: boolean };
  logLevel: LoggingLevel;
  /** `--log-format`: text (default) or json lines on stderr. */
  logFormat: LogFormat;
  transport: 'stdio' | 'http';
  /** When make_call and the deletes ask the user (`--confirm`; `--require-confirmation` is `always`). */
  confirm: ConfirmMode;
  http: HttpOptions;
  /** What guards make_call and records side effects (`--call-policy`, `--dry-run-calls`, `--audit-log`). */
  calls: { policyFile?: string; dryRun: boolean; auditLog?: string };
  /** `voisa-mcp sandbox` only. */
  sandboxPort: number;
}

/** Every flag, for parsing and for `--help`. */
export const FLAGS = {
  sandbox: {
    type: 'boolean',
    env: undefined,
    help: 'Run against the embedded VOISA sandbox (no account needed)',
  },
  'base-url': {
    type: 'string',
    env: 'VOISA_BASE_URL',
    help: 'VOISA API base URL (default https://api.voisa.ai/v1)',
  },
  toolsets: {
    type: 'string',
    env: 'VOISA_TOOLSETS',
    help: `Only these toolsets, comma-separated: ${TOOLSETS.join(', ')}`,
  },
  tools: { type: 'string', env: 'VOISA_TOOLS', help: 'Only these tools, comma-separated (allow-list)' },
  'read-only': {
    type: 'boolean',
    env: 'VOISA_READ_ONLY',
    help: 'Only read-only tools are listed and callable (env: 1/true)',
  },
  'log-level': {
    type: 'string',
    env: 'VOISA_LOG_LEVEL',
    help: 'stderr log level: debug, info, warning, error (default info)',
  },
  'log-format': {
    type: 'string',
    env: 'VOISA_LOG_FORMAT',
    help: 'stderr log format: text (default) or json (one object a line: time, level, message, instance, trace_id, span_id)',
  },
  http: { type: 'boolean', env: undefined, help: 'Serve MCP streamable HTTP at /mcp instead of stdio' },
  host: {
    type: 'string',
    env: 'VOISA_HTTP_HOST',
    help: 'HTTP bind address (default 127.0.0.1); sandbox command too',
  },
  port: { type: 'string', env: 'VOISA_HTTP_PORT', help: 'HTTP port (default 3000; sandbox command: 4010)' },
  stateless: {
    type: 'boolean',
    env: undefined,
    help: 'HTTP: 2025-era clients without sessions too (2026-07-28 is always stateless; no legacy /sse)',
  },
  'allowed-hosts': {
    type: 'string',
    env: 'VOISA_ALLOWED_HOSTS',
    help: 'HTTP Host values accepted, comma-separated',
  },
  'allowed-origins': {
    type: 'string',
    env: 'VOISA_ALLOWED_ORIGINS',
    help: 'Browser origins accepted (CORS), comma-separated',
  },
  'allow-file-access': {
    type: 'string',
    env: 'VOISA_ALLOW_FILE_ACCESS',
    help: 'HTTP: folder that file_path/save_to may use',
  },
  'max-sessions': {
    type: 'string',
    env: 'VOISA_MAX_SESSIONS',
    help: 'HTTP: live sessions at most, then 503 (default 500)',
  },
  'session-idle-minutes': {
    type: 'string',
    env: 'VOISA_SESSION_IDLE_MINUTES',
    help: 'HTTP: close a session unused this long (default 30)',
  },
  'redis-url': {
    type: 'string',
    env: 'VOISA_REDIS_URL',
    help: 'HTTP: share state with other instances through Redis (redis://host:6379)',
  },
  'instance-id': {
    type: 'string',
    env: 'VOISA_INSTANCE_ID',
    help: "HTTP: this instance's name in session ids, for balancer affinity (e.g. 8081)",
  },
  'trust-proxy': {
    type: 'string',
    env: 'VOISA_TRUST_PROXY',
    help: 'HTTP: per-address limits read X-Forwarded-For through these proxies: a hop count (1 behind the shipped nginx) or addresses, CIDRs, loopback, private, linklocal (comma-separated); off by default',
  },
  'public-url': {
    type: 'string',
    env: 'VOISA_PUBLIC_URL',
    help: "HTTP: this server's public origin (https://…); turns on OAuth sign-in with a VOISA account",
  },
  'oauth-allow-private-fetch': {
    type: 'boolean',
    env: 'VOISA_OAUTH_ALLOW_PRIVATE_FETCH',
    help: 'With --public-url: client metadata documents may be fetched from loopback and private addresses (only with a loopback --host; env: 1/true)',
  },
  'webhook-base-url': {
    type: 'string',
    env: 'VOISA_WEBHOOK_BASE_URL',
    help: 'HTTP: the https origin VOISA reaches this server at (default --public-url); configure_webhook registers a per-account URL under it',
  },
  confirm: {
    type: 'string',
    env: 'VOISA_CONFIRM',
    help: 'Ask the user before make_call and deletes: auto (when the client can ask; default), always (refuse when it cannot), never (unattended automation: run without asking)',
  },
  'require-confirmation': {
    type: 'boolean',
    env: 'VOISA_REQUIRE_CONFIRMATION',
    help: 'Same as --confirm always (env: 1/true)',
  },
  'call-policy': {
    type: 'string',
    env: 'VOISA_CALL_POLICY',
    help: 'JSON file of rules make_call keeps for every principal: allowed and blocked prefixes, a do-not-call list, quiet hours, calls per hour, day and at once (docs/letting-an-agent-call.md)',
  },
  'dry-run-calls': {
    type: 'boolean',
    env: 'VOISA_DRY_RUN_CALLS',
    help: 'make_call checks the agent and the call policy, answers what would happen, and rings no one (env: 1/true)',
  },
  'audit-log': {
    type: 'string',
    env: 'VOISA_AUDIT_LOG',
    help: 'Append one JSON line per side effect, policy refusal and declined confirmation to this file (created 0600), or - for stderr',
  },
  metrics: {
    type: 'boolean',
    env: 'VOISA_METRICS',
    help: 'HTTP: serve Prometheus text at GET /metrics, to loopback peers or with VOISA_METRICS_TOKEN (env: 1/true; docs/operations.md)',
  },
  help: { type: 'boolean', env: undefined, help: 'Show help' },
  version: { type: 'boolean', env: undefined, help: 'Show the version' },
} as const;

/** Environment variables read outside the flags (documented in --help and docs/configuration.md). */
export const OTHER_ENV = {
  VOISA_API_KEY: 'VOISA API key (else the key stored by `voisa-mcp login`)',
  VOISA_TIMEOUT_MS:
    'Request timeout in ms (default 30000); downloads: per-chunk pause, and twice this in all',
  VOISA_MAX_RETRIES: 'Retries of safe requests, never of make_call or creates (default 2)',
  VOISA_RATE_LIMIT_PER_MIN: 'Client-side request budget per minute (default 100; 0 = off)',
  VOISA_MAX_CONCURRENT_PER_KEY:
    "Most VOISA requests one key has in flight at once (default 8 of the pool's 16), so one slow tenant cannot hold every connection",
  VOISA_WEBHOOK_SECRET: 'HTTP: secret that VOISA webhook deliveries are signed with',
  VOISA_SERVER_SECRET:
    'Secret that confirmations and OAuth sign-ins are sealed with (>= 32 bytes); required with --redis-url, else generated per process',
  VOISA_OAUTH_TOKEN_TTL: 'With --public-url: OAuth access token lifetime in seconds (default 3600)',
  VOISA_CONFIG_DIR: 'Where `login` stores the key (default ~/.config/voisa-mcp)',
  VOISA_METRICS_TOKEN:
    'With --metrics: a bearer token that may read /metrics from anywhere (loopback peers need none)',
  OTEL_EXPORTER_OTLP_ENDPOINT:
    'Turns on OpenTelemetry traces and metrics over OTLP (with the standard OTEL_* variables; docs/operations.md)',
} as const;

/**
 * An env value, or undefined when empty or still a `${user_config.x}` placeholder
 * (an optional field that an MCPB host left unsubstituted).
 */
export function envValue(env: NodeJS.ProcessEnv, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const raw = env[name]?.trim();
  if (!raw || /^\$\{user_config\.[^}]*\}$/.test(raw)) return undefined;
  return raw;
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

function checkNames(kind: string, given: string[] | undefined, valid: readonly string[]): void {
  const unknown = (given ?? []).filter((n) => !valid.includes(n));
  if (unknown.length)
    throw new ConfigError(`Unknown ${kind}: ${unknown.join(', ')}. Valid ${kind}: ${valid.join(', ')}`);
}

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`${flag} must be a port number 0-65535, got "${value}"`);
  return n;
}

/**
 * `--confirm` and its alias `--require-confirmation` (= always). Given on the command line, either
 * wins over both variables; a pair that disagrees (at the same level) is an error naming both.
 */
function confirmMode(values: Record<string, unknown>, env: NodeJS.ProcessEnv): ConfirmMode {
  const onCli = values.confirm !== undefined || values['require-confirmation'] === true;
  const [mode, modeName] = onCli
    ? [values.confirm as string | undefined, '--confirm']
    : [envValue(env, FLAGS.confirm.env), FLAGS.confirm.env];
  const [always, alwaysName] = onCli
    ? [values['require-confirmation'] === true, '--require-confirmation']
    : [truthy(envValue(env, FLAGS['require-confirmation'].env)), FLAGS['require-confirmation'].env];
  if (mode !== undefined && !(CONFIRM_MODES as readonly string[]).includes(mode))
    throw new ConfigError(`${modeName} must be one of ${CONFIRM_MODES.join(', ')}; got "${mode}"`);
  if (always && mode !== undefined && mode !== 'always')
    throw new ConfigError(
      `${modeName}${onCli ? ' ' : '='}${mode} and ${alwaysName} contradict each other (${alwaysName} means --confirm always): keep one`,
    );
  return always ? 'always' : ((mode as ConfirmMode | undefined) ?? 'auto');
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(FLAGS).map(([k, v]) => [k, { type: v.type }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}. See voisa-mcp --help`);
  }
  const { values, positionals } = parsed;
  const flag = (name: keyof typeof FLAGS): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : envValue(env, FLAGS[name].env);
  };
  const bool = (name: keyof typeof FLAGS): boolean =>
    values[name] === true || truthy(envValue(env, FLAGS[name].env));

  const sub = positionals[0];
  if (positionals.length > 1 || (sub && !['sandbox', 'login', 'logout', 'serve'].includes(sub))) {
    throw new ConfigError(
      `Unknown command: ${positionals.join(' ')}. Commands: serve (default), sandbox, login, logout`,
    );
  }
  const command: Command = values.help
    ? 'help'
    : values.version
      ? 'version'
      : ((sub as Command | undefined) ?? 'serve');

  let client: Config['client'];
  try {
    const { apiKey: _ignored, ...rest } = clientConfigFromEnv(
      Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v === undefined ? undefined : envValue(env, k)]),
      ),
    );
    client = rest;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const baseUrl = flag('base-url');
  if (baseUrl) {
    if (!/^https?:\/\//.test(baseUrl))
      throw new ConfigError(`--base-url must be an http(s) URL, got "${baseUrl}"`);
    client.baseUrl = baseUrl;
  }

  const toolsets = list(flag('toolsets'));
  const tools = list(flag('tools'));
  checkNames('toolsets', toolsets, TOOLSETS);
  checkNames('tools', tools, TOOL_NAMES);

  const logLevel = flag('log-level') ?? 'info';
  if (!isLogLevel(logLevel))
    throw new ConfigError(
      `--log-level must be one of debug, info, notice, warning, error; got "${logLevel}"`,
    );

  const logFormat = flag('log-format') ?? 'text';
  if (!isLogFormat(logFormat))
    throw new ConfigError(`--log-format must be one of ${LOG_FORMATS.join(', ')}; got "${logFormat}"`);

  const redisUrl = flag('redis-url');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    throw new ConfigError('--redis-url must be a redis:// or rediss:// URL');

  const instanceId = flag('instance-id');
  if (instanceId !== undefined && !/^[a-z0-9-]{1,32}$/.test(instanceId))
    throw new ConfigError('--instance-id must be 1 to 32 of a-z, 0-9 and -');

  const trustProxyValue = flag('trust-proxy');
  let trustProxy: TrustProxy | undefined;
  try {
    trustProxy = trustProxyValue === undefined ? undefined : parseTrustProxy(trustProxyValue);
  } catch (err) {
    throw new ConfigError(`--trust-proxy: ${(err as Error).message}`);
  }

  const publicUrlValue = flag('public-url');
  let publicUrl: string | undefined;
  try {
    publicUrl = publicUrlValue === undefined ? undefined : publicOrigin(publicUrlValue);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }

  const host = flag('host') ?? '127.0.0.1';
  const oauthAllowPrivateFetch = bool('oauth-allow-private-fetch');
  if (oauthAllowPrivateFetch && !isLoopbackHost(host))
    throw new ConfigError(
      `--oauth-allow-private-fetch works only with a loopback --host (127.0.0.1 or ::1), not ${host}: a server others can reach must not fetch from private addresses for them`,
    );

  const webhookBaseValue = flag('webhook-base-url');
  let webhookBaseUrl: string | undefined;
  if (webhookBaseValue !== undefined) {
    const parsed = URL.canParse(webhookBaseValue) ? new URL(webhookBaseValue) : undefined;
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.search || parsed.hash || parsed.username)
      throw new ConfigError(
        `--webhook-base-url must be an http(s) URL with no query or credentials (e.g. https://mcp.example.com), got "${webhookBaseValue}"`,
      );
    webhookBaseUrl = `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
  }

  const portValue = flag('port');
  return {
    command,
    apiKey: envValue(env, 'VOISA_API_KEY'),
    client,
    sandbox: bool('sandbox'),
    filter: { toolsets, tools, readOnly: bool('read-only') },
    logLevel,
    logFormat,
    transport: bool('http') ? 'http' : 'stdio',
    confirm: confirmMode(values, env),
    calls: { policyFile: flag('call-policy'), dryRun: bool('dry-run-calls'), auditLog: flag('audit-log') },
    http: {
      host,
      port: portValue ? port(portValue, '--port') : 3000,
      stateless: bool('stateless'),
      allowedHosts: list(flag('allowed-hosts')) ?? [],
      allowedOrigins: list(flag('allowed-origins')) ?? [],
      allowFileAccess: flag('allow-file-access'),
      maxSessions: positive(flag('max-sessions'), '--max-sessions', 500),
      sessionIdleMs: positive(flag('session-idle-minutes'), '--session-idle-minutes', 30) * 60_000,
      webhookSecret: envValue(env, 'VOISA_WEBHOOK_SECRET'),
      redisUrl,
      instanceId,
      trustProxy,
      publicUrl,
      webhookBaseUrl,
      accessTokenTtl: positive(envValue(env, 'VOISA_OAUTH_TOKEN_TTL'), 'VOISA_OAUTH_TOKEN_TTL', 3600),
      oauthAllowPrivateFetch,
      metrics: bool('metrics'),
      metricsToken: envValue(env, 'VOISA_METRICS_TOKEN'),
    },
    sandboxPort: portValue ? port(portValue, '--port') : 4010,
  };
}

export function helpText(version: string): string {
  const flags = Object.entries(FLAGS)
    .map(
      ([name, f]) =>
        `  --${name}${f.type === 'string' ? ' <value>' : ''}`.padEnd(30) +
        f.help +
        (f.env ? ` [env ${f.env}]` : ''),
    )
    .join('\n');
  const envs = Object.entries(OTHER_ENV)
    .map(([name, help]) => `  ${name.padEnd(28)}${help}`)
    .join('\n');
  return `voisa-mcp ${version}: MCP server for the VOISA voice-AI platform

Usage:
  voisa-mcp [flags]                 Serve MCP over stdio (default) or --http
  voisa-mcp --sandbox               Serve against the embedded sandbox (no account)
  voisa-mcp sandbox [--port N]      Run only the VOISA sandbox API (default port 4010)
  voisa-mcp login [--base-url URL]  Ask for email and password, store an API key
  voisa-mcp logout                  Delete the stored API key

Flags:
${flags}

Environment:
${envs}

The API key comes from VOISA_API_KEY, else from the file written by \`voisa-mcp login\`.
`;
}

/**
 * `voisa-mcp` serving: builds the client (key from env, the login file, or the
 * embedded sandbox), the server, and the transport. Nothing here writes to stdout.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { SkillCatalog } from '@modelcontextprotocol/server/ext/skills';
import { CONFIRMATIONS_OFF } from '../mcp/confirm.js';
import { type LogFn, stderrLogger } from '../mcp/log.js';
import { createServer, warmUp } from '../mcp/server.js';
import type { SharedState } from '../scale/index.js';
import { createStateSealer } from '../security/request-state.js';
import { principalNamer, resolveServerSecret } from '../security/secret.js';
import { MemorySingleUse } from '../security/single-use.js';
import { serverSkills } from '../skills/catalog.js';
import { serveStdio } from '../stdio/serve.js';
import { loadTelemetry } from '../telemetry/load.js';
import { VoisaClient, type VoisaLogger } from '../voisa/index.js';
import { redactSecrets } from '../voisa/redact.js';
import { VERSION } from '../voisa/version.js';
import { hashKey } from '../web/auth.js';
import type { Config } from './config.js';
import { readCredentials } from './credentials.js';
import type { Guardrails } from './guardrails.js';

export const NO_KEY_MESSAGE = `voisa-mcp: no VOISA API key.
Get one of:
  voisa-mcp login                 ask for your email and password once, store the key
  VOISA_API_KEY=vsa_... voisa-mcp  pass it in the environment
  voisa-mcp --sandbox             try everything on the embedded sandbox, no account
`;

/** How long closing the VOISA connections (and the sandbox) may hold the exit once a stdio client is gone. */
const CLIENT_GONE_SHUTDOWN_MS = 2000;

function clientLogger(log: LogFn): VoisaLogger {
  return {
    debug: (m, d) => log('debug', m, d),
    info: (m, d) => log('info', m, d),
    warn: (m, d) => log('warning', m, d),
    error: (m, d) => log('error', m, d),
  };
}

/**
 * The operator's logger on stderr, in the configured format. Each process names itself in JSON lines:
 * its --instance-id, else host and pid (stdio included).
 */
export function operatorLogger(config: Pick<Config, 'logLevel' | 'logFormat' | 'http'>): LogFn {
  return stderrLogger(config.logLevel, {
    format: config.logFormat,
    instance: config.http.instanceId ?? `${hostname()}:${process.pid}`,
  });
}

/** Runs until the client goes away or a signal arrives; returns the exit code. */
export async function serve(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const log = operatorLogger(config);
  // A start-up failure: the plain `voisa-mcp: …` line, or a JSON line like every other with --log-format json.
  const fail = (message: string) =>
    config.logFormat === 'json' ? log('error', message) : process.stderr.write(`voisa-mcp: ${message}\n`);
  const cleanups: (() => Promise<unknown>)[] = [];
  // The workflow skills (skills/) are read while the rest starts; a failure is reported below.
  const skillsLoading = serverSkills((message) => log('warning', message));
  skillsLoading.catch(() => {});
  let apiKey = config.apiKey;
  let baseUrl = config.client.baseUrl;

  if (config.sandbox) {
    const { startSandbox } = await import('../sandbox/index.js');
    const sandbox = await startSandbox({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => sandbox.close());
    apiKey = sandbox.demoKey;
    baseUrl = sandbox.baseUrl;
    log('info', `embedded sandbox at ${sandbox.baseUrl} (demo account ${sandbox.demoAccount.email})`);
  } else if (!apiKey) {
    const stored = await readCredentials(env);
    if (stored) {
      apiKey = stored.api_key;
      baseUrl ??= stored.base_url;
    }
  }
  if (!apiKey && config.transport === 'stdio') {
    if (config.logFormat === 'json') log('error', NO_KEY_MESSAGE.replace(/^voisa-mcp: /, '').trim());
    else process.stderr.write(NO_KEY_MESSAGE);
    return 1;
  }

  const shutdown = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };

  let guardrails: Guardrails;
  try {
    const { policyFile, dryRun, auditLog } = config.calls;
    guardrails =
      policyFile || dryRun || auditLog
        ? await (await import('./guardrails.js')).loadGuardrails(config.calls, log, redactSecrets)
        : { dryRun: false, policy: () => undefined };
  } catch (err) {
    fail((err as Error).message);
    await shutdown();
    return 1;
  }
  if (guardrails.audit) cleanups.push(() => guardrails.audit!.close());

  // OpenTelemetry loads only when asked for (an OTLP endpoint, or --metrics over HTTP); flushed last.
  const telemetry = await loadTelemetry({
    instance: config.http.instanceId ?? `${hostname()}:${process.pid}`,
    version: VERSION,
    metrics: config.transport === 'http' && config.http.metrics === true,
    log,
    env,
  });
  if (telemetry) cleanups.push(() => telemetry.shutdown());
  // The workflow skills: read once, served by every server this process builds.
  let skills: SkillCatalog | undefined;
  try {
    skills = await skillsLoading;
  } catch (err) {
    fail(`the skills folder cannot be served: ${(err as Error).message}`);
    await shutdown();
    return 1;
  }
  // Every VOISA call (and each per-key client's, made by withApiKey) gets a span and the traceparent.
  const observe = telemetry && { observe: telemetry.observeCall };

  if (config.transport === 'http') {
    // The secret and the shared state first: the VOISA client takes its request budget from them.
    let secret: Buffer;
    let secretGenerated: boolean;
    let shared: SharedState;
    try {
      const resolved = resolveServerSecret(env, { shared: Boolean(config.http.redisUrl) });
      secret = resolved.secret;
      secretGenerated = resolved.source === 'generated';
      const { createSharedState } = await import('../scale/index.js');
      shared = await createSharedState({ redisUrl: config.http.redisUrl, secret, log });
    } catch (err) {
      fail((err as Error).message);
      await shutdown();
      return 1;
    }
    cleanups.push(() => shared.close());
    const api = new VoisaClient({
      ...config.client,
      baseUrl,
      apiKey,
      logger: clientLogger(log),
      budgetFor: shared.budgetFor,
      ...observe,
    });
    cleanups.push(() => api.close());
    const { serveHttp } = await import('../http/start.js');
    await serveHttp(config, {
      api,
      serverKey: apiKey,
      log,
      shared,
      secret,
      secretGenerated,
      // Budgets per principal, shared by every instance with --redis-url.
      policy: guardrails.policy(shared.callBudgets),
      audit: guardrails.audit,
      telemetry,
      skills,
    });
  } else {
    const api = new VoisaClient({ ...config.client, baseUrl, apiKey, logger: clientLogger(log), ...observe });
    cleanups.push(() => api.close());
    // One process, one client: a confirmation never leaves this process, so its own secret, and its
    // own memory of the confirmations used, will do.
    const confirm = {
      sealer: createStateSealer(randomBytes(32)),
      principal: apiKey,
      mode: config.confirm,
      once: new MemorySingleUse(),
    };
    // On a stop signal, waits in flight answer at once (ended: false, call again), then the process exits.
    const stopping = new AbortController();
    const policy = guardrails.policy();
    // One principal: the key. The audit trail names it by a keyed fingerprint, stable across restarts
    // when VOISA_SERVER_SECRET is set (read only then, so a stdio server without a trail needs none).
    let principal = { id: 'local' };
    if (guardrails.audit) {
      try {
        const name = principalNamer(resolveServerSecret(env, { shared: false }).secret);
        principal = { id: name(`key:${hashKey(apiKey ?? '')}`) };
      } catch (err) {
        fail((err as Error).message);
        await shutdown();
        return 1;
      }
    }
    const factory = () =>
      createServer({
        api,
        filter: config.filter,
        log,
        confirm,
        stopping: stopping.signal,
        policy,
        audit: guardrails.audit,
        principal,
        telemetry,
        skills,
      });
    const requested = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log('info', `serving over stdio${config.sandbox ? ' on the embedded sandbox' : ''}`);
    if (config.confirm === 'never') log('warning', CONFIRMATIONS_OFF);
    const ended = await serveStdio(factory, log, warmUp, { requested, begin: () => stopping.abort() });
    if (ended === 'client gone') {
      // Nobody is left to answer: requests still open to VOISA may not hold the exit.
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLIENT_GONE_SHUTDOWN_MS);
      });
      await Promise.race([shutdown(), bound]);
      clearTimeout(timer);
      return 0;
    }
  }
  await shutdown();
  return 0;
}

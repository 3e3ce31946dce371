/** `voisa-mcp sandbox [--port N] [--host H]`: runs the sandbox in the foreground. */
import { parseArgs } from 'node:util';
import { startSandbox } from './start.js';

export interface SandboxCliOptions {
  /** Where the banner goes, default process.stdout. */
  out?: { write(s: string): unknown };
  /** Stops the sandbox when aborted (besides SIGINT/SIGTERM); for tests and embedding. */
  signal?: AbortSignal;
}

/** Starts the sandbox, prints its URL and keys, and resolves once it stopped (SIGINT/SIGTERM/signal). */
export async function runSandboxCli(argv: string[], opts: SandboxCliOptions = {}): Promise<void> {
  const out = opts.out ?? process.stdout;
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      'training-ms': { type: 'string' },
      'call-ms': { type: 'string' },
      'rate-limit': { type: 'string' },
      'external-webhooks': { type: 'boolean' },
      'reference-shape': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    out.write(
      'Usage: voisa-mcp sandbox [--port 4010] [--host 127.0.0.1] [--training-ms N] [--call-ms N] [--rate-limit N] [--external-webhooks] [--reference-shape]\n' +
        '  Webhooks are delivered to loopback URLs only, unless --external-webhooks is given.\n' +
        '  --reference-shape: make-call answers only {call_id, status}, as the API reference shows.\n',
    );
    return;
  }
  const num = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const sandbox = await startSandbox({
    port: num(values.port, 'port'),
    host: values.host,
    trainingMs: num(values['training-ms'], 'training-ms'),
    callMs: num(values['call-ms'], 'call-ms'),
    rateLimitPerMin: num(values['rate-limit'], 'rate-limit'),
    externalWebhooks: values['external-webhooks'] === true,
    referenceShape: values['reference-shape'] === true,
  });
  out.write(
    [
      `VOISA sandbox listening on ${sandbox.url}`,
      `  VOISA_BASE_URL=${sandbox.baseUrl}`,
      `  demo key (read, write, delete): ${sandbox.demoKey}`,
      `  read-only key:                  ${sandbox.readOnlyKey}`,
      `  demo account: ${sandbox.demoAccount.email} / ${sandbox.demoAccount.password}`,
      `  second account (its own agents, calls, webhooks): ${sandbox.secondAccount.email} / ${sandbox.secondAccount.password}`,
      `  second account key (read, write, delete): ${sandbox.secondKey}`,
      '  control: GET|DELETE /__sandbox/requests, POST|DELETE /__sandbox/faults, POST /__sandbox/keys/revoke, POST /__sandbox/reset',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      opts.signal?.removeEventListener('abort', stop);
      void sandbox.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop);
  });
}

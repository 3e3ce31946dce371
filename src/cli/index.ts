#!/usr/bin/env node
import { VERSION } from '../voisa/version.js';
/** The `voisa-mcp` command: argv/env -> config -> command. The sandbox, login and HTTP load only when used. */
import { ConfigError, helpText, loadConfig } from './config.js';
import { credentialsPath, deleteCredentials } from './credentials.js';
import { operatorLogger, serve } from './main.js';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('sandbox')) {
    // The sandbox command has flags of its own (see `voisa-mcp sandbox --help`).
    const { runSandboxCli } = await import('../sandbox/index.js');
    await runSandboxCli(argv.filter((a) => a !== 'sandbox'));
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`voisa-mcp: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  switch (config.command) {
    case 'help':
      process.stdout.write(helpText(VERSION));
      return 0;
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'login': {
      const { login } = await import('./login.js');
      return login(config, { input: process.stdin, output: process.stderr, env: process.env });
    }
    case 'logout': {
      const removed = await deleteCredentials();
      process.stderr.write(removed ? `Deleted ${credentialsPath()}\n` : 'No stored key.\n');
      return 0;
    }
    default: {
      // stdout belongs to the stdio transport: a stray console.log must not corrupt it.
      if (config.transport === 'stdio') console.log = console.info = console.debug = console.error;
      // A log reader that went away (stderr closed: EPIPE) loses the logs, nothing more. Without this,
      // the failed write is an uncaught error whose report is another failed write, and so on forever.
      process.stderr.on('error', () => {});
      // Through the operator's logger: redacted, and JSON lines with --log-format json.
      const log = operatorLogger(config);
      process.on('uncaughtException', (err) => log('error', `uncaught ${err.message}`));
      process.on('unhandledRejection', (err) =>
        log('error', `unhandled rejection ${(err as Error)?.message ?? err}`),
      );
      return serve(config);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Leave time for stderr to flush, then go even if a stray handle is left open.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (err: Error) => {
    process.stderr.write(`voisa-mcp: ${err.message}\n`);
    process.exitCode = 1;
  },
);

/**
 * The VOISA sandbox: a stateful emulator of the VOISA REST API on node:http,
 * used by `--sandbox`, by `voisa-mcp sandbox` and by the tests.
 */
export { runSandboxCli } from './cli.js';
export {
  DEMO_ACCOUNT,
  DEMO_ACCOUNT_ID,
  DEMO_KEY,
  READ_ONLY_KEY,
  SECOND_ACCOUNT,
  SECOND_ACCOUNT_ID,
  SECOND_KEY,
  SECOND_SEED_AGENTS,
  SEED_AGENTS,
} from './seed.js';
export { startSandbox } from './start.js';
export type { FaultSpec, RequestLogEntry, Sandbox, SandboxOptions } from './types.js';
export { sign as signWebhookBody } from './webhooks.js';

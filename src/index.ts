/**
 * voisa-mcp as a library: build the MCP server around your own VOISA client,
 * call the REST API directly, or start the sandbox (also at `voisa-mcp/sandbox`).
 *
 *   import { createServer, VoisaClient } from 'voisa-mcp';
 *   const server = createServer({ api: new VoisaClient({ apiKey: process.env.VOISA_API_KEY }) });
 */

export { type AuditTrail, type AuditTrailOptions, openAuditTrail } from './audit/trail.js';
export { createServer, SERVER_NAME, type ServerDeps } from './mcp/server.js';
export { loadPolicyFile, type PolicyRules } from './policy/file.js';
export { CallPolicy, type CallPolicyOptions, PolicyRefusal } from './policy/policy.js';
export { type Sandbox, type SandboxOptions, startSandbox } from './sandbox/index.js';
export {
  CATALOGUE,
  selectTools,
  TOOL_NAMES,
  TOOLSETS,
  type ToolFilter,
  type Toolset,
} from './tools/index.js';
export * from './voisa/index.js';
export { redactSecrets } from './voisa/redact.js';
export { VERSION } from './voisa/version.js';

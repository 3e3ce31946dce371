/**
 * voisa-mcp as a library: build the MCP server around your own VOISA client,
 * call the REST API directly, or start the sandbox (also at `voisa-mcp/sandbox`).
 *
 *   import { createServer, VoisaClient } from 'voisa-mcp';
 *   const server = createServer({ api: new VoisaClient({ apiKey: process.env.VOISA_API_KEY }) });
 */

export { createServer, SERVER_NAME, type ServerDeps } from './mcp/server.js';
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
export { VERSION } from './voisa/version.js';

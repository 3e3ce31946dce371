import { McpServerId, McpServerList, McpServerToolList } from '../voisa/index.js';
import { defineTool, READ_ONLY } from './define.js';

export const listMcpServers = defineTool({
  name: 'list_mcp_servers',
  title: 'List MCP servers',
  toolset: 'mcp_servers',
  description: 'MCP tool servers on the VOISA account, with status and tool counts.',
  annotations: READ_ONLY,
  input: {},
  output: McpServerList,
  run: (_args, { api, req }) => api.mcpServers.list(req),
});

export const listMcpServerTools = defineTool({
  name: 'list_mcp_server_tools',
  title: 'List MCP server tools',
  toolset: 'mcp_servers',
  description: 'Tools one MCP server offers; their names are what assign_tools takes.',
  annotations: READ_ONLY,
  input: { server_id: McpServerId },
  output: McpServerToolList,
  run: ({ server_id }, { api, req }) => api.mcpServers.tools(server_id, req),
});

export const mcpServerTools = [listMcpServers, listMcpServerTools];

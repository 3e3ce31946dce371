import type { HttpTransport } from '../http.js';
import { McpServerList, McpServerToolList } from '../schemas/index.js';
import type { RequestOptions } from '../types.js';
import { seg } from './path.js';

export function mcpServersApi(http: HttpTransport) {
  return {
    /** GET /api/mcp-servers */
    list: (o?: RequestOptions): Promise<McpServerList> =>
      http.json({ method: 'GET', path: '/api/mcp-servers' }, McpServerList, o),
    /** GET /api/mcp-servers/{id}/tools */
    tools: (serverId: string, o?: RequestOptions): Promise<McpServerToolList> =>
      http.json({ method: 'GET', path: `/api/mcp-servers/${seg(serverId)}/tools` }, McpServerToolList, o),
  };
}
export type McpServersApi = ReturnType<typeof mcpServersApi>;

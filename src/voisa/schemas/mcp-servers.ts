import { z } from 'zod';

export const McpServerInfo = z.looseObject({
  id: z.string(),
  name: z.string(),
  url: z.string().optional(),
  status: z.string().optional(),
  tools_count: z.number().optional(),
});
export type McpServerInfo = z.infer<typeof McpServerInfo>;

export const McpServerList = z.looseObject({ servers: z.array(McpServerInfo) });
export type McpServerList = z.infer<typeof McpServerList>;

export const McpServerTool = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type McpServerTool = z.infer<typeof McpServerTool>;

export const McpServerToolList = z.looseObject({ tools: z.array(McpServerTool) });
export type McpServerToolList = z.infer<typeof McpServerToolList>;

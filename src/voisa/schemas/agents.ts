import { z } from 'zod';
import { Id, PageQuery, Pagination } from './common.js';

export const AGENT_STATUSES = ['active', 'inactive', 'training'] as const;
export const AgentStatus = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatus>;

export const AgentStats = z.looseObject({
  total_calls: z.number().optional(),
  success_rate: z.number().optional(),
  avg_duration: z.number().optional(),
});

/** One row of `GET /api/agents/list`. */
export const AgentSummary = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  status: z.string(),
  industry: z.string().optional(),
  created_at: z.string().optional(),
  stats: AgentStats.optional(),
});
export type AgentSummary = z.infer<typeof AgentSummary>;

export const ListAgentsQuery = z.object({
  status: AgentStatus.optional().describe('Only this status'),
  industry: z.string().max(100).optional().describe('Only this industry, e.g. restaurant'),
  ...PageQuery,
});
export type ListAgentsQuery = z.infer<typeof ListAgentsQuery>;

export const AgentList = z.looseObject({
  agents: z.array(AgentSummary),
  pagination: Pagination.optional(),
});
export type AgentList = z.infer<typeof AgentList>;

// --- agent configuration (request side: strict enough for the sandbox to validate) ---

export const VoiceConfig = z.object({
  provider: z.string().optional().describe('TTS provider'),
  voice_id: Id.optional().describe('Voice id from list_voices'),
  settings: z
    .object({
      stability: z.number().min(0).max(1).optional().describe('higher is steadier'),
      speed: z.number().min(0.5).max(2).optional().describe('1 is normal'),
    })
    .optional()
    .describe('Voice tuning'),
});

export const ConversationConfig = z.object({
  first_message: z.string().max(2000).optional().describe('Opening line'),
  system_prompt: z.string().max(20000).optional().describe("The agent's instructions"),
  model: z.string().optional().describe('e.g. gpt-4o'),
  temperature: z.number().min(0).max(2).optional().describe('Creativity'),
});

export const TurnDetection = z.object({
  mode: z.enum(['silence', 'vad', 'semantic']).optional().describe('How a turn ends'),
  timeout: z.number().min(0).max(60).optional().describe('Seconds of silence ending a turn'),
  end_call_on_silence: z.number().min(0).max(600).optional().describe('Seconds of silence ending the call'),
});

export const PrivacyConfig = z.object({
  retention_days: z.number().int().min(0).max(3650).optional().describe('Days to keep data'),
  zero_retention: z.boolean().optional().describe('Keep no transcript or audio'),
  delete_audio: z.boolean().optional().describe('Delete recordings'),
});

export const AgentConfig = z.object({
  voice: VoiceConfig.optional().describe('Voice'),
  conversation: ConversationConfig.optional().describe('Conversation'),
  turn_detection: TurnDetection.optional().describe('Turn detection'),
  privacy: PrivacyConfig.optional().describe('Privacy'),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

export const CreateAgentRequest = z.object({
  name: z.string().min(1).max(200).describe('Agent name'),
  description: z.string().max(2000).optional().describe('What the agent handles'),
  industry: z.string().max(100).optional().describe('e.g. restaurant, healthcare, retail'),
  config: AgentConfig.optional().describe('Agent settings'),
});
export type CreateAgentRequest = z.infer<typeof CreateAgentRequest>;

export const UpdateAgentRequest = z.object({
  name: z.string().min(1).max(200).optional().describe('New name'),
  description: z.string().max(2000).optional().describe('New description'),
  industry: z.string().max(100).optional().describe('New industry'),
  status: z.enum(['active', 'inactive']).optional().describe('Off or back on the phone'),
  config: AgentConfig.optional().describe('Deep-merged into the current config'),
});
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;

export const CreatedAgent = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  created_at: z.string().optional(),
});
export type CreatedAgent = z.infer<typeof CreatedAgent>;

/** `GET /api/agents/{id}` (also the answer to an update). Response side: lenient. */
export const AgentDetails = AgentSummary.omit({ stats: true }).extend({
  config: z.looseObject({}).optional(),
  knowledge_base: z
    .looseObject({ items: z.number().optional(), last_updated: z.string().nullish() })
    .optional(),
  tools: z.array(z.string()).optional(),
  analytics: AgentStats.optional(),
});
export type AgentDetails = z.infer<typeof AgentDetails>;

export const ChatRequest = z.object({
  message: z.string().min(1).max(4000).describe('What the test caller says'),
  session_id: Id.optional().describe('Reuse to continue the chat'),
  context: z.record(z.string(), z.unknown()).optional().describe('Caller context, e.g. {"user_name":"Jo"}'),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export const ChatResponse = z.looseObject({
  response: z.string(),
  session_id: z.string().optional(),
  tools_used: z.array(z.string()).optional(),
  confidence: z.number().optional(),
});
export type ChatResponse = z.infer<typeof ChatResponse>;

export const AssignToolsRequest = z.object({
  tools: z
    .array(z.string().min(1).max(200).describe('Tool name'))
    .max(100)
    .describe('Tool names from list_mcp_server_tools'),
});
export type AssignToolsRequest = z.infer<typeof AssignToolsRequest>;

/** Not documented: the sandbox answers with the agent id and its tool list. */
export const AssignToolsResult = z.looseObject({
  agent_id: z.string().optional(),
  tools: z.array(z.string()).optional(),
});
export type AssignToolsResult = z.infer<typeof AssignToolsResult>;

import { z } from 'zod';
import { Id, IsoDate, PageQuery, Pagination } from './common.js';

export const CONVERSATION_STATUSES = ['success', 'failed', 'ongoing'] as const;
export const ConversationStatus = z.enum(CONVERSATION_STATUSES);

export const ConversationSummary = z.looseObject({
  id: z.string(),
  agent_id: z.string(),
  phone_number: z.string().optional(),
  duration: z.number().optional(),
  status: z.string(),
  started_at: z.string().optional(),
  ended_at: z.string().nullish(),
  sentiment: z.string().nullish(),
  summary: z.string().nullish(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const ListConversationsQuery = z.object({
  agent_id: Id.optional().describe('Only this agent'),
  status: ConversationStatus.optional().describe('Only calls with this outcome'),
  date_from: IsoDate.optional().describe('ISO date; started at or after'),
  date_to: IsoDate.optional().describe('ISO date; started at or before'),
  ...PageQuery,
});
export type ListConversationsQuery = z.infer<typeof ListConversationsQuery>;

export const ConversationList = z.looseObject({
  conversations: z.array(ConversationSummary),
  pagination: Pagination.optional(),
});
export type ConversationList = z.infer<typeof ConversationList>;

export const TranscriptTurn = z.looseObject({
  speaker: z.string(),
  text: z.string(),
  timestamp: z.string().optional(),
});
export type TranscriptTurn = z.infer<typeof TranscriptTurn>;

export const ConversationDetails = z.looseObject({
  id: z.string(),
  agent_id: z.string(),
  status: z.string().optional(),
  phone_number: z.string().optional(),
  duration: z.number().optional(),
  started_at: z.string().optional(),
  ended_at: z.string().nullish(),
  sentiment: z.string().nullish(),
  summary: z.string().nullish(),
  transcript: z.array(TranscriptTurn).optional(),
  metadata: z
    .looseObject({
      tools_used: z.array(z.string()).optional(),
      data_collected: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  audio_url: z.string().nullish(),
});
export type ConversationDetails = z.infer<typeof ConversationDetails>;

import { z } from 'zod';
import { HttpUrl, Id } from './common.js';

export const KB_TYPES = ['document', 'url', 'text'] as const;
export const KbType = z.enum(KB_TYPES);
export type KbType = z.infer<typeof KbType>;

export const KbItem = z.looseObject({
  id: z.string(),
  agent_id: z.string(),
  type: z.string(),
  name: z.string().optional(),
  category: z.string().nullish(),
  created_at: z.string().optional(),
});
export type KbItem = z.infer<typeof KbItem>;

export const ListKbQuery = z.object({
  agent_id: Id.optional().describe('Only this agent'),
  type: KbType.optional().describe('Only this type'),
});
export type ListKbQuery = z.infer<typeof ListKbQuery>;

export const KbList = z.looseObject({
  items: z.array(KbItem),
});
export type KbList = z.infer<typeof KbList>;

export const AddKbTextRequest = z.object({
  agent_id: Id.describe('Agent that will know this'),
  title: z.string().min(1).max(300).describe('Short title'),
  content: z.string().min(1).max(100_000).describe('The text the agent answers from'),
  category: z.string().max(100).optional().describe('e.g. general, policies'),
});
export type AddKbTextRequest = z.infer<typeof AddKbTextRequest>;

export const AddKbUrlRequest = z.object({
  agent_id: Id.describe('Agent that will know this'),
  url: HttpUrl.describe('http(s) page to crawl'),
  refresh_interval: z.number().int().min(0).max(31_536_000).optional().describe('Re-crawl every N seconds'),
});
export type AddKbUrlRequest = z.infer<typeof AddKbUrlRequest>;

/** Multipart fields of `POST /api/knowledge-base/file` besides the file itself. */
export const UploadKbFileFields = z.object({
  agent_id: Id,
  category: z.string().max(100).optional(),
});
export type UploadKbFileFields = z.infer<typeof UploadKbFileFields>;

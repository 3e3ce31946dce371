import { z } from 'zod';
import { IsoDate } from './common.js';

export const PERIODS = ['day', 'week', 'month', 'year'] as const;

export const AnalyticsQuery = z.object({
  period: z.enum(PERIODS).optional().describe('Timeline bucket and range (default month)'),
  date_from: IsoDate.optional().describe('ISO date; range start'),
  date_to: IsoDate.optional().describe('ISO date; range end'),
});
export type AnalyticsQuery = z.infer<typeof AnalyticsQuery>;

export const AgentAnalytics = z.looseObject({
  overview: z
    .looseObject({
      total_calls: z.number(),
      success_rate: z.number(),
      avg_duration: z.number(),
      total_duration: z.number(),
    })
    .partial(),
  timeline: z
    .array(z.looseObject({ date: z.string(), calls: z.number(), success_rate: z.number().nullish() }))
    .optional(),
  top_intents: z
    .array(z.looseObject({ intent: z.string(), count: z.number(), percentage: z.number().optional() }))
    .optional(),
  sentiment: z
    .looseObject({ positive: z.number(), neutral: z.number(), negative: z.number() })
    .partial()
    .optional(),
});
export type AgentAnalytics = z.infer<typeof AgentAnalytics>;

export const SentimentBatchRequest = z.object({
  texts: z.array(z.string().max(10_000).describe('A text')).min(1).max(100).describe('Texts to score'),
});
export type SentimentBatchRequest = z.infer<typeof SentimentBatchRequest>;

export const SentimentResults = z.looseObject({
  results: z.array(z.looseObject({ text: z.string(), sentiment: z.string(), score: z.number() })),
});
export type SentimentResults = z.infer<typeof SentimentResults>;

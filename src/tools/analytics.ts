import {
  AgentAnalytics,
  AgentId,
  AnalyticsQuery,
  SentimentBatchRequest,
  SentimentResults,
} from '../voisa/index.js';
import { defineTool, READ_ONLY } from './define.js';

export const getAnalytics = defineTool({
  name: 'get_analytics',
  title: 'Get agent analytics',
  toolset: 'analytics',
  description: "An agent's call totals, success rate, durations, timeline, top intents and sentiment.",
  annotations: READ_ONLY,
  input: { agent_id: AgentId, ...AnalyticsQuery.shape },
  output: AgentAnalytics,
  view: 'analytics',
  run: ({ agent_id, ...query }, { api, req }) => api.analytics.agent(agent_id, query, req),
});

export const analyzeSentiment = defineTool({
  name: 'analyze_sentiment',
  title: 'Analyze sentiment',
  toolset: 'analytics',
  description: 'Score texts as positive, neutral or negative (0-1).',
  annotations: { ...READ_ONLY, idempotentHint: true },
  input: SentimentBatchRequest.shape,
  output: SentimentResults,
  run: (args, { api, req }) => api.analytics.sentimentBatch(args, req),
});

export const analyticsTools = [getAnalytics, analyzeSentiment];

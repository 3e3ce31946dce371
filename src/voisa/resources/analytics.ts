import type { HttpTransport } from '../http.js';
import {
  AgentAnalytics,
  type AnalyticsQuery,
  type SentimentBatchRequest,
  SentimentResults,
} from '../schemas/index.js';
import type { RequestOptions } from '../types.js';
import { seg } from './path.js';

export function analyticsApi(http: HttpTransport) {
  return {
    /** GET /api/analytics/agent/{id} */
    agent: (agentId: string, q?: AnalyticsQuery, o?: RequestOptions): Promise<AgentAnalytics> =>
      http.json({ method: 'GET', path: `/api/analytics/agent/${seg(agentId)}`, query: q }, AgentAnalytics, o),
    /** POST /api/analytics/sentiment-batch: a pure computation, so retried like a GET. */
    sentimentBatch: (b: SentimentBatchRequest, o?: RequestOptions): Promise<SentimentResults> =>
      http.json(
        { method: 'POST', path: '/api/analytics/sentiment-batch', json: b, idempotent: true },
        SentimentResults,
        o,
      ),
  };
}
export type AnalyticsApi = ReturnType<typeof analyticsApi>;

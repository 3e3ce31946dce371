import type { HttpTransport } from '../http.js';
import {
  Ack,
  AgentDetails,
  AgentList,
  type AssignToolsRequest,
  AssignToolsResult,
  type ChatRequest,
  ChatResponse,
  type CreateAgentRequest,
  CreatedAgent,
  type ListAgentsQuery,
  type UpdateAgentRequest,
} from '../schemas/index.js';
import type { RequestOptions } from '../types.js';
import { seg } from './path.js';

export function agentsApi(http: HttpTransport) {
  return {
    /** GET /api/agents/list */
    list: (q?: ListAgentsQuery, o?: RequestOptions): Promise<AgentList> =>
      http.json({ method: 'GET', path: '/api/agents/list', query: q }, AgentList, o),
    /** GET /api/agents/{id} */
    get: (agentId: string, o?: RequestOptions): Promise<AgentDetails> =>
      http.json({ method: 'GET', path: `/api/agents/${seg(agentId)}` }, AgentDetails, o),
    /** POST /api/agents/create. Never re-sent after a 5xx or timeout. */
    create: (b: CreateAgentRequest, o?: RequestOptions): Promise<CreatedAgent> =>
      http.json({ method: 'POST', path: '/api/agents/create', json: b }, CreatedAgent, o),
    /** PUT /api/agents/{id}/update */
    update: (agentId: string, b: UpdateAgentRequest, o?: RequestOptions): Promise<AgentDetails> =>
      http.json({ method: 'PUT', path: `/api/agents/${seg(agentId)}/update`, json: b }, AgentDetails, o),
    /** DELETE /api/agents/{id} */
    delete: (agentId: string, o?: RequestOptions): Promise<Ack> =>
      http.json({ method: 'DELETE', path: `/api/agents/${seg(agentId)}` }, Ack, o),
    /** POST /api/agents/{id}/chat */
    chat: (agentId: string, b: ChatRequest, o?: RequestOptions): Promise<ChatResponse> =>
      http.json({ method: 'POST', path: `/api/agents/${seg(agentId)}/chat`, json: b }, ChatResponse, o),
    /** POST /api/agents/{id}/assign-tools */
    assignTools: (agentId: string, b: AssignToolsRequest, o?: RequestOptions): Promise<AssignToolsResult> =>
      http.json(
        { method: 'POST', path: `/api/agents/${seg(agentId)}/assign-tools`, json: b },
        AssignToolsResult,
        o,
      ),
  };
}
export type AgentsApi = ReturnType<typeof agentsApi>;

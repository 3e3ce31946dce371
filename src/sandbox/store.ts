/** The sandbox's mutable state: everything the API can read or change. */
import type {
  AgentRecord,
  ApiKeyRecord,
  ConversationRecord,
  KbRecord,
  McpServerRecord,
  VoiceRecord,
  WebhookRecord,
} from './types.js';

export interface ChatSession {
  id: string;
  agent_id: string;
  turns: { role: 'user' | 'agent'; text: string }[];
}

export class Store {
  readonly keys = new Map<string, ApiKeyRecord>();
  readonly agents = new Map<string, AgentRecord>();
  readonly kb = new Map<string, KbRecord>();
  readonly conversations = new Map<string, ConversationRecord>();
  readonly mcpServers = new Map<string, McpServerRecord>();
  readonly voices = new Map<string, VoiceRecord>();
  readonly webhooks = new Map<string, WebhookRecord>();
  readonly sessions = new Map<string, ChatSession>();

  clear(): void {
    this.agents.clear();
    this.kb.clear();
    this.conversations.clear();
    this.mcpServers.clear();
    this.voices.clear();
    this.webhooks.clear();
    this.sessions.clear();
  }

  kbOf(agentId: string): KbRecord[] {
    return [...this.kb.values()].filter((k) => k.agent_id === agentId);
  }

  conversationsOf(agentId: string): ConversationRecord[] {
    return [...this.conversations.values()].filter((c) => c.agent_id === agentId);
  }

  /** Every tool name offered by a connected MCP server. */
  toolNames(): Set<string> {
    const names = new Set<string>();
    for (const s of this.mcpServers.values()) for (const t of s.tools) names.add(t.name);
    return names;
  }
}

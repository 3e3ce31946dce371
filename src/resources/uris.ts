/**
 * The resource URIs. They are public interface: the HTTP transport matches them
 * to send `notifications/resources/updated`, so keep them exactly.
 */

import type { Variables } from '@modelcontextprotocol/server';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';

export const AGENT_TEMPLATE = 'voisa://agents/{agent_id}';
export const CONVERSATION_TEMPLATE = 'voisa://conversations/{conversation_id}';
export const TRANSCRIPT_TEMPLATE = 'voisa://conversations/{conversation_id}/transcript';
export const AUDIO_TEMPLATE = 'voisa://conversations/{conversation_id}/audio';
export const VOICES_URI = 'voisa://voices';

const enc = encodeURIComponent;
export const agentUri = (agentId: string) => `voisa://agents/${enc(agentId)}`;
export const conversationUri = (id: string) => `voisa://conversations/${enc(id)}`;
export const transcriptUri = (id: string) => `${conversationUri(id)}/transcript`;
export const audioUri = (id: string) => `${conversationUri(id)}/audio`;

/** One decoded template variable; a malformed one is an InvalidParams error. */
export function variable(vars: Variables, name: string): string {
  const raw = vars[name];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  try {
    if (value) return decodeURIComponent(value);
  } catch {
    // fall through
  }
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid ${name} in resource URI`);
}

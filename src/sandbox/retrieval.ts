/**
 * The agent's "brain" for test chats and simulated calls: scores every sentence
 * of the agent's knowledge base by word overlap with the message and answers
 * with the best ones. Tools fire when the message mentions words of their name.
 */
import { round2 } from './ids.js';
import type { AgentRecord, KbRecord } from './types.js';

const STOP = new Set(
  (
    'a an the and or but if of to in on at for from by with about as is are was were be been am do does did ' +
    'i you he she it we they me my your our their this that these those there here what which who whom how ' +
    'when where why can could would should will shall may might must have has had not no yes please hi hello ' +
    'thanks thank so just any some more most very much also than then its it’s i’m im like want need get'
  ).split(' '),
);

export function tokens(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOP.has(w));
}

/** Cheap stemming so "opening"/"open", "hours"/"hour" meet. */
function stem(w: string): string {
  return w.replace(/(ing|ed|es|s)$/u, '').slice(0, 7);
}

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export interface Answer {
  response: string;
  confidence: number;
  tools_used: string[];
  matched: boolean;
}

const GREETING = /^\s*(hi|hello|hey|hallo|good (morning|afternoon|evening)|buongiorno)\b/i;

export function answer(agent: AgentRecord, kb: KbRecord[], message: string): Answer {
  const tools_used = toolsFor(agent, message);
  const want = new Set(tokens(message).map(stem));
  const scored: { s: string; score: number; order: number }[] = [];
  let order = 0;
  for (const item of kb) {
    for (const s of sentences(item.content)) {
      const words = new Set(tokens(s).map(stem));
      let hits = 0;
      for (const w of want) if (words.has(w)) hits++;
      if (hits > 0) scored.push({ s, score: hits / Math.max(1, want.size), order: order++ });
    }
  }
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  const best = scored[0];
  if (best) {
    const picked = scored.filter((x) => x.score >= best.score * 0.75).slice(0, 2);
    const confidence = round2(Math.min(0.98, 0.45 + 0.5 * best.score + (picked.length > 1 ? 0.03 : 0)));
    return { response: picked.map((x) => x.s).join(' '), confidence, tools_used, matched: true };
  }
  const conv = (agent.config.conversation ?? {}) as { first_message?: string };
  if (GREETING.test(message) && conv.first_message) {
    return { response: conv.first_message, confidence: 0.9, tools_used, matched: true };
  }
  if (tools_used.length > 0) {
    return {
      response: `I can help with that. I have used ${tools_used.join(' and ')} to take care of it.`,
      confidence: 0.7,
      tools_used,
      matched: true,
    };
  }
  return {
    response:
      "I'm sorry, I don't have information about that. Is there anything else I can help you with, or shall I ask a colleague to call you back?",
    confidence: 0.2,
    tools_used,
    matched: false,
  };
}

/** Assigned tools whose name words (camelCase split, stemmed) appear in the message. */
export function toolsFor(agent: AgentRecord, message: string): string[] {
  const said = new Set(tokens(message).map((w) => w.slice(0, 5)));
  const generic = new Set(['check', 'send', 'get', 'creat', 'looku', 'look']);
  return agent.tools.filter((tool) => {
    const words = tool
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .split(/\s+/)
      .map((w) => w.slice(0, 5))
      .filter((w) => !generic.has(w));
    return words.some((w) => said.has(w));
  });
}

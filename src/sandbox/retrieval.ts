/**
 * The agent's "brain" for test chats and simulated calls. It answers only from what the agent
 * knows: the sentences of its own knowledge base, then the statements of fact in its system
 * prompt (instruction lines such as "You are …", "Always …", "Never …", "Take …" are not facts).
 *
 * The relevance rule, deterministic and deliberately strict so a test scenario fails for a real
 * reason rather than on an invented answer:
 * - the message's content words are its tokens minus stop words and weak words ("option", "time",
 *   "today", …: a hit on them proves nothing), stemmed ("opening" = "open", "dishes" = "dish"),
 *   with a few related words folded together ("hours"/"closed" → open, "car" → park, "food" →
 *   dish, "book" → reserve, "cost" → price, "shipping" → deliver);
 * - a sentence is relevant when it covers all content words of a question of one or two of them,
 *   and two thirds (rounded up) of a longer one;
 * - the reply is the best relevant sentence (most words covered, then most words matched without
 *   folding, then earliest) plus the next one when it covers as many: at most two sentences.
 *   `confidence` grows with the share of words covered. Nothing relevant: a greeting gets the
 *   first message, a request for an assigned tool says it used it, anything else gets the
 *   "I don't have information about that" fallback with low confidence (`matched: false`).
 */
import { round2 } from './ids.js';
import type { AgentRecord, KbRecord } from './types.js';

const STOP = new Set(
  (
    'a an the and or but if of to in on at for from by with about as is are was were be been am do does did ' +
    'i you he she it we they me my your our their this that these those there here what which who whom how ' +
    'when where why can could would should will shall may might must have has had not no yes please hi hello ' +
    'thanks thank so just any some more most very much also than then its it’s i’m im like want need get up'
  ).split(' '),
);

export function tokens(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOP.has(w));
}

const SUFFIXES: [string, string][] = [
  ['ations', ''],
  ['ation', ''],
  ['ings', ''],
  ['ing', ''],
  ['ies', 'y'],
  ['ied', 'y'],
  ['als', ''],
  ['al', ''],
  ['ed', ''],
  ['es', ''],
  ['s', ''],
];

/** Small suffix stripper: "opening"/"open", "dishes"/"dish", "closes"/"close", "shipping"/"ship". */
function strip(word: string): string {
  let s = word;
  for (const [suffix, by] of SUFFIXES) {
    if (!s.endsWith(suffix) || (suffix === 's' && s.endsWith('ss'))) continue;
    if (s.length - suffix.length + by.length >= 3) s = s.slice(0, -suffix.length) + by;
    break;
  }
  s = s.replace(/([^aeious])\1$/u, '$1');
  return s.length > 3 ? s.replace(/[ey]$/u, '') : s;
}

/** Related words, folded into the first of their group. */
const GROUPS = [
  'open hours closed',
  'park car vehicle garage',
  'reserve reservation book',
  'price cost fee charge expensive cheap',
  'deliver shipping',
  'dish food meal',
  'address location located',
];
const RELATED = new Map(
  GROUPS.flatMap((g) => {
    const [head, ...rest] = g.split(' ').map(strip);
    return rest.map((w) => [w, head] as const);
  }),
);

/** Words too general to show what a question is about: they are neither needed nor counted. */
const WEAK = new Set(
  (
    'option choice time long day today tomorrow tonight thing question info information kind type way ' +
    'available offer service place near nearby around tell know wonder help ask call let sure good ' +
    'great okay ok right something anything everything one many lot bit little maybe possible ' +
    'usually really actually currently still already now again find look see say go come make take give'
  )
    .split(' ')
    .map(strip),
);

/** The stems of a text's words, before and after folding related words. */
function words(text: string): { raw: Set<string>; folded: Set<string> } {
  const raw = new Set(tokens(text).map(strip));
  return { raw, folded: new Set([...raw].map((w) => RELATED.get(w) ?? w)) };
}

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/u)
    .map((s) => s.replace(/^\s*(?:[-*•]|\d+[.)])\s+/u, '').trim())
    .filter((s) => s.length > 0);
}

/** A prompt line that tells the agent what to do (or who it is) rather than stating a fact. */
const INSTRUCTION =
  /^(you|your|always|never|do|don['’]?t|please|be|if|when|make|only|avoid|ask|answer|book|check|collect|confirm|escalate|explain|greet|handle|help|keep|look|offer|qualify|refer|respond|say|schedule|send|speak|stay|take|tell|transfer|try|use)\b|\b(caller|user)s?\b/iu;

/** Candidate sentences: the knowledge base in order, then the prompt's statements of fact. */
function candidates(agent: AgentRecord, kb: KbRecord[]): string[] {
  const prompt = (agent.config.conversation as { system_prompt?: unknown } | undefined)?.system_prompt;
  const facts = typeof prompt === 'string' ? sentences(prompt).filter((s) => !INSTRUCTION.test(s)) : [];
  return [...kb.flatMap((item) => sentences(item.content)), ...facts];
}

export interface Answer {
  response: string;
  confidence: number;
  tools_used: string[];
  matched: boolean;
}

const GREETING = /^\s*(hi|hello|hey|hallo|good (morning|afternoon|evening)|buongiorno)\b/i;

/** The relevant sentences for the message's content words, best first (see the rule above). */
function relevant(sentences: string[], message: string): { s: string; hits: number; share: number }[] {
  const said = words(message);
  const want = [...said.folded].filter((w) => !WEAK.has(w));
  const wantRaw = [...said.raw].filter((w) => !WEAK.has(w));
  if (want.length === 0) return [];
  const need = want.length <= 2 ? want.length : Math.ceil((want.length * 2) / 3);
  return sentences
    .map((s, order) => {
      const have = words(s);
      const hits = want.filter((w) => have.folded.has(w)).length;
      const exact = wantRaw.filter((w) => have.raw.has(w)).length;
      return { s, order, hits, exact, share: hits / want.length };
    })
    .filter((x) => x.hits >= need)
    .sort((a, b) => b.hits - a.hits || b.exact - a.exact || a.order - b.order);
}

export function answer(agent: AgentRecord, kb: KbRecord[], message: string): Answer {
  const tools_used = toolsFor(agent, message);
  const found = relevant(candidates(agent, kb), message);
  const best = found[0];
  if (best) {
    const picked = found.filter((x) => x.hits === best.hits).slice(0, 2);
    const confidence = round2(Math.min(0.98, 0.45 + 0.5 * best.share + (picked.length > 1 ? 0.03 : 0)));
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

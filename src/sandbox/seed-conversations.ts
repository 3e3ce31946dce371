/** Seeded conversations over the last 60 days, generated deterministically from the scenarios. */
import { clock, prng } from './ids.js';
import { FAILED_SCENARIO, type Scenario, scenariosFor } from './scripts.js';
import type { ConversationRecord, TranscriptTurn } from './types.js';

const FIRST_MESSAGES: Record<string, string> = {
  agt_bella0001: 'Buongiorno, thank you for calling Bella Napoli! How can I help you today?',
  agt_clinic002: "Hello, Dr. Weber's practice, how can I help you?",
  agt_homes0003: 'Hi, this is Lakeside Homes. Are you calling about one of our properties?',
  agt_shop00004: 'Thanks for calling Urban Threads customer service. What can I do for you?',
  agt_hotel0005: 'Grüß Gott, Hotel Alpenblick, wie kann ich helfen?',
};
const INDUSTRY: Record<string, string> = {
  agt_bella0001: 'restaurant',
  agt_clinic002: 'healthcare',
  agt_homes0003: 'real_estate',
  agt_shop00004: 'retail',
  agt_hotel0005: 'hospitality',
};

/** Builds a transcript with realistic `hh:mm:ss` stamps; returns it with the call's duration in seconds. */
export function buildTranscript(
  firstMessage: string,
  lines: string[],
  rand: () => number,
): { transcript: TranscriptTurn[]; duration: number } {
  const transcript: TranscriptTurn[] = [{ speaker: 'agent', text: firstMessage, timestamp: clock(1) }];
  let t = 1 + Math.ceil(firstMessage.length / 15);
  lines.forEach((text, i) => {
    t += 2 + Math.floor(rand() * 4);
    transcript.push({ speaker: i % 2 === 0 ? 'user' : 'agent', text, timestamp: clock(t) });
    t += Math.ceil(text.length / 12) + Math.floor(rand() * 8);
  });
  return { transcript, duration: t + 5 + Math.floor(rand() * 40) };
}

/** One seeded call: whose agent, and how long ago it started (drawing from `rand` exactly once). */
export interface SeedCallPlan {
  agentId: string;
  industry: string;
  firstMessage: string;
  daysAgo(rand: () => number): number;
}

/**
 * `count` conversations `${idPrefix}0001`…, deterministic for a PRNG `seed`; `plan(i)` picks the
 * agent of call i, `phone(rand)` the caller's number.
 */
export function generateConversations(
  now: number,
  o: {
    seed: number;
    count: number;
    idPrefix: string;
    plan(i: number): SeedCallPlan;
    phone(rand: () => number): string;
  },
): ConversationRecord[] {
  const rand = prng(o.seed);
  const out: ConversationRecord[] = [];
  for (let i = 0; i < o.count; i++) {
    const p = o.plan(i);
    const scenarios = scenariosFor(p.industry);
    const failed = rand() < 0.12;
    const scenario: Scenario = failed
      ? FAILED_SCENARIO
      : (scenarios[Math.floor(rand() * scenarios.length)] as Scenario);
    const started = now - Math.round(p.daysAgo(rand) * 86_400_000) - 3_600_000;
    const { transcript, duration } = buildTranscript(p.firstMessage, scenario.lines, rand);
    out.push({
      id: `${o.idPrefix}${String(i + 1).padStart(4, '0')}`,
      agent_id: p.agentId,
      phone_number: o.phone(rand),
      duration,
      status: scenario.failed ? 'failed' : 'success',
      started_at: iso(started),
      ended_at: iso(started + duration * 1000),
      sentiment: scenario.sentiment,
      summary: scenario.summary,
      intent: scenario.intent,
      transcript,
      metadata: { tools_used: [...scenario.tools_used], data_collected: { ...scenario.data_collected } },
    });
  }
  return out;
}

/** The demo account's 30 conversations (`conv_seed0001`…). */
export function seedConversations(now: number): ConversationRecord[] {
  const agents = Object.keys(FIRST_MESSAGES);
  return generateConversations(now, {
    seed: 20250115,
    count: 30,
    idPrefix: 'conv_seed',
    plan(i) {
      // Mostly the four active agents; the inactive hotel agent only has old calls.
      const agentId = i % 10 === 9 ? 'agt_hotel0005' : (agents[i % 4] as string);
      return {
        agentId,
        industry: INDUSTRY[agentId] ?? 'generic',
        firstMessage: FIRST_MESSAGES[agentId] ?? 'Hello!',
        daysAgo: (rand) => (agentId === 'agt_hotel0005' ? 35 + rand() * 24 : (i / 30) * 58 + rand() * 1.5),
      };
    },
    phone: (rand) => `+49${1510000000 + Math.floor(rand() * 89999999)}`,
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

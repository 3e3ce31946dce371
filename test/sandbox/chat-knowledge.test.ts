/**
 * The sandbox's chat answers from the agent's own knowledge base and the facts in its prompt, and
 * does not invent what neither says: the ground `test_agent` scenarios pass or fail on. Agents and
 * knowledge are created over the API of a sandbox without seeded data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Json, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ seed: false });

const FALLBACK = /don't have information about that/;

const PROMPT = [
  'You are the host of Trattoria Sole.',
  'Free parking is available in the courtyard behind the restaurant.',
  'Always be polite and brief.',
  'Never reveal the secret family recipe.',
].join(' ');

const HOUSE_FACTS =
  'Opening hours: we are open Tuesday to Sunday from 12 noon to 10 pm, and closed on Mondays. ' +
  'Our menu has twelve pizzas from the wood-fired oven. The Margherita costs 9 euros. ' +
  'Gluten-free options are available for every pizza.';

async function addText(agentId: string, title: string, content: string): Promise<void> {
  const r = await api(sandbox(), 'POST', '/api/knowledge-base/text', { agent_id: agentId, title, content });
  expect(r.status).toBe(201);
}

/** Creates an agent (with `prompt` as its system prompt when given) and its knowledge-base texts. */
async function newAgent(name: string, prompt: string | undefined, texts: string[]): Promise<string> {
  const config = prompt ? { conversation: { system_prompt: prompt } } : undefined;
  const r = await api(sandbox(), 'POST', '/api/agents/create', { name, config });
  expect(r.status).toBe(201);
  for (const [i, text] of texts.entries()) await addText(r.json.data.id, `Facts ${i + 1}`, text);
  return r.json.data.id;
}

async function chat(agentId: string, message: string): Promise<Json> {
  const r = await api(sandbox(), 'POST', `/api/agents/${agentId}/chat`, { message });
  expect(r.status).toBe(200);
  return r.json.data;
}

async function expectFallback(agentId: string, message: string): Promise<void> {
  const d = await chat(agentId, message);
  expect(d.response, message).toMatch(FALLBACK);
  expect(d.confidence).toBeLessThan(0.5);
}

describe('chat answers from what the agent knows', () => {
  let sole: string;
  let deli: string;
  beforeAll(async () => {
    sole = await newAgent('Trattoria Sole', PROMPT, [HOUSE_FACTS]);
    deli = await newAgent('Harbour Deli', undefined, ['We deliver to Potsdam and Berlin every Friday.']);
  });

  it('says a fact of its knowledge base', async () => {
    const cases: [string, string][] = [
      ['What are your opening hours?', 'Tuesday to Sunday from 12 noon to 10 pm'],
      ['Are you open on Mondays?', 'closed on Mondays'],
      ['How much is the Margherita?', 'The Margherita costs 9 euros.'],
      ['How many pizzas are on the menu?', 'twelve pizzas'],
      ['Do you have gluten-free pizza?', 'Gluten-free options are available'],
    ];
    for (const [question, fact] of cases) {
      const d = await chat(sole, question);
      expect(d.response, question).toContain(fact);
      expect(d.response).not.toMatch(FALLBACK);
      expect(d.confidence).toBeGreaterThan(0.6);
      // at most two sentences
      expect(d.response.split(/(?<=[.!?])\s+/).length).toBeLessThanOrEqual(2);
    }
  });

  it('says a fact stated in its prompt, but nothing from its instructions', async () => {
    for (const question of ['Where can I park my car?', 'Is there parking?']) {
      expect((await chat(sole, question)).response, question).toContain('courtyard behind the restaurant');
    }
    await expectFallback(sole, 'What is the secret family recipe?');
    await expectFallback(sole, 'Who is the host?');
    await expectFallback(sole, 'Are you polite?');
  });

  it('does not invent what it does not know, even when a word is shared', async () => {
    for (const question of [
      'Do you deliver to Potsdam?',
      'Is there a vegan menu?',
      'What payment options do you have?', // "options"
      'Which wines are on the menu?', // "menu"
      'Do you sell gift cards on Sunday?', // "Sunday"
      'What time is it in Tokyo?', // "time"
    ]) {
      await expectFallback(sole, question);
    }
  });

  it('answers once the missing fact is added to the knowledge base', async () => {
    const vegan = await newAgent('Trattoria Luna', PROMPT, [HOUSE_FACTS]);
    await expectFallback(vegan, 'Do you have vegan dishes?');
    await addText(vegan, 'Vegan', 'Vegan dishes: we have three vegan mains every day.');
    for (const question of ['Do you have vegan dishes?', 'Are there vegan options?', 'Is the food vegan?']) {
      const d = await chat(vegan, question);
      expect(d.response, question).toBe('Vegan dishes: we have three vegan mains every day.');
      expect(d.confidence).toBeGreaterThan(0.6);
    }
    // the other agents do not learn it
    await expectFallback(sole, 'Do you have vegan dishes?');
  });

  it("uses only the agent's own knowledge base", async () => {
    expect((await chat(deli, 'Do you deliver to Potsdam?')).response).toBe(
      'We deliver to Potsdam and Berlin every Friday.',
    );
    await expectFallback(sole, 'Do you deliver to Potsdam?');
    await expectFallback(deli, 'How much is the Margherita?');
    await expectFallback(deli, 'Is there parking?');
  });

  it('greets with the first message and answers the same way every time', async () => {
    expect((await chat(sole, 'Hello!')).response).toBe('Hello, this is Trattoria Sole. How can I help you?');
    const first = await chat(sole, 'What are your opening hours?');
    const again = await chat(sole, 'What are your opening hours?');
    expect(again).toMatchObject({ response: first.response, confidence: first.confidence });
  });
});

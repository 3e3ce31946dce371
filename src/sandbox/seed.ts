/**
 * Demo data of the sandbox: two accounts with their keys; the demo account's agents of four
 * industries with full configs, knowledge-base items with real text, voices, MCP servers with
 * tools, and conversations spread over the last 60 days; the second account's own agents,
 * knowledge base, MCP servers and conversations. No id is shared between the accounts.
 */
import { generateConversations, seedConversations } from './seed-conversations.js';
import type { Accounts, Store } from './store.js';
import type { AgentRecord, KbRecord, McpServerRecord, McpToolRecord, VoiceRecord } from './types.js';

/** The demo account accepted by `POST /api/get-api-key`. */
export const DEMO_ACCOUNT = { email: 'demo@voisa.example', password: 'voisa-sandbox-demo' } as const;
export const DEMO_ACCOUNT_ID = 'acc_demo001';
/** read + write + delete */
export const DEMO_KEY = 'vsa_test_sbx7Kq2mN9pL4rT8vW3xY6zA1bC5dE0f';
/** read only */
export const READ_ONLY_KEY = 'vsa_test_sbxR3ad0nly8Hj2Kl5Mn7Pq9Rs4Tu6Vw';

/**
 * A second demo account (issue 19: every tenant test runs with two accounts): its own key, agents,
 * knowledge base, conversations, voices and webhooks; no id overlaps the first account's.
 */
export const SECOND_ACCOUNT = { email: 'ops@second.example', password: 'voisa-sandbox-second' } as const;
export const SECOND_ACCOUNT_ID = 'acc_second02';
/** read + write + delete, on the second account */
export const SECOND_KEY = 'vsa_test_sbx2Nd4cc0untQw8Er5Ty1Ui3Op7As9D';

/** Ids of the seeded agents (stable across runs, handy in tests). */
export const SEED_AGENTS = {
  restaurant: 'agt_bella0001',
  healthcare: 'agt_clinic002',
  realEstate: 'agt_homes0003',
  retail: 'agt_shop00004',
  hotel: 'agt_hotel0005',
} as const;

/** Ids of the second account's seeded agents (none shared with the demo account). */
export const SECOND_SEED_AGENTS = {
  restaurant: 'agt_harbor201',
  healthcare: 'agt_physio202',
  automotive: 'agt_motor0203',
} as const;

const DAY = 86_400_000;
const ago = (now: number, days: number) => new Date(now - days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');

function agent(
  now: number,
  a: Omit<AgentRecord, 'created_at' | 'updated_at' | 'config'> & {
    daysOld: number;
    voice: string;
    first: string;
    prompt: string;
    model: string;
    temperature: number;
  },
): AgentRecord {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    status: a.status,
    industry: a.industry,
    created_at: ago(now, a.daysOld),
    updated_at: ago(now, Math.max(1, a.daysOld - 10)),
    tools: a.tools,
    config: {
      voice: { provider: 'elevenlabs', voice_id: a.voice, settings: { stability: 0.75, speed: 1.0 } },
      conversation: {
        first_message: a.first,
        system_prompt: a.prompt,
        model: a.model,
        temperature: a.temperature,
      },
      turn_detection: { mode: 'silence', timeout: 7, end_call_on_silence: 60 },
      privacy: { retention_days: 90, zero_retention: false, delete_audio: false },
    },
  };
}

function seedAgents(now: number): AgentRecord[] {
  return [
    agent(now, {
      id: SEED_AGENTS.restaurant,
      name: 'Bella Napoli Reservations',
      description: 'Takes table reservations and answers questions about the menu and opening hours',
      status: 'active',
      industry: 'restaurant',
      daysOld: 120,
      voice: 'voice_it_f_giulia',
      first: 'Buongiorno, thank you for calling Bella Napoli! How can I help you today?',
      prompt:
        'You are the friendly host of Bella Napoli, an Italian restaurant in Berlin. Take reservations (name, date, time, party size), answer questions about the menu, allergies and opening hours. Be warm and concise.',
      model: 'gpt-4o',
      temperature: 0.5,
      tools: ['checkAvailability', 'bookAppointment'],
    }),
    agent(now, {
      id: SEED_AGENTS.healthcare,
      name: 'Dr. Weber Practice Assistant',
      description: 'Handles patient inquiries, appointment booking and prescription renewals',
      status: 'active',
      industry: 'healthcare',
      daysOld: 200,
      voice: 'voice_de_f_anna',
      first: "Hello, Dr. Weber's practice, how can I help you?",
      prompt:
        'You are the medical receptionist of Dr. Weber, a general practitioner. Book appointments, explain opening hours and insurance questions. Never give medical advice; in an emergency tell the caller to dial 112.',
      model: 'claude-3-5-sonnet',
      temperature: 0.3,
      tools: ['checkAvailability', 'bookAppointment', 'sendSms'],
    }),
    agent(now, {
      id: SEED_AGENTS.realEstate,
      name: 'Lakeside Homes Lead Qualifier',
      description: 'Qualifies buyer leads and schedules property viewings',
      status: 'active',
      industry: 'real_estate',
      daysOld: 90,
      voice: 'voice_en_m_james',
      first: 'Hi, this is Lakeside Homes. Are you calling about one of our properties?',
      prompt:
        'You qualify leads for Lakeside Homes: ask for budget, preferred area, number of bedrooms and financing status, then offer a viewing. Be professional and never pressure the caller.',
      model: 'gpt-4o',
      temperature: 0.4,
      tools: ['bookAppointment', 'createLead'],
    }),
    agent(now, {
      id: SEED_AGENTS.retail,
      name: 'Urban Threads Customer Service',
      description: 'Answers order status, returns and store questions for a fashion retailer',
      status: 'active',
      industry: 'retail',
      daysOld: 150,
      voice: 'voice_en_f_sarah',
      first: 'Thanks for calling Urban Threads customer service. What can I do for you?',
      prompt:
        'You are the customer service agent of Urban Threads, a fashion retailer. Look up orders, explain the return policy, shipping times and store hours. Escalate payment disputes to a human.',
      model: 'gpt-4o-mini',
      temperature: 0.5,
      tools: ['lookupOrder', 'sendSms'],
    }),
    agent(now, {
      id: SEED_AGENTS.hotel,
      name: 'Alpenblick Hotel Concierge (old)',
      description: 'Former concierge line, replaced by the web booking flow',
      status: 'inactive',
      industry: 'hospitality',
      daysOld: 300,
      voice: 'voice_de_m_lukas',
      first: 'Grüß Gott, Hotel Alpenblick, wie kann ich helfen?',
      prompt: 'You are the concierge of Hotel Alpenblick in Garmisch.',
      model: 'gpt-4o',
      temperature: 0.6,
      tools: [],
    }),
  ];
}

function kb(
  now: number,
  id: string,
  agent_id: string,
  type: KbRecord['type'],
  name: string,
  category: string,
  daysOld: number,
  content: string,
  extra: Partial<KbRecord> = {},
): KbRecord {
  return { id, agent_id, type, name, category, created_at: ago(now, daysOld), content, ...extra };
}

function seedKb(now: number): KbRecord[] {
  const A = SEED_AGENTS;
  return [
    kb(
      now,
      'kb_hours0001',
      A.restaurant,
      'text',
      'Opening Hours',
      'general',
      110,
      'We are open Tuesday to Sunday from 12 noon to 11 pm. The kitchen closes at 10 pm. We are closed on Mondays. On public holidays we open at 5 pm.',
    ),
    kb(
      now,
      'kb_menu00002',
      A.restaurant,
      'document',
      'Menu.pdf',
      'menu',
      100,
      'Our pizzas are baked in a wood-fired oven and cost between 9 and 16 euros. The Margherita costs 9 euros and the Diavola 12 euros. Gluten-free pizza dough is available for 2 euros extra. We offer vegan cheese on request. Our tiramisu is homemade every morning.',
      { size: 48213, mime_type: 'application/pdf' },
    ),
    kb(
      now,
      'kb_about0003',
      A.restaurant,
      'url',
      'https://bella-napoli.example/about',
      'general',
      95,
      'Bella Napoli is located at Kastanienallee 12 in Berlin Prenzlauer Berg. The nearest tram stop is Zionskirchplatz. Groups of more than 8 people should reserve at least two days in advance. We have a terrace with 30 seats in summer.',
      { url: 'https://bella-napoli.example/about', refresh_interval: 86400 },
    ),
    kb(
      now,
      'kb_clinic004',
      A.healthcare,
      'text',
      'Practice Hours',
      'general',
      190,
      'The practice is open Monday to Friday from 8 am to 6 pm, and on Wednesday only until 1 pm. Blood tests are done every morning between 8 and 10 am. Please bring your insurance card to every visit.',
    ),
    kb(
      now,
      'kb_clinic005',
      A.healthcare,
      'document',
      'Patient-Policies.pdf',
      'policies',
      180,
      'Appointments cancelled less than 24 hours in advance may be charged. Prescription renewals can be requested by phone and are ready for pickup after two working days. We accept all public and private health insurance. In an emergency call 112.',
      { size: 102400, mime_type: 'application/pdf' },
    ),
    kb(
      now,
      'kb_homes0006',
      A.realEstate,
      'url',
      'https://lakeside-homes.example/listings',
      'listings',
      80,
      'We currently have 12 homes for sale around the lake. Three-bedroom family houses start at 450,000 euros. Apartments with lake view start at 320,000 euros. Viewings are possible Monday to Saturday from 10 am to 6 pm.',
      { url: 'https://lakeside-homes.example/listings', refresh_interval: 3600 },
    ),
    kb(
      now,
      'kb_homes0007',
      A.realEstate,
      'text',
      'Financing',
      'financing',
      70,
      'Our partner bank offers mortgage pre-approval within 48 hours. Buyers usually need a down payment of at least 20 percent. The buyer pays a commission of 3.57 percent of the purchase price.',
    ),
    kb(
      now,
      'kb_shop00008',
      A.retail,
      'text',
      'Return Policy',
      'policies',
      140,
      'Items can be returned within 30 days of delivery for a full refund. Returns are free with the prepaid label in the parcel. Sale items can be exchanged but not refunded. Refunds are issued to the original payment method within 5 working days.',
    ),
    kb(
      now,
      'kb_shop00009',
      A.retail,
      'document',
      'Shipping-FAQ.docx',
      'shipping',
      130,
      'Standard shipping takes 2 to 4 working days and is free for orders over 50 euros. Express shipping costs 7.90 euros and arrives the next working day. You can track your order with the link in the shipping confirmation email.',
      { size: 23552, mime_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
    ),
    kb(
      now,
      'kb_shop00010',
      A.retail,
      'url',
      'https://urban-threads.example/stores',
      'stores',
      120,
      'Our flagship store in Hamburg is open Monday to Saturday from 10 am to 8 pm. Gift cards are sold in all stores and online.',
      { url: 'https://urban-threads.example/stores', refresh_interval: 86400 },
    ),
  ];
}

/** The tools the seeded MCP servers offer. */
const TOOLS: Record<string, McpToolRecord> = {
  checkAvailability: {
    name: 'checkAvailability',
    description: 'Checks free calendar slots',
    parameters: { date: 'string', time: 'string', party_size: 'integer' },
  },
  bookAppointment: {
    name: 'bookAppointment',
    description: 'Books calendar appointments',
    parameters: { date: 'string', time: 'string', duration: 'integer', name: 'string' },
  },
  cancelAppointment: {
    name: 'cancelAppointment',
    description: 'Cancels an appointment by id',
    parameters: { appointment_id: 'string' },
  },
  createLead: {
    name: 'createLead',
    description: 'Creates a lead in the CRM',
    parameters: { name: 'string', phone: 'string', budget: 'number' },
  },
  lookupOrder: {
    name: 'lookupOrder',
    description: 'Finds an order by number or phone',
    parameters: { order_number: 'string', phone: 'string' },
  },
  sendSms: {
    name: 'sendSms',
    description: 'Sends an SMS confirmation',
    parameters: { to: 'string', text: 'string' },
  },
};

function mcpServer(id: string, name: string, url: string, tools: string[]): McpServerRecord {
  return {
    id,
    name,
    url,
    status: 'connected',
    tools: tools.map((t) => {
      const tool = TOOLS[t] as McpToolRecord;
      return { ...tool, parameters: { ...tool.parameters } };
    }),
  };
}

function seedMcpServers(): McpServerRecord[] {
  return [
    mcpServer('mcp_calendar01', 'Calendar Server', 'https://mcp.calendar.example', [
      'checkAvailability',
      'bookAppointment',
      'cancelAppointment',
    ]),
    mcpServer('mcp_crm000002', 'CRM & Messaging Server', 'https://mcp.crm.example', [
      'createLead',
      'lookupOrder',
      'sendSms',
    ]),
  ];
}

function seedVoices(): VoiceRecord[] {
  const v = (id: string, name: string, language: string, gender: string): VoiceRecord => ({
    id,
    name,
    language,
    gender,
    preview_url: `https://storage.voisa.ai/voices/${id}/preview.mp3`,
  });
  return [
    v('voice_de_m_lukas', 'Professional German Male', 'de-DE', 'male'),
    v('voice_de_f_anna', 'Warm German Female', 'de-DE', 'female'),
    v('voice_en_f_sarah', 'Friendly American Female', 'en-US', 'female'),
    v('voice_en_m_james', 'Calm British Male', 'en-GB', 'male'),
    v('voice_it_f_giulia', 'Cheerful Italian Female', 'it-IT', 'female'),
    v('voice_fr_m_louis', 'Elegant French Male', 'fr-FR', 'male'),
    v('voice_es_f_lucia', 'Bright Spanish Female', 'es-ES', 'female'),
  ];
}

function seedSecondAgents(now: number): AgentRecord[] {
  const A = SECOND_SEED_AGENTS;
  return [
    agent(now, {
      id: A.restaurant,
      name: 'Harbor Bistro Bookings',
      description: 'Takes reservations for a seafood bistro at the harbour',
      status: 'active',
      industry: 'restaurant',
      daysOld: 75,
      voice: 'voice_en_m_james',
      first: 'Good evening, Harbor Bistro, how may I help you?',
      prompt:
        'You take table reservations for Harbor Bistro, a seafood restaurant at the Hamburg harbour. Ask for name, date, time and party size; answer questions about the menu and opening hours.',
      model: 'gpt-4o-mini',
      temperature: 0.4,
      tools: ['checkAvailability', 'bookAppointment'],
    }),
    agent(now, {
      id: A.healthcare,
      name: 'Nordlicht Physio Front Desk',
      description: 'Books physiotherapy sessions and answers questions about prescriptions',
      status: 'active',
      industry: 'healthcare',
      daysOld: 160,
      voice: 'voice_de_f_anna',
      first: 'Nordlicht Physiotherapie, guten Tag! How can I help?',
      prompt:
        'You are the front desk of Nordlicht Physiotherapie. Book sessions, explain which prescriptions are accepted and the cancellation policy. Never give medical advice.',
      model: 'claude-3-5-sonnet',
      temperature: 0.3,
      tools: ['checkAvailability', 'bookAppointment', 'sendSms'],
    }),
    agent(now, {
      id: A.automotive,
      name: 'Motorwerk Service Line (paused)',
      description: 'Service appointments for a car workshop; paused during the move',
      status: 'inactive',
      industry: 'automotive',
      daysOld: 240,
      voice: 'voice_de_m_lukas',
      first: 'Motorwerk Werkstatt, was kann ich für Sie tun?',
      prompt: 'You book service appointments for the Motorwerk car workshop.',
      model: 'gpt-4o',
      temperature: 0.5,
      tools: [],
    }),
  ];
}

function seedSecondKb(now: number): KbRecord[] {
  const A = SECOND_SEED_AGENTS;
  return [
    kb(
      now,
      'kb_harbor201',
      A.restaurant,
      'text',
      'Opening Hours',
      'general',
      70,
      'Harbor Bistro is open Wednesday to Monday from 5 pm to 11 pm and closed on Tuesdays. On Sundays we also serve brunch from 10 am to 2 pm.',
    ),
    kb(
      now,
      'kb_harbor202',
      A.restaurant,
      'document',
      'Seafood-Menu.pdf',
      'menu',
      65,
      'Our fish of the day costs 24 euros and the lobster platter for two 89 euros. Fish and chips cost 16 euros. Every dish can be made gluten-free on request.',
      { size: 31744, mime_type: 'application/pdf' },
    ),
    kb(
      now,
      'kb_physio203',
      A.healthcare,
      'text',
      'Session Hours',
      'general',
      150,
      'Sessions take place Monday to Friday from 7 am to 8 pm and on Saturday from 9 am to 1 pm. A session lasts 25 minutes; manual lymph drainage lasts 45 minutes.',
    ),
    kb(
      now,
      'kb_physio204',
      A.healthcare,
      'url',
      'https://nordlicht-physio.example/policies',
      'policies',
      140,
      'Sessions cancelled less than 24 hours in advance are charged at 30 euros. We accept prescriptions from all statutory and private insurers; a prescription is valid for 28 days.',
      { url: 'https://nordlicht-physio.example/policies', refresh_interval: 86400 },
    ),
  ];
}

function seedSecondConversations(now: number) {
  const agents = seedSecondAgents(now);
  const [bistro, physio, motor] = agents as [AgentRecord, AgentRecord, AgentRecord];
  const first = (a: AgentRecord) => (a.config.conversation as { first_message: string }).first_message;
  return generateConversations(now, {
    seed: 20250212,
    count: 14,
    idPrefix: 'conv_sec2',
    plan(i) {
      // The two active agents alternate; the paused workshop line only has old calls.
      const a = i % 7 === 6 ? motor : i % 2 === 0 ? bistro : physio;
      return {
        agentId: a.id,
        industry: a.industry ?? 'generic',
        firstMessage: first(a),
        daysAgo: (rand) => (a === motor ? 40 + rand() * 15 : (i / 14) * 50 + rand() * 1.5),
      };
    },
    phone: (rand) => `+447700900${String(Math.floor(rand() * 1000)).padStart(3, '0')}`,
  });
}

/** Fills the demo account's store with its data, relative to `now`. */
function seedDemoAccount(store: Store, now: number): void {
  for (const a of seedAgents(now)) store.agents.set(a.id, a);
  for (const k of seedKb(now)) store.kb.set(k.id, k);
  for (const s of seedMcpServers()) store.mcpServers.set(s.id, s);
  for (const v of seedVoices()) store.voices.set(v.id, v);
  for (const c of seedConversations(now)) store.conversations.set(c.id, c);
}

function seedSecondAccount(store: Store, now: number): void {
  for (const a of seedSecondAgents(now)) store.agents.set(a.id, a);
  for (const k of seedSecondKb(now)) store.kb.set(k.id, k);
  const servers = [
    mcpServer('mcp_bookings21', 'Bookings Calendar', 'https://mcp.bookings.example', [
      'checkAvailability',
      'bookAppointment',
    ]),
    mcpServer('mcp_sms0000022', 'SMS Gateway', 'https://mcp.sms.example', ['sendSms']),
  ];
  for (const s of servers) store.mcpServers.set(s.id, s);
  for (const v of seedVoices()) store.voices.set(v.id, v);
  for (const c of seedSecondConversations(now)) store.conversations.set(c.id, c);
}

/** Fills both accounts' stores with their demo data, relative to `now`. */
export function seedStore(accounts: Accounts, now = Date.now()): void {
  seedDemoAccount(accounts.store(DEMO_ACCOUNT_ID), now);
  seedSecondAccount(accounts.store(SECOND_ACCOUNT_ID), now);
}

/** When a key handed out now expires: in a year. */
export function keyExpiry(now = Date.now()): string {
  return new Date(now + 365 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The two accounts and the API keys every sandbox accepts (also without seeded data). */
export function seedKeys(accounts: Accounts, now = Date.now()): void {
  const expiresAt = keyExpiry(now);
  accounts.addAccount({ id: DEMO_ACCOUNT_ID, ...DEMO_ACCOUNT });
  accounts.addAccount({ id: SECOND_ACCOUNT_ID, ...SECOND_ACCOUNT });
  const keys = [
    { key: DEMO_KEY, accountId: DEMO_ACCOUNT_ID },
    { key: READ_ONLY_KEY, accountId: DEMO_ACCOUNT_ID, readOnly: true },
    { key: SECOND_KEY, accountId: SECOND_ACCOUNT_ID },
  ];
  for (const k of keys) {
    accounts.keys.set(k.key, {
      key: k.key,
      accountId: k.accountId,
      permissions: k.readOnly ? ['read'] : ['read', 'write', 'delete'],
      expiresAt,
    });
  }
}

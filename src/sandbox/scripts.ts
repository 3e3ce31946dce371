/** Call scenarios per industry, used for seeded conversations and for simulated test calls. */

export interface Scenario {
  intent: string;
  /** Alternating user / agent lines after the agent's first message. */
  lines: string[];
  summary: string;
  sentiment: 'positive' | 'neutral' | 'negative';
  tools_used: string[];
  data_collected: Record<string, unknown>;
  failed?: boolean;
}

export const SCENARIOS: Record<string, Scenario[]> = {
  restaurant: [
    {
      intent: 'booking',
      lines: [
        "Hi, I'd like to book a table for four on Saturday evening.",
        'Of course! What time would you like to come?',
        'Around 7:30 pm, please. The name is Laura Schmidt.',
        'Let me check… a table for four at 7:30 pm on Saturday is available. I have booked it for Laura Schmidt.',
        'Perfect, thank you so much!',
        'You are welcome, we look forward to seeing you!',
      ],
      summary: 'Caller booked a table for four on Saturday at 7:30 pm',
      sentiment: 'positive',
      tools_used: ['checkAvailability', 'bookAppointment'],
      data_collected: { customer_name: 'Laura Schmidt', party_size: 4, reservation_time: '19:30' },
    },
    {
      intent: 'opening_hours',
      lines: [
        'Are you open on Monday?',
        'We are closed on Mondays. We are open Tuesday to Sunday from 12 noon to 11 pm.',
        'Okay, thanks.',
      ],
      summary: 'Caller asked about opening hours',
      sentiment: 'neutral',
      tools_used: [],
      data_collected: {},
    },
    {
      intent: 'menu_question',
      lines: [
        'Do you have gluten-free pizza?',
        'Yes, gluten-free pizza dough is available for 2 euros extra.',
        'Great, that is really helpful.',
      ],
      summary: 'Caller asked about gluten-free options',
      sentiment: 'positive',
      tools_used: [],
      data_collected: {},
    },
    {
      intent: 'complaint',
      lines: [
        'I waited an hour for my food last night, it was terrible.',
        'I am very sorry to hear that. I will pass this on to the manager.',
        'I am really disappointed.',
      ],
      summary: 'Caller complained about a long waiting time',
      sentiment: 'negative',
      tools_used: [],
      data_collected: { complaint: 'waiting time' },
    },
  ],
  healthcare: [
    {
      intent: 'booking',
      lines: [
        'Hello, I need an appointment for a check-up.',
        'Certainly. May I have your name and date of birth?',
        'Michael Braun, 12 March 1985.',
        'Thank you. The next free slot is Thursday at 9:15 am. Shall I book it?',
        'Yes please, that works.',
        'Done. Please bring your insurance card. See you on Thursday!',
      ],
      summary: 'Patient booked a check-up on Thursday at 9:15 am',
      sentiment: 'positive',
      tools_used: ['checkAvailability', 'bookAppointment'],
      data_collected: {
        patient_name: 'Michael Braun',
        date_of_birth: '1985-03-12',
        appointment_time: '09:15',
      },
    },
    {
      intent: 'prescription',
      lines: [
        'I need to renew my prescription.',
        'Prescription renewals are ready for pickup after two working days. May I have your name?',
        'Sabine Koch.',
        'Thank you, Ms Koch. I will send you an SMS when it is ready.',
      ],
      summary: 'Patient requested a prescription renewal',
      sentiment: 'neutral',
      tools_used: ['sendSms'],
      data_collected: { patient_name: 'Sabine Koch' },
    },
    {
      intent: 'opening_hours',
      lines: [
        'Are you open on Wednesday afternoon?',
        'On Wednesday the practice is only open until 1 pm.',
        'Okay, thank you.',
      ],
      summary: 'Patient asked about opening hours',
      sentiment: 'neutral',
      tools_used: [],
      data_collected: {},
    },
  ],
  real_estate: [
    {
      intent: 'viewing',
      lines: [
        "I'm interested in the three-bedroom house by the lake.",
        'Wonderful. What is your budget, and do you have financing in place?',
        'About 500,000 euros, and I have pre-approval from my bank.',
        'Great. Would you like to see the house on Saturday at 11 am?',
        'Yes, excellent, I would love that.',
        'I have scheduled the viewing and created your contact in our system.',
      ],
      summary: 'Qualified buyer with 500k budget booked a viewing on Saturday',
      sentiment: 'positive',
      tools_used: ['createLead', 'bookAppointment'],
      data_collected: { budget: 500000, bedrooms: 3, financing: 'pre-approved' },
    },
    {
      intent: 'pricing',
      lines: [
        'How much are the apartments with lake view?',
        'Apartments with lake view start at 320,000 euros.',
        'Hmm, that is more than I expected.',
      ],
      summary: 'Caller asked about apartment prices',
      sentiment: 'neutral',
      tools_used: [],
      data_collected: {},
    },
  ],
  retail: [
    {
      intent: 'order_status',
      lines: [
        'Where is my order? The number is UT-48213.',
        'Let me look it up… your order was shipped yesterday and should arrive tomorrow.',
        'Great, thanks for the quick help!',
      ],
      summary: 'Customer asked for the status of order UT-48213',
      sentiment: 'positive',
      tools_used: ['lookupOrder'],
      data_collected: { order_number: 'UT-48213' },
    },
    {
      intent: 'return',
      lines: [
        'I want to return a jacket that does not fit.',
        'Items can be returned within 30 days for a full refund, and returns are free with the prepaid label.',
        'Okay, good.',
      ],
      summary: 'Customer asked how to return a jacket',
      sentiment: 'neutral',
      tools_used: [],
      data_collected: { item: 'jacket' },
    },
    {
      intent: 'complaint',
      lines: [
        'My parcel arrived damaged and nobody answers my emails. This is awful.',
        'I am sorry about that. I will forward your case to a colleague who will call you back today.',
        'I hope so, this is really frustrating.',
      ],
      summary: 'Customer complained about a damaged parcel; escalated',
      sentiment: 'negative',
      tools_used: ['sendSms'],
      data_collected: { issue: 'damaged parcel', escalated: true },
    },
  ],
  generic: [
    {
      intent: 'general_inquiry',
      lines: [
        'Hi, I have a question about your services.',
        'Of course, I am happy to help. What would you like to know?',
        'What are your opening hours?',
        'Let me check that for you.',
        'Thanks, that helps.',
      ],
      summary: 'Caller asked a general question',
      sentiment: 'neutral',
      tools_used: [],
      data_collected: {},
    },
  ],
};

/** A call that dropped before anything useful happened. */
export const FAILED_SCENARIO: Scenario = {
  intent: 'unknown',
  lines: ['Hello? … I can barely hear you.'],
  summary: 'Call dropped: poor connection',
  sentiment: 'neutral',
  tools_used: [],
  data_collected: {},
  failed: true,
};

export function scenariosFor(industry: string | undefined): Scenario[] {
  return SCENARIOS[industry ?? ''] ?? SCENARIOS.generic ?? [];
}

/**
 * Scopes cover everything a grant can reach, not only tools (issue 19, point 2). With access tokens
 * of a grant of only `voisa:calls`, only `voisa:read`, and all three, on both protocol generations
 * (a 2026-07-28 SDK v2 client and a 2025-11-25 SDK 1.32 client, each with the token as its bearer),
 * every row of REACH (src/tools/scopes.ts) is checked: listed or not, and served or refused with an
 * error naming the missing scope on direct access. Also: wait_for_call on a calls-only grant follows
 * its own call without the content, and the table in docs/oauth.md is REACH.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as LegacySse } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LoggingMessageNotificationSchema,
  ResourceListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHub } from '../../src/events/hub.js';
import { serverSkills } from '../../src/skills/catalog.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { REACH, type Reach, reaches, reachTable, SCOPE_NAMES, toolNeed } from '../../src/tools/scopes.js';
import { GENERATIONS, type Generation } from '../helpers/generations.js';
import { connect as connect2025 } from '../helpers/mcp.js';
import {
  authorize,
  authorizeUrl,
  type OAuthStack,
  pkce,
  redeem,
  register,
  startOAuthStack,
  UserAgent,
} from './helpers.js';

const AGENT = 'agt_bella0001';
const CONVERSATION = 'conv_seed0001';
const ROOT = join(import.meta.dirname, '..', '..');

let stack: OAuthStack;
beforeAll(async () => {
  // With the workflow skills, as the CLI serves them: their template is one more surface.
  stack = await startOAuthStack({ http: { skills: await serverSkills() } });
});
afterAll(async () => {
  await stack?.close();
});

/** An access token of a grant of exactly these scopes: registration, sign-in, consent, code exchange. */
async function tokenFor(scopes: readonly string[]): Promise<string> {
  const clientId = await register(stack, `Scopes ${scopes.join(' ')}`);
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(stack, clientId, challenge, { scope: scopes.join(' ') });
  const landed = await authorize(new UserAgent(), url, stack.issuer);
  const res = await redeem(stack, clientId, landed.searchParams.get('code') as string, verifier);
  if (res.status !== 200) throw new Error(`code refused: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string; scope: string };
  expect(body.scope.split(' ').sort()).toEqual([...scopes].sort());
  return body.access_token;
}

/** What the test asks of either SDK's client. */
interface Probe {
  listTools(): Promise<string[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<Record<string, any>>;
  listResources(): Promise<string[]>;
  listTemplates(): Promise<string[]>;
  read(uri: string): Promise<unknown>;
  listPrompts(): Promise<string[]>;
  getPrompt(name: string, args: Record<string, string>): Promise<unknown>;
  complete(ref: Record<string, string>, argument: string, value: string): Promise<string[]>;
  /** 2025-11-25: resources/subscribe; 2026-07-28: subscriptions/listen. */
  subscribe(uri: string): Promise<unknown>;
  close(): Promise<void>;
}

async function connect(generation: Generation, token: string): Promise<Probe> {
  const requestInit = { headers: { authorization: `Bearer ${token}` } };
  const url = new URL(stack.mcpUrl);
  // Both clients answer the same calls with the same result shapes; each is typed by its own SDK.
  let client: any;
  let listen: (uri: string) => Promise<unknown>;
  if (generation === '2026-07-28') {
    const modern = new ModernClient(
      { name: 'scopes-2026', version: '1.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modern.connect(new ModernHttp(url, { requestInit }));
    client = modern;
    listen = async (uri) => {
      const sub = await modern.listen({ resourceSubscriptions: [uri], resourcesListChanged: true });
      await sub.close();
      return sub;
    };
  } else {
    const legacy = new LegacyClient({ name: 'scopes-2025', version: '1.0.0' }, { capabilities: {} });
    await legacy.connect(new LegacyHttp(url, { requestInit }));
    client = legacy;
    listen = (uri) => legacy.subscribeResource({ uri });
  }
  const all = async <T>(page: (cursor?: string) => Promise<{ items: T[]; next?: string }>) => {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const r = await page(cursor);
      items.push(...r.items);
      cursor = r.next;
    } while (cursor);
    return items;
  };
  return {
    listTools: async () => (await client.listTools()).tools.map((t: { name: string }) => t.name),
    callTool: (name, args) => client.callTool({ name, arguments: args }),
    listResources: () =>
      all(async (cursor) => {
        const r = await client.listResources(cursor ? { cursor } : {});
        return { items: r.resources.map((x: { uri: string }) => x.uri), next: r.nextCursor };
      }),
    listTemplates: async () =>
      (await client.listResourceTemplates()).resourceTemplates.map(
        (t: { uriTemplate: string }) => t.uriTemplate,
      ),
    read: (uri) => client.readResource({ uri }),
    listPrompts: async () => (await client.listPrompts()).prompts.map((p: { name: string }) => p.name),
    getPrompt: (name, args) => client.getPrompt({ name, arguments: args }),
    complete: async (ref, argument, value) =>
      (await client.complete({ ref, argument: { name: argument, value } })).completion.values,
    subscribe: listen,
    close: () => client.close(),
  };
}

/** A concrete URI of a resource or template row. */
function uriOf(row: Reach): string {
  return row.id
    .replace('{agent_id}', AGENT)
    .replace('{conversation_id}', CONVERSATION)
    .replace('{+path}', 'test-and-tune-agent/SKILL.md');
}

/** The arguments that make a prompt work for the demo account. */
const PROMPT_ARGS: Record<string, Record<string, string>> = {
  review_conversation: { conversation_id: CONVERSATION },
  agent_report: { agent_id: AGENT },
  design_agent: { business_description: 'A bakery in Berlin' },
};

/** A completion of each prompt and template, as a client would ask it. */
const COMPLETIONS: Record<string, [string, string]> = {
  review_conversation: ['conversation_id', 'conv_seed000'],
  agent_report: ['agent_id', 'agt_'],
  design_agent: ['language', 'de'],
  'voisa://agents/{agent_id}': ['agent_id', 'agt_'],
  'voisa://conversations/{conversation_id}': ['conversation_id', 'conv_seed000'],
  'voisa://conversations/{conversation_id}/transcript': ['conversation_id', 'conv_seed000'],
  'voisa://conversations/{conversation_id}/audio': ['conversation_id', 'conv_seed000'],
};

/** The error a refused request must carry: the insufficient scope, named, and how to get it. */
function refusedFor(row: Reach): RegExp {
  const names = 'anyOf' in row.needs ? row.needs.anyOf : row.needs.allOf;
  return new RegExp(
    `INSUFFICIENT_SCOPE: .*needs the ${names.join(' (or|and) ')} scope.*Connect again and allow`,
  );
}

const GRANTS: { name: string; scopes: string[] }[] = [
  { name: 'only voisa:calls', scopes: ['voisa:calls'] },
  { name: 'only voisa:read', scopes: ['voisa:read'] },
  { name: 'all scopes', scopes: [...SCOPE_NAMES] },
];

const rows = (kind: Reach['kind']) => REACH.filter((r) => r.kind === kind);

describe.each(GENERATIONS)('a %s client', (generation) => {
  describe.each(GRANTS)('with a grant of $name', ({ scopes }) => {
    let c: Probe;
    beforeAll(async () => {
      c = await connect(generation, await tokenFor(scopes));
    });
    afterAll(() => c?.close());
    const can = (row: Reach) => reaches(scopes, row.needs);
    /** A direct request: answered like `served` when the grant reaches the row, else refused naming its scope. */
    const servedOrRefused = async (row: Reach, answer: Promise<unknown>, served: object) => {
      if (can(row)) await expect(answer, row.id).resolves.toMatchObject(served);
      else await expect(answer, row.id).rejects.toThrow(refusedFor(row));
    };
    const contents = { contents: [expect.anything()] };

    it('tools/list: the tools of the granted scopes, wait_for_call with voisa:read or voisa:calls', async () => {
      const expected = CATALOGUE.filter((t) => reaches(scopes, toolNeed(t))).map((t) => t.name);
      expect((await c.listTools()).sort()).toEqual(expected.sort());
      expect(await c.listTools()).toContain('wait_for_call');
    });

    it('resources/list: only the static resources it reaches, no view; agents and conversations with voisa:read', async () => {
      const listed = await c.listResources();
      for (const row of rows('resource')) expect(listed.includes(row.id), `${row.id} listed`).toBe(can(row));
      expect(listed.filter((u) => u.startsWith('ui://'))).toEqual([]);
      const readable = scopes.includes('voisa:read');
      expect(
        listed.some((u) => u.startsWith('voisa://agents/')),
        'agents listed',
      ).toBe(readable);
      expect(
        listed.some((u) => u.startsWith('voisa://conversations/')),
        'conversations listed',
      ).toBe(readable);
    });

    it('resources/read of every static resource and view: served, or refused naming the scope', async () => {
      for (const row of [...rows('resource'), ...rows('view')])
        await servedOrRefused(row, c.read(row.id), contents);
    });

    it('resources/templates/list and reads through every template: listed and served, or neither', async () => {
      const listed = await c.listTemplates();
      for (const row of rows('template')) {
        expect(listed.includes(row.id), `${row.id} listed`).toBe(can(row));
        await servedOrRefused(row, c.read(uriOf(row)), contents);
      }
    });

    it('prompts/list and prompts/get of every prompt: listed and served, or neither', async () => {
      const listed = await c.listPrompts();
      for (const row of rows('prompt')) {
        expect(listed.includes(row.id), `${row.id} listed`).toBe(can(row));
        await servedOrRefused(row, c.getPrompt(row.id, PROMPT_ARGS[row.id]!), {
          messages: expect.any(Array),
        });
      }
    });

    it('completion/complete of every prompt and template: values, or refused naming the scope', async () => {
      const completion = REACH.find((r) => r.id === 'completion/complete')!;
      for (const [id, [argument, value]] of Object.entries(COMPLETIONS)) {
        const row = REACH.find((r) => r.id === id)!;
        const ref: Record<string, string> =
          row.kind === 'prompt' ? { type: 'ref/prompt', name: id } : { type: 'ref/resource', uri: id };
        const values = c.complete(ref, argument, value);
        if (can(row) && can(completion)) await expect(values, id).resolves.not.toHaveLength(0);
        else await expect(values, id).rejects.toThrow(refusedFor(can(completion) ? row : completion));
      }
    });

    it(
      generation === '2026-07-28'
        ? 'subscriptions/listen: acknowledged with voisa:read, refused without'
        : 'resources/subscribe: accepted with voisa:read, refused without',
      async () => {
        const row = REACH.find(
          (r) => r.id === (generation === '2026-07-28' ? 'subscriptions/listen' : 'resources/subscribe'),
        )!;
        await servedOrRefused(row, c.subscribe('voisa://events'), {});
      },
    );
  });

  it('wait_for_call on a calls-only grant follows the call it placed, with its outcome but not its content', async () => {
    const c = await connect(generation, await tokenFor(['voisa:calls']));
    try {
      const made = await c.callTool('make_call', { agent_id: AGENT, phone_number: '+49123456789' });
      expect(made.isError).toBeFalsy();
      const callId = made.structuredContent.call_id as string;
      let waited: Record<string, any>;
      do {
        waited = await c.callTool('wait_for_call', { call_id: callId, wait_seconds: 10 });
        expect(waited.isError, JSON.stringify(waited.content)).toBeFalsy();
      } while (!waited.structuredContent.ended);
      expect(waited.structuredContent).toMatchObject({ ended: true, status: expect.any(String) });
      expect(waited.structuredContent.summary).toBeUndefined();
      expect(waited.structuredContent.next).toMatch(/need the voisa:read scope/);
      expect(waited.structuredContent.transcript_uri).toBeUndefined();
      expect(waited.structuredContent.recording_uri).toBeUndefined();
      expect(JSON.stringify(waited.content)).not.toContain('voisa://conversations/');

      // Another conversation, by its id or by hints: not this grant's to read.
      const other = await c.callTool('wait_for_call', { conversation_id: CONVERSATION });
      expect(other.isError).toBe(true);
      expect(other.content[0].text).toMatch(/call_id.*voisa:calls scope alone/);
      const hinted = await c.callTool('wait_for_call', {
        call_id: 'call_unknown1',
        agent_id: AGENT,
        phone_number: '+49123456789',
      });
      expect(hinted.isError).toBe(true);
      expect(hinted.content[0].text).toMatch(/call_unknown1 is unknown here/);
    } finally {
      await c.close();
    }
  });
});

describe('the other ways in', () => {
  it('a 2025-11-25 session without voisa:read hears no webhook events (log notifications, resource updates)', async () => {
    const hub = new EventHub();
    const heard = async (scopes: string[] | undefined) => {
      const mcp = await connect2025(stack.sandbox, {
        scopes,
        events: { hub, delivery: 'session', owner: 'acct' },
      });
      const logs: unknown[] = [];
      const changes: unknown[] = [];
      mcp.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        logs.push(n.params.data);
      });
      mcp.client.setNotificationHandler(ResourceListChangedNotificationSchema, (n) => {
        changes.push(n);
      });
      return { mcp, logs, changes };
    };
    const reader = await heard(['voisa:read']);
    const caller = await heard(['voisa:calls']);
    try {
      hub.publish(
        {
          id: 'evt_scopes1',
          event: 'conversation.started',
          timestamp: new Date().toISOString(),
          data: { conversation_id: 'conv_scopes1', agent_id: AGENT, phone_number: '+49123456789' },
          received_at: new Date().toISOString(),
        },
        'acct',
      );
      await expect.poll(() => reader.logs.length).toBe(1);
      await expect.poll(() => reader.changes.length).toBe(1);
      expect(caller.logs).toEqual([]);
      expect(caller.changes).toEqual([]);
    } finally {
      await reader.mcp.close();
      await caller.mcp.close();
    }
  });

  it('GET /sse holds an access token to the same reach as /mcp', async () => {
    const client = new LegacyClient({ name: 'scopes-sse', version: '1.0.0' });
    const token = await tokenFor(['voisa:calls']);
    await client.connect(
      new LegacySse(new URL(`${stack.url}/sse`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      // The call policy is all a calls-only grant reads.
      expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['voisa://policy']);
      expect((await client.listPrompts()).prompts).toEqual([]);
      await expect(client.readResource({ uri: 'voisa://events' })).rejects.toThrow(/INSUFFICIENT_SCOPE/);
      await expect(client.subscribeResource({ uri: 'voisa://events' })).rejects.toThrow(/INSUFFICIENT_SCOPE/);
    } finally {
      await client.close();
    }
  });
});

describe('the written-down table', () => {
  it('docs/oauth.md\'s "What each scope reaches" is REACH', () => {
    const guide = readFileSync(join(ROOT, 'docs/oauth.md'), 'utf8');
    const block = /<!-- reach:start -->\n([\s\S]*?)\n<!-- reach:end -->/.exec(guide)?.[1];
    expect(block).toBe(reachTable());
  });

  it('a view needs exactly the scopes of the tools that open it', () => {
    for (const row of rows('view')) {
      const openers = CATALOGUE.filter((t) => t.view && `ui://voisa/${t.view}` === row.id);
      expect(openers.length, row.id).toBeGreaterThan(0);
      for (const scope of SCOPE_NAMES)
        expect(reaches([scope], row.needs), `${row.id} with ${scope}`).toBe(
          openers.some((t) => reaches([scope], toolNeed(t))),
        );
    }
  });
});

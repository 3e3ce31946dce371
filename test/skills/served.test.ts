/**
 * The workflow skills served over streamable HTTP through the SDK's skills extension, as clients get
 * them: the SDK's `SkillsClient` (which checks every file against its entry's digest, size and
 * frontmatter) on a 2026-07-28 connection and on a 2025-11-25 one, and SDK 1.32, a 2025-11-25 client
 * with no skills support, sending the methods by name and reading the files as plain resources.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as ModernClient, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SkillsClient } from '@modelcontextprotocol/client/ext/skills';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findSkillsDir, serverSkills } from '../../src/skills/catalog.js';
import { type Stack, startStack } from '../http/helpers.js';

const DIR = findSkillsDir()!;
const NAMES = readdirSync(DIR).sort();
const EXTENSION = 'io.modelcontextprotocol/skills';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ skills: await serverSkills() });
});
afterAll(() => stack.close());

const headers = () => ({ authorization: `Bearer ${stack.sandbox.demoKey}` });

describe.each([
  ['2026-07-28', { mode: { pin: '2026-07-28' } }],
  ['2025-11-25', { mode: 'legacy' }],
] as const)("the SDK's SkillsClient on %s", (generation, versionNegotiation) => {
  let client: ModernClient;
  beforeAll(async () => {
    client = new ModernClient({ name: 'skills-host', version: '1.0.0' }, { versionNegotiation } as never);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(stack.http.mcpUrl), { requestInit: { headers: headers() } }),
    );
  });
  afterAll(() => client.close());

  it('sees the extension declared and lists the five skills', async () => {
    expect(client.getServerCapabilities()?.extensions?.[EXTENSION]).toEqual({ directoryRead: true });
    const skills = new SkillsClient(client);
    expect(skills.supported).toBe(true);
    const listing = await skills.list();
    expect(listing.invalid).toEqual([]);
    expect(listing.skills.map((s) => s.frontmatter.name)).toEqual(NAMES);
    expect(listing.skills.map((s) => s.uri)).toEqual(NAMES.map((n) => `skill://${n}/SKILL.md`));
    // Cache hints exist on 2026-07-28 only: the skills are the same for everyone, for an hour.
    if (generation === '2026-07-28')
      expect(listing).toMatchObject({ ttlMs: 3_600_000, cacheScope: 'public' });
    else expect(listing.ttlMs).toBeUndefined();
  });

  it('reads every skill, verified against its entry, byte for byte the file in skills/', async () => {
    const skills = new SkillsClient(client);
    for (const name of NAMES) {
      const { skill } = await skills.get(`skill://${name}/SKILL.md`);
      const file = await skills.read(skill);
      expect(file.verified).toBe(true);
      expect(file.frontmatter?.name).toBe(name);
      expect(file.text).toBe(readFileSync(join(DIR, name, 'SKILL.md'), 'utf8'));
    }
  });

  it('lists a skill folder through resources/directory/read', async () => {
    const { resources } = await new SkillsClient(client).readDirectory('skill://test-and-tune-agent');
    expect(resources.map((r) => r.uri)).toEqual(['skill://test-and-tune-agent/SKILL.md']);
  });

  it('refuses a skill that is not served', async () => {
    await expect(new SkillsClient(client).get('skill://no-such-skill/SKILL.md')).rejects.toThrow();
  });
});

describe('SDK 1.32 (2025-11-25, no skills support of its own)', () => {
  let client: LegacyClient;
  beforeAll(async () => {
    client = new LegacyClient({ name: 'plain-2025', version: '1.0.0' });
    await client.connect(new LegacyHttp(new URL(stack.http.mcpUrl), { requestInit: { headers: headers() } }));
  });
  afterAll(() => client.close());

  it('gets the extension in initialize, skills/list by name, and the files as ordinary resources', async () => {
    expect((client.getServerCapabilities() as { extensions?: object }).extensions).toEqual({
      [EXTENSION]: { directoryRead: true },
    });
    const listed = await client.request(
      { method: 'skills/list', params: {} } as never,
      z.object({ skills: z.array(z.object({ uri: z.string() }).loose()) }).loose() as never,
    );
    expect((listed as { skills: { uri: string }[] }).skills).toHaveLength(NAMES.length);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('skill://{+path}');
    const read = await client.readResource({ uri: 'skill://place-and-follow-calls/SKILL.md' });
    expect(read.contents[0]).toMatchObject({ mimeType: 'text/markdown' });
    expect((read.contents[0] as { text: string }).text).toContain('voisa://policy');
  });
});

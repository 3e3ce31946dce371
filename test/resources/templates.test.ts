/** Capabilities and resources/templates/list through a real MCP Client. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connected, connect } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });
let mcp: Connected;

beforeAll(async () => {
  mcp = await connect(sandbox());
});
afterAll(() => mcp.close());

describe('resource templates', () => {
  it('declares resources, prompts, completions and logging, but not subscribe', () => {
    const caps = mcp.client.getServerCapabilities();
    expect(caps).toMatchObject({ resources: {}, prompts: {}, completions: {}, logging: {} });
    expect(caps?.resources?.subscribe).toBeUndefined();
  });

  it('lists the four templates with their MIME types', async () => {
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    const byUri = Object.fromEntries(resourceTemplates.map((t) => [t.uriTemplate, t]));
    expect(Object.keys(byUri).sort()).toEqual([
      'voisa://agents/{agent_id}',
      'voisa://conversations/{conversation_id}',
      'voisa://conversations/{conversation_id}/audio',
      'voisa://conversations/{conversation_id}/transcript',
    ]);
    expect(byUri['voisa://agents/{agent_id}']?.mimeType).toBe('application/json');
    expect(byUri['voisa://conversations/{conversation_id}']?.mimeType).toBe('application/json');
    expect(byUri['voisa://conversations/{conversation_id}/transcript']?.mimeType).toBe('text/plain');
    expect(byUri['voisa://conversations/{conversation_id}/audio']?.mimeType).toBe('audio/mpeg');
    for (const t of resourceTemplates) {
      expect(t.description!.length).toBeLessThan(160);
      expect(t.title).toBeTruthy();
    }
  });

  it('says in the transcript description that its text is caller-controlled', async () => {
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    const transcript = resourceTemplates.find((t) => t.uriTemplate.endsWith('/transcript'));
    expect(transcript?.description).toMatch(/caller-controlled/i);
    expect(transcript?.description).toMatch(/not instructions/i);
  });

  it('sends no API request to list templates', async () => {
    sandbox().clearRequests();
    await mcp.client.listResourceTemplates();
    expect(sandbox().requests()).toEqual([]);
  });
});

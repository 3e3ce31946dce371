/** Id completion over many agents: several API pages, cut at 100 values with hasMore. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Connected, connect } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });
let mcp: Connected;

beforeAll(async () => {
  mcp = await connect(sandbox());
  for (let i = 0; i < 130; i++) await mcp.api.agents.create({ name: `Bulk agent ${i}` });
});
afterAll(() => mcp.close());

it('sends at most 100 values and sets hasMore when there are more', async () => {
  sandbox().clearRequests();
  const r = await mcp.client.complete({
    ref: { type: 'ref/resource', uri: 'voisa://agents/{agent_id}' },
    argument: { name: 'agent_id', value: 'agt_' },
  });
  expect(r.completion.values).toHaveLength(100);
  expect(r.completion.hasMore).toBe(true);
  expect(r.completion.total).toBe(135);
  expect(
    sandbox()
      .requests()
      .map((q) => q.query.page),
  ).toEqual(['1', '2']);
});
